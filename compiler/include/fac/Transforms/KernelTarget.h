//===- KernelTarget.h - What a kernel lowering asks of a target -*- C++ -*-===//
//
// The facts about a target's cores that size the attention kernel's tiles
// and vectors. Each TargetInfo answers with its own (getKernelTarget), facc
// hands them to the lowering, and fac-opt takes them as pass options, so
// the lowering itself never names a target.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TRANSFORMS_KERNELTARGET_H
#define FAC_TRANSFORMS_KERNELTARGET_H

#include <cstdint>
#include <optional>

namespace fac {

/// The defaults are facc's default target, x86-64-avx2.
struct KernelTarget {
  /// f32 lanes of one vector register: 16 for AVX-512, 8 for AVX2, 4 for
  /// SSE and NEON.
  int64_t vectorLanes = 8;
  /// Architectural vector registers: 32 for AVX-512 and NEON, 16 for AVX2
  /// and SSE.
  int64_t vectorRegisters = 16;
  /// Data cache sizes of one core, in bytes.
  int64_t l1Bytes = 32 * 1024;
  int64_t l2Bytes = 1024 * 1024;
};

/// The tiles of the fused attention kernel for one target (see
/// docs/Rationale.md, "The attention kernel"). Query rows sit in vector
/// lanes: a query block is `queryVectors` registers wide, the score
/// micro-kernel keeps `keysPerTile` x `queryVectors` accumulators, the
/// P.V micro-kernel `colsPerTile` x `queryVectors`.
struct AttentionSchedule {
  int64_t lanes;
  int64_t queryVectors;
  int64_t keysPerTile;
  int64_t colsPerTile;
  /// Keys scored between two rescalings of the running softmax.
  int64_t keyBlock;
  /// At most this many query rows take the decode path (vectors along d,
  /// keys split into chunks of `decodeChunk`, flash decoding).
  int64_t decodeRows;
  int64_t decodeChunk;

  /// Query rows per block: the width of every vector in the kernel.
  int64_t queryBlock() const { return lanes * queryVectors; }
};

/// The schedule for \p target; \p keyTile, when given, fixes the key
/// block instead of the L1 size.
AttentionSchedule getAttentionSchedule(const KernelTarget &target,
                                       std::optional<int64_t> keyTile);

} // namespace fac

#endif // FAC_TRANSFORMS_KERNELTARGET_H
