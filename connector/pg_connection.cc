#include "connector/pg_connection.h"

#include <vector>

#include "config/redact.h"

namespace cdc::connector {

namespace {

constexpr char kPinnedOptions[] =
    "-c datestyle=ISO -c intervalstyle=postgres -c extra_float_digits=3 -c TimeZone=UTC "
    "-c bytea_output=hex";

// libpq's text on one line, with every secret masked: a parse error quotes the connection
// string around the problem, which may be part of a password.
std::string OneLine(std::string s) {
  s = config::Redact(s);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return s;
}

}  // namespace

std::string ResultError(const PGresult* res) {
  std::string msg = OneLine(PQresultErrorMessage(res));
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  if (state != nullptr) msg += " (SQLSTATE " + std::string(state) + ")";
  return msg;
}

Result<PgConnPtr> Connect(const std::string& dsn, ConnKind kind) {
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(dsn.c_str(), &err);
  if (parsed == nullptr) {
    // The configuration loader has checked the syntax already (config/conninfo.h), so this is
    // an unknown keyword or a broken URI; libpq names the piece, which is redacted.
    std::string msg = err ? OneLine(err) : "out of memory";
    PQfreemem(err);
    return Status::InvalidArgument("source.dsn: " + msg);
  }
  std::vector<std::string> keys, values;
  std::string user_options;
  bool has_connect_timeout = false;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string k = o->keyword;
    if (k == "options") {
      user_options = o->val;
      continue;
    }
    if (k == "replication" || k == "client_encoding") continue;
    if (k == "connect_timeout") has_connect_timeout = true;
    keys.push_back(k);
    values.push_back(o->val);
  }
  PQconninfoFree(parsed);
  keys.push_back("options");
  values.push_back(user_options.empty() ? kPinnedOptions : user_options + " " + kPinnedOptions);
  keys.push_back("client_encoding");
  values.push_back("UTF8");
  if (!has_connect_timeout) {
    keys.push_back("connect_timeout");
    values.push_back("10");
  }
  bool has_app = false;
  for (const auto& k : keys) has_app = has_app || k == "application_name";
  if (!has_app) {
    keys.push_back("application_name");
    values.push_back("pgcdc");
  }
  if (kind == ConnKind::kReplication) {
    keys.push_back("replication");
    values.push_back("database");
  }
  std::vector<const char*> kp, vp;
  for (size_t i = 0; i < keys.size(); ++i) {
    kp.push_back(keys[i].c_str());
    vp.push_back(values[i].c_str());
  }
  kp.push_back(nullptr);
  vp.push_back(nullptr);
  PgConnPtr conn(PQconnectdbParams(kp.data(), vp.data(), 0));
  if (conn == nullptr) return Status::Unavailable("postgres: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::Unavailable("postgres: cannot connect (" +
                               std::string(kind == ConnKind::kReplication ? "replication" : "sql") +
                               " connection): " + OneLine(PQerrorMessage(conn.get())));
  }
  return conn;
}

Result<PgResultPtr> Exec(PGconn* conn, const std::string& sql, ExecStatusType expected) {
  PgResultPtr res(PQexec(conn, sql.c_str()));
  if (res == nullptr) {
    return Status::Unavailable("postgres: " + OneLine(PQerrorMessage(conn)));
  }
  if (PQresultStatus(res.get()) != expected) {
    std::string msg = ResultError(res.get());
    if (msg.empty()) msg = OneLine(PQerrorMessage(conn));
    const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
    Status s = PQstatus(conn) != CONNECTION_OK ? Status::Unavailable("postgres: " + msg)
                                               : Status::FailedPrecondition("postgres: " + msg);
    return state != nullptr ? s.WithSqlState(state) : s;
  }
  return res;
}

std::string QuoteIdent(PGconn* conn, std::string_view ident) {
  char* q = PQescapeIdentifier(conn, ident.data(), ident.size());
  std::string out = q ? q : "";
  PQfreemem(q);
  return out;
}

std::string QuoteLiteral(PGconn* conn, std::string_view literal) {
  char* q = PQescapeLiteral(conn, literal.data(), literal.size());
  std::string out = q ? q : "";
  PQfreemem(q);
  return out;
}

std::string Describe(PGconn* conn) {
  std::string host = PQhost(conn) ? PQhost(conn) : "?";
  return host + ":" + (PQport(conn) ? PQport(conn) : "?") + "/" + (PQdb(conn) ? PQdb(conn) : "?") +
         " as " + (PQuser(conn) ? PQuser(conn) : "?");
}

}  // namespace cdc::connector
