#include "sinks/stdout_sink.h"

#include <cerrno>
#include <cstring>

namespace cdc::sinks {

namespace {

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace

Status StdoutSink::Send(const ChangeEvent& ev, void* opaque) {
  // Key and value are JSON documents already; they are embedded as JSON, not re-quoted.
  line_.clear();
  line_.append("{\"topic\":");
  AppendJsonString(&line_, ev.topic);
  line_.append(",\"key\":");
  line_.append(ev.key ? *ev.key : "null");
  line_.append(",\"value\":");
  line_.append(ev.value ? *ev.value : "null");
  if (!ev.headers.empty()) {
    line_.append(",\"headers\":{");
    for (size_t i = 0; i < ev.headers.size(); ++i) {
      if (i) line_.push_back(',');
      AppendJsonString(&line_, ev.headers[i].name);
      line_.push_back(':');
      AppendJsonString(&line_, ev.headers[i].value);
    }
    line_.push_back('}');
  }
  line_.append("}\n");
  if (std::fwrite(line_.data(), 1, line_.size(), out_) != line_.size()) {
    return Status::DeliveryFailed(std::string("stdout: write failed: ") + std::strerror(errno));
  }
  pending_.emplace_back(opaque, ev.size_bytes());
  return Status::Ok();
}

void StdoutSink::Poll(int) {
  if (pending_.empty()) return;
  Status s =
      std::fflush(out_) == 0
          ? Status::Ok()
          : Status::DeliveryFailed(std::string("stdout: flush failed: ") + std::strerror(errno));
  std::vector<std::pair<void*, size_t>> done;
  done.swap(pending_);
  for (const auto& [opaque, bytes] : done) listener_->OnDelivery(opaque, bytes, s);
}

Status StdoutSink::Flush(int timeout_ms) {
  Poll(timeout_ms);
  return Status::Ok();
}

}  // namespace cdc::sinks
