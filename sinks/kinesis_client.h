#pragma once

// KinesisClient: one Kinesis Data Streams API call at a time over HTTP/1.1 (cpp-httplib, HTTPS
// with OpenSSL, server certificates verified against the system's CAs), JSON 1.1 protocol
// ("X-Amz-Target: Kinesis_20131202.<Action>"), signed with Signature Version 4
// (sinks/aws_sigv4.h). Keeps one keep-alive connection.
//
// Every call's outcome is classified for the caller: kOk (the reply body), kRetry (the endpoint
// is unreachable, timed out, answered 5xx or throttled: the same call may succeed later),
// kNotFound (ResourceNotFoundException: the stream does not exist), kInUse
// (ResourceInUseException) and kFailed (anything no retry fixes: bad credentials, denied,
// invalid). `error` is one line naming the action, the endpoint and AWS's error type and message;
// it never holds the credentials (the Authorization header holds only the access key id and a
// signature).
//
// Ownership: owns its httplib client and a copy of the credentials. Threads: one thread at a time;
// Call() blocks that thread for up to its timeout.

#include <memory>
#include <string>
#include <string_view>

#include "sinks/aws_credentials.h"

namespace httplib {
class Client;
}

namespace cdc::sinks {

struct KinesisReply {
  enum class Outcome { kOk, kRetry, kNotFound, kInUse, kFailed };
  Outcome outcome = Outcome::kFailed;
  std::string body;   // the JSON reply (kOk)
  std::string error;  // one line (not kOk)
  bool ok() const { return outcome == Outcome::kOk; }
};

class KinesisClient {
 public:
  static constexpr int kConnectTimeoutMs = 3000;  // at most, whatever Call()'s timeout

  // `endpoint`: "http[s]://host[:port]" (config/ checked the scheme).
  KinesisClient(std::string endpoint, std::string region, AwsCredentials credentials);
  ~KinesisClient();
  KinesisClient(const KinesisClient&) = delete;
  KinesisClient& operator=(const KinesisClient&) = delete;

  // POSTs `json` as `action` (e.g. "PutRecords"), waiting up to min(timeout_ms,
  // kConnectTimeoutMs) for a connection and up to `timeout_ms` for the reply.
  KinesisReply Call(std::string_view action, const std::string& json, int timeout_ms);

  const std::string& endpoint() const { return endpoint_; }
  const std::string& region() const { return region_; }

 private:
  std::string endpoint_;
  std::string host_header_;  // host[:port] as sent in Host (and signed)
  std::string region_;
  AwsCredentials credentials_;
  std::unique_ptr<httplib::Client> http_;
};

// `s` as the body of a JSON string (quotes, backslashes and control characters escaped; other
// bytes as they are: the caller passes UTF-8).
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace cdc::sinks
