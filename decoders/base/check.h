#pragma once

// Invariants that must hold, checked the way Envoy and leveldb do it:
//   CDC_CHECK(cond)  always on: a broken invariant would corrupt the offsets or skip data, so the
//                    process stops with one line naming the file, line and condition;
//   CDC_DCHECK(cond) debug builds only (NDEBUG unset): costly or hot-path checks.
// Neither is for input from the network or the user: those get a Status.

namespace cdc {

[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);

}  // namespace cdc

#define CDC_CHECK(cond)                                         \
  do {                                                          \
    if (!(cond)) ::cdc::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (0)

#ifdef NDEBUG
#define CDC_DCHECK(cond) \
  do {                   \
    (void)sizeof(cond);  \
  } while (0)
#else
#define CDC_DCHECK(cond) CDC_CHECK(cond)
#endif
