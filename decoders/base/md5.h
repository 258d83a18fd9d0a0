#pragma once

// MD5 (RFC 1321), for the one place Debezium uses it: UUID.nameUUIDFromBytes, the name-based
// (version 3) UUID that stands for an unchanged TOASTed uuid[] value. Not for security. Pure.

#include <array>
#include <string>
#include <string_view>

namespace cdc {

std::array<unsigned char, 16> Md5(std::string_view data);

// java.util.UUID.nameUUIDFromBytes(name): MD5 with the version (3) and IETF variant bits set, in
// the canonical 8-4-4-4-12 lower-case form.
std::string NameUuidFromBytes(std::string_view name);

}  // namespace cdc
