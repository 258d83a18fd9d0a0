#pragma once

// CaptureRules: which tables pgcdc captures and how their events are keyed and trimmed, from the
// configuration (include list, column exclude list, message_key_columns). Streaming and the
// snapshot both ask it, so a table's events have the same key and columns whichever path made
// them.
//
// Immutable after construction; safe to share between threads.

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "decoders/events/relation_cache.h"
#include "decoders/wire/pgoutput_messages.h"

namespace cdc::connector {

// Glob match with '*' (any run of characters): include patterns, column excludes, message
// prefixes.
bool GlobMatch(const std::string& pattern, const std::string& text);

// Whether table `schema`.`table` is in the include list: every table when it is empty. The one
// include-list rule: the capture rules, the publication's table list, the reconciler and the
// start-up warnings all use it. An entry is schema.table, split at its first unquoted dot; each
// part matches as PostgreSQL reads an identifier: unquoted text is folded to lower case and '*'
// in it matches any run of characters; text in double quotes ("" for a quote) matches exactly,
// '*' and '.' included. So `Public.Orders` captures public.orders, and `"Sales"."Q.1"` captures
// exactly the table Q.1 in schema Sales.
bool IncludedBy(const std::vector<std::string>& include_patterns, const std::string& schema,
                const std::string& table);
// The same for a "schema.table" string: true when some split at a dot is included (names
// joined with a dot are ambiguous when they contain dots themselves).
bool IncludedBy(const std::vector<std::string>& include_patterns,
                const std::string& qualified_name);

struct CaptureOptions {
  std::vector<std::string> include_patterns;  // schema.table globs; empty = all
  std::vector<std::string> column_exclude;    // schema.table.column globs
  // schema.table glob -> the columns that key its events instead of the primary key
  std::vector<std::pair<std::string, std::vector<std::string>>> message_key_columns;
  std::string topic_prefix;  // the connector's name: tables' topics are <prefix>.<schema>.<table>
  // include-list entry -> topic, in file order (config `topics:`); the first match wins.
  std::vector<std::pair<std::string, std::string>> topic_overrides;
};
CaptureOptions CaptureOptionsFor(const config::Config& cfg);

// "schema"."table" as PostgreSQL's quote_ident writes each part (quoted unless it is lower-case
// letters, digits and '_'), so a name with dots, spaces or capitals reads unambiguously in a log
// line and can be pasted into source.tables or topics:.
std::string QuotedName(const std::string& schema, const std::string& table);
// The one line for two tables that would share a topic: names both and the fix.
std::string TopicCollision(const std::string& topic, const std::string& first,
                           const std::string& second);

class CaptureRules {
 public:
  explicit CaptureRules(CaptureOptions options) : options_(std::move(options)) {}

  // `qualified_name` is "schema.table".
  bool Captured(const std::string& qualified_name) const;
  bool Captured(const std::string& schema, const std::string& table) const;
  const std::vector<std::string>& include_patterns() const { return options_.include_patterns; }
  const std::vector<std::pair<std::string, std::string>>& topic_overrides() const {
    return options_.topic_overrides;
  }

  // The topic of table `schema`.`table`: its `topics:` override, else <prefix>.<schema>.<table>.
  std::string Topic(const std::string& schema, const std::string& table) const;
  // For the tables of a capture set (schema, table pairs): the TopicCollision line of the first
  // two that share a topic, or "" when every table has a topic of its own.
  std::string FindCollision(const std::vector<std::pair<std::string, std::string>>& tables) const;

  // Adds the configured column excludes, key override and topic for `rel` to `hints`.
  void Apply(const pgoutput::Relation& rel, CatalogHints* hints) const;

 private:
  CaptureOptions options_;
};

}  // namespace cdc::connector
