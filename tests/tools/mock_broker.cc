// pgcdc-mock-broker: a Kafka-protocol broker for tests and the demo, built on librdkafka's mock
// cluster (rdkafka_mock.h). No Kafka package exists on these machines; this speaks the real
// protocol on loopback (produce, fetch, metadata, idempotence, auto-created topics).
//
// Prints "BOOTSTRAP host:port[,host:port...]" on stdout, then reads commands on stdin, one per
// line, answering "OK" or "ERR <why>":
//   down [BROKER_ID|-1]          disconnect broker(s) and refuse new connections
//   up [BROKER_ID|-1]            accept connections again
//   errors APIKEY CODE COUNT     fail the next COUNT requests of APIKEY (e.g. 0 = Produce) with
//                                error CODE (e.g. 6 = NOT_LEADER_FOR_PARTITION)
//   topic NAME PARTITIONS        create a topic with PARTITIONS partitions
//   quit
// Exits on "quit", end of input, SIGINT or SIGTERM.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--brokers") brokers = std::atoi(argv[++i]);
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
  // The mock cluster refuses requests larger than its client's receive limit (100 MB by default)
  // by closing the connection; a real broker's limit is a topic setting. The memory benchmark
  // sends single values of 100 MB and more, so accept what a producer may send.
  rd_kafka_conf_set(conf, "receive.message.max.bytes", "1000000000", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::cerr << "mock-broker: " << err << "\n";
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (mc == nullptr) {
    std::cerr << "mock-broker: cannot create mock cluster\n";
    return 1;
  }
  std::cout << "BOOTSTRAP " << rd_kafka_mock_cluster_bootstraps(mc) << std::endl;

  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  signal(SIGPIPE, SIG_IGN);

  std::string line;
  while (!g_stop) {
    pollfd p{0, POLLIN, 0};
    int r = poll(&p, 1, 200);
    if (r <= 0) continue;
    if (!std::getline(std::cin, line)) break;
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (cmd == "down" || cmd == "up") {
      int id = -1;
      in >> id;
      if (id == -1) {
        for (int b = 1; b <= brokers && !e; ++b) {
          e = cmd == "down" ? rd_kafka_mock_broker_set_down(mc, b)
                            : rd_kafka_mock_broker_set_up(mc, b);
        }
      } else {
        e = cmd == "down" ? rd_kafka_mock_broker_set_down(mc, id)
                          : rd_kafka_mock_broker_set_up(mc, id);
      }
    } else if (cmd == "errors") {
      int apikey = 0, code = 0, count = 0;
      in >> apikey >> code >> count;
      for (int i = 0; i < count; ++i) {
        rd_kafka_mock_push_request_errors(mc, static_cast<int16_t>(apikey), 1,
                                          static_cast<rd_kafka_resp_err_t>(code));
      }
    } else if (cmd == "topic") {
      std::string name;
      int partitions = 1;
      in >> name >> partitions;
      e = rd_kafka_mock_topic_create(mc, name.c_str(), partitions, 1);
    } else if (cmd == "quit") {
      std::cout << "OK" << std::endl;
      break;
    } else if (!cmd.empty()) {
      std::cout << "ERR unknown command " << cmd << std::endl;
      continue;
    }
    if (e) {
      std::cout << "ERR " << rd_kafka_err2str(e) << std::endl;
    } else {
      std::cout << "OK" << std::endl;
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
