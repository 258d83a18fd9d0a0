#pragma once

// Tables without a usable replica identity (IdentityGap, publication_reconciler.h): what pgcdc
// says about them. Once such a table is in a publication that publishes UPDATE or DELETE,
// PostgreSQL refuses the application's UPDATE and DELETE on it, so pgcdc never lets that happen
// silently: a publication it manages (FOR TABLE) leaves the table out, or drops it, with one
// warning line naming the table, why and the fix; a publication it cannot change that way (FOR
// ALL TABLES, an admin's) gets one loud line per table saying the writes fail. `validate` and
// `status` print the same findings (the line builders below).
//
// Stateless functions, except ReportIdentityGaps (see there).

#include <string>

#include "connector/metrics.h"
#include "connector/publication_reconciler.h"

namespace cdc::connector {

// The reason for ResolveCaptureSet's gap code: 'd' (DEFAULT without a primary key), 'n'
// (NOTHING), 'i' (USING INDEX whose index is missing or invalid).
std::string IdentityGapWhy(char code);

// "ALTER TABLE x REPLICA IDENTITY FULL, or add a primary key" for the table the fix applies to.
std::string IdentityFix(const IdentityGap& gap);

// The warning for a table pgcdc leaves out of its publication.
std::string LeftOutLine(const std::string& publication, const TableName& t, const IdentityGap& gap);
// The warning for a table pgcdc drops from its publication for its replica identity (that
// table's one line: it stands for LeftOutLine).
std::string DroppedForIdentity(const std::string& publication, const TableName& t,
                               const IdentityGap& gap);
// The loud line for a table the publication publishes without a usable replica identity.
std::string WritesFailLine(const std::string& publication, bool all_tables, bool managed,
                           const TableName& t, const IdentityGap& gap);

// Logs drift.left_out and drift.writes_fail: a line per table (for more than a handful at
// once, one line with the count and the first few, every line at debug level), each once while
// it holds (remembered for the process: the start and every session's reconciler share it), and
// again if it stops holding and comes back. A table in drift.drop_no_identity is not logged
// again (ApplyDrift's drop line is its line). Counts each newly left-out table in
// `metrics->capture_left_out` (may be null). Replication (main) thread only.
void ReportIdentityGaps(const std::string& publication, const PublicationDrift& drift, bool managed,
                        Metrics* metrics);

}  // namespace cdc::connector
