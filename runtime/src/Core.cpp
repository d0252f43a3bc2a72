//===- Core.cpp - Status codes, tensors, views and timers -----------------===//
//
// The basic pieces of libfacrt that everything else uses.
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" const char *facrt_status_str(facrt_status status) {
  switch (status) {
  case FACRT_OK:
    return "ok";
  case FACRT_ERR_IO:
    return "cannot read file";
  case FACRT_ERR_FORMAT:
    return "malformed file";
  case FACRT_ERR_CHECKSUM:
    return "sha256 mismatch";
  case FACRT_ERR_ARG:
    return "invalid argument";
  case FACRT_ERR_NOMEM:
    return "out of memory";
  case FACRT_ERR_LIMIT:
    return "memory limit exceeded";
  }
  return "unknown status";
}

extern "C" facrt_status facrt_tensor_alloc(facrt_tensor *t, int64_t rows,
                                           int64_t cols) {
  if (!t || rows < 0 || cols < 0)
    return FACRT_ERR_ARG;
  constexpr size_t kAlign = 64;
  // rows * cols * 4 bytes, rounded up to the alignment, must not wrap.
  size_t bytes;
  if (__builtin_mul_overflow(static_cast<size_t>(rows),
                             static_cast<size_t>(cols), &bytes) ||
      __builtin_mul_overflow(bytes, sizeof(float), &bytes) ||
      bytes > SIZE_MAX - kAlign)
    return FACRT_ERR_NOMEM;
  size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  void *p = std::aligned_alloc(kAlign, rounded ? rounded : kAlign);
  if (!p)
    return FACRT_ERR_NOMEM;
  std::memset(p, 0, rounded ? rounded : kAlign);
  t->data = static_cast<float *>(p);
  t->rows = rows;
  t->cols = cols;
  return FACRT_OK;
}

extern "C" void facrt_tensor_free(facrt_tensor *t) {
  if (!t)
    return;
  std::free(t->data);
  t->data = nullptr;
  t->rows = t->cols = 0;
}

extern "C" facrt_status facrt_workspace_reserve(facrt_workspace *w,
                                                int64_t bytes) {
  if (!w || bytes < 0)
    return FACRT_ERR_ARG;
  if (w->data && w->bytes >= bytes)
    return FACRT_OK;
  constexpr size_t kAlign = 64;
  // No kernel plans more than 2^62 bytes (fac-plan-memory refuses it).
  if (bytes > (int64_t(1) << 62))
    return FACRT_ERR_NOMEM;
  size_t rounded = (static_cast<size_t>(bytes) + kAlign - 1) / kAlign * kAlign;
  void *p = std::aligned_alloc(kAlign, rounded ? rounded : kAlign);
  if (!p)
    return FACRT_ERR_NOMEM;
  std::free(w->data);
  w->data = p;
  w->bytes = bytes;
  return FACRT_OK;
}

extern "C" void facrt_workspace_free(facrt_workspace *w) {
  if (!w)
    return;
  std::free(w->data);
  w->data = nullptr;
  w->bytes = 0;
}

extern "C" fac_memref2d_f32
facrt_view2d(float *base, int64_t rows, int64_t cols, int64_t ld, int64_t col) {
  fac_memref2d_f32 view;
  view.allocated = base;
  view.aligned = base;
  view.offset = col;
  view.sizes[0] = rows;
  view.sizes[1] = cols;
  view.strides[0] = ld;
  view.strides[1] = 1;
  return view;
}

extern "C" double facrt_now_seconds(void) {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}
