#pragma once

// Base64 (RFC 4648, the standard alphabet, padded) for the sinks that must put bytes into text:
// the Kinesis JSON API's data field, and NATS headers carrying Avro's binary keys. OpenSSL's
// encoder underneath. A pure function.

#include <string>
#include <string_view>

namespace cdc::sinks {

// Appends the base64 of `data` to `*out`.
void AppendBase64(std::string* out, std::string_view data);

}  // namespace cdc::sinks
