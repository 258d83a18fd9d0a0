#pragma once

// Clang's thread-safety analysis (-Wthread-safety, on in every clang build: CI's fuzz pass is
// one), as leveldb and Abseil use it: members say which mutex guards them, and the compiler
// checks every access holds it. GCC ignores the attributes.
//
// std::mutex carries no annotations in libstdc++, so guarded state uses cdc::Mutex and
// cdc::MutexLock, thin wrappers that do.

#include <mutex>

#if defined(__clang__)
#define CDC_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define CDC_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) CDC_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY CDC_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) CDC_THREAD_ANNOTATION(guarded_by(x))
#define REQUIRES(...) CDC_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) CDC_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) CDC_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EXCLUDES(...) CDC_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS CDC_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace cdc {

class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds `mu` for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* mu_;
};

}  // namespace cdc
