#include "connector/offset_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace cdc::connector {

std::string_view SnapshotStateName(SnapshotState s) {
  switch (s) {
    case SnapshotState::kNone: return "none";
    case SnapshotState::kRunning: return "running";
    case SnapshotState::kComplete: return "complete";
  }
  return "?";
}

namespace {

constexpr int kFormatVersion = 1;

Status Errno(const std::string& what) {
  return Status::IoError(what + ": " + std::strerror(errno));
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("offsets: write " + path);
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

nlohmann::json StuckToJson(const StuckEvent& e) {
  nlohmann::json j = {
      {"topic", e.topic},
      {"table", e.table},
      {"key", e.key ? nlohmann::json(*e.key) : nlohmann::json(nullptr)},
      {"key_truncated", e.key_truncated},
      {"lsn", e.lsn.ToString()},
      {"phase", e.in_snapshot ? "snapshot" : "stream"},
      {"cause", e.cause},
      {"error", e.error},
      {"at", e.at},
  };
  return j;
}

Result<StuckEvent> StuckFromJson(const nlohmann::json& j, const std::string& path) {
  StuckEvent e;
  e.topic = j.at("topic").get<std::string>();
  e.table = j.value("table", std::string());
  if (!j.at("key").is_null()) e.key = j.at("key").get<std::string>();
  e.key_truncated = j.value("key_truncated", false);
  Result<Lsn> lsn = Lsn::Parse(j.at("lsn").get<std::string>());
  if (!lsn.ok())
    return Status::Corruption("offsets file " + path + ": stuck.lsn: " + lsn.status().message());
  e.lsn = *lsn;
  e.in_snapshot = j.value("phase", std::string("stream")) == "snapshot";
  e.cause = j.value("cause", std::string());
  e.error = j.value("error", std::string());
  e.at = j.value("at", std::string());
  return e;
}

}  // namespace

Result<std::optional<Offset>> OffsetStore::Load() const {
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec)) {
    return Status::IoError(
        "offsets file " + path_ +
        " is a directory; point offsets.file at a file (e.g. in that directory)");
  }
  std::ifstream in(path_);
  if (!in) {
    if (!std::filesystem::exists(path_)) return std::optional<Offset>();
    return Status::IoError("offsets: cannot read " + path_);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception&) {
    return Status::Corruption("offsets file " + path_ +
                              " is not valid JSON; refusing to guess a position (restore it, or "
                              "move it away and run `pgcdc offsets reset -c FILE --to-slot "
                              "--yes` to continue from the slot's position)");
  }
  try {
    if (j.at("format").get<int>() != kFormatVersion) {
      return Status::Corruption("offsets file " + path_ + " has unsupported format " +
                                j.at("format").dump());
    }
    Offset o;
    o.slot = j.at("slot").get<std::string>();
    o.system_id = j.at("system_id").get<std::string>();
    o.database = j.at("database").get<std::string>();
    o.timeline = j.at("timeline").get<uint32_t>();
    Result<Lsn> lsn = Lsn::Parse(j.at("lsn").get<std::string>());
    if (!lsn.ok())
      return Status::Corruption("offsets file " + path_ + ": " + lsn.status().message());
    o.lsn = *lsn;
    if (j.contains("snapshot")) {
      const std::string state = j.at("snapshot").get<std::string>();
      if (state == SnapshotStateName(SnapshotState::kRunning)) {
        o.snapshot = SnapshotState::kRunning;
      } else if (state == SnapshotStateName(SnapshotState::kComplete)) {
        o.snapshot = SnapshotState::kComplete;
      } else {
        return Status::Corruption("offsets file " + path_ + ": unknown snapshot state '" + state +
                                  "'");
      }
      Result<Lsn> slsn = Lsn::Parse(j.at("snapshot_lsn").get<std::string>());
      if (!slsn.ok()) {
        return Status::Corruption("offsets file " + path_ + ": " + slsn.status().message());
      }
      o.snapshot_lsn = *slsn;
    }
    if (j.contains("snapshot_tables")) {
      for (const auto& [table, text] : j.at("snapshot_tables").items()) {
        Result<Lsn> tlsn = Lsn::Parse(text.get<std::string>());
        if (!tlsn.ok()) {
          return Status::Corruption("offsets file " + path_ + ": snapshot_tables." + table + ": " +
                                    tlsn.status().message());
        }
        o.snapshot_tables[table] = *tlsn;
      }
    }
    if (j.contains("stuck") && !j.at("stuck").is_null()) {
      Result<StuckEvent> stuck = StuckFromJson(j.at("stuck"), path_);
      if (!stuck.ok()) return stuck.status();
      o.stuck = std::move(*stuck);
    }
    if (j.contains("incremental_snapshot") && !j.at("incremental_snapshot").is_null()) {
      o.incremental_snapshot = j.at("incremental_snapshot").dump();
    }
    return std::optional<Offset>(o);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("offsets file " + path_ +
                              " is missing a field or has a wrong type (" + e.what() + ")");
  }
}

