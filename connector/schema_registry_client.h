#pragma once

// SchemaRegistryClient: the SchemaRegistrar of the avro format, over a Confluent Schema
// Registry's REST API (cpp-httplib; HTTPS with OpenSSL). It registers a schema under its subject
// (POST /subjects/{s}/versions), or with auto_register off looks it up (POST /subjects/{s}), or
// with use_latest_version takes the subject's latest version (GET .../versions/latest) after
// checking it is the very schema the encoder writes. Ids are cached by (subject, schema text):
// the registry is asked once per subject and relation version, never in the steady state.
//
// Failures are sorted the way the registry's error codes mean them (avro-schema-registry.md §7):
// unreachable, timed out, 5xx, 408 or 429 are retried with backoff (the caller's thread waits,
// so the LSN holds; `Metrics::registry_down_since_unix_ms` makes /readyz say why) until the
// registry answers or a stop is requested; every other answer refuses the schema with one line
// naming the subject, the HTTP status, the registry's error_code and message, and the way out.
// Credentials travel in an Authorization header and never appear in a message.
//
// Ownership: owned by the Runner, which outlives every encoder. Threads: IdFor() is called by the
// stream's encoder and each snapshot worker's; one mutex serialises the cache and the network
// calls, retries included (they are rare, and a thread that needs an id waits for the registry
// anyway), so concurrent first records of one table make one registration.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "config/config.h"
#include "connector/metrics.h"
#include "connector/stop_signal.h"
#include "decoders/base/thread_annotations.h"
#include "decoders/events/schema_registrar.h"

namespace httplib {
class Client;
}

namespace cdc::connector {

// One HTTP answer, classified.
struct RegistryReply {
  enum class Outcome { kOk, kRetry, kRefused };
  Outcome outcome = Outcome::kRefused;
  int status = 0;      // HTTP status; 0 when no answer came
  int error_code = 0;  // the registry's error_code, when it sent one
  std::string body;    // kOk: the reply
  std::string error;   // not kOk: one line (URL, status, error_code, message)
};

class SchemaRegistryClient final : public SchemaRegistrar {
 public:
  SchemaRegistryClient(config::SchemaRegistryConfig cfg, const StopSignal& stop, Metrics* metrics);
  ~SchemaRegistryClient() override;
  SchemaRegistryClient(const SchemaRegistryClient&) = delete;
  SchemaRegistryClient& operator=(const SchemaRegistryClient&) = delete;

  Status IdFor(std::string_view subject, SchemaType type, std::string_view schema,
               int32_t* id) override;

  // One request, tried against each url in order until one answers (no retry loop): for
  // `validate` and `status`. `path` starts with '/'; `body` empty means GET.
  RegistryReply Call(const std::string& path, const std::string& body);

  // The compatibility level that applies to `subject` (its own, else the global one; "" asks
  // for the global one), as the registry spells it ("BACKWARD"), or why it could not be read.
  Result<std::string> CompatibilityOf(const std::string& subject);

  // Requests made so far (status, tests).
  uint64_t requests() const;

 private:
  RegistryReply CallLocked(const std::string& path, const std::string& body) REQUIRES(mu_);
  // Retries `path` until it answers other than kRetry or a stop is requested.
  RegistryReply CallUntilAnswered(const std::string& path, const std::string& body,
                                  std::string_view subject) REQUIRES(mu_);
  Status Resolve(const std::string& subject, SchemaType type, std::string_view schema, int32_t* id)
      REQUIRES(mu_);

  const config::SchemaRegistryConfig cfg_;
  const StopSignal& stop_;
  Metrics* metrics_;
  mutable Mutex mu_;
  std::map<std::pair<std::string, std::string>, int32_t> ids_ GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<httplib::Client>> clients_ GUARDED_BY(mu_);  // by url
  std::atomic<uint64_t> requests_{0};
};

// "/subjects/<subject percent-encoded>" and friends: the subject as one URL path segment.
std::string SubjectPath(std::string_view subject);

}  // namespace cdc::connector
