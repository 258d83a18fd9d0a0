#pragma once

// InstanceLock: at most one pgcdc per replication slot. Two processes on one slot would race to
// create the publication and the slot, overwrite each other's offsets file and fight over the
// walsender; instead the second refuses at once, naming the first.
//
// The lock is a session-level advisory lock (pg_try_advisory_lock) keyed by a hash of the slot
// name, held on a dedicated SQL connection for as long as `pgcdc run` lives. Advisory locks are
// scoped to the database the connection is in, which is the slot's database (a slot belongs to
// one database). The server releases the lock when the session ends, so a crashed pgcdc never
// leaves a stale lock behind; TCP keepalives on the session let the server notice a vanished
// host within about half a minute instead of the OS default of two hours.
//
// The holder sets its application_name to "pgcdc/<name> pid=<pid> host=<host>", so the one that
// is refused can name the process (not only the server backend) that holds the slot.
//
// Single-threaded: the replication thread (Runner) owns it.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "connector/pg_connection.h"
#include "decoders/base/status.h"

namespace cdc::connector {

// The advisory-lock key for `slot`: FNV-1a 64 of "pgcdc:" + slot, stable across builds and
// server versions (unlike hashtext()).
int64_t InstanceLockKey(std::string_view slot);

// Takes the lock of `slot` on `sql` (released when `sql` closes). OK when taken (or already held
// by this session); FailedPrecondition, one line naming the holder, when another session holds
// it; Unavailable when the server cannot be asked. Admin commands that change the slot or the
// offsets call this on their own connection, so they cannot run under a live pgcdc.
Status TryLockSlot(PGconn* sql, const std::string& slot);

class InstanceLock {
 public:
  // `dsn`: the source's conninfo; `slot`: the slot to guard; `name`: the connector's name (for
  // the application_name the refused instance reads).
  InstanceLock(std::string dsn, std::string slot, std::string name);

  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  // Connects and takes the lock. Must succeed before anything is created or written.
  Status Acquire();

  // Before each replication session: confirms the lock is still held; when its connection was
  // lost, reconnects and takes it again. FailedPrecondition when another instance took it in
  // the meantime (this one must stop), Unavailable when the server is unreachable (retry).
  Status Reassert();

  // Cheap and non-blocking (at most one recv() per second): Unavailable when the lock's
  // connection has dropped, so the caller ends the session and Reassert()s before the next.
  Status Check();

 private:
  std::string dsn_;
  std::string slot_;
  std::string name_;
  PgConnPtr conn_;
  std::chrono::steady_clock::time_point last_check_{};
};

}  // namespace cdc::connector
