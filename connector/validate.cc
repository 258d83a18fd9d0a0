#include "connector/admin.h"

// `validate`: every check a start would make, without changing anything, each reported on one
// line (OK, WARN or FAIL) with the cause.

#include <algorithm>
#include <string>
#include <vector>

#include "config/config_words.h"
#include "config/redact.h"
#include "connector/capture_rules.h"
#include "connector/instance_lock.h"
#include "connector/offset_store.h"
#include "connector/options.h"
#include "connector/pg_connection.h"
#include "connector/registry_subjects.h"
#include "connector/replica_identity.h"
#include "connector/schema_registry_client.h"
#include "connector/sink_factory.h"
#include "connector/snapshot.h"
#include "connector/source_setup.h"
#include "connector/start_decision.h"
#include "connector/stop_signal.h"
#include "sinks/nats_sink.h"
#include "sinks/rabbitmq_sink.h"

namespace cdc::connector {

namespace {

// Prints findings and remembers the first failure.
class Findings {
 public:
  explicit Findings(std::ostream& out) : out_(out) {}
  void Ok(const std::string& what) { out_ << "ok    " << what << "\n"; }
  void Note(const std::string& what) { out_ << "note  " << what << "\n"; }
  void Warn(const std::string& what) { out_ << "WARN  " << what << "\n"; }
  bool Check(const Status& s, const std::string& what_ok) {
    if (s.ok()) {
      Ok(what_ok);
      return true;
    }
    out_ << "FAIL  " << config::Redact(s.message()) << "\n";  // e.g. librdkafka's text
    if (first_.ok()) first_ = s;
    return false;
  }
  const Status& first() const { return first_; }

