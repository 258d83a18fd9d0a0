#include "sinks/aws_sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace cdc::sinks {

namespace {

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 0xF];
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The spec: trim, and collapse runs of spaces inside the value into one.
std::string Trimmed(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// Sorted lower-case names with their trimmed values, and the ';'-joined names.
std::pair<HttpHeaders, std::string> Canonical(const HttpHeaders& headers) {
  HttpHeaders sorted;
  for (const auto& [name, value] : headers) sorted.emplace_back(Lower(name), Trimmed(value));
  std::sort(sorted.begin(), sorted.end());
  std::string names;
  for (const auto& [name, value] : sorted) {
    if (!names.empty()) names.push_back(';');
    names += name;
  }
  return {std::move(sorted), std::move(names)};
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof(digest));
}

std::string AmzDate(long long unix_seconds) {
  const auto t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string CanonicalRequest(const SigV4Request& req) {
  auto [headers, names] = Canonical(req.headers);
  std::string out = req.method + "\n" + req.path + "\n" + req.query + "\n";
  for (const auto& [name, value] : headers) out += name + ":" + value + "\n";
  out += "\n" + names + "\n" + Sha256Hex(req.payload);
  return out;
}

std::string SigV4Authorization(const SigV4Request& req, const SigV4Scope& scope,
                               std::string_view amz_date) {
  const std::string date(amz_date.substr(0, 8));
  const std::string credential_scope =
      date + "/" + scope.region + "/" + scope.service + "/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" +
                              credential_scope + "\n" + Sha256Hex(CanonicalRequest(req));
  const std::string key =
      Hmac(Hmac(Hmac(Hmac("AWS4" + scope.secret_access_key, date), scope.region), scope.service),
           "aws4_request");
  const std::string signature = Hmac(key, to_sign);
  return "AWS4-HMAC-SHA256 Credential=" + scope.access_key_id + "/" + credential_scope +
         ", SignedHeaders=" + Canonical(req.headers).second + ", Signature=" +
         Hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
}

}  // namespace cdc::sinks
