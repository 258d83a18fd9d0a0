#include "decoders/base/check.h"

#include <cstdio>
#include <cstdlib>

namespace cdc {

void CheckFailed(const char* file, int line, const char* condition) {
  // stderr, unbuffered, without the logger: it may be what is broken.
  std::fprintf(stderr, "pgcdc: internal check failed at %s:%d: %s\n", file, line, condition);
  std::abort();
}

}  // namespace cdc
