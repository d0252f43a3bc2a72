//===- StackGuard.cpp - How deep the current thread may recurse -----------===//

#include "fac/Support/StackGuard.h"

#include "llvm/Support/thread.h"

#if defined(__linux__)
#include <pthread.h>
#endif

using namespace fac;

static uintptr_t computeStackFloor() {
  uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  // Without the thread's bounds, allow 1 MB below this frame.
  uintptr_t floor =
      here > (uintptr_t(1) << 20) ? here - (uintptr_t(1) << 20) : 0;
#if defined(__linux__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void *low = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &low, &size) == 0 && low &&
        reinterpret_cast<uintptr_t>(low) + kStackHeadroom < here)
      floor = reinterpret_cast<uintptr_t>(low) + kStackHeadroom;
    pthread_attr_destroy(&attr);
  }
#endif
  return floor;
}

uintptr_t fac::getStackFloor() {
  // glibc reads /proc for the main thread's bounds: once per thread.
  static thread_local uintptr_t cached = 0;
  if (!cached)
    cached = computeStackFloor();
  return cached;
}

/// Whether this thread is one runOnLargeStack made: nested calls (facc's
/// compile() calling parseModule) run in place.
static thread_local bool onLargeStack = false;

int fac::runOnLargeStack(llvm::function_ref<int()> body) {
  if (onLargeStack)
    return body();
  int result = 0;
  llvm::thread worker(std::optional<unsigned>(kLargeStackBytes), [&] {
    onLargeStack = true;
    result = body();
  });
  if (!worker.joinable())
    return body();
  worker.join();
  return result;
}
