#pragma once

// RAII owners and small helpers for libpq. Every PGconn and PGresult lives in a move-only owner;
// nothing else in pgcdc calls PQfinish or PQclear.
//
// Connections pin the session settings that shape pgoutput's text output (pgoutput.md §6.1):
// DateStyle=ISO, IntervalStyle=postgres, extra_float_digits=3, TimeZone=UTC, bytea_output=hex,
// client_encoding=UTF8. Messages built here never contain the password: the conninfo is never
// echoed, and libpq's own text passes through config::Redact (config/redact.h).

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>

#include "decoders/base/status.h"

namespace cdc::connector {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

enum class ConnKind { kSql, kReplication };

// Opens a connection from the user's conninfo `dsn`, adding our settings (the user's own
// `options` are kept and ours appended). The settings travel as separate keyword/value arrays
// (PQconnectdbParams), never by editing the string, so quoted values stay intact. Blocking.
// Errors name host/port/db/user, never the password.
Result<PgConnPtr> Connect(const std::string& dsn, ConnKind kind);

// Runs `sql` with the simple query protocol (the only one a walsender accepts). Errors carry the
// server message and SQLSTATE.
Result<PgResultPtr> Exec(PGconn* conn, const std::string& sql,
                         ExecStatusType expected = PGRES_TUPLES_OK);

std::string QuoteIdent(PGconn* conn, std::string_view ident);
std::string QuoteLiteral(PGconn* conn, std::string_view literal);

// "host:port/dbname as user", for logs.
std::string Describe(PGconn* conn);

// The server's message of a failed result, on one line, with its SQLSTATE.
std::string ResultError(const PGresult* res);

}  // namespace cdc::connector
