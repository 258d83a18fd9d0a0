#include "connector/instance_lock.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <thread>

namespace cdc::connector {

namespace {

// application_name is cut by the server at NAMEDATALEN - 1 bytes.
constexpr size_t kMaxApplicationName = 63;
// How long a lock held by a dead pgcdc of this host is waited for: the server ends its session
// as soon as it reads the closed socket, normally within milliseconds.
constexpr auto kGoneHolderWait = std::chrono::seconds(5);

std::string Trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  std::string one_line;  // libpq's messages span lines, indented with tabs
  for (char c : out) {
    if (c == '\n' || c == '\t') c = ' ';
    if (c != ' ' || (!one_line.empty() && one_line.back() != ' ')) one_line += c;
  }
  return one_line;
}

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "?";
  return buf;
}

// "pgcdc/<name> pid=<pid> host=<host>", the name shortened to fit the server's limit.
std::string ApplicationName(const std::string& name) {
  const std::string tail = " pid=" + std::to_string(getpid()) + " host=" + HostName();
  std::string head = "pgcdc/" + name;
  if (head.size() + tail.size() > kMaxApplicationName) {
    head.resize(kMaxApplicationName > tail.size() + 6 ? kMaxApplicationName - tail.size() : 6);
  }
  std::string app = head + tail;
  if (app.size() > kMaxApplicationName) app.resize(kMaxApplicationName);
  return app;
}

// pg_locks shows a bigint advisory key as classid (high half), objid (low half), objsubid 1.
std::string LockRowPredicate(int64_t key) {
  const auto k = static_cast<uint64_t>(key);
  return "l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = '" +
         std::to_string(k >> 32) + "'::oid AND l.objid = '" + std::to_string(k & 0xffffffffu) +
         "'::oid AND l.database = (SELECT oid FROM pg_database WHERE datname = "
         "current_database())";
}

// True when `app` names a pgcdc process on this host that no longer exists: its server session
// is about to end (the server has yet to read the closed socket, e.g. right after a kill -9).
bool HolderIsGone(const std::string& app) {
  const size_t host = app.rfind(" host=");
  const size_t pid = app.rfind(" pid=", host);
  if (app.rfind("pgcdc/", 0) != 0 || host == std::string::npos || pid == std::string::npos ||
      app.substr(host + 6) != HostName()) {
    return false;
  }
  const long n = std::strtol(app.c_str() + pid + 5, nullptr, 10);
  if (n <= 0 || n > INT_MAX) return false;
  return kill(static_cast<pid_t>(n), 0) != 0 && errno == ESRCH;
}

struct Holder {
  std::string description;  // empty when it let go in the meantime
  bool gone = false;        // HolderIsGone
};

// The session holding `key`, for the refusal.
Result<Holder> DescribeHolder(PGconn* sql, int64_t key) {
  auto res = Exec(sql,
                  "SELECT l.pid, COALESCE(a.application_name, ''), COALESCE(a.client_hostname, "
                  "host(a.client_addr), 'a local socket'), COALESCE(date_trunc('second', "
                  "a.backend_start)::text, '?') FROM pg_locks l LEFT JOIN pg_stat_activity a ON "
                  "a.pid = l.pid WHERE " +
                      LockRowPredicate(key) + " LIMIT 1");
  if (!res.ok()) return res.status();
  PGresult* r = res->get();
  Holder h;
  if (PQntuples(r) == 0) return h;
  const std::string app = PQgetvalue(r, 0, 1);
  const std::string backend = std::string("server backend PID ") + PQgetvalue(r, 0, 0) +
                              ", connected from " + PQgetvalue(r, 0, 2) + " since " +
                              PQgetvalue(r, 0, 3);
  h.description = app.rfind("pgcdc/", 0) == 0
                      ? app + " (" + backend + ")"
                      : "a session with application_name '" + app + "' (" + backend + ")";
  h.gone = HolderIsGone(app);
  return h;
}

}  // namespace

