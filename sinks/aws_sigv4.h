#pragma once

// AWS Signature Version 4 for one HTTP request (the "Authorization" header AWS services check),
// as specified in AWS's "Create a signed AWS API request" (IAM User Guide, Signature Version 4):
// canonical request -> string to sign -> HMAC-SHA256 with a key derived from the secret, the
// date, the region and the service. Only what the Kinesis sink needs: the request's path is
// already canonical ("/"), the query string is canonical or empty, and the payload is hashed
// whole (no chunked signing).
//
// Pure functions over their arguments (OpenSSL's one-shot HMAC and SHA-256); any thread.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdc::sinks {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct SigV4Request {
  std::string method = "POST";
  std::string path = "/";  // canonical URI (already percent-encoded)
  std::string query;       // canonical query string; "" = none
  // Every header sent that should be signed, Host and X-Amz-Date included; names in any case.
  HttpHeaders headers;
  std::string_view payload;
};

struct SigV4Scope {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region;   // e.g. "us-east-1"
  std::string service;  // e.g. "kinesis"
};

// Lower-case hex of SHA-256(`data`).
std::string Sha256Hex(std::string_view data);

// "<YYYYMMDD>T<HHMMSS>Z" (X-Amz-Date) for `unix_seconds`, in UTC.
std::string AmzDate(long long unix_seconds);

// The canonical request, for tests and error reports (it holds no secret).
std::string CanonicalRequest(const SigV4Request& req);

// The Authorization header's value for `req` signed at `amz_date` (the X-Amz-Date header's value,
// which must also be among req.headers).
std::string SigV4Authorization(const SigV4Request& req, const SigV4Scope& scope,
                               std::string_view amz_date);

}  // namespace cdc::sinks
