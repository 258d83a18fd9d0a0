#pragma once

// Signals that start and steer incremental snapshots, in Debezium's vocabulary
// (signalling.adoc): `execute-snapshot` (data: {"data-collections": [...], "type":
// "incremental", "additional-conditions": [{"data-collection": ..., "filter": ...}],
// "surrogate-key": ...}), `stop-snapshot` (optional data-collections), `pause-snapshot`,
// `resume-snapshot`. They arrive as rows inserted into the signal table (signals.table: columns
// id, type, data) or as a logical decoding message with prefix 'pgcdc-signal' whose content is
// {"id": ..., "type": ..., "data": {...}} (what `pgcdc snapshot` sends). Both are read in commit
// order by the stream.
//
// Pure parsing and formatting; any thread.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decoders/base/status.h"

namespace cdc::connector {

struct Signal {
  enum class Type { kExecuteSnapshot, kStopSnapshot, kPauseSnapshot, kResumeSnapshot, kOther };
  Type type = Type::kOther;
  std::string type_name;  // as sent, for the log
  std::string id;
  // execute-snapshot and stop-snapshot: case-insensitive regular expressions matched against
  // schema.table (Debezium's data-collections).
  std::vector<std::string> collections;
  // execute-snapshot: (data-collection regex, WHERE fragment) pairs.
  std::vector<std::pair<std::string, std::string>> conditions;
  std::string surrogate_key;  // a column to page by instead of the primary key
};

// A signal-table row. `data` may be empty (pause/resume need none). InvalidArgument names what
// is wrong (not JSON, an unsupported snapshot type such as "blocking", a bad member).
Result<Signal> ParseSignal(std::string_view id, std::string_view type, std::string_view data);
// A 'pgcdc-signal' message's content: {"id", "type", "data"}.
Result<Signal> ParseSignalMessage(std::string_view content);

// The `data` of an execute-snapshot for `tables`, each filtered by `where` when not empty.
std::string ExecuteSnapshotData(const std::vector<std::string>& tables, const std::string& where);
// A whole 'pgcdc-signal' message: {"id": id, "type": type, "data": <data JSON or {}>}.
std::string SignalMessage(const std::string& id, const std::string& type, const std::string& data);

// Whether the case-insensitive regular expression `pattern` matches all of `table`
// (schema.table). A pattern that is not a valid expression is compared literally.
bool CollectionMatches(const std::string& pattern, const std::string& table);

}  // namespace cdc::connector
