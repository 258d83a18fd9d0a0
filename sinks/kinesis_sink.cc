#include "sinks/kinesis_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_set>

#include "sinks/aws_sigv4.h"
#include "sinks/base64.h"
#include "sinks/printable_key.h"

namespace cdc::sinks {

namespace {

// Debezium Server's kinesis null.key default.
constexpr std::string_view kNullKey = "default";
constexpr int kFirstBackoffMs = 200;
constexpr int kMaxBackoffMs = 5000;
constexpr int kCreatePollMs = 500;
// How far into a stream's queue one call looks for records of keys not yet in it.
constexpr size_t kScanLimit = 8 * KinesisSink::kMaxRecordsPerCall;

using Clock = std::chrono::steady_clock;

std::string StreamBody(const std::string& name) {
  std::string body = "{\"StreamName\":";
  AppendJsonString(&body, name);
  return body;
}

}  // namespace

KinesisSink::KinesisSink(KinesisOptions options, DeliveryListener* listener)
    : options_(std::move(options)),
      listener_(listener),
      client_(options_.endpoint, options_.region, options_.credentials) {}

KinesisSink::~KinesisSink() {
  ReportSkipped();
  // Callers drained first; whatever is left was not acknowledged and must not be confirmed.
  for (auto& [name, s] : streams_) {
    FailAll(
        s, "kinesis: sink closed before Kinesis acknowledged the record for stream '" + name + "'");
  }
}

std::string KinesisSink::PartitionKey(const std::optional<std::string_view>& key) {
  if (!key) return std::string(kNullKey);
  const auto chars = TextChars(*key);
  if (chars && *chars >= 1 && *chars <= kMaxPartitionKeyChars) return std::string(*key);
  return Sha256Hex(*key);
}

Status KinesisSink::Send(const ChangeEvent& ev, void* opaque) {
  if (!ev.value) {
    skipped_.emplace_back(opaque, ev.size_bytes());
    return Status::Ok();
  }
  std::string key = PartitionKey(ev.key);
  const size_t size = ev.value->size() + key.size();
  if (size > kMaxRecordBytes) {
    const std::string cause = "a record of " + std::to_string(size) +
                              " bytes (data + partition key) is over Kinesis's limit of " +
                              std::to_string(kMaxRecordBytes);
    listener_->OnRefused(opaque, {ev.topic, ev.key ? ev.key->data() : nullptr,
                                  ev.key ? ev.key->size() : 0, cause, "RECORD_TOO_LARGE"});
    return Status::DeliveryFailed("kinesis: cannot write to stream '" + std::string(ev.topic) +
                                  "' key " + (ev.key ? PrintableKey(*ev.key) : "null") + ": " +
                                  cause);
  }
  auto it = streams_.find(ev.topic);
  if (it == streams_.end()) it = streams_.emplace(std::string(ev.topic), Stream{}).first;
  Record r{opaque, ev.size_bytes(), std::move(key), {}, !ev.key};
  if (ev.value_owner != nullptr) {
    r.data = std::move(*ev.value_owner);
  } else {
    r.data.assign(*ev.value);
  }
  it->second.queue.push_back(std::move(r));
  ++queued_;
  return Status::Ok();
}

void KinesisSink::ReportSkipped() {
  // Moved out first: a report may lead the caller to send more.
  auto skipped = std::move(skipped_);
  skipped_.clear();
  for (const auto& [opaque, bytes] : skipped) listener_->OnDelivery(opaque, bytes, Status::Ok());
}

void KinesisSink::Backoff(const std::string& name, Stream& s, const std::string& cause) {
  s.backoff_ms = s.backoff_ms == 0 ? kFirstBackoffMs : std::min(s.backoff_ms * 2, kMaxBackoffMs);
  s.next_attempt = Clock::now() + std::chrono::milliseconds(s.backoff_ms);
  // Once per cause, not once per attempt: an outage is one line, and another when it changes.
  if (cause != s.trouble) {
    spdlog::warn(
        "{}; {} events for stream '{}' wait for acknowledgement, retrying (the confirmed "
        "LSN waits)",
        cause, s.queue.size(), name);
  }
  s.trouble = cause;
}

void KinesisSink::Healthy(const std::string& name, Stream& s) {
  if (!s.trouble.empty()) {
    spdlog::info("kinesis: stream '{}' takes records again", name);
    s.trouble.clear();
  }
  s.backoff_ms = 0;
}

void KinesisSink::FailAll(Stream& s, const std::string& cause) {
  auto queue = std::move(s.queue);
  s.queue.clear();
  queued_ -= queue.size();
  for (const Record& r : queue) {
    listener_->OnDelivery(r.opaque, r.bytes, Status::DeliveryFailed(cause));
  }
}

KinesisReply KinesisSink::Describe(const std::string& name, std::string* status) {
  KinesisReply r = client_.Call("DescribeStreamSummary", StreamBody(name) + "}", kCallTimeoutMs);
  if (!r.ok()) return r;
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  const nlohmann::json* st = nullptr;
  if (body.is_object() && body.contains("StreamDescriptionSummary") &&
      body["StreamDescriptionSummary"].is_object()) {
    auto& summary = body["StreamDescriptionSummary"];
    if (auto f = summary.find("StreamStatus"); f != summary.end() && f->is_string()) st = &*f;
  }
  if (st == nullptr) {
    r.outcome = KinesisReply::Outcome::kRetry;
    r.error = "kinesis: DescribeStreamSummary of '" + name + "' answered without a StreamStatus";
    return r;
  }
  *status = st->get<std::string>();
  return r;
}

KinesisReply KinesisSink::Create(const std::string& name) {
  return client_.Call(
      "CreateStream",
      StreamBody(name) + ",\"ShardCount\":" + std::to_string(options_.shard_count) + "}",
      kCallTimeoutMs);
}

void KinesisSink::SendBatch(const std::string& name, Stream& s) {
  using Outcome = KinesisReply::Outcome;
  if (s.creating) {
    std::string status;
    KinesisReply r = Describe(name, &status);
    if (r.ok() && (status == "ACTIVE" || status == "UPDATING")) {
      spdlog::info("kinesis: stream '{}' is {}", name, status);
      s.creating = false;
    } else if (r.ok() || r.outcome == Outcome::kNotFound) {
      s.next_attempt = Clock::now() + std::chrono::milliseconds(kCreatePollMs);
      return;
    } else {
      Backoff(name, s, r.error);
      return;
    }
  }

  // The first queued record of each key, in queue order: nothing is sent ahead of an earlier,
  // unacknowledged record of its key (the header's ordering rule).
  std::vector<size_t> batch;
  std::unordered_set<std::string_view> keys;
  size_t bytes = 0;
  for (size_t i = 0; i < s.queue.size() && i < kScanLimit && batch.size() < kMaxRecordsPerCall;
       ++i) {
    const Record& r = s.queue[i];
    if (!r.null_key && !keys.insert(r.partition_key).second) continue;
    const size_t size = r.data.size() + r.partition_key.size();
    if (bytes + size > kMaxBytesPerCall) break;
    bytes += size;
    batch.push_back(i);
  }
  std::string body = StreamBody(name) + ",\"Records\":[";
  body.reserve(body.size() + bytes * 4 / 3 + batch.size() * 40);
  for (size_t n = 0; n < batch.size(); ++n) {
    const Record& r = s.queue[batch[n]];
    body += n == 0 ? "{\"Data\":\"" : ",{\"Data\":\"";
    AppendBase64(&body, r.data);
    body += "\",\"PartitionKey\":";
    AppendJsonString(&body, r.partition_key);
    body += "}";
  }
  body += "]}";

  KinesisReply reply = client_.Call("PutRecords", body, kCallTimeoutMs);
  switch (reply.outcome) {
    case Outcome::kOk: break;
    case Outcome::kRetry: Backoff(name, s, reply.error); return;
    case Outcome::kNotFound:
      if (!options_.create_streams) {
        FailAll(s, "kinesis: stream '" + name + "' does not exist in region " + options_.region +
                       " at " + options_.endpoint +
                       " (create it, or set sink.kinesis.create_streams: true)");
        return;
      }
      if (KinesisReply c = Create(name); c.ok() || c.outcome == Outcome::kInUse) {
        spdlog::info("kinesis: created stream '{}' ({} shards); waiting until it is ACTIVE", name,
                     options_.shard_count);
        s.creating = true;
        s.next_attempt = Clock::now() + std::chrono::milliseconds(kCreatePollMs);
      } else if (c.outcome == Outcome::kRetry) {
        Backoff(name, s, c.error);
      } else {
        FailAll(s, c.error);
      }
      return;
    case Outcome::kInUse:
    case Outcome::kFailed:
      FailAll(s, reply.error + " (stream '" + name + "', credentials from " +
                     options_.credentials.source + ")");
      return;
  }

  auto parsed = nlohmann::json::parse(reply.body, nullptr, false);
  const nlohmann::json* results = nullptr;
  if (parsed.is_object()) {
    if (auto f = parsed.find("Records"); f != parsed.end() && f->is_array()) results = &*f;
  }
  if (results == nullptr || results->size() != batch.size()) {
    Backoff(name, s,
            "kinesis: PutRecords to stream '" + name +
                "' answered without one result "
                "per record");
    return;
  }
  size_t failed = 0;
  std::string first_error;
  for (size_t n = 0; n < batch.size(); ++n) {
    const auto& res = (*results)[n];
    const bool ok = res.is_object() && res.contains("SequenceNumber") &&
                    (!res.contains("ErrorCode") || res["ErrorCode"].is_null());
    if (!ok) {
      if (failed++ == 0 && res.is_object() && res.contains("ErrorCode") &&
          res["ErrorCode"].is_string()) {
        first_error = res["ErrorCode"].get<std::string>();
      }
      continue;
    }
    Record& r = s.queue[batch[n]];
    r.done = true;
    listener_->OnDelivery(r.opaque, r.bytes, Status::Ok());
  }
  const size_t before = s.queue.size();
  std::erase_if(s.queue, [](const Record& r) { return r.done; });
  queued_ -= before - s.queue.size();
  if (failed > 0) {
    // Kinesis's own retryable per-record errors; retried in order (nothing later of the key
    // was in this call).
    Backoff(name, s,
            "kinesis: PutRecords to stream '" + name + "': records failed with " +
                (first_error.empty() ? std::string("an unknown error") : first_error) +
                ", sent again in order");
  } else {
    Healthy(name, s);
  }
}

void KinesisSink::Poll(int timeout_ms) {
  ReportSkipped();
  if (queued_ == 0) return;
  const auto now = Clock::now();
  auto earliest = Clock::time_point::max();
  bool sent = false;
  for (auto& [name, s] : streams_) {
    if (s.queue.empty()) continue;
    if (now < s.next_attempt) {
      earliest = std::min(earliest, s.next_attempt);
      continue;
    }
    SendBatch(name, s);
    sent = true;
  }
  if (!sent && timeout_ms > 0 && earliest != Clock::time_point::max()) {
    const auto wait =
        std::min(std::chrono::duration_cast<std::chrono::milliseconds>(earliest - now),
                 std::chrono::milliseconds(timeout_ms));
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
  }
}

Status KinesisSink::Flush(int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (queued_ > 0 || !skipped_.empty()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      std::string cause;
      for (const auto& [name, s] : streams_) {
        if (!s.trouble.empty()) cause = " (" + s.trouble + ")";
      }
      return Status::Unavailable("kinesis: " + std::to_string(queued_) +
                                 " events still unacknowledged after " +
                                 std::to_string(timeout_ms) + " ms" + cause);
    }
    Poll(static_cast<int>(std::min<long long>(left, 100)));
  }
  return Status::Ok();
}

