//===- Arena.cpp - A bump allocator with a hard byte limit ----------------===//
//
// Kernels and passes that plan memory under a budget allocate from an
// arena that refuses, rather than exceeds, its limit.
//
//===----------------------------------------------------------------------===//

#include "Guard.h"

#include "facrt/facrt.h"

#include <cstdlib>
#include <memory>

struct facrt_arena {
  std::unique_ptr<unsigned char, void (*)(void *)> base{nullptr, &std::free};
  size_t limit = 0;
  size_t used = 0;
  size_t peak = 0;
};

static facrt_status arenaNewImpl(size_t limit_bytes, facrt_arena **out) {
  if (!out)
    return FACRT_ERR_ARG;
  *out = nullptr;
  auto arena = std::make_unique<facrt_arena>();
  // Reserve the whole budget up front: an arena never grows.
  arena->base.reset(
      static_cast<unsigned char *>(std::malloc(limit_bytes ? limit_bytes : 1)));
  if (!arena->base)
    return FACRT_ERR_NOMEM;
  arena->limit = limit_bytes;
  *out = arena.release();
  return FACRT_OK;
}

extern "C" void facrt_arena_free(facrt_arena *arena) { delete arena; }

extern "C" void *facrt_arena_alloc(facrt_arena *arena, size_t bytes,
                                   size_t align, facrt_status *status) {
  auto fail = [&](facrt_status s) -> void * {
    if (status)
      *status = s;
    return nullptr;
  };
  if (!arena || align == 0 || (align & (align - 1)) != 0)
    return fail(FACRT_ERR_ARG);
  uintptr_t base = reinterpret_cast<uintptr_t>(arena->base.get());
  uintptr_t at = (base + arena->used + align - 1) & ~(uintptr_t(align) - 1);
  size_t end = at - base;
  if (end > arena->limit || bytes > arena->limit - end)
    return fail(FACRT_ERR_LIMIT);
  arena->used = end + bytes;
  if (arena->used > arena->peak)
    arena->peak = arena->used;
  if (status)
    *status = FACRT_OK;
  return reinterpret_cast<void *>(at);
}

extern "C" size_t facrt_arena_used(const facrt_arena *arena) {
  return arena ? arena->used : 0;
}

extern "C" size_t facrt_arena_peak(const facrt_arena *arena) {
  return arena ? arena->peak : 0;
}

extern "C" void facrt_arena_reset(facrt_arena *arena) {
  if (arena)
    arena->used = 0;
}

//===----------------------------------------------------------------------===//
// The C ABI: no exception crosses it (Guard.h).
//===----------------------------------------------------------------------===//

extern "C" facrt_status facrt_arena_new(size_t limit_bytes, facrt_arena **out) {
  return facrt::guard([&] { return arenaNewImpl(limit_bytes, out); });
}
