#include "sinks/nats_sink.h"

// NatsSink's connection and its JetStream stream: connecting with the configured servers and
// credentials, and finding, checking or creating the stream that must capture pgcdc's subjects.

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <string>

#include "sinks/nats_util.h"

namespace cdc::sinks {

using nats_util::Covers;
using nats_util::Joined;
using nats_util::NatsError;

namespace {

// cnats calls it on its own thread for each PubAck (or its failure); NatsSink queues it.
void AckHandler(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* err, void* sink) {
  static_cast<NatsSink*>(sink)->HandleAck(msg, ack, err);
}

}  // namespace

Status NatsSink::Connect(int timeout_ms) {
  if (nc_ != nullptr) return Status::Ok();
  (void)natsOptions_SetTimeout(opts_.get(), timeout_ms);
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, opts_.get());
  if (s != NATS_OK) {
    std::string servers;
    for (const auto& u : options_.urls) {
      // Shown without user information: it may hold a password.
      const size_t at = u.rfind('@');
      const size_t scheme = u.find("://");
      servers +=
          (servers.empty() ? "" : ", ") +
          (at == std::string::npos
               ? u
               : u.substr(0, scheme == std::string::npos ? 0 : scheme + 3) + u.substr(at + 1));
    }
    return Status::Unavailable("nats: cannot connect to " + servers + ": " + NatsError(s));
  }
  nc_.reset(nc);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = timeout_ms;
  jo.PublishAsync.AckHandler = AckHandler;
  jo.PublishAsync.AckHandlerClosure = this;
  jo.PublishAsync.MaxPending = 0;  // pgcdc bounds what is in flight itself (limits.*)
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, nc_.get(), &jo);
  if (s != NATS_OK) return Status::Unavailable("nats: JetStream context: " + NatsError(s));
  js_.reset(js);
  return Status::Ok();
}

Result<bool> NatsSink::EnsureStream(int timeout_ms, bool create) {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = timeout_ms;
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const std::string& name = options_.stream;
  natsStatus s = js_GetStreamInfo(&info, js_.get(), name.c_str(), &jo, &code);
  if (s == NATS_OK) {
    const jsStreamConfig* c = info->Config;
    std::string uncovered;
    for (const auto& want : options_.subjects) {
      bool covered = false;
      for (int i = 0; i < c->SubjectsLen && !covered; ++i) covered = Covers(c->Subjects[i], want);
      if (!covered) uncovered += (uncovered.empty() ? "" : ", ") + want;
    }
    const std::string have = Joined(c->Subjects, c->SubjectsLen);
    jsStreamInfo_Destroy(info);
    if (!uncovered.empty()) {
      return Status::InvalidArgument("nats: stream '" + name + "' captures [" + have + "], not " +
                                     uncovered +
                                     ": add them to it or choose another sink.nats.stream");
    }
    return true;
  }
  if (s == NATS_NO_RESPONDERS || code == JSNotEnabledErr || code == JSNotEnabledForAccountErr) {
    return Status::Unavailable("nats: JetStream is not enabled on the server (nats-server -js)");
  }
  if (code != JSStreamNotFoundErr) {
    return Status::Unavailable("nats: cannot look up stream '" + name + "': " + NatsError(s));
  }
  if (!create) return false;
  // Missing: created as a durable (file) stream. Debezium Server creates a memory stream, and
  // only when asked; pgcdc confirms LSNs on PubAcks, so the records must survive a restart.
  std::vector<const char*> subjects;
  for (const auto& subj : options_.subjects) subjects.push_back(subj.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = js_FileStorage;
  s = js_AddStream(&info, js_.get(), &cfg, &jo, &code);
  if (s != NATS_OK) {
    return Status::Unavailable("nats: cannot create stream '" + name + "' for [" +
                               Joined(subjects.data(), cfg.SubjectsLen) + "]: " + NatsError(s));
  }
  jsStreamInfo_Destroy(info);
  spdlog::info("nats: created stream '{}' for [{}]", name,
               Joined(subjects.data(), static_cast<int>(subjects.size())));
  return true;
}

Status NatsSink::CheckReachable(int timeout_ms) {
  CDC_RETURN_IF_ERROR(Connect(timeout_ms));
  auto ready = EnsureStream(timeout_ms, true);
  return ready.ok() ? Status::Ok() : ready.status();
}

Result<std::string> NatsSink::Probe(int timeout_ms) {
  CDC_RETURN_IF_ERROR(Connect(timeout_ms));
  auto exists = EnsureStream(timeout_ms, false);
  if (!exists.ok()) return exists.status();
  std::string subjects;
  for (const auto& subj : options_.subjects) subjects += (subjects.empty() ? "" : ", ") + subj;
  return "JetStream reachable; stream '" + options_.stream + "' " +
         (*exists ? "captures " + subjects : "missing: run creates it for " + subjects);
}

}  // namespace cdc::sinks
