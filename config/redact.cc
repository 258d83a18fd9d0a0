#include "config/redact.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_set>
#include <vector>

namespace cdc::config {

namespace {

constexpr size_t kPiece = 4;

uint32_t PieceAt(std::string_view s, size_t i) {
  uint32_t v = 0;
  for (size_t k = 0; k < kPiece; ++k) v = (v << 8) | static_cast<unsigned char>(s[i + k]);
  return v;
}

// Every 4-byte piece of every secret: a text run made only of such pieces may be (a fragment of)
// a secret. Pieces rather than whole values, because libpq and others quote parts of a value.
struct Pieces {
  std::mutex mu;
  std::unordered_set<uint32_t> set;  // guarded by mu
  std::atomic<bool> any{false};      // lets Redact skip the lock until a secret exists
};

Pieces& Registry() {
  static Pieces* p = new Pieces();  // never destroyed: logging may run during static teardown
  return *p;
}

bool Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

void AddSecret(std::string_view secret) {
  if (secret.size() < kPiece) return;
  Pieces& r = Registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (size_t i = 0; i + kPiece <= secret.size(); ++i) r.set.insert(PieceAt(secret, i));
  r.any.store(true, std::memory_order_release);
}

std::string Redact(std::string_view text) {
  Pieces& r = Registry();
  if (text.size() < kPiece || !r.any.load(std::memory_order_acquire)) return std::string(text);
  std::vector<bool> masked(text.size(), false);
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    for (size_t i = 0; i + kPiece <= text.size(); ++i) {
      if (r.set.count(PieceAt(text, i)) == 0) continue;
      for (size_t k = i; k < i + kPiece; ++k) masked[k] = true;
      found = true;
    }
  }
  if (!found) return std::string(text);
  // Widen each masked run to whole UTF-8 characters, so that no broken sequence is printed.
  for (size_t i = 0; i < text.size(); ++i) {
    if (!masked[i]) continue;
    if (i == 0 || !masked[i - 1]) {
      for (size_t j = i; j > 0 && Continuation(text[j]); --j) masked[j - 1] = true;
    }
    if (i + 1 == text.size() || !masked[i + 1]) {
      for (size_t j = i + 1; j < text.size() && Continuation(text[j]); ++j) masked[j] = true;
    }
  }
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (!masked[i]) {
      out.push_back(text[i]);
    } else if (i == 0 || !masked[i - 1]) {
      out.append(kRedacted);
    }
  }
  return out;
}

}  // namespace cdc::config