Status KinesisSink::CheckReachable(int timeout_ms) {
  KinesisReply r = client_.Call("ListStreams", "{\"Limit\":1}", timeout_ms);
  if (r.ok()) return Status::Ok();
  if (r.outcome == KinesisReply::Outcome::kFailed) {
    return Status::Unavailable(r.error + " (credentials from " + options_.credentials.source + ")");
  }
  return Status::Unavailable(r.error);
}

Result<std::string> KinesisSink::CheckStreams(const std::vector<std::string>& streams,
                                              bool may_create, int timeout_ms) {
  using Outcome = KinesisReply::Outcome;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<std::string> missing, waiting;
  for (const auto& name : streams) {
    std::string status;
    KinesisReply r = Describe(name, &status);
    if (r.outcome == Outcome::kNotFound) {
      missing.push_back(name);
    } else if (!r.ok()) {
      return Status::Unavailable(r.error);
    } else if (status == "CREATING") {
      waiting.push_back(name);
    } else if (status == "DELETING") {
      return Status::FailedPrecondition("kinesis: stream '" + name + "' is being deleted");
    }
  }
  auto joined = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  const std::string where = "in region " + options_.region + " at " + options_.endpoint;
  if (!missing.empty() && !options_.create_streams) {
    return Status::FailedPrecondition("kinesis: " + std::to_string(missing.size()) + " of " +
                                      std::to_string(streams.size()) + " streams do not exist " +
                                      where + ": " + joined(missing) +
                                      " (create them, or set sink.kinesis.create_streams: true)");
  }
  if (!missing.empty() && !may_create) {
    return "kinesis: " + std::to_string(streams.size() - missing.size()) + " of " +
           std::to_string(streams.size()) + " streams exist " + where + "; run creates " +
           joined(missing);
  }
  for (const auto& name : missing) {
    KinesisReply c = Create(name);
    if (!c.ok() && c.outcome != Outcome::kInUse) return Status::Unavailable(c.error);
    spdlog::info("kinesis: created stream '{}' ({} shards)", name, options_.shard_count);
    waiting.push_back(name);
  }
  while (!waiting.empty()) {
    if (Clock::now() >= deadline) {
      return Status::Unavailable("kinesis: streams not ACTIVE after " + std::to_string(timeout_ms) +
                                 " ms: " + joined(waiting));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::string status;
    KinesisReply r = Describe(waiting.back(), &status);
    if (!r.ok() && r.outcome != Outcome::kNotFound) return Status::Unavailable(r.error);
    if (r.ok() && status != "CREATING") waiting.pop_back();
  }
  std::string line = "kinesis: " + std::to_string(streams.size()) +
                     (streams.size() == 1 ? " stream" : " streams") + " ACTIVE " + where;
  if (!missing.empty()) line += " (created " + joined(missing) + ")";
  return line;
}

}  // namespace cdc::sinks
