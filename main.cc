// pgcdc: PostgreSQL change data capture into Kafka, Debezium-compatible.
// This file only parses the command line, sets up logging and hands over to the connector.
//
// Exit codes: 0 success / clean stop; 1 runtime failure (server, broker, delivery, offsets);
//             2 configuration or usage error.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <iostream>
#include <string>

#include "config/config_loader.h"
#include "connector/pg_connection.h"
#include "connector/runner.h"
#include "connector/source_setup.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

const char kUsage[] = R"(pgcdc - stream PostgreSQL changes into Kafka as Debezium-compatible events

Usage:
  pgcdc run -c FILE                 stream changes until SIGINT/SIGTERM
  pgcdc validate -c FILE [--offline]
                                    check the configuration file and, unless --offline, the
                                    server (wal_level, privileges, slot, publication)
  pgcdc --version
  pgcdc --help

Examples:
  pgcdc validate -c /etc/pgcdc/shop.yaml
  pgcdc run -c /etc/pgcdc/shop.yaml

Exit codes: 0 ok, 1 runtime failure, 2 configuration or usage error.
See config/pgcdc.example.yaml for every configuration key.
)";

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("pgcdc");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

int Validate(const cdc::config::Config& cfg, bool offline) {
  std::cout << "configuration OK: name=" << cfg.name << " slot=" << cfg.source.slot
            << " publication=" << cfg.source.publication << " sink=" << cfg.sink.type << "\n";
  if (offline) return kExitOk;
  using namespace cdc::connector;
  auto sql = Connect(cfg.source.dsn, ConnKind::kSql);
  if (!sql.ok()) {
    std::cerr << "error: " << sql.status().message() << "\n";
    return kExitRuntime;
  }
  auto repl = Connect(cfg.source.dsn, ConnKind::kReplication);
  if (!repl.ok()) {
    std::cerr << "error: " << repl.status().message() << "\n";
    return kExitRuntime;
  }
  auto facts = InspectSource(sql->get(), repl->get(), cfg);
  if (!facts.ok()) {
    std::cerr << "error: " << facts.status().message() << "\n";
    return kExitRuntime;
  }
  std::cout << "server OK: PostgreSQL " << facts->server_version << ", system "
            << facts->identity.system_id << ", database " << facts->identity.database << "\n"
            << "slot " << cfg.source.slot << ": "
            << (facts->slot.exists ? "exists, confirmed_flush_lsn " +
                                         (facts->slot.confirmed_flush
                                              ? facts->slot.confirmed_flush->ToString()
                                              : std::string("none"))
                                   : std::string("will be created"))
            << "\n"
            << "publication " << cfg.source.publication << ": "
            << (facts->publication_exists ? "exists" : "will be created") << "\n";
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command, config_path;
  bool offline = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h" || a == "help") {
      std::cout << kUsage;
      return kExitOk;
    }
    if (a == "--version" || a == "version") {
      std::cout << "pgcdc " << PGCDC_VERSION << "\n";
      return kExitOk;
    }
    if ((a == "-c" || a == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "--offline") {
      offline = true;
    } else if (command.empty() && a[0] != '-') {
      command = a;
    } else {
      std::cerr << "error: unexpected argument '" << a << "' (see pgcdc --help)\n";
      return kExitUsage;
    }
  }
  if (command != "run" && command != "validate") {
    std::cerr << (command.empty() ? "error: no command given"
                                  : "error: unknown command '" + command + "'")
              << " (see pgcdc --help)\n";
    return kExitUsage;
  }
  if (config_path.empty()) {
    std::cerr << "error: " << command << " needs -c FILE\n";
    return kExitUsage;
  }

  cdc::config::Config cfg;
  try {
    cfg = cdc::config::LoadFile(config_path);
  } catch (const cdc::config::ConfigError& e) {
    std::cerr << "error: config " << e.what() << "\n";
    return kExitUsage;
  }
  if (command == "validate") return Validate(cfg, offline);

  SetUpLogging(cfg.log.level);
  spdlog::info("pgcdc {} starting: name={} sink={}", PGCDC_VERSION, cfg.name, cfg.sink.type);
  cdc::connector::Runner::InstallSignalHandlers();
  cdc::connector::Runner runner(std::move(cfg), PGCDC_VERSION);
  cdc::Status s = runner.Run();
  if (!s.ok()) {
    spdlog::error("{}", s.message());
    return kExitRuntime;
  }
  return kExitOk;
}