 private:
  std::ostream& out_;
  Status first_;
};

// format avro, json_schema or protobuf: the registry answers (reachable, credentials accepted) and
// what compatibility level each table's value subject will be checked against. Registers nothing.
void CheckRegistry(const config::Config& cfg, const CaptureSet& capture, Findings& f) {
  const auto& r = cfg.format.schema_registry;
  SchemaRegistryClient client(r, StopSignal::Process(), nullptr);
  auto global = client.CompatibilityOf("");
  if (!f.Check(global.status(), "schema registry reachable at " + r.urls.front() +
                                    (r.user.empty() ? "" : " (basic auth accepted)") +
                                    ", compatibility " + (global.ok() ? *global : ""))) {
    return;
  }
  for (const auto& s : SubjectsOf(cfg, capture.tables)) {
    const std::string& subject = s.value;
    const TableName& t = s.table;
    auto level = client.CompatibilityOf(subject);
    RegistryReply latest = client.Call(SubjectPath(subject) + "/versions/latest", "");
    std::string versions = "not registered yet";
    if (latest.outcome == RegistryReply::Outcome::kOk) {
      versions = "registered";
    } else if (latest.error_code != 40401 && latest.error_code != 40402) {
      f.Check(Status::FailedPrecondition(latest.error), "");
      continue;
    }
    if (!level.ok()) {
      f.Check(level.status(), "");
    } else if (!r.auto_register && versions != "registered") {
      f.Warn("subject " + subject + " has no schema and auto_register is false: the first " +
             "event of " + t.schema + "." + t.table + " will stop pgcdc");
    } else {
      f.Ok("subject " + subject + ": " + versions + ", compatibility " + *level);
    }
  }
}

// The publication against source.tables (InspectSource computed it): what `run` changes in a
// publication it manages, what is wrong with one an admin made (never changed).
void ReportDrift(const config::Config& cfg, const PublicationDrift& drift, Findings& f) {
  const std::string& pub = cfg.source.publication;
  if (cfg.source.create_publication) {
    for (const auto& t : drift.missing) {
      f.Note("run adds " + t.Display() + " to publication " + pub);
    }
    for (const auto& t : drift.extra) {
      f.Note("run drops " + t.Display() + " from publication " + pub +
             " (source.tables no longer matches it)");
    }
    if (drift.via_root_wrong) {
      f.Note(std::string("run sets publish_via_partition_root = ") +
             (drift.want_via_root ? "true" : "false") + " on publication " + pub);
    }
    // Tables without a usable replica identity stay out of it (replica_identity.h).
    for (const auto& [t, gap] : drift.left_out) {
      if (std::find(drift.drop_no_identity.begin(), drift.drop_no_identity.end(), t) !=
          drift.drop_no_identity.end()) {
        f.Warn("run drops " + t.Display() + " from publication " + pub +
               " (no usable replica identity: " + gap.why +
               "): while it is published, PostgreSQL refuses the application's UPDATE and "
               "DELETE on it; its changes are NOT captured until " +
               IdentityFix(gap));
      } else {
        f.Warn(LeftOutLine(pub, t, gap));
      }
    }
  } else {
    for (const auto& t : drift.missing) f.Warn(MissingFromPublication(pub, t));
    for (const auto& t : drift.extra) {
      f.Note("publication " + pub + " contains " + t.Display() +
             ", which source.tables does not match: its changes are ignored");
    }
  }
  for (const auto& [t, gap] : drift.writes_fail) {
    f.Warn(WritesFailLine(pub, drift.all_tables, cfg.source.create_publication, t, gap));
  }
}

class NoListener : public sinks::DeliveryListener {
 public:
  void OnDelivery(void*, size_t, const Status&) override {}
};

}  // namespace

Status ValidateServer(const config::Config& cfg, std::ostream& out) {
  Findings f(out);
  auto sql = Connect(cfg.source.dsn, ConnKind::kSql);
  if (!f.Check(sql.status(), "connected to the database")) return f.first();
  PGconn* c = sql->get();
  auto settings =
      Exec(c,
           "SELECT current_setting('wal_level'), current_setting('max_replication_slots')"
           "::int, (SELECT count(*) FROM pg_replication_slots), "
           "current_setting('max_wal_senders')::int, (SELECT count(*) FROM "
           "pg_stat_replication), r.rolsuper, r.rolreplication, current_user "
           "FROM pg_roles r WHERE r.rolname = current_user");
  if (!f.Check(settings.status(), "server settings readable")) return f.first();
  PGresult* r = settings->get();
  const std::string wal_level = PQgetvalue(r, 0, 0);
  const int max_slots = std::atoi(PQgetvalue(r, 0, 1));
  const int used_slots = std::atoi(PQgetvalue(r, 0, 2));
  const int max_senders = std::atoi(PQgetvalue(r, 0, 3));
  const int used_senders = std::atoi(PQgetvalue(r, 0, 4));
  const bool super = PQgetvalue(r, 0, 5)[0] == 't';
  const bool replication = PQgetvalue(r, 0, 6)[0] == 't';
  const std::string user = PQgetvalue(r, 0, 7);
  const int version = PQserverVersion(c);
  f.Check(version >= 120000
              ? Status::Ok()
              : Status::FailedPrecondition("postgres: server version " + std::to_string(version) +
                                           " is not supported (12 or later)"),
          "PostgreSQL " + std::to_string(version / 10000) + "." + std::to_string(version % 10000));
  f.Check(wal_level == "logical"
              ? Status::Ok()
              : Status::FailedPrecondition("postgres: wal_level is '" + wal_level +
                                           "'; set wal_level = logical and restart PostgreSQL"),
          "wal_level = logical");
  f.Check(super || replication
              ? Status::Ok()
              : Status::FailedPrecondition("postgres: role '" + user +
                                           "' lacks the REPLICATION attribute (ALTER ROLE " + user +
                                           " REPLICATION)"),
          "role '" + user + "' may replicate" + (super ? " (superuser)" : ""));
  f.Note("replication slots in use: " + std::to_string(used_slots) + " of " +
         std::to_string(max_slots) + "; WAL senders: " + std::to_string(used_senders) + " of " +
         std::to_string(max_senders));
  if (!f.first().ok()) return f.first();

  auto repl = Connect(cfg.source.dsn, ConnKind::kReplication);
  if (!f.Check(repl.status(), "replication connection accepted (pg_hba.conf)")) return f.first();
  auto facts = InspectSource(c, repl->get(), cfg);
  if (!f.Check(facts.status(), "slot and publication usable")) return f.first();
  const SlotState& slot = facts->slot;
  if (!slot.exists) {
    f.Check(used_slots < max_slots
                ? Status::Ok()
                : Status::FailedPrecondition("postgres: all " + std::to_string(max_slots) +
                                             " replication slots are in use; raise "
                                             "max_replication_slots"),
            "slot " + cfg.source.slot + " will be created");
  } else {
    f.Ok("slot " + cfg.source.slot + " exists at " +
         slot.confirmed_flush.value_or(Lsn()).ToString() + " (wal_status " +
         std::string(WalStatusName(slot.wal_status)) + ", " +
         (slot.active ? "active, PID " + std::to_string(slot.active_pid) : "inactive") + ")");
  }
  f.Ok("publication " + cfg.source.publication +
       (facts->publication_exists ? " exists" : " will be created"));
  ReportDrift(cfg, facts->drift, f);
  if (cfg.snapshot.mode != config::SnapshotMode::kNever) {
    CaptureRules rules(CaptureOptionsFor(cfg));
    if (facts->publication_exists) {
      f.Check(CheckSnapshotPrivileges(c, cfg.source.publication, rules),
              "SELECT on every captured table (for snapshots)");
    } else {
      f.Note("SELECT privileges are checked once the publication exists");
    }
  }

  OffsetStore store(cfg.offsets.file);
  f.Check(store.CheckWritable(), "offsets file " + store.path() + " can be written");
  auto stored = store.Load();
  if (f.Check(stored.status(), "offsets file " + store.path() + " readable")) {
    const Offset* o = *stored ? &**stored : nullptr;
    if (o && o->stuck) {
      f.Note("stuck event: " + DescribeStuck(*o->stuck) + " (refused " + o->stuck->at +
             "): pgcdc stops on it again unless you " + StuckWaysOut(*o->stuck));
    }
    if (o && (o->slot != cfg.source.slot || o->system_id != facts->identity.system_id)) {
      f.Check(Status::FailedPrecondition("offsets file " + store.path() +
                                         " belongs to another slot or cluster"),
              "");
    } else {
      auto decision = DecideStart(cfg, store.path(), o, slot);
      if (decision.ok()) {
        std::string plan;
        if (decision->snapshot) {
          plan = "takes a snapshot (" + decision->why + ")";
        } else if (o) {
          plan = "streams from " + o->lsn.ToString() + " (offsets file)";
        } else if (slot.exists) {
          plan = "streams from " + slot.confirmed_flush.value_or(Lsn()).ToString() + " (slot)";
        } else {
          plan = "creates the slot and streams from there";
        }
        f.Ok("next start: " + plan);
      } else {
        f.Check(decision.status(), "");
      }
    }
  }

  if (cfg.sink.type == config::SinkType::kKafka) {
    // The sink `run` would build (MakeSink), dead-letter topic included.
    NoListener listener;
    auto sink = MakeSink(cfg.sink, &listener);
    if (f.Check(sink.status(), "kafka configuration accepted")) {
      f.Check((*sink)->CheckReachable(10000),
              "broker reachable at " + cfg.sink.kafka.at("bootstrap.servers"));
    }
  } else if (cfg.sink.type == config::SinkType::kRedis) {
    NoListener listener;
    auto sink = MakeSink(cfg.sink, &listener);
    if (f.Check(sink.status(), "redis configuration accepted")) {
      f.Check((*sink)->CheckReachable(10000), "redis reachable at " + cfg.sink.redis.host + ":" +
                                                  std::to_string(cfg.sink.redis.port) +
                                                  " (connect, AUTH, SELECT, PING)");
    }
  }
  if (cfg.sink.type == config::SinkType::kNats) {
    NoListener listener;
    auto sink = MakeSink(cfg.sink, &listener);
    if (f.Check(sink.status(), "nats configuration accepted")) {
      auto found = static_cast<sinks::NatsSink&>(**sink).Probe(10000);  // creates nothing
      f.Check(found.status(), found.ok() ? *found : "");
    }
  }
  if (cfg.sink.type == config::SinkType::kRabbitmq) {
    NoListener listener;
    auto sink = MakeSink(cfg.sink, &listener);
    if (f.Check(sink.status(), "rabbitmq configuration accepted")) {
      auto found = static_cast<sinks::RabbitmqSink&>(**sink).Probe(10000);  // declares nothing
      f.Check(found.status(), found.ok() ? *found : "");
    }
  }
  if (cfg.sink.type == config::SinkType::kKinesis) {
    NoListener listener;
    auto sink = MakeSink(cfg.sink, &listener);
    if (f.Check(sink.status(), "kinesis configuration accepted (credentials found)") &&
        f.Check((*sink)->CheckReachable(10000),
                "kinesis reachable at " + cfg.sink.kinesis.endpoint + " (ListStreams, signed)")) {
      auto found = CheckDestinations(cfg, facts->capture, **sink, /*may_create=*/false);
      f.Check(found.status(), found.ok() ? *found : "");
    }
  }
  if (cfg.format.type != config::FormatType::kJson) CheckRegistry(cfg, facts->capture, f);
  return f.first();
}

}  // namespace cdc::connector
