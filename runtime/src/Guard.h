//===- Guard.h - No C++ exception crosses the C ABI -----------------------===//
//
// Every libfacrt entry point that may allocate runs its body through one of
// these, so that std::bad_alloc, std::length_error or any other exception
// thrown by the standard library becomes a status (or the call's documented
// error value) instead of unwinding into C code or aborting the caller.
//
//===----------------------------------------------------------------------===//

#ifndef FACRT_GUARD_H
#define FACRT_GUARD_H

#include "facrt/facrt.h"

#include <new>
#include <stdexcept>

namespace facrt {

/// Runs \p body, a callable returning a facrt_status: an allocation that
/// fails or a size the standard library refuses is FACRT_ERR_NOMEM, any
/// other exception FACRT_ERR_ARG.
template <typename Body> facrt_status guard(Body &&body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return FACRT_ERR_NOMEM;
  } catch (const std::length_error &) {
    return FACRT_ERR_NOMEM;
  } catch (...) {
    return FACRT_ERR_ARG;
  }
}

/// Runs \p body; \p onError is the result when it throws.
template <typename T, typename Body>
T guardOr(T onError, Body &&body) noexcept {
  try {
    return body();
  } catch (...) {
    return onError;
  }
}

} // namespace facrt

#endif // FACRT_GUARD_H
