#pragma once

// Base64 (RFC 4648) as Kafka Connect's JsonConverter writes BYTES, plus the URL-safe alphabet and
// lower-case hex that Debezium's binary.handling.mode offers.

#include <string>
#include <string_view>

namespace cdc {

void AppendBase64(std::string* out, std::string_view bytes, bool url_safe = false);
void AppendHex(std::string* out, std::string_view bytes);

// Decodes standard base64 (padding required, as AppendBase64 writes it) onto `out`. False (and
// `out` partly appended) when `text` is not such base64.
bool AppendBase64Decoded(std::string* out, std::string_view text);

// The same encodings straight from PostgreSQL's bytea text form ("\x" and two hex digits per
// byte), without materializing the bytes: a large value is then held once, as output, instead of
// as bytes and again as their encoding. False (and `out` as it was) when `text` is not that form.
bool AppendBase64FromByteaHex(std::string* out, std::string_view text, bool url_safe = false);
bool AppendHexFromByteaHex(std::string* out, std::string_view text);

}  // namespace cdc