int64_t InstanceLockKey(std::string_view slot) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  for (unsigned char c : std::string("pgcdc:") + std::string(slot)) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<int64_t>(h);
}

Status TryLockSlot(PGconn* sql, const std::string& slot) {
  const int64_t key = InstanceLockKey(slot);
  const auto deadline = std::chrono::steady_clock::now() + kGoneHolderWait;
  // The holder may let go between the two queries, or be a process that just died: try again.
  for (int attempt = 0;; ++attempt) {
    auto res = Exec(sql, "SELECT pg_try_advisory_lock('" + std::to_string(key) + "'::bigint)");
    if (!res.ok()) return res.status().WithContext("taking the instance lock of slot " + slot);
    if (std::string(PQgetvalue(res->get(), 0, 0)) == "t") return Status::Ok();
    auto holder = DescribeHolder(sql, key);
    if (!holder.ok()) return holder.status().WithContext("reading the instance lock's holder");
    const bool retry = holder->description.empty()
                           ? attempt < 3
                           : holder->gone && std::chrono::steady_clock::now() < deadline;
    if (retry) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (holder->description.empty()) {
      return Status::FailedPrecondition("slot '" + slot +
                                        "' is in use by another pgcdc that keeps starting and "
                                        "stopping; try again");
    }
    return Status::FailedPrecondition(
        "slot '" + slot + "' is in use by another pgcdc: " + holder->description +
        (holder->gone ? ", whose process is gone but whose session the server has not ended" : "") +
        "; stop that one first, or give this configuration its own source.slot");
  }
}

InstanceLock::InstanceLock(std::string dsn, std::string slot, std::string name)
    : dsn_(std::move(dsn)), slot_(std::move(slot)), name_(std::move(name)) {}

Status InstanceLock::Acquire() {
  conn_.reset();
  auto c = Connect(dsn_, ConnKind::kSql);
  if (!c.ok()) return c.status();
  PGconn* conn = c->get();
  // Keepalives: an idle session on a host that vanished would otherwise hold the lock until the
  // OS gives up on the socket (hours). idle_session_timeout (14+) must not end it either.
  std::string settings = "SET application_name = " + QuoteLiteral(conn, ApplicationName(name_)) +
                         "; SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
                         "SET tcp_keepalives_count = 3";
  if (PQserverVersion(conn) >= 140000) settings += "; SET idle_session_timeout = 0";
  auto set = Exec(conn, settings, PGRES_COMMAND_OK);
  if (!set.ok()) return set.status().WithContext("setting up the instance lock's session");
  CDC_RETURN_IF_ERROR(TryLockSlot(conn, slot_));
  spdlog::debug("instance lock of slot {} taken (key {})", slot_, InstanceLockKey(slot_));
  conn_ = std::move(*c);
  last_check_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status InstanceLock::Reassert() {
  if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) {
    auto held = Exec(conn_.get(), "SELECT 1 FROM pg_locks l WHERE l.pid = pg_backend_pid() AND " +
                                      LockRowPredicate(InstanceLockKey(slot_)));
    if (held.ok() && PQntuples(held->get()) > 0) return Status::Ok();
    if (held.ok()) return TryLockSlot(conn_.get(), slot_);
    if (held.status().code() != Status::Code::kUnavailable) return held.status();
  }
  spdlog::info("taking the instance lock of slot {} again (its connection was lost)", slot_);
  return Acquire();
}

Status InstanceLock::Check() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < std::chrono::seconds(1)) return Status::Ok();
  last_check_ = now;
  if (!conn_) return Status::Unavailable("postgres: the instance lock's connection is closed");
  // Reads whatever arrived without waiting; a server that ended the session shows as EOF.
  if (PQconsumeInput(conn_.get()) == 0 || PQstatus(conn_.get()) != CONNECTION_OK) {
    std::string why = Trimmed(PQerrorMessage(conn_.get()));
    conn_.reset();
    return Status::Unavailable("postgres: the instance lock's connection was lost (" + why + ")");
  }
  return Status::Ok();
}

}  // namespace cdc::connector
