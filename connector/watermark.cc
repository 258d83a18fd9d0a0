#include "connector/watermark.h"

#include <nlohmann/json.hpp>

namespace cdc::connector {

std::string EncodeWatermark(const Watermark& w) {
  nlohmann::json j = {{"kind", w.kind == Watermark::Kind::kLow ? "low" : "high"},
                      {"snapshot_id", w.snapshot_id},
                      {"chunk", w.chunk},
                      {"table", w.table}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Watermark> ParseWatermark(std::string_view payload) {
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto kind = j.find("kind");
  auto id = j.find("snapshot_id");
  auto chunk = j.find("chunk");
  if (kind == j.end() || !kind->is_string() || id == j.end() || !id->is_string() ||
      chunk == j.end() || !chunk->is_number_unsigned()) {
    return std::nullopt;
  }
  Watermark w;
  const std::string k = kind->get<std::string>();
  if (k == "low") {
    w.kind = Watermark::Kind::kLow;
  } else if (k == "high") {
    w.kind = Watermark::Kind::kHigh;
  } else {
    return std::nullopt;
  }
  w.snapshot_id = id->get<std::string>();
  w.chunk = chunk->get<uint64_t>();
  if (auto t = j.find("table"); t != j.end() && t->is_string()) w.table = t->get<std::string>();
  return w;
}

Status EmitWatermark(PGconn* conn, const Watermark& w) {
  const std::string sql = "SELECT pg_logical_emit_message(true, " +
                          QuoteLiteral(conn, kWatermarkPrefix) + ", " +
                          QuoteLiteral(conn, EncodeWatermark(w)) + ")";
  auto res = Exec(conn, sql);
  if (!res.ok()) return res.status().WithContext("incremental snapshot: writing a watermark");
  return Status::Ok();
}

}  // namespace cdc::connector
