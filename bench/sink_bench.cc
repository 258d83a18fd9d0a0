// pgcdc-sink-bench: the Kafka sink alone, fed records captured from a pgcdc run, as a ceiling
// for the snapshot and stream benchmarks (bench/bench.py runs it on the same broker in the same
// run). It sends through KafkaSink with pgcdc's producer defaults, from `--threads` threads
// as the snapshot's workers do, bounded by the same in-flight limits, and serves delivery
// reports on the main thread as the snapshot's coordinator does. What pgcdc adds on top of this
// rate is the cost of reading PostgreSQL and building envelopes.
//
//   pgcdc-sink-bench --bootstrap HOST:PORT --samples FILE --messages N [--threads T]
//                    [--topic T] [-X prop=value ...]
//
// FILE holds one record per line, `key<TAB>value` (kcat -f '%k\t%s\n'); the records are sent
// round-robin. Prints one line: messages, seconds, messages/s, CPU seconds of this process.

#include <poll.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "sinks/kafka_sink.h"

namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "pgcdc-sink-bench: %s\n", why.c_str());
  std::exit(1);
}

struct Record {
  std::string key;
  std::string value;
};

class Counter final : public cdc::sinks::DeliveryListener {
 public:
  void OnDelivery(void*, size_t bytes, const cdc::Status& status) override {
    if (!status.ok()) Die(status.message());
    inflight_events.fetch_sub(1, std::memory_order_relaxed);
    inflight_bytes.fetch_sub(static_cast<int64_t>(bytes), std::memory_order_relaxed);
    delivered.fetch_add(1, std::memory_order_relaxed);
  }
  std::atomic<int64_t> inflight_events{0};
  std::atomic<int64_t> inflight_bytes{0};
  std::atomic<int64_t> delivered{0};
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "pgcdc-sink-bench: %s\nusage: pgcdc-sink-bench --bootstrap HOST:PORT --samples "
               "FILE --messages N [--threads T] [--topic NAME] [-X prop=value ...]\n",
               why);
  std::exit(2);
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> props;
  std::string samples_path;
  std::string topic = "sinkbench";
  int64_t messages = 0;
  int threads = 2;
  // pgcdc's defaults (config/config.h limits.*).
  const int64_t max_events = 50000;
  const int64_t max_bytes = 16LL << 20;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) Usage(("missing value after " + arg).c_str());
    std::string v = argv[++i];
    if (arg == "--bootstrap") {
      props["bootstrap.servers"] = v;
    } else if (arg == "--samples") {
      samples_path = v;
    } else if (arg == "--messages") {
      messages = std::atoll(v.c_str());
    } else if (arg == "--threads") {
      threads = std::atoi(v.c_str());
    } else if (arg == "--topic") {
      topic = v;
    } else if (arg == "-X") {
      auto eq = v.find('=');
      if (eq == std::string::npos) Usage("-X needs prop=value");
      props[v.substr(0, eq)] = v.substr(eq + 1);
    } else {
      Usage(("unknown argument " + arg).c_str());
    }
  }
  if (props.count("bootstrap.servers") == 0 || samples_path.empty() || messages <= 0 ||
      threads <= 0) {
    Usage("--bootstrap, --samples and a positive --messages are required");
  }

  std::vector<Record> records;
  std::ifstream in(samples_path);
  if (!in) Die("cannot read " + samples_path);
  for (std::string line; std::getline(in, line);) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    records.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  if (records.empty()) Die("no key<TAB>value lines in " + samples_path);

  Counter counter;
  auto sink = cdc::sinks::KafkaSink::Create(props, &counter);
  if (!sink.ok()) Die(sink.status().message());
  cdc::sinks::KafkaSink& kafka = **sink;
  if (auto s = kafka.CheckReachable(10000); !s.ok()) Die(s.message());

  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<int64_t> next{0};
  std::atomic<int> senders_done{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&] {
      for (int64_t n; (n = next.fetch_add(1, std::memory_order_relaxed)) < messages;) {
        const Record& r = records[static_cast<size_t>(n) % records.size()];
        cdc::ChangeEvent ev;
        ev.topic = topic;
        ev.key = r.key;
        ev.value = r.value;
        while (counter.inflight_events.load(std::memory_order_relaxed) >= max_events ||
               counter.inflight_bytes.load(std::memory_order_relaxed) >= max_bytes) {
          kafka.Poll(0);
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        counter.inflight_events.fetch_add(1, std::memory_order_relaxed);
        counter.inflight_bytes.fetch_add(static_cast<int64_t>(ev.size_bytes()),
                                         std::memory_order_relaxed);
        for (;;) {
          cdc::Status s = kafka.Send(ev, nullptr);
          if (s.ok()) break;
          if (s.code() != cdc::Status::Code::kUnavailable) Die(s.message());
          kafka.Poll(1);
        }
      }
      senders_done.fetch_add(1);
    });
  }
  while (counter.delivered.load() < messages) {
    kafka.Poll(0);
    pollfd fd{kafka.wakeup_fd(), POLLIN, 0};
    poll(&fd, 1, 50);
  }
  for (auto& th : senders) th.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  std::printf("sink: %lld messages in %.3f s = %.0f msg/s, CPU %.2f s (%.2f us/msg)\n",
              static_cast<long long>(messages), secs, static_cast<double>(messages) / secs, cpu,
              cpu / static_cast<double>(messages) * 1e6);
  return 0;
}
