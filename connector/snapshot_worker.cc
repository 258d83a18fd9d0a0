#include <spdlog/spdlog.h>

#include "connector/name_list.h"
#include "connector/snapshot_markers.h"
#include "connector/snapshot_parts.h"
#include "decoders/wire/copy_binary.h"
#include "decoders/wire/copy_text.h"

// The snapshot's workers: COPY of a range, row by row into op "r" events. A table whose columns
// all decode from their binary send format is read with binary COPY (Table::binary): its values
// reach the EventBuilder as kBinary views into libpq's buffer, rendered through pg_binary exactly
// as the text form would be.

namespace cdc::connector {

using snapshot_internal::CopyRow;
using snapshot_internal::NowMicros;

void Snapshot::Worker::Run() {
  Status st = ReadRanges();
  if (!st.ok()) s_->Fail(st.WithContext("snapshot worker"));
  s_->workers_done_.fetch_add(1);
}

Status Snapshot::Worker::EmitRow(size_t table, std::string_view row, std::string_view marker) {
  Table& t = *s_->tables_[table];
  table_ = table;
  const size_t columns = t.schema->relation.columns.size();
  Status s = t.binary ? ParseCopyBinaryRow(row, columns, &tuple_)
                      : ParseCopyTextRow(row, columns, &storage_, &tuple_);
  if (!s.ok()) return s.WithContext("snapshot of " + t.name);
  // One clock read per kClockRows rows: ts_ms has millisecond resolution and a worker reads
  // a row every microsecond or two.
  if (clock_rows_++ % kClockRows == 0) read_us_ = NowMicros();
  ReadContext read{s_->options_.lsn, read_us_, marker};
  return builder_.OnRead(*t.schema, tuple_, read, *this);
}

Status Snapshot::Worker::Emit(const ChangeEvent& ev) {
  if (earlier_) s_->tables_[table_]->earlier.fetch_add(1, std::memory_order_relaxed);
  return s_->Send(ev, table_);
}

Status Snapshot::Worker::ReadRanges() {
  auto conn = Connect(s_->options_.dsn, ConnKind::kSql);
  if (!conn.ok()) return conn.status().WithContext("snapshot worker");
  conn_ = std::move(*conn);
  CDC_RETURN_IF_ERROR(snapshot_internal::ImportSnapshot(conn_.get(), s_->options_.snapshot_name));
  Range r;
  while (!s_->cancelled() && s_->NextRange(&r)) CDC_RETURN_IF_ERROR(CopyRange(r));
  if (!s_->cancelled()) CDC_RETURN_IF_ERROR(Exec(conn_.get(), "COMMIT", PGRES_COMMAND_OK).status());
  return Status::Ok();
}

std::string Snapshot::Worker::Query(const Range& r, const Table& t) const {
  std::string where;
  if (!r.whole) {
    where = "ctid >= '(" + std::to_string(r.first_page) + ",0)'::tid";
    if (r.end_page >= 0) where += " AND ctid < '(" + std::to_string(r.end_page) + ",0)'::tid";
  }
  if (!t.row_filter.empty()) {
    if (!where.empty()) where += " AND ";
    where += "(" + t.row_filter + ")";
  }
  const std::string format = t.binary ? " (FORMAT binary)" : "";
  const std::string& from = r.source.empty() ? t.copy_source : r.source;
  if (where.empty()) return "COPY " + from + " (" + t.columns + ") TO STDOUT" + format;
  return "COPY (SELECT " + t.columns + " FROM " + from + " WHERE " + where + ") TO STDOUT" + format;
}

Status Snapshot::Worker::CopyRange(const Range& r) {
  Table& t = *s_->tables_[r.table];
  PGconn* c = conn_.get();
  const std::string q = Query(r, t);
  if (!PQsendQuery(c, q.c_str())) {
    return Status::Unavailable("postgres: snapshot of " + t.name + ": " + PQerrorMessage(c));
  }
  {
    PgResultPtr res(PQgetResult(c));
    if (!res || PQresultStatus(res.get()) != PGRES_COPY_OUT) {
      return Status::FailedPrecondition("postgres: snapshot of " + t.name + ": " +
                                        (res ? ResultError(res.get()) : PQerrorMessage(c)));
    }
  }
  // Each row is emitted once the next one arrives: the range's final row is handed to the
  // markers, which decide whether it closes its table or the whole snapshot.
  // Each CopyData message is one row (and, in binary, the header or the trailer too); the row
  // is parsed in place, so a large value is held only in the buffer libpq returned.
  CopyBinaryReader binary;
  CopyRow prev;
  std::string_view prev_row;
  int64_t unreported_rows = 0;
  for (;;) {
    char* buf = nullptr;
    const int n = PQgetCopyData(c, &buf, 0);
    if (n == -1) break;
    if (n < 0) {
      return Status::Unavailable("postgres: snapshot connection lost while reading " + t.name +
                                 ": " + PQerrorMessage(c));
    }
    CopyRow message(buf);
    std::string_view row(buf, static_cast<size_t>(n));
    if (t.binary) {
      auto part = binary.Next(row);
      if (!part.ok()) return part.status().WithContext("snapshot of " + t.name);
      if (part->part != CopyBinaryReader::Part::kRow) continue;
      row = part->row;
    }
    // The shared counters are bumped in steps: per row, two workers would fight over them.
    if (++unreported_rows == kCountStep) ReportRows(t, &unreported_rows);
    if (prev) CDC_RETURN_IF_ERROR(EmitRow(r.table, prev_row, s_->markers_->ForRow(r.table)));
    prev = std::move(message);
    prev_row = row;
    if (s_->cancelled()) return Status::Ok();
  }
  ReportRows(t, &unreported_rows);
  for (PgResultPtr res(PQgetResult(c)); res; res.reset(PQgetResult(c))) {
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return Status::Unavailable("postgres: snapshot of " + t.name + ": " + ResultError(res.get()));
    }
  }
  if (t.binary && !binary.finished()) {
    return Status::Corruption("snapshot of " + t.name + ": binary COPY ended without its trailer");
  }
  std::optional<RowText> last;  // libpq's buffer itself: a large row is not copied
  if (prev) last.emplace(prev.release(), prev_row, &PQfreemem);
  for (auto& held : s_->markers_->FinishRange(r.table, std::move(last))) {
    CDC_RETURN_IF_ERROR(EmitRow(held.table, held.row.view(), held.marker));
  }
  if (t.ranges_left.fetch_sub(1) == 1) {
    const double secs = static_cast<double>(NowMicros() - t.started_us.load()) / 1e6;
    // A line per table only for a handful of them: the summary at the end covers the rest.
    spdlog::log(s_->tables_.size() <= kNamesShown ? spdlog::level::info : spdlog::level::debug,
                "snapshot: {} done, {} rows in {:.1f} s", t.name, t.rows_done.load(), secs);
  }
  return Status::Ok();
}

void Snapshot::Worker::ReportRows(Table& t, int64_t* rows) {
  t.rows_done.fetch_add(*rows, std::memory_order_relaxed);
  s_->rows_total_.fetch_add(*rows, std::memory_order_relaxed);
  *rows = 0;
}

}  // namespace cdc::connector
