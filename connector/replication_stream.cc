#include "connector/replication_stream.h"

#include <chrono>

#include "decoders/wire/replication_frame.h"

namespace cdc::connector {

namespace {

int64_t NowPgMicros() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return UnixMicrosToPgTimestamp(us);
}

}  // namespace

ReplicationStream::~ReplicationStream() { FreeBuffer(); }

void ReplicationStream::FreeBuffer() {
  if (buf_ != nullptr) {
    PQfreemem(buf_);
    buf_ = nullptr;
  }
}

Status ReplicationStream::Start(const StartOptions& o) {
  PGconn* c = conn_.get();
  std::string q = "START_REPLICATION SLOT " + QuoteIdent(c, o.slot) + " LOGICAL " +
                  o.start.ToString() + " (\"proto_version\" '" + std::to_string(o.proto_version) +
                  "', \"publication_names\" " + QuoteLiteral(c, QuoteIdent(c, o.publication));
  if (o.messages) q += ", \"messages\" 'true'";
  if (o.binary) q += ", \"binary\" 'true'";
  q += ")";
  auto res = Exec(c, q, PGRES_COPY_BOTH);
  if (!res.ok()) return res.status().WithContext("START_REPLICATION");
  if (PQsetnonblocking(c, 1) != 0) return Status::IoError("postgres: cannot set non-blocking mode");
  copy_active_ = true;
  return Status::Ok();
}

Result<bool> ReplicationStream::Next(std::span<const uint8_t>* frame) {
  FreeBuffer();
  int n = PQgetCopyData(conn_.get(), &buf_, 1);
  if (n > 0) {
    *frame =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf_), static_cast<size_t>(n));
    return true;
  }
  if (n == 0) return false;
  copy_active_ = false;
  if (n == -1) {
    // The server ended COPY; its result says why.
    std::string why = "the server ended the replication stream";
    PgResultPtr res(PQgetResult(conn_.get()));
    if (res && PQresultStatus(res.get()) == PGRES_FATAL_ERROR) why = ResultError(res.get());
    return Status::Unavailable("postgres: " + why);
  }
  std::string err = PQerrorMessage(conn_.get());
  while (!err.empty() && err.back() == '\n') err.pop_back();
  return Status::Unavailable("postgres: replication connection lost: " + err);
}

Status ReplicationStream::ConsumeInput() {
  if (PQconsumeInput(conn_.get()) == 0) {
    std::string err = PQerrorMessage(conn_.get());
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return Status::Unavailable("postgres: replication connection lost: " + err);
  }
  return Status::Ok();
}

Status ReplicationStream::SendStatus(Lsn write, Lsn flush, bool reply_requested) {
  if (!copy_active_) return Status::Ok();
  auto msg = EncodeStandbyStatus(write, flush, flush, NowPgMicros(), reply_requested);
  if (PQputCopyData(conn_.get(), reinterpret_cast<const char*>(msg.data()),
                    static_cast<int>(msg.size())) < 0) {
    return Status::Unavailable("postgres: cannot send status update: " +
                               std::string(PQerrorMessage(conn_.get())));
  }
  auto pending = FlushOutput();
  return pending.ok() ? Status::Ok() : pending.status();
}

Result<bool> ReplicationStream::FlushOutput() {
  int r = PQflush(conn_.get());
  if (r < 0) {
    return Status::Unavailable("postgres: cannot send to server: " +
                               std::string(PQerrorMessage(conn_.get())));
  }
  return r == 1;
}

void ReplicationStream::Finish() {
  if (!copy_active_) return;
  copy_active_ = false;
  // Best effort: the status update already carried our position; whatever the server sends after
  // CopyDone cannot be confirmed and is re-sent on the next start.
  PQputCopyEnd(conn_.get(), nullptr);
  PQflush(conn_.get());
}

}  // namespace cdc::connector
