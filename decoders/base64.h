#pragma once

// Base64 (RFC 4648) as Kafka Connect's JsonConverter writes BYTES, plus the URL-safe alphabet and
// lower-case hex that Debezium's binary.handling.mode offers.

#include <string>
#include <string_view>

namespace cdc {

void AppendBase64(std::string* out, std::string_view bytes, bool url_safe = false);
void AppendHex(std::string* out, std::string_view bytes);

}  // namespace cdc