Status OffsetStore::Save(const Offset& o) const {
  nlohmann::json j = {
      {"format", kFormatVersion}, {"slot", o.slot},         {"system_id", o.system_id},
      {"database", o.database},   {"timeline", o.timeline}, {"lsn", o.lsn.ToString()},
      {"lsn_int", o.lsn.value},   {"updated_at", UtcNow()},
  };
  if (o.snapshot != SnapshotState::kNone) {
    j["snapshot"] = std::string(SnapshotStateName(o.snapshot));
    j["snapshot_lsn"] = o.snapshot_lsn.ToString();
  }
  if (!o.snapshot_tables.empty()) {
    nlohmann::json tables = nlohmann::json::object();
    for (const auto& [table, lsn] : o.snapshot_tables) tables[table] = lsn.ToString();
    j["snapshot_tables"] = std::move(tables);
  }
  if (o.stuck) j["stuck"] = StuckToJson(*o.stuck);
  if (!o.incremental_snapshot.empty()) {
    j["incremental_snapshot"] = nlohmann::json::parse(o.incremental_snapshot, nullptr, false);
  }
  // A key cut mid-character (or a key that was never UTF-8) must not make the file unwritable.
  const std::string data = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::string tmp = path_ + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("offsets: open " + tmp);
  Status s = WriteAll(fd, data, tmp);
  if (s.ok() && fsync(fd) != 0) s = Errno("offsets: fsync " + tmp);
  if (close(fd) != 0 && s.ok()) s = Errno("offsets: close " + tmp);
  if (!s.ok()) return s;
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) return Errno("offsets: rename to " + path_);
  std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  if (dir.empty()) dir = ".";
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("offsets: open directory " + dir.string());
  Status ds = fsync(dfd) == 0 ? Status::Ok() : Errno("offsets: fsync directory " + dir.string());
  close(dfd);
  return ds;
}

Status OffsetStore::SaveStuck(const std::optional<StuckEvent>& stuck) const {
  auto stored = Load();
  if (!stored.ok()) return stored.status();
  if (!*stored) {
    return Status::FailedPrecondition("offsets file " + path_ +
                                      " does not exist: nowhere to record the stuck event");
  }
  Offset o = **stored;
  o.stuck = stuck;
  return Save(o);
}

Status OffsetStore::CheckWritable() const {
  std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  if (dir.empty()) dir = ".";
  std::string probe = path_ + ".probe-XXXXXX";
  int fd = mkstemp(probe.data());
  if (fd < 0) {
    return Status::IoError("offsets file " + path_ + ": cannot write in " + dir.string() + " (" +
                           std::strerror(errno) +
                           "); pgcdc must replace this file to record its position: make the "
                           "directory writable for pgcdc's user or point offsets.file elsewhere");
  }
  close(fd);
  unlink(probe.c_str());
  return Status::Ok();
}

}  // namespace cdc::connector
