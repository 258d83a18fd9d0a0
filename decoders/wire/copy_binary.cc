#include "decoders/wire/copy_binary.h"

#include <cstdint>
#include <span>
#include <string>

#include "decoders/base/byte_reader.h"

namespace cdc {

namespace {

constexpr std::string_view kSignature("PGCOPY\n\377\r\n\0", 11);
// Flag bit 16: every row carries an OID field. pgcdc never asks for OIDs (and PostgreSQL 12+
// cannot send them); bits 17-31 are reserved for changes a reader must not ignore.
constexpr uint32_t kCriticalFlags = 0xFFFF0000u;

ByteReader ReaderOf(std::string_view bytes) {
  return ByteReader(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace

Result<CopyBinaryReader::Message> CopyBinaryReader::Next(std::string_view message) {
  if (trailer_seen_) {
    return Status::Corruption("binary COPY: " + std::to_string(message.size()) +
                              " bytes of data after the trailer");
  }
  ByteReader r = ReaderOf(message);
  if (!header_seen_) {
    std::string_view signature;
    if (!r.ReadBytes(kSignature.size(), &signature) || signature != kSignature) {
      return Status::Corruption("binary COPY: the data does not start with the PGCOPY signature");
    }
    uint32_t flags = 0;
    int32_t extension = 0;
    std::string_view skipped;
    if (!r.ReadU32(&flags) || !r.ReadI32(&extension)) {
      return Status::Corruption("binary COPY: header truncated");
    }
    if ((flags & kCriticalFlags) != 0) {
      return Status::Corruption("binary COPY: header has unsupported flags " +
                                std::to_string(flags));
    }
    if (extension < 0 || !r.ReadBytes(static_cast<size_t>(extension), &skipped)) {
      return Status::Corruption("binary COPY: header extension length " +
                                std::to_string(extension) + " does not fit the message");
    }
    header_seen_ = true;
    if (r.empty()) return Message{};
  }
  const size_t start = r.position();
  int16_t fields = 0;
  if (!r.ReadI16(&fields)) return Status::Corruption("binary COPY: message shorter than a row");
  if (fields == -1) {
    if (!r.empty()) {
      return Status::Corruption("binary COPY: " + std::to_string(r.remaining()) +
                                " bytes after the trailer");
    }
    trailer_seen_ = true;
    return Message{Part::kTrailer, {}};
  }
  return Message{Part::kRow, message.substr(start)};
}

Status ParseCopyBinaryRow(std::string_view row, size_t columns, pgoutput::Tuple* out) {
  out->clear();
  ByteReader r = ReaderOf(row);
  int16_t fields = 0;
  if (!r.ReadI16(&fields)) return Status::Corruption("binary COPY row: no field count");
  if (fields < 0 || static_cast<size_t>(fields) != columns) {
    return Status::Corruption("binary COPY row has " + std::to_string(fields) +
                              " columns, expected " + std::to_string(columns));
  }
  out->reserve(columns);
  for (size_t i = 0; i < columns; ++i) {
    int32_t len = 0;
    if (!r.ReadI32(&len)) {
      return Status::Corruption("binary COPY row: truncated before column " +
                                std::to_string(i + 1));
    }
    pgoutput::TupleValue v;
    if (len != -1) {
      if (len < 0 || !r.ReadBytes(static_cast<size_t>(len), &v.data)) {
        return Status::Corruption("binary COPY row: column " + std::to_string(i + 1) +
                                  " has length " + std::to_string(len) + " but " +
                                  std::to_string(r.remaining()) + " bytes are left");
      }
      v.kind = pgoutput::ValueKind::kBinary;
    }
    out->push_back(v);
  }
  if (!r.empty()) {
    return Status::Corruption("binary COPY row: " + std::to_string(r.remaining()) +
                              " bytes after the last column");
  }
  return Status::Ok();
}

}  // namespace cdc
