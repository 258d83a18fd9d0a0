#include "connector/replica_identity.h"

#include <spdlog/spdlog.h>

#include <set>
#include <vector>

#include "connector/capture_rules.h"
#include "connector/name_list.h"

namespace cdc::connector {

namespace {

std::string Name(const TableName& t) { return QuotedName(t.schema, t.table); }

// Logs `lines` (one per table, `names` in the same order) as warnings: each on its own for a
// handful, else `summary` (which names the count and the first few) and every line at debug.
void WarnEach(const std::vector<std::string>& lines, const std::string& summary) {
  if (lines.size() <= kNamesShown) {
    for (const auto& line : lines) spdlog::warn("{}", line);
    return;
  }
  spdlog::warn("{}", summary);
  for (const auto& line : lines) spdlog::debug("{}", line);
}

}  // namespace

std::string IdentityGapWhy(char code) {
  switch (code) {
    case 'd': return "no primary key";
    case 'n': return "REPLICA IDENTITY NOTHING";
    default: return "its REPLICA IDENTITY index is missing or invalid";
  }
}

std::string IdentityFix(const IdentityGap& gap) {
  return "ALTER TABLE " + Name(gap.fix) + " REPLICA IDENTITY FULL, or add a primary key";
}

std::string LeftOutLine(const std::string& publication, const TableName& t,
                        const IdentityGap& gap) {
  return "table " + Name(t) + " is left out of publication " + publication +
         " (no usable replica identity: " + gap.why +
         "), so its changes are NOT captured: published, PostgreSQL would refuse the "
         "application's UPDATE and DELETE on it. " +
         IdentityFix(gap) + ", and pgcdc adds it at its next reconciliation";
}

std::string DroppedForIdentity(const std::string& publication, const TableName& t,
                               const IdentityGap& gap) {
  return "publication " + publication + ": dropped table " + Name(t) +
         " (no usable replica identity: " + gap.why +
         "): while published, PostgreSQL refused the application's UPDATE and DELETE on it. "
         "Its changes are NOT captured until it has one (" +
         IdentityFix(gap) + "; pgcdc then adds it back)";
}

std::string WritesFailLine(const std::string& publication, bool all_tables, bool managed,
                           const TableName& t, const IdentityGap& gap) {
  const std::string kind = all_tables ? "FOR ALL TABLES"
                           : managed  ? "FOR TABLES IN SCHEMA"
                                      : "source.create_publication: false";
  return "publication " + publication + " (" + kind + ") publishes table " + Name(t) +
         ", which has no usable replica identity (" + gap.why +
         "): the application's UPDATE and DELETE on it FAIL (" + IdentityFix(gap) +
         (all_tables ? "" : ", or drop it from the publication") + ")";
}

void ReportIdentityGaps(const std::string& publication, const PublicationDrift& drift, bool managed,
                        Metrics* metrics) {
  static std::set<std::string> left_out;     // table names; main thread only (see the header)
  static std::set<std::string> writes_fail;  // the same
  std::set<std::string> now_left_out, now_writes_fail;
  const std::set<TableName> dropped(drift.drop_no_identity.begin(), drift.drop_no_identity.end());

  std::vector<std::string> lines, names;
  for (const auto& [t, gap] : drift.left_out) {
    now_left_out.insert(Name(t));
    if (left_out.count(Name(t))) continue;
    if (metrics != nullptr) metrics->capture_left_out.fetch_add(1);
    if (dropped.count(t)) continue;  // ApplyDrift's drop line said it
    lines.push_back(LeftOutLine(publication, t, gap));
    names.push_back(Name(t) + " (" + gap.why + ")");
  }
  WarnEach(lines, std::to_string(lines.size()) + " tables are left out of publication " +
                      publication +
                      " (no usable replica identity), so their changes are NOT "
                      "captured: " +
                      FirstNames(names) +
                      ". Published, PostgreSQL would refuse the application's UPDATE and DELETE "
                      "on them; ALTER TABLE ... REPLICA IDENTITY FULL, or a primary key, and "
                      "pgcdc adds them (`pgcdc status` lists every table)");
  left_out = std::move(now_left_out);

  lines.clear();
  names.clear();
  for (const auto& [t, gap] : drift.writes_fail) {
    now_writes_fail.insert(Name(t));
    if (writes_fail.count(Name(t))) continue;
    lines.push_back(WritesFailLine(publication, drift.all_tables, managed, t, gap));
    names.push_back(Name(t) + " (" + gap.why + ")");
  }
  WarnEach(lines, "publication " + publication + " publishes " + std::to_string(lines.size()) +
                      " tables without a usable replica identity: the application's UPDATE and "
                      "DELETE on them FAIL: " +
                      FirstNames(names) +
                      " (ALTER TABLE ... REPLICA IDENTITY FULL, or add a primary key; `pgcdc "
                      "status` lists every table)");
  writes_fail = std::move(now_writes_fail);
}

}  // namespace cdc::connector
