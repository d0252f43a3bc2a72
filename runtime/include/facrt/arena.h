/*===- arena.h - A bump allocator with a limit ---------------------*- C -*-===*
 *
 * The arena the memory-limit experiments allocate from.
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_ARENA_H
#define FACRT_ARENA_H

#include "facrt/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/*===-- Memory arena ------------------------------------------------------===*/

/// A bump allocator with a hard byte limit: it refuses, with
/// FACRT_ERR_LIMIT, any allocation that would take it past the limit.
typedef struct facrt_arena facrt_arena;

facrt_status facrt_arena_new(size_t limit_bytes, facrt_arena **out);
void facrt_arena_free(facrt_arena *arena);
/// \p bytes aligned to \p align (a power of two), or NULL with *status set.
void *facrt_arena_alloc(facrt_arena *arena, size_t bytes, size_t align,
                        facrt_status *status);
/// Bytes handed out so far, alignment padding included.
size_t facrt_arena_used(const facrt_arena *arena);
/// The most bytes ever in use at once.
size_t facrt_arena_peak(const facrt_arena *arena);
/// Forgets every allocation (the memory is reused).
void facrt_arena_reset(facrt_arena *arena);

#ifdef __cplusplus
}
#endif

#endif /* FACRT_ARENA_H */
