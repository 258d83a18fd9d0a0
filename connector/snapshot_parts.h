#pragma once

// The Snapshot's private parts, shared by its rooms and included by nothing else:
// snapshot.cc (Run, delivery, progress), snapshot_plan.cc (the plan from the catalog),
// snapshot_worker.cc (COPY of ranges into events) and snapshot_resume.cc (the deletes committed
// since an interrupted pass, from a peek at the slot).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "connector/pg_connection.h"
#include "connector/record_encoders.h"
#include "connector/snapshot.h"
#include "decoders/events/event_builder.h"
#include "decoders/wire/pgoutput_messages.h"

namespace cdc::connector::snapshot_internal {

inline int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct PqFree {
  void operator()(char* p) const { PQfreemem(p); }
};
using CopyRow = std::unique_ptr<char, PqFree>;

// Opens a transaction that sees exactly the exported snapshot.
Status ImportSnapshot(PGconn* conn, const std::string& snapshot_name);

}  // namespace cdc::connector::snapshot_internal

namespace cdc::connector {

struct Snapshot::Table {
  // The delivery ticket of the table's records: counts the acknowledged ones; a failed report
  // fails the snapshot. Settled on whichever thread serves reports, hence the atomics.
  struct Ticket final : DeliveryTicket {
    Ticket(Snapshot* s, Table* t) : snapshot(s), table(t) {}
    void Sent() override {}
    void Settle(const Status& status) override {
      if (status.ok()) {
        table->acked.fetch_add(1, std::memory_order_relaxed);
      } else {
        snapshot->Fail(status);
      }
    }
    TicketOrigin Origin() const override { return {snapshot->options_.lsn, true}; }
    Snapshot* snapshot;
    Table* table;
  };

  explicit Table(Snapshot* s) : ticket(s, this) {}

  Ticket ticket;
  const TableSchema* schema = nullptr;
  std::string name;         // schema.table
  std::string copy_source;  // "schema"."table" (quoted)
  std::string columns;      // quoted column list, in Relation order
  std::string row_filter;   // the publication's row filter (PG15+), or empty
  bool binary = false;      // read with COPY (FORMAT binary): every column decodes from it
  int64_t pages = 0;
  int64_t estimate = 0;
  int ranges = 1;
  std::atomic<int64_t> started_us{0};
  std::atomic<int64_t> rows_done{0};
  std::atomic<int> ranges_left{0};
  std::atomic<int64_t> acked{0};    // records the sink acknowledged
  std::atomic<int64_t> earlier{0};  // records of PublishEarlierDeletes (resumed snapshots)
  bool reported_done = false;       // Run()'s thread: handed to on_table_done
};

struct Snapshot::Range {
  size_t table = 0;
  int64_t first_page = 0;
  int64_t end_page = -1;  // -1: to the end of the table (rows in pages added since the planning)
  bool whole = true;
  // A leaf of a partitioned table ("schema"."leaf", quoted), whose rows are the table's; empty:
  // the table's copy_source. A partitioned table has no storage to COPY from.
  std::string source;
};

// One worker: its own connection, importing the snapshot, reading ranges until none are left.
// Also used on Run()'s thread to emit the final held-back row, and to publish what a resumed
// snapshot must publish first (PublishEarlierDeletes).
class Snapshot::Worker : public EventEmitter {
 public:
  explicit Worker(Snapshot* s)
      : s_(s), builder_(s->event_options_, MakeRecordEncoder(s->event_options_)) {}

  void Run();
  // `row`: one COPY text line, or a binary COPY row (CopyBinaryReader::Message::row), per the
  // table's `binary`.
  Status EmitRow(size_t table, std::string_view row, std::string_view marker);
  Status Emit(const ChangeEvent& ev) override;
  // See SnapshotOptions::resumed_slot. Runs before the workers start.
  Status PublishEarlierDeletes();

 private:
  Status ReadRanges();
  std::string Query(const Range& r, const Table& t) const;
  Status CopyRange(const Range& r);
  class EarlierChanges;
  // One peeked pgoutput message, dispatched to `handler` (snapshot_resume.cc).
  Status PublishEarlier(PGresult* row, EarlierChanges& handler);
  void ReportRows(Table& t, int64_t* rows);

  static constexpr uint64_t kClockRows = 16;
  static constexpr int64_t kCountStep = 256;

  Snapshot* s_;
  EventBuilder builder_;
  size_t table_ = 0;      // of the row being emitted
  bool earlier_ = false;  // emitting for PublishEarlierDeletes
  uint64_t clock_rows_ = 0;
  int64_t read_us_ = 0;
  PgConnPtr conn_;
  std::string storage_;  // de-escaped text COPY fields
  pgoutput::Tuple tuple_;
};

}  // namespace cdc::connector
