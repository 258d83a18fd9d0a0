// pgcdc: PostgreSQL change data capture into Kafka, Debezium-compatible.
// This file only parses the command line, sets up logging and hands over to the connector.
//
// Exit codes: 0 success / clean stop; 1 runtime failure (server, broker, delivery, offsets);
//             2 configuration or usage error; 3 an event the broker refused for good (it is
//             refused again on every start: a person must raise a limit or set a dead-letter
//             topic, so the systemd unit does not restart on 3).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "config/config_words.h"
#include "config/redact.h"
#include "connector/admin.h"
#include "connector/logging.h"
#include "connector/runner.h"
#include "connector/snapshot_command.h"
#include "connector/stop_signal.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kExitStuck = 3;

const char kUsage[] = R"(pgcdc - stream PostgreSQL changes into Kafka as Debezium-compatible events

Usage:
  pgcdc run -c FILE                 snapshot (per snapshot.mode) and stream changes until
                                    SIGINT/SIGTERM
  pgcdc validate -c FILE [--offline]
                                    check the configuration file and, unless --offline, the
                                    server (wal_level, privileges, slot, publication)
  pgcdc status -c FILE              slot (active, confirmed LSN, lag), offsets file, stuck
                                    event, publication; shows what it can read
  pgcdc offsets show -c FILE        the stored position and snapshot state
  pgcdc offsets reset -c FILE (--to-lsn LSN | --to-slot) [--yes]
                                    move the stored position forward (never back: a logical
                                    slot cannot rewind); without --yes only shows the change
  pgcdc slot drop -c FILE [--yes]   drop the replication slot (releases its WAL)
  pgcdc snapshot -c FILE --table SCHEMA.TABLE [--table ...] [--where SQL]
                                    incremental snapshot of tables while streaming (a signal to
                                    the running pgcdc, or the next one to start)
  pgcdc snapshot -c FILE (--stop [--table ...] | --pause | --resume | --status)
  pgcdc --version
  pgcdc --help

Examples:
  pgcdc validate -c /etc/pgcdc/shop.yaml
  pgcdc run -c /etc/pgcdc/shop.yaml
  pgcdc status -c /etc/pgcdc/shop.yaml
  pgcdc offsets reset -c /etc/pgcdc/shop.yaml --to-slot --yes

Exit codes: 0 ok, 1 runtime failure (for status: something could not be read), 2
configuration or usage error (also: a change asked for without --yes), 3 run stopped on an
event the broker refuses for good (recorded in the offsets file; see status).
See config/pgcdc.example.yaml for every configuration key.
)";

// Admin subcommands: their errors are one line on stderr.
int Report(const cdc::Status& s) {
  if (s.ok()) return kExitOk;
  std::cerr << "error: " << cdc::config::Redact(s.message()) << "\n";
  return s.code() == cdc::Status::Code::kInvalidArgument ? kExitUsage : kExitRuntime;
}

int Validate(const cdc::config::Config& cfg, bool offline) {
  std::cout << "configuration OK: name=" << cfg.name << " slot=" << cfg.source.slot
            << " publication=" << cfg.source.publication
            << " sink=" << cdc::config::WordOf(cfg.sink.type) << "\n";
  if (offline) return kExitOk;
  return Report(cdc::connector::ValidateServer(cfg, std::cout));
}

}  // namespace

int main(int argc, char** argv) {
  std::string command, config_path, to_lsn;
  std::vector<std::string> words;  // command and its sub-command
  bool offline = false, to_slot = false, yes = false;
  cdc::connector::SnapshotRequest snapshot_request;
  int snapshot_actions = 0;
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
    } else if (a == "--to-lsn" && i + 1 < argc) {
      to_lsn = argv[++i];
    } else if (a == "--to-slot") {
      to_slot = true;
    } else if (a == "--yes") {
      yes = true;
    } else if (a == "--table" && i + 1 < argc) {
      snapshot_request.tables.push_back(argv[++i]);
    } else if (a == "--where" && i + 1 < argc) {
      snapshot_request.where = argv[++i];
    } else if (a == "--stop" || a == "--pause" || a == "--resume" || a == "--status") {
      using Action = cdc::connector::SnapshotRequest::Action;
      snapshot_request.action = a == "--stop"     ? Action::kStop
                                : a == "--pause"  ? Action::kPause
                                : a == "--resume" ? Action::kResume
                                                  : Action::kStatus;
      ++snapshot_actions;
    } else if (words.size() < 2 && !a.empty() && a[0] != '-') {
      words.push_back(a);
    } else {
      std::cerr << "error: unexpected argument '" << a << "' (see pgcdc --help)\n";
      return kExitUsage;
    }
  }
  for (const auto& w : words) command += (command.empty() ? "" : " ") + w;
  static const char* const kCommands[] = {"run",           "validate",  "status",  "offsets show",
                                          "offsets reset", "slot drop", "snapshot"};
  if (std::find(std::begin(kCommands), std::end(kCommands), command) == std::end(kCommands)) {
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
    std::cerr << "error: config " << cdc::config::Redact(e.what()) << "\n";
    return kExitUsage;
  }
  cdc::connector::RedactDefaultLogger();  // admin commands log (librdkafka) to stdout
  if (command == "validate") return Validate(cfg, offline);
  if (command == "status") return Report(cdc::connector::ShowStatus(cfg, std::cout));
  if (command == "offsets show") return Report(cdc::connector::ShowOffsets(cfg, std::cout));
  if (command == "slot drop") return Report(cdc::connector::DropSlotCommand(cfg, yes, std::cout));
  if (command == "snapshot") {
    if (snapshot_actions > 1) {
      return Report(cdc::Status::InvalidArgument(
          "snapshot: give at most one of --stop, --pause, --resume, --status"));
    }
    return Report(cdc::connector::SnapshotCommand(cfg, snapshot_request, std::cout));
  }
  if (command == "offsets reset") {
    cdc::connector::OffsetsReset reset;
    reset.to_slot = to_slot;
    reset.confirmed = yes;
    if (!to_lsn.empty()) {
      auto lsn = cdc::Lsn::Parse(to_lsn);
      if (!lsn.ok())
        return Report(cdc::Status::InvalidArgument("--to-lsn: " + lsn.status().message()));
      reset.to_lsn = *lsn;
    }
    return Report(cdc::connector::ResetOffsets(cfg, reset, std::cout));
  }

  cdc::connector::SetUpLogging(cfg.log.level, cfg.log.format);
  spdlog::info("pgcdc {} starting: name={} sink={}", PGCDC_VERSION, cfg.name,
               cdc::config::WordOf(cfg.sink.type));
  cdc::connector::StopSignal::Process().InstallHandlers();
  cdc::connector::Runner runner(std::move(cfg), PGCDC_VERSION);
  cdc::Status s = runner.Run();
  if (!s.ok()) {
    spdlog::error("{}", s.message());
    return runner.stuck() ? kExitStuck : kExitRuntime;
  }
  return kExitOk;
}
