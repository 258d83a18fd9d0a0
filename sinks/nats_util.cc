#include "sinks/nats_util.h"

#include <vector>

namespace cdc::sinks::nats_util {

std::string NatsError(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  std::string text = natsStatus_GetText(s);
  if (s == NATS_CONNECTION_CLOSED) text = "connection to the NATS server lost";
  if (detail == nullptr) return text;
  // cnats prefixes its detail with "(file.c:line): ", which tells an operator nothing.
  std::string_view d(detail);
  if (!d.empty() && d.front() == '(') {
    const size_t end = d.find("): ");
    if (end != std::string_view::npos) d.remove_prefix(end + 3);
  }
  if (!d.empty() && d != natsStatus_GetText(s)) text += ": " + std::string(d);
  return text;
}

namespace {

std::vector<std::string_view> Tokens(std::string_view subject) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t dot = subject.find('.', start);
    out.push_back(subject.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

}  // namespace

// True when every subject `wanted` matches is also matched by the stream subject `have`
// (NATS wildcards: '*' one token, '>' the rest), so a stream with `have` stores them all.
bool Covers(std::string_view have, std::string_view wanted) {
  const auto h = Tokens(have);
  const auto w = Tokens(wanted);
  for (size_t i = 0; i < h.size(); ++i) {
    if (h[i] == ">") return i < w.size();
    if (i >= w.size() || w[i] == ">") return false;
    if (h[i] != "*" && (w[i] == "*" || h[i] != w[i])) return false;
  }
  return h.size() == w.size();
}

std::string Joined(const char* const* items, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? ", " : "") + std::string(items[i]);
  return out;
}

}  // namespace cdc::sinks::nats_util
