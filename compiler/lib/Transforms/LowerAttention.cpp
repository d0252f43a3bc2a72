//===- LowerAttention.cpp - fac.attention to a fused vector kernel --------===//
//
// Implements convert-fac-to-vector: the conversion pattern that turns
// fac.attention into the fused, flash-style kernel (scf loops over
// vector-dialect arithmetic, one scf.parallel over heads and query blocks),
// and the pass that applies it. The kernel's layout and schedule are in
// docs/Rationale.md, "The attention kernel".
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/KernelTarget.h"
#include "fac/Transforms/Passes.h"

#include "fac/Dialect/FAC/FACDialect.h"
#include "fac/Support/Intrinsics.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/DialectConversion.h"

#include <algorithm>
#include <limits>

namespace fac {
#define GEN_PASS_DEF_CONVERTFACTOVECTOR
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

AttentionSchedule fac::getAttentionSchedule(const KernelTarget &target,
                                            std::optional<int64_t> keyTile) {
  AttentionSchedule s;
  s.lanes = std::clamp<int64_t>(target.vectorLanes, 1, 64);
  int64_t registers = std::clamp<int64_t>(target.vectorRegisters, 8, 64);
  // Four query vectors when there are registers for 6 x 4 accumulators,
  // two otherwise: enough independent FMA chains to cover the latency.
  s.queryVectors = registers >= 32 ? 4 : 2;
  // Accumulators, the query vectors and one broadcast key must fit.
  s.keysPerTile = std::clamp<int64_t>(
      (registers - s.queryVectors - 2) / s.queryVectors, 1, 6);
  s.colsPerTile = std::min<int64_t>(s.keysPerTile, 4);
  int64_t rowBytes = s.queryBlock() * 4;
  // Decoding: up to 4 query rows, scoring row by row costs less than one
  // query block of mostly padding lanes. A chunk's keys and values (at
  // head size 128) fill half the L2, so the query heads and rows sharing
  // them reread them from there.
  s.decodeRows = 4;
  s.decodeChunk =
      std::clamp<int64_t>(target.l2Bytes / 2 / (2 * 128 * 4), 64, 4096);
  if (keyTile) {
    s.keyBlock = *keyTile;
  } else {
    // The block's scores (keyBlock rows of queryBlock() floats) are read
    // once per P.V column tile: keep them in half the L1 cache.
    int64_t fit = std::max<int64_t>(target.l1Bytes / 2 / rowBytes, 1);
    s.keyBlock = std::clamp<int64_t>(fit / s.keysPerTile * s.keysPerTile,
                                     s.keysPerTile, kMaxKeyTile);
  }
  return s;
}

namespace {

/// Moves a builder into the body a loop's body callback is building, and
/// back out at the end of the callback.
struct Nest {
  Nest(OpBuilder &b, OpBuilder &nested) : guard(b) {
    b.setInsertionPointToEnd(nested.getInsertionBlock());
  }
  OpBuilder::InsertionGuard guard;
};

/// Builds the kernel of one fac.attention. Query rows sit in vector lanes:
/// every vector holds one value for each of the W = queryBlock() query rows
/// of a block, so the softmax of a row is lane-wise arithmetic, never a
/// horizontal reduction. Per (head, query block), with scratch of
/// O(W * (d + dv + keyBlock)) floats:
///   Qt[t]  = scale * query[i0 + lane][t]          (d x W, packed once)
///   for each block of keys:
///     St[j] = Qt . key_j (+ bias_j, masked)       (score micro-kernel)
///     running max/sum update, St[j] = exp(St[j] - max)
///     Ot[c] = Ot[c] * correction + sum_j value[j][c] * St[j]
///   out[i0 + lane][c] = Ot[c][lane] / sum[lane]
class AttentionKernel {
public:
  AttentionKernel(AttentionOp op, ImplicitLocOpBuilder &b,
                  const AttentionSchedule &schedule)
      : op(op), b(b), s(schedule), rank(op.getRank()),
        width(schedule.queryBlock()),
        vecType(VectorType::get({width}, b.getF32Type())) {}

  void build() {
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    Value heads = rank == 3 ? dim(q, 0) : idx(1);
    Value kvHeads = rank == 3 ? dim(k, 0) : idx(1);
    n = dim(q, rank - 2);
    d = dim(q, rank - 1);
    m = op.getKeyIndices() ? dim(op.getKeyIndices(), 0) : dim(k, rank - 2);
    // No key/value heads: no keys (every output row is 0, nothing read).
    kvDim = kvHeads;
    m = b.create<arith::SelectOp>(
        b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, kvDim, idx(0)),
        idx(0), m);
    dv = dim(v, rank - 1);
    scale = scoreScale();
    // A negative offset means no mask, as does any offset of m or more:
    // clamped to m, so that row + offset never overflows.
    if (Value offset = op.getCausalOffset()) {
      Value negative =
          b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, offset, idx(0));
      causalOffset = b.create<arith::SelectOp>(
          negative, m, b.create<arith::MinSIOp>(offset, m));
    }
    // Query heads per key/value head (GQA); at least 1 so that a
    // degenerate shape never divides by zero.
    group = b.create<arith::MaxSIOp>(
        b.create<arith::DivUIOp>(heads,
                                 b.create<arith::MaxSIOp>(kvHeads, idx(1))),
        idx(1));
    this->heads = heads;
    // Groups of query heads (the decode path's parallel dimension).
    groups = b.create<arith::DivUIOp>(
        b.create<arith::AddIOp>(heads, b.create<arith::SubIOp>(group, idx(1))),
        group);
    // A few query rows (decoding) would fill a query block's lanes with
    // padding: they take the decode path, whose vectors run along d.
    Value few = b.create<arith::CmpIOp>(arith::CmpIPredicate::sle, n,
                                        idx(s.decodeRows));
    b.create<scf::IfOp>(
        few,
        [&](OpBuilder &nested, Location) {
          Nest nest(b, nested);
          buildDecode();
          b.create<scf::YieldOp>();
        },
        [&](OpBuilder &nested, Location) {
          Nest nest(b, nested);
          Value blocks = b.create<arith::DivUIOp>(
              b.create<arith::AddIOp>(n, idx(width - 1)), idx(width));
          parallelFor(heads, blocks, [&](Value head, Value block) {
            buildQueryBlock(head, block);
          });
          b.create<scf::YieldOp>();
        });
  }

private:
  /// \p alloc, named \p what in the memory plan (fac-plan-memory).
  Value named(memref::AllocOp alloc, StringRef what) {
    alloc->setAttr("fac.buffer", b.getStringAttr(what));
    return alloc;
  }

  /// for (a, b) in [0, ua) x [0, ub): body(a, b). With a thread count the
  /// pairs are shared by that many workers, the iterations of one
  /// scf.parallel, which the LLVM targets turn into an OpenMP work-sharing
  /// loop and the C++ target into `#pragma omp parallel for`. Each output
  /// is computed by one pair in one fixed order, so the result does not
  /// depend on the thread count. Without one, the kernel runs on the
  /// calling thread.
  void parallelFor(Value ua, Value ub,
                   llvm::function_ref<void(Value, Value)> body) {
    if (Value threads = op.getThreads()) {
      // One parallel iteration per thread, a worker: worker w takes pairs
      // w, w + workers, ... in order, so the scratch the body allocates is
      // per worker (fac-plan-memory gives each worker its own slice of the
      // workspace) and a causal triangle's rows are spread evenly.
      Value workers = b.create<arith::MaxSIOp>(
          b.create<arith::IndexCastOp>(b.getIndexType(), threads), idx(1));
      Value pairs = b.create<arith::MulIOp>(ua, ub);
      b.create<scf::ParallelOp>(
          ValueRange{idx(0)}, ValueRange{workers}, ValueRange{idx(1)},
          [&](OpBuilder &nested, Location, ValueRange ivs) {
            Nest nest(b, nested);
            forEach(ivs[0], pairs, workers, [&](Value pair) {
              body(b.create<arith::DivUIOp>(pair, ub),
                   b.create<arith::RemUIOp>(pair, ub));
            });
          });
      return;
    }
    forEach(idx(0), ua, idx(1), [&](Value a) {
      forEach(idx(0), ub, idx(1), [&](Value c) { body(a, c); });
    });
  }

  //===--------------------------------------------------------------------===//
  // The decode path: n <= decodeRows query rows (flash decoding)
  //===--------------------------------------------------------------------===//

  /// The keys are cut into chunks of a fixed size (never a function of
  /// the thread count, so the result is the same for any): each (key/value
  /// head, chunk) is one parallel iteration that computes, for every query
  /// row of every query head sharing the key/value head, the chunk's
  /// partial softmax (its maximum, its sum and its unnormalised P.V row)
  /// with vectors along d; the partials are then merged chunk by chunk in
  /// order. Memory-bound: each key and value row is read once from memory
  /// per call, by one thread.
  void buildDecode() {
    int64_t chunk = s.decodeChunk;
    Value keyEnd = m;
    if (causalOffset)
      keyEnd =
          b.create<arith::MinSIOp>(m, b.create<arith::AddIOp>(n, causalOffset));
    Value chunks = b.create<arith::DivUIOp>(
        b.create<arith::AddIOp>(keyEnd, idx(chunk - 1)), idx(chunk));
    // One partialRow per (query head, chunk, query row). Here n is at most
    // decodeRows: written min(n, decodeRows), the memory plan reserves
    // that, not rows for every query of a prompt.
    Value rowsHere = b.create<arith::MinUIOp>(n, idx(s.decodeRows));
    Value partialRows = b.create<arith::MulIOp>(
        b.create<arith::MulIOp>(heads, chunks), rowsHere);
    Value partialCols = b.create<arith::AddIOp>(dv, idx(2));
    auto dyn2 = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                                b.getF32Type());
    Value partial = named(
        b.create<memref::AllocOp>(dyn2, ValueRange{partialRows, partialCols},
                                  b.getI64IntegerAttr(64)),
        "decode partial softmaxes");
    parallelFor(groups, chunks, [&](Value groupIndex, Value c) {
      buildDecodeChunk(groupIndex, c, chunks, keyEnd, partial);
    });
    // Merge, in chunk order: each chunk's weight exp(max - top) once, in
    // place of its maximum, then the weighted P.V rows.
    forEach(idx(0), heads, idx(1), [&](Value head) {
      forEach(idx(0), n, idx(1), [&](Value i) {
        auto rowOf = [&](Value c) { return partialRow(head, c, chunks, i); };
        Value negInf = f32(-std::numeric_limits<float>::infinity());
        Value top = reduce(chunks, negInf, [&](Value c, Value acc) {
          Value mx =
              b.create<memref::LoadOp>(partial, ValueRange{rowOf(c), idx(0)});
          return b.create<arith::MaxNumFOp>(acc, mx);
        });
        if (hasHooks())
          top = finiteOrZero(top);
        Value total = reduce(chunks, f32(0.0f), [&](Value c, Value acc) {
          Value row = rowOf(c);
          Value mx = b.create<memref::LoadOp>(partial, ValueRange{row, idx(0)});
          Value sum =
              b.create<memref::LoadOp>(partial, ValueRange{row, idx(1)});
          Value w = exp(b.create<arith::SubFOp>(mx, top));
          b.create<memref::StoreOp>(w, partial, ValueRange{row, idx(0)});
          return b.create<math::FmaOp>(sum, w, acc);
        });
        Value positive = b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT,
                                                 total, f32(0.0f));
        Value inv = b.create<arith::SelectOp>(
            positive, b.create<arith::DivFOp>(f32(1.0f), total), f32(0.0f));
        forEach(idx(0), dv, idx(1), [&](Value col) {
          Value acc = reduce(chunks, f32(0.0f), [&](Value c, Value acc) {
            Value row = rowOf(c);
            Value w =
                b.create<memref::LoadOp>(partial, ValueRange{row, idx(0)});
            Value x = b.create<memref::LoadOp>(
                partial, ValueRange{row, b.create<arith::AddIOp>(col, idx(2))});
            return b.create<math::FmaOp>(x, w, acc);
          });
          b.create<memref::StoreOp>(b.create<arith::MulFOp>(acc, inv),
                                    op.getOut(), at(head, i, col));
        });
      });
    });
    b.create<memref::DeallocOp>(partial);
  }

  /// Row (head * chunks + c) * n + i of the decode path's partial
  /// softmaxes: {max, sum, P.V row}.
  Value partialRow(Value head, Value c, Value chunks, Value i) {
    return b.create<arith::AddIOp>(
        b.create<arith::MulIOp>(
            b.create<arith::AddIOp>(b.create<arith::MulIOp>(head, chunks), c),
            n),
        i);
  }

  /// The partial softmax of keys [c * chunk, ...) for every query row of
  /// the query heads of group \p groupIndex. Memory-bound, so the arithmetic
  /// only has to keep up with the loads: scores four keys at a time (four
  /// independent FMA chains along d), the exponentials a vector of
  /// scores at a time, P.V up to eight vectors of columns at a time over
  /// the keys (independent chains again, one pass over each value row).
  /// Every key and value line is prefetched into L2 64 rows ahead: one
  /// core's demand misses alone cannot keep enough lines in flight
  /// (measured: 12 GB/s without, 16-19 with, 8 heads x 32k keys).
  void buildDecodeChunk(Value groupIndex, Value c, Value chunks, Value keyEnd,
                        Value partial) {
    Value kvHead = kvHeadOf(groupIndex);
    Value firstHead = b.create<arith::MulIOp>(groupIndex, group);
    // The group's query heads: `group` of them, fewer in a last, partial
    // group.
    Value groupSize = b.create<arith::MinSIOp>(
        group, b.create<arith::SubIOp>(heads, firstHead));
    int64_t chunk = s.decodeChunk;
    int64_t lanes = s.lanes;
    auto lineType = VectorType::get({lanes}, b.getF32Type());
    Value k0 = b.create<arith::MulIOp>(c, idx(chunk));
    Value count = b.create<arith::MinSIOp>(idx(chunk),
                                           b.create<arith::SubIOp>(keyEnd, k0));
    Value scores = named(
        b.create<memref::AllocOp>(MemRefType::get({chunk}, b.getF32Type()),
                                  ValueRange{}, b.getI64IntegerAttr(64)),
        "decode scores");
    Value dFull = roundDown(d, lanes), dvFull = roundDown(dv, lanes);
    Value zeroLine = b.create<arith::ConstantOp>(
        DenseElementsAttr::get(lineType, b.getF32FloatAttr(0.0f)));
    forEach(idx(0), groupSize, idx(1), [&](Value g) {
      Value head = b.create<arith::AddIOp>(firstHead, g);
      forEach(idx(0), n, idx(1), [&](Value i) {
        // Keys of the chunk row i sees: all, or up to its horizon.
        Value visible = count;
        if (causalOffset) {
          Value horizon = b.create<arith::SubIOp>(
              b.create<arith::AddIOp>(b.create<arith::AddIOp>(i, causalOffset),
                                      idx(1)),
              k0);
          visible = b.create<arith::MaxSIOp>(
              b.create<arith::MinSIOp>(count, horizon), idx(0));
        }
        // A chunk the mask drops for row i: nothing scored (its partial
        // softmax is then empty).
        if (!op.getMask().empty()) {
          Value position = queryPosition(i);
          Value lastKey = b.create<arith::SubIOp>(
              b.create<arith::AddIOp>(k0, visible), idx(1));
          if (Value maybe = maskMaybe(position, position, toI64(k0),
                                      toI64(lastKey), headIndex(head)))
            visible = b.create<arith::SelectOp>(maybe, visible, idx(0));
        }
        // scores[jj .. jj + keys) = q_i . key_j along d, a vector at a
        // time, then the tail of d.
        auto scoreKeys = [&](Value jj, int64_t keys) {
          SmallVector<Value> pos, rows, ahead;
          for (int64_t r = 0; r < keys; ++r) {
            pos.push_back(b.create<arith::AddIOp>(
                b.create<arith::AddIOp>(k0, jj), idx(r)));
            rows.push_back(keyRow(pos.back()));
            ahead.push_back(prefetchRow(pos.back(), keyEnd));
          }
          SmallVector<Value> init(keys, zeroLine);
          auto lines = b.create<scf::ForOp>(
              idx(0), dFull, idx(lanes), init,
              [&](OpBuilder &nested, Location, Value t, ValueRange acc) {
                Nest nest(b, nested);
                Value qv = b.create<vector::LoadOp>(lineType, op.getQuery(),
                                                    at(head, i, t));
                SmallVector<Value> next;
                for (int64_t r = 0; r < keys; ++r) {
                  Value kv = b.create<vector::LoadOp>(lineType, op.getKey(),
                                                      at(kvHead, rows[r], t));
                  b.create<memref::PrefetchOp>(op.getKey(),
                                               at(kvHead, ahead[r], t),
                                               /*isWrite=*/false,
                                               /*localityHint=*/2,
                                               /*isDataCache=*/true);
                  next.push_back(b.create<vector::FMAOp>(qv, kv, acc[r]));
                }
                b.create<scf::YieldOp>(next);
              });
          for (int64_t r = 0; r < keys; ++r) {
            Value dot = b.create<vector::ReductionOp>(
                vector::CombiningKind::ADD, lines.getResult(r));
            dot = reduceFrom(dFull, d, dot, [&](Value t, Value acc) {
              Value qx =
                  b.create<memref::LoadOp>(op.getQuery(), at(head, i, t));
              Value kx =
                  b.create<memref::LoadOp>(op.getKey(), at(kvHead, rows[r], t));
              return b.create<math::FmaOp>(qx, kx, acc);
            });
            Value score = b.create<arith::MulFOp>(dot, scale);
            if (Value bias = op.getBias())
              score = b.create<arith::AddFOp>(
                  score, b.create<memref::LoadOp>(bias, pos[r]));
            if (hasHooks())
              score = applyHooks(score, queryPosition(i), toI64(pos[r]),
                                 headIndex(head));
            b.create<memref::StoreOp>(
                score, scores, b.create<arith::AddIOp>(jj, idx(r)).getResult());
          }
        };
        Value visibleFull = roundDown(visible, 4);
        forEach(idx(0), visibleFull, idx(4),
                [&](Value jj) { scoreKeys(jj, 4); });
        forEach(visibleFull, visible, idx(1),
                [&](Value jj) { scoreKeys(jj, 1); });

        Value negInf = f32(-std::numeric_limits<float>::infinity());
        Value mx = reduce(visible, negInf, [&](Value jj, Value acc) {
          return b.create<arith::MaxNumFOp>(
              acc, b.create<memref::LoadOp>(scores, jj));
        });
        // Every key masked: -inf is stored for the merge, 0 subtracted.
        Value storedMax = mx;
        if (hasHooks())
          mx = finiteOrZero(mx);
        // p = exp(score - max) in place, a vector at a time, then the
        // tail; their sum.
        Value visibleLines = roundDown(visible, lanes);
        Value mxLine = b.create<vector::BroadcastOp>(lineType, mx);
        Value sumLine = reduceFrom(
            idx(0), visibleLines, zeroLine,
            [&](Value jj, Value acc) {
              Value x = b.create<vector::LoadOp>(lineType, scores, jj);
              Value p = exp(b.create<arith::SubFOp>(x, mxLine));
              b.create<vector::StoreOp>(p, scores, jj);
              return b.create<arith::AddFOp>(acc, p);
            },
            lanes);
        Value sum =
            b.create<vector::ReductionOp>(vector::CombiningKind::ADD, sumLine);
        sum = reduceFrom(visibleLines, visible, sum, [&](Value jj, Value acc) {
          Value p = exp(b.create<arith::SubFOp>(
              b.create<memref::LoadOp>(scores, jj), mx));
          b.create<memref::StoreOp>(p, scores, jj);
          return b.create<arith::AddFOp>(acc, p);
        });
        Value row = partialRow(head, c, chunks, i);
        b.create<memref::StoreOp>(storedMax, partial, ValueRange{row, idx(0)});
        b.create<memref::StoreOp>(sum, partial, ValueRange{row, idx(1)});
        // P.V: `vectors` vectors of columns at a time over the visible
        // keys, then the tail columns.
        auto columns = [&](Value col, Value value) {
          b.create<memref::StoreOp>(
              value, partial,
              ValueRange{row, b.create<arith::AddIOp>(col, idx(2))});
        };
        auto valueTile = [&](Value c0, int64_t vectors) {
          SmallVector<Value> init(vectors, zeroLine);
          auto loop = b.create<scf::ForOp>(
              idx(0), visible, idx(1), init,
              [&](OpBuilder &nested, Location, Value jj, ValueRange acc) {
                Nest nest(b, nested);
                Value pos = b.create<arith::AddIOp>(k0, jj);
                Value vrow = keyRow(pos);
                Value ahead = prefetchRow(pos, keyEnd);
                Value p = b.create<vector::BroadcastOp>(
                    lineType, b.create<memref::LoadOp>(scores, jj));
                SmallVector<Value> next;
                for (int64_t r = 0; r < vectors; ++r) {
                  Value col = b.create<arith::AddIOp>(c0, idx(r * lanes));
                  Value x = b.create<vector::LoadOp>(lineType, op.getValue(),
                                                     at(kvHead, vrow, col));
                  b.create<memref::PrefetchOp>(op.getValue(),
                                               at(kvHead, ahead, col),
                                               /*isWrite=*/false,
                                               /*localityHint=*/2,
                                               /*isDataCache=*/true);
                  next.push_back(b.create<vector::FMAOp>(p, x, acc[r]));
                }
                b.create<scf::YieldOp>(next);
              });
          for (int64_t r = 0; r < vectors; ++r)
            for (int64_t l = 0; l < lanes; ++l)
              columns(b.create<arith::AddIOp>(c0, idx(r * lanes + l)),
                      b.create<vector::ExtractOp>(loop.getResult(r), l));
        };
        // Tiles of 8, then 4, then 1 vectors: one pass over each key's
        // value row for the usual head sizes (d = 128 on AVX-512, 64).
        Value done = idx(0);
        for (int64_t vectors : {8, 4}) {
          Value end = b.create<arith::AddIOp>(
              done, roundDown(b.create<arith::SubIOp>(dvFull, done),
                              vectors * lanes));
          forEach(done, end, idx(vectors * lanes),
                  [&](Value c0) { valueTile(c0, vectors); });
          done = end;
        }
        forEach(done, dvFull, idx(lanes), [&](Value c0) { valueTile(c0, 1); });
        forEach(dvFull, dv, idx(1), [&](Value col) {
          Value acc = reduce(visible, f32(0.0f), [&](Value jj, Value a) {
            Value vrow = keyRow(b.create<arith::AddIOp>(k0, jj));
            Value x =
                b.create<memref::LoadOp>(op.getValue(), at(kvHead, vrow, col));
            return b.create<math::FmaOp>(b.create<memref::LoadOp>(scores, jj),
                                         x, a);
          });
          columns(col, acc);
        });
      });
    });
    b.create<memref::DeallocOp>(scores);
  }

  //===--------------------------------------------------------------------===//
  // One (head, query block)
  //===--------------------------------------------------------------------===//

  void buildQueryBlock(Value head, Value block) {
    Value kvHead = kvHeadOf(b.create<arith::DivUIOp>(head, group));
    Value i0 = b.create<arith::MulIOp>(block, idx(width));
    Value rows =
        b.create<arith::MinSIOp>(idx(width), b.create<arith::SubIOp>(n, i0));
    // Scratch, per parallel iteration (so per thread), on the heap: its
    // size follows d and dv, which may be large.
    int64_t stRows = ceilTo(s.keyBlock, s.keysPerTile);
    auto alignment = b.getI64IntegerAttr(64);
    auto dynRows =
        MemRefType::get({ShapedType::kDynamic, width}, b.getF32Type());
    Value qt =
        named(b.create<memref::AllocOp>(dynRows, ValueRange{d}, alignment),
              "query block");
    Value ot =
        named(b.create<memref::AllocOp>(dynRows, ValueRange{dv}, alignment),
              "output block");
    Value st = named(b.create<memref::AllocOp>(
                         MemRefType::get({stRows, width}, b.getF32Type()),
                         ValueRange{}, alignment),
                     "score block");

    // Qt = scale * the block's query rows, transposed; lanes past the
    // last row are 0 (their results are never written).
    Value zeros = splat(0.0f);
    forEach(idx(0), d, idx(1), [&](Value t) {
      b.create<vector::StoreOp>(zeros, qt, ValueRange{t, idx(0)});
    });
    forEach(idx(0), rows, idx(1), [&](Value lane) {
      Value i = b.create<arith::AddIOp>(i0, lane);
      forEach(idx(0), d, idx(1), [&](Value t) {
        Value x = b.create<memref::LoadOp>(op.getQuery(), at(head, i, t));
        b.create<memref::StoreOp>(b.create<arith::MulFOp>(x, scale), qt,
                                  ValueRange{t, lane});
      });
    });
    forEach(idx(0), dv, idx(1), [&](Value c) {
      b.create<vector::StoreOp>(zeros, ot, ValueRange{c, idx(0)});
    });

    // Keys past the last row's horizon are never scored (causal).
    Value keyEnd = m;
    if (causalOffset) {
      Value lastRow =
          b.create<arith::SubIOp>(b.create<arith::AddIOp>(i0, rows), idx(1));
      keyEnd = b.create<arith::MinSIOp>(
          m, b.create<arith::AddIOp>(
                 b.create<arith::AddIOp>(lastRow, causalOffset), idx(1)));
    }
    Value negInf = splat(-std::numeric_limits<float>::infinity());
    auto keyLoop = b.create<scf::ForOp>(
        idx(0), keyEnd, idx(s.keyBlock), ValueRange{negInf, zeros},
        [&](OpBuilder &nested, Location, Value kb, ValueRange carried) {
          Nest nest(b, nested);
          Value count = b.create<arith::MinSIOp>(
              idx(s.keyBlock), b.create<arith::SubIOp>(keyEnd, kb));
          // A key block the mask drops for every row of the query block
          // is not scored (sliding windows, sinks).
          if (!op.getMask().empty()) {
            Value first = queryPosition(i0);
            Value last = b.create<arith::AddIOp>(
                first, toI64(b.create<arith::SubIOp>(rows, idx(1))));
            Value lastKey = b.create<arith::SubIOp>(
                b.create<arith::AddIOp>(kb, count), idx(1));
            if (Value maybe = maskMaybe(first, last, toI64(kb), toI64(lastKey),
                                        headIndex(head)))
              count = b.create<arith::SelectOp>(maybe, count, idx(0));
          }
          SmallVector<Value> next =
              buildKeyBlock(head, kvHead, i0, kb, count, keyEnd, qt, st, ot,
                            carried[0], carried[1]);
          b.create<scf::YieldOp>(next);
        });

    // out = Ot / sum, transposed back; a row with no keys is 0.
    Value sum = keyLoop.getResult(1);
    Value positive =
        b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, sum, zeros);
    Value inv = b.create<arith::SelectOp>(
        positive, b.create<arith::DivFOp>(splat(1.0f), sum), zeros);
    forEach(idx(0), dv, idx(1), [&](Value c) {
      Value o = b.create<vector::LoadOp>(vecType, ot, ValueRange{c, idx(0)});
      b.create<vector::StoreOp>(b.create<arith::MulFOp>(o, inv), ot,
                                ValueRange{c, idx(0)});
    });
    forEach(idx(0), rows, idx(1), [&](Value lane) {
      Value i = b.create<arith::AddIOp>(i0, lane);
      forEach(idx(0), dv, idx(1), [&](Value c) {
        Value o = b.create<memref::LoadOp>(ot, ValueRange{c, lane});
        b.create<memref::StoreOp>(o, op.getOut(), at(head, i, c));
      });
    });
    for (Value buffer : {qt, ot, st})
      b.create<memref::DeallocOp>(buffer);
  }

  /// Scores keys [kb, kb + count), folds them into the running softmax
  /// (runMax, runSum) and into Ot; returns the new (max, sum).
  SmallVector<Value> buildKeyBlock(Value head, Value kvHead, Value i0, Value kb,
                                   Value count, Value keyEnd, Value qt,
                                   Value st, Value ot, Value runMax,
                                   Value runSum) {
    buildScores(kvHead, kb, count, keyEnd, qt, st);
    if (hasHooks())
      buildBlockHooks(head, i0, kb, count, st);
    if (causalOffset)
      buildCausalMask(i0, kb, count, st);

    // The block's maximum per lane, then the new running maximum.
    Value negInf = splat(-std::numeric_limits<float>::infinity());
    Value blockMax = reduce(count, negInf, [&](Value j, Value acc) {
      Value row = b.create<vector::LoadOp>(vecType, st, ValueRange{j, idx(0)});
      return b.create<arith::MaxNumFOp>(acc, row);
    });
    Value newMax = b.create<arith::MaxNumFOp>(runMax, blockMax);
    // A mask may leave a lane with no key yet: its maximum is -inf, and
    // exp(-inf - -inf) would be NaN. Subtracting 0 there instead makes
    // every such exp(-inf) 0; the maximum carried on stays -inf, so the
    // next block's scores are taken from their own maximum.
    Value subtracted = hasHooks() ? finiteOrZero(newMax) : newMax;
    Value correction = exp(b.create<arith::SubFOp>(runMax, subtracted));
    // Probabilities, unnormalised, in place of the scores.
    Value blockSum = reduce(count, splat(0.0f), [&](Value j, Value acc) {
      Value row = b.create<vector::LoadOp>(vecType, st, ValueRange{j, idx(0)});
      Value p = exp(b.create<arith::SubFOp>(row, subtracted));
      b.create<vector::StoreOp>(p, st, ValueRange{j, idx(0)});
      return b.create<arith::AddFOp>(acc, p);
    });
    Value newSum = b.create<math::FmaOp>(runSum, correction, blockSum);
    buildValues(kvHead, kb, count, st, ot, correction);
    return {newMax, newSum};
  }

  //===--------------------------------------------------------------------===//
  // Micro-kernels
  //===--------------------------------------------------------------------===//

  /// St[j] = Qt . key(kb + j) (+ bias), keysPerTile keys at a time: the
  /// accumulators stay in registers over the whole width d; each step
  /// loads one row of Qt (queryVectors registers) and broadcasts one
  /// element of each key. The last tile of the block re-reads the last
  /// key for its missing rows; those rows of St are never used.
  void buildScores(Value kvHead, Value kb, Value count, Value keyEnd, Value qt,
                   Value st) {
    int64_t nr = s.keysPerTile;
    Value lastKey = b.create<arith::SubIOp>(keyEnd, idx(1));
    forEach(idx(0), count, idx(nr), [&](Value jj) {
      SmallVector<Value> keyRows, positions;
      for (int64_t r = 0; r < nr; ++r) {
        Value pos = b.create<arith::MinSIOp>(
            b.create<arith::AddIOp>(b.create<arith::AddIOp>(kb, jj), idx(r)),
            lastKey);
        positions.push_back(pos);
        keyRows.push_back(keyRow(pos));
      }
      SmallVector<Value> init(nr, splat(0.0f));
      auto loop = b.create<scf::ForOp>(
          idx(0), d, idx(1), init,
          [&](OpBuilder &nested, Location, Value t, ValueRange acc) {
            Nest nest(b, nested);
            Value qrow =
                b.create<vector::LoadOp>(vecType, qt, ValueRange{t, idx(0)});
            SmallVector<Value> next;
            for (int64_t r = 0; r < nr; ++r) {
              Value key = b.create<memref::LoadOp>(op.getKey(),
                                                   at(kvHead, keyRows[r], t));
              Value lhs = b.create<vector::BroadcastOp>(vecType, key);
              next.push_back(b.create<vector::FMAOp>(lhs, qrow, acc[r]));
            }
            b.create<scf::YieldOp>(next);
          });
      for (int64_t r = 0; r < nr; ++r) {
        Value score = loop.getResult(r);
        if (Value bias = op.getBias()) {
          Value term = b.create<memref::LoadOp>(bias, positions[r]);
          score = b.create<arith::AddFOp>(
              score, b.create<vector::BroadcastOp>(vecType, term));
        }
        b.create<vector::StoreOp>(
            score, st, ValueRange{b.create<arith::AddIOp>(jj, idx(r)), idx(0)});
      }
    });
  }

  //===--------------------------------------------------------------------===//
  // Hooks: the op's score and mask regions, inlined
  //===--------------------------------------------------------------------===//

  bool hasHooks() { return !op.getScore().empty() || !op.getMask().empty(); }

  Value toI64(Value index) {
    return b.create<arith::IndexCastOp>(b.getI64Type(), index);
  }

  /// The position of query row \p i (index): m - n + i, as i64.
  Value queryPosition(Value i) {
    return toI64(b.create<arith::AddIOp>(b.create<arith::SubIOp>(m, n), i));
  }

  /// The head the hooks see: the query head of a layer, else the op's.
  Value headIndex(Value head) {
    if (rank == 3)
      return toI64(head);
    if (Value given = op.getHead())
      return given;
    return b.create<arith::ConstantIntOp>(0, 64);
  }

  /// \p x where it is finite, else 0 (for a maximum over masked keys).
  Value finiteOrZero(Value x) {
    Value isNegInf = b.create<arith::CmpFOp>(
        arith::CmpFPredicate::OEQ, x,
        like(x, -std::numeric_limits<float>::infinity()));
    return b.create<arith::SelectOp>(isNegInf, like(x, 0.0f), x);
  }

  /// \p v as a vector of \p lanes when it is a scalar and lanes > 0.
  Value widen(Value v, int64_t lanes) {
    if (lanes == 0 || isa<VectorType>(v.getType()))
      return v;
    return b.create<vector::BroadcastOp>(VectorType::get({lanes}, v.getType()),
                                         v);
  }

  /// The value \p region computes for \p args, each a scalar or a vector
  /// (lane-wise, one lane per query row): its ops cloned with vector types
  /// where an operand is a vector, an `if` as a select of both sides,
  /// integer divisions made safe (checkHooks has accepted every op).
  Value emitHook(Region &region, ArrayRef<Value> args) {
    int64_t lanes = 0;
    for (Value a : args)
      if (auto vec = dyn_cast<VectorType>(a.getType()))
        lanes = vec.getDimSize(0);
    IRMapping map;
    for (auto [arg, value] : llvm::zip(region.getArguments(), args))
      map.map(arg, value);
    std::function<Value(Block &)> run = [&](Block &block) -> Value {
      for (Operation &inner : block) {
        auto operand = [&](unsigned k) {
          return map.lookupOrDefault(inner.getOperand(k));
        };
        if (auto yield = dyn_cast<YieldOp>(inner))
          return map.lookupOrDefault(yield.getValues()[0]);
        if (auto branch = dyn_cast<IfOp>(inner)) {
          Value cond = operand(0);
          Value yes = run(branch.getThenRegion().front());
          Value no = run(branch.getElseRegion().front());
          int64_t w = isa<VectorType>(cond.getType()) ||
                              isa<VectorType>(yes.getType()) ||
                              isa<VectorType>(no.getType())
                          ? lanes
                          : 0;
          map.map(branch.getResult(),
                  b.create<arith::SelectOp>(widen(cond, w), widen(yes, w),
                                            widen(no, w)));
          continue;
        }
        SmallVector<Value> operands;
        int64_t w = 0;
        for (unsigned k = 0; k < inner.getNumOperands(); ++k) {
          operands.push_back(operand(k));
          if (isa<VectorType>(operands.back().getType()))
            w = lanes;
        }
        for (Value &v : operands)
          v = widen(v, w);
        auto typed = [&](Type t) -> Type {
          return w ? Type(VectorType::get({w}, t)) : t;
        };
        Value result;
        if (auto call = dyn_cast<IntrinsicOp>(inner)) {
          if (lookupIntrinsic(call.getCallee()) == Intrinsic::Float)
            result =
                b.create<arith::SIToFPOp>(typed(b.getF32Type()), operands[0]);
          else
            result = b.create<math::SqrtOp>(operands[0]);
        } else if (isa<MulOp>(inner)) {
          result =
              operands[0].getType().isF32() ||
                      isa<FloatType>(getElementTypeOrSelf(operands[0]))
                  ? Value(b.create<arith::MulFOp>(operands[0], operands[1]))
                  : Value(b.create<arith::MulIOp>(operands[0], operands[1]));
        } else {
          if (isa<arith::DivSIOp, arith::RemSIOp, arith::DivUIOp,
                  arith::RemUIOp, arith::FloorDivSIOp, arith::CeilDivSIOp>(
                  inner)) {
            // A divisor of 0, and INT64_MIN / -1, are undefined in LLVM
            // and trap on x86: 1 instead. For 0 the result is not used
            // where the spec's `if` did not divide (the interpreter fails
            // on a division by zero it does make); INT64_MIN / 1 and % 1
            // are the interpreter's wrapped INT64_MIN / -1 and % -1.
            Type t = operands[1].getType();
            auto constant = [&](int64_t c) -> Value {
              if (auto vec = dyn_cast<VectorType>(t))
                return b.create<arith::ConstantOp>(DenseElementsAttr::get(
                    vec, b.getIntegerAttr(vec.getElementType(), c)));
              return b.create<arith::ConstantOp>(b.getIntegerAttr(t, c));
            };
            Value bad = b.create<arith::OrIOp>(
                b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, operands[1],
                                        constant(0)),
                b.create<arith::AndIOp>(
                    b.create<arith::CmpIOp>(arith::CmpIPredicate::eq,
                                            operands[1], constant(-1)),
                    b.create<arith::CmpIOp>(
                        arith::CmpIPredicate::eq, operands[0],
                        constant(std::numeric_limits<int64_t>::min()))));
            operands[1] =
                b.create<arith::SelectOp>(bad, constant(1), operands[1]);
          }
          SmallVector<Type> types;
          for (Type t : inner.getResultTypes())
            types.push_back(typed(t));
          OperationState state(inner.getLoc(), inner.getName(), operands, types,
                               inner.getAttrs());
          result = b.create(state)->getResult(0);
        }
        map.map(inner.getResult(0), result);
      }
      llvm_unreachable("a hook's block ends with fac.yield");
    };
    return run(region.front());
  }

  /// \p score of query position \p qpos and key position \p kpos (i64,
  /// or vectors of them) through the hooks: the score hook's value, or
  /// -inf where the mask drops the key.
  Value applyHooks(Value score, Value qpos, Value kpos, Value head) {
    // The lanes of the scores: a hook whose value is the same in every
    // lane (a constant score, a mask of keys only) is broadcast to them.
    int64_t w = 0;
    if (auto vec = dyn_cast<VectorType>(score.getType()))
      w = vec.getDimSize(0);
    if (!op.getScore().empty())
      score = widen(emitHook(op.getScore(), {score, qpos, kpos, head}), w);
    if (!op.getMask().empty()) {
      Value keep = emitHook(op.getMask(), {qpos, kpos, head});
      score = b.create<arith::SelectOp>(
          widen(keep, w), score,
          like(score, -std::numeric_limits<float>::infinity()));
    }
    return score;
  }

  /// What the mask region computes over a rectangle of query positions
  /// [qlo, qhi] and key positions [klo, khi] (i64), by intervals: an i1
  /// that is false only when the mask is false for every pair of it. Null
  /// when an op of the mask has no interval form here (then no block is
  /// skipped). Bounds beyond +-2^52 make it true: no overflow can mislead.
  Value maskMaybe(Value qlo, Value qhi, Value klo, Value khi, Value head) {
    Region &region = op.getMask();
    // An i64's [lo, hi], or an i1's (can be true, can be false).
    DenseMap<Value, std::pair<Value, Value>> range;
    Value yes = b.create<arith::ConstantIntOp>(1, 1);
    Value no = b.create<arith::ConstantIntOp>(0, 1);
    Value sane = yes;
    auto i64c = [&](int64_t v) -> Value {
      return b.create<arith::ConstantIntOp>(v, 64);
    };
    auto bounded = [&](Value lo, Value hi) {
      Value limit = i64c(int64_t(1) << 52);
      Value ok = b.create<arith::AndIOp>(
          b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, lo,
                                  b.create<arith::SubIOp>(i64c(0), limit)),
          b.create<arith::CmpIOp>(arith::CmpIPredicate::sle, hi, limit));
      sane = b.create<arith::AndIOp>(sane, ok);
    };
    Block &body = region.front();
    range[body.getArgument(0)] = {qlo, qhi};
    range[body.getArgument(1)] = {klo, khi};
    range[body.getArgument(2)] = {head, head};
    auto get = [&](Value v) -> std::optional<std::pair<Value, Value>> {
      auto it = range.find(v);
      if (it != range.end())
        return it->second;
      if (region.isAncestor(v.getParentRegion()))
        return std::nullopt;
      // A scalar of the spec: one value.
      if (v.getType().isInteger(64))
        return std::pair{v, v};
      if (v.getType().isInteger(1))
        return std::pair{v, b.create<arith::XOrIOp>(v, yes).getResult()};
      return std::nullopt;
    };
    auto orOf = [&](Value a, Value c) -> Value {
      return b.create<arith::OrIOp>(a, c);
    };
    auto andOf = [&](Value a, Value c) -> Value {
      return b.create<arith::AndIOp>(a, c);
    };
    // [min, max] of x op y over the corners of two ranges: the extremes
    // of an op monotone in each operand (a product, a quotient by a
    // positive divisor).
    auto corners = [&](std::pair<Value, Value> x, std::pair<Value, Value> y,
                       function_ref<Value(Value, Value)> op) {
      Value c1 = op(x.first, y.first), c2 = op(x.first, y.second),
            c3 = op(x.second, y.first), c4 = op(x.second, y.second);
      return std::pair<Value, Value>{
          b.create<arith::MinSIOp>(b.create<arith::MinSIOp>(c1, c2),
                                   b.create<arith::MinSIOp>(c3, c4)),
          b.create<arith::MaxSIOp>(b.create<arith::MaxSIOp>(c1, c2),
                                   b.create<arith::MaxSIOp>(c3, c4))};
    };
    std::function<std::optional<std::pair<Value, Value>>(Block &)> run =
        [&](Block &block) -> std::optional<std::pair<Value, Value>> {
      for (Operation &inner : block) {
        if (auto yield = dyn_cast<YieldOp>(inner))
          return get(yield.getValues()[0]);
        std::optional<std::pair<Value, Value>> result;
        if (auto constant = dyn_cast<arith::ConstantOp>(inner)) {
          if (auto i = dyn_cast<IntegerAttr>(constant.getValue())) {
            // A copy where the ranges are computed: the hook's own op goes
            // with its region.
            if (i.getType().isInteger(64)) {
              Value copy = i64c(i.getInt());
              result = {copy, copy};
            } else if (i.getType().isInteger(1))
              result = i.getValue().isZero() ? std::pair{no, yes}
                                             : std::pair{yes, no};
          }
        } else if (isa<arith::AddIOp, arith::SubIOp>(inner)) {
          auto a = get(inner.getOperand(0)), c = get(inner.getOperand(1));
          if (a && c && inner.getResult(0).getType().isInteger(64)) {
            bounded(a->first, a->second);
            bounded(c->first, c->second);
            if (isa<arith::AddIOp>(inner))
              result = {b.create<arith::AddIOp>(a->first, c->first),
                        b.create<arith::AddIOp>(a->second, c->second)};
            else
              result = {b.create<arith::SubIOp>(a->first, c->second),
                        b.create<arith::SubIOp>(a->second, c->first)};
          }
        } else if (isa<arith::MulIOp>(inner) &&
                   inner.getResult(0).getType().isInteger(64)) {
          // The extremes of the four products; operands within 2^26, so no
          // product overflows.
          auto a = get(inner.getOperand(0)), c = get(inner.getOperand(1));
          if (a && c) {
            Value small = i64c(int64_t(1) << 26);
            for (auto [lo, hi] : {*a, *c})
              sane = andOf(
                  sane, andOf(b.create<arith::CmpIOp>(
                                  arith::CmpIPredicate::sge, lo,
                                  b.create<arith::SubIOp>(i64c(0), small)),
                              b.create<arith::CmpIOp>(arith::CmpIPredicate::sle,
                                                      hi, small)));
            result = corners(*a, *c, [&](Value p, Value q) -> Value {
              return b.create<arith::MulIOp>(p, q);
            });
          }
        } else if (isa<arith::DivSIOp>(inner) &&
                   inner.getResult(0).getType().isInteger(64)) {
          // By a positive divisor (else no block is skipped): truncation is
          // monotone in each operand, so the extremes are at the corners.
          auto a = get(inner.getOperand(0)), c = get(inner.getOperand(1));
          if (a && c) {
            sane =
                andOf(sane, b.create<arith::CmpIOp>(arith::CmpIPredicate::sge,
                                                    c->first, i64c(1)));
            Value one = i64c(1);
            result = corners(*a,
                             {b.create<arith::MaxSIOp>(c->first, one),
                              b.create<arith::MaxSIOp>(c->second, one)},
                             [&](Value p, Value q) -> Value {
                               return b.create<arith::DivSIOp>(p, q);
                             });
          }
        } else if (auto branch = dyn_cast<IfOp>(inner);
                   branch && branch.getType().isInteger(64)) {
          // Either side's values, as the condition can be true or false.
          auto cond = get(branch.getCondition());
          auto then = run(branch.getThenRegion().front());
          auto other = run(branch.getElseRegion().front());
          if (cond && then && other) {
            Value both = andOf(cond->first, cond->second);
            auto pick = [&](Value whenThen, Value whenElse, bool isLow) {
              Value either =
                  isLow
                      ? b.create<arith::MinSIOp>(whenThen, whenElse).getResult()
                      : b.create<arith::MaxSIOp>(whenThen, whenElse)
                            .getResult();
              return b
                  .create<arith::SelectOp>(both, either,
                                           b.create<arith::SelectOp>(
                                               cond->first, whenThen, whenElse))
                  .getResult();
            };
            result = {pick(then->first, other->first, true),
                      pick(then->second, other->second, false)};
          }
        } else if (auto cmp = dyn_cast<arith::CmpIOp>(inner)) {
          auto a = get(cmp.getLhs()), c = get(cmp.getRhs());
          if (a && c && cmp.getLhs().getType().isInteger(64)) {
            using P = arith::CmpIPredicate;
            auto lt = [&](Value x, Value y) -> Value {
              return b.create<arith::CmpIOp>(P::slt, x, y);
            };
            auto le = [&](Value x, Value y) -> Value {
              return b.create<arith::CmpIOp>(P::sle, x, y);
            };
            auto [alo, ahi] = *a;
            auto [clo, chi] = *c;
            switch (cmp.getPredicate()) {
            case P::slt:
              result = {lt(alo, chi), le(clo, ahi)};
              break;
            case P::sle:
              result = {le(alo, chi), lt(clo, ahi)};
              break;
            case P::sgt:
              result = {lt(clo, ahi), le(alo, chi)};
              break;
            case P::sge:
              result = {le(clo, ahi), lt(alo, chi)};
              break;
            case P::eq:
            case P::ne: {
              Value overlap = andOf(le(alo, chi), le(clo, ahi));
              Value single =
                  andOf(andOf(b.create<arith::CmpIOp>(P::eq, alo, ahi),
                              b.create<arith::CmpIOp>(P::eq, clo, chi)),
                        b.create<arith::CmpIOp>(P::eq, alo, clo));
              Value differ = b.create<arith::XOrIOp>(single, yes);
              result = cmp.getPredicate() == P::eq ? std::pair{overlap, differ}
                                                   : std::pair{differ, overlap};
              break;
            }
            default:
              break;
            }
          }
        } else if (isa<arith::AndIOp, arith::OrIOp, arith::XOrIOp>(inner) &&
                   inner.getResult(0).getType().isInteger(1)) {
          auto a = get(inner.getOperand(0)), c = get(inner.getOperand(1));
          if (a && c) {
            if (isa<arith::AndIOp>(inner))
              result = {andOf(a->first, c->first), orOf(a->second, c->second)};
            else if (isa<arith::OrIOp>(inner))
              result = {orOf(a->first, c->first), andOf(a->second, c->second)};
            else
              result = {
                  orOf(andOf(a->first, c->second), andOf(a->second, c->first)),
                  orOf(andOf(a->first, c->first), andOf(a->second, c->second))};
          }
        } else if (auto branch = dyn_cast<IfOp>(inner);
                   branch && branch.getType().isInteger(1)) {
          auto cond = get(branch.getCondition());
          auto yes1 = run(branch.getThenRegion().front());
          auto no1 = run(branch.getElseRegion().front());
          if (cond && yes1 && no1)
            result = {orOf(andOf(cond->first, yes1->first),
                           andOf(cond->second, no1->first)),
                      orOf(andOf(cond->first, yes1->second),
                           andOf(cond->second, no1->second))};
        }
        if (!result)
          return std::nullopt;
        range[inner.getResult(0)] = *result;
      }
      return std::nullopt;
    };
    std::optional<std::pair<Value, Value>> keep = run(body);
    if (!keep)
      return nullptr;
    return orOf(keep->first, b.create<arith::XOrIOp>(sane, yes));
  }

  /// The hooks on a block's scores, a key (a row of St) at a time with the
  /// block's query rows in lanes: positions i0 + l + m - n.
  void buildBlockHooks(Value head, Value i0, Value kb, Value count, Value st) {
    SmallVector<int64_t> laneIds(width);
    for (int64_t l = 0; l < width; ++l)
      laneIds[l] = l;
    auto posVec = VectorType::get({width}, b.getI64Type());
    Value lanes = b.create<arith::ConstantOp>(
        DenseElementsAttr::get(posVec, ArrayRef<int64_t>(laneIds)));
    Value qpos = b.create<arith::AddIOp>(
        lanes, b.create<vector::BroadcastOp>(posVec, queryPosition(i0)));
    Value headValue = headIndex(head);
    forEach(idx(0), count, idx(1), [&](Value j) {
      Value kpos = toI64(b.create<arith::AddIOp>(kb, j));
      Value row = b.create<vector::LoadOp>(vecType, st, ValueRange{j, idx(0)});
      row = applyHooks(row, qpos, kpos, headValue);
      b.create<vector::StoreOp>(row, st, ValueRange{j, idx(0)});
    });
  }

  /// Causal mask of a block that crosses the diagonal: key kb + j is
  /// visible to lane l iff kb + j <= i0 + l + offset, i.e. l >= kb + j -
  /// i0 - offset. Blocks wholly visible to every lane are left alone.
  void buildCausalMask(Value i0, Value kb, Value count, Value st) {
    Value firstHorizon = b.create<arith::AddIOp>(i0, causalOffset);
    Value lastKey =
        b.create<arith::SubIOp>(b.create<arith::AddIOp>(kb, count), idx(1));
    Value crosses = b.create<arith::CmpIOp>(arith::CmpIPredicate::sgt, lastKey,
                                            firstHorizon);
    b.create<scf::IfOp>(crosses, [&](OpBuilder &nested, Location) {
      Nest nest(b, nested);
      SmallVector<int32_t> laneIds(width);
      for (int64_t l = 0; l < width; ++l)
        laneIds[l] = static_cast<int32_t>(l);
      auto intVec = VectorType::get({width}, b.getI32Type());
      Value lanes = b.create<arith::ConstantOp>(
          DenseElementsAttr::get(intVec, ArrayRef<int32_t>(laneIds)));
      Value negInf = splat(-std::numeric_limits<float>::infinity());
      forEach(idx(0), count, idx(1), [&](Value j) {
        // First visible lane, clamped to [0, width] so that it fits i32.
        Value first = b.create<arith::SubIOp>(b.create<arith::AddIOp>(kb, j),
                                              firstHorizon);
        first = b.create<arith::MinSIOp>(
            b.create<arith::MaxSIOp>(first, idx(0)), idx(width));
        Value bound = b.create<vector::BroadcastOp>(
            intVec, b.create<arith::IndexCastOp>(b.getI32Type(), first));
        Value visible =
            b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, lanes, bound);
        Value row =
            b.create<vector::LoadOp>(vecType, st, ValueRange{j, idx(0)});
        b.create<vector::StoreOp>(
            b.create<arith::SelectOp>(visible, row, negInf), st,
            ValueRange{j, idx(0)});
      });
      b.create<scf::YieldOp>();
    });
  }

  /// Ot[c] = Ot[c] * correction + sum_j value(kb + j)[c] * St[j], for
  /// colsPerTile columns at a time with the accumulators in registers,
  /// then one column at a time for the rest of dv.
  void buildValues(Value kvHead, Value kb, Value count, Value st, Value ot,
                   Value correction) {
    auto tile = [&](Value c0, int64_t nc) {
      SmallVector<Value> init;
      for (int64_t r = 0; r < nc; ++r) {
        Value c = b.create<arith::AddIOp>(c0, idx(r));
        Value o = b.create<vector::LoadOp>(vecType, ot, ValueRange{c, idx(0)});
        init.push_back(b.create<arith::MulFOp>(o, correction));
      }
      auto loop = b.create<scf::ForOp>(
          idx(0), count, idx(1), init,
          [&](OpBuilder &nested, Location, Value j, ValueRange acc) {
            Nest nest(b, nested);
            Value row = keyRow(b.create<arith::AddIOp>(kb, j));
            Value p =
                b.create<vector::LoadOp>(vecType, st, ValueRange{j, idx(0)});
            SmallVector<Value> next;
            for (int64_t r = 0; r < nc; ++r) {
              Value c = b.create<arith::AddIOp>(c0, idx(r));
              Value x =
                  b.create<memref::LoadOp>(op.getValue(), at(kvHead, row, c));
              Value lhs = b.create<vector::BroadcastOp>(vecType, x);
              next.push_back(b.create<vector::FMAOp>(lhs, p, acc[r]));
            }
            b.create<scf::YieldOp>(next);
          });
      for (int64_t r = 0; r < nc; ++r)
        b.create<vector::StoreOp>(
            loop.getResult(r), ot,
            ValueRange{b.create<arith::AddIOp>(c0, idx(r)), idx(0)});
    };
    int64_t nc = s.colsPerTile;
    // dv rounded down to a multiple of nc.
    Value full =
        b.create<arith::MulIOp>(b.create<arith::DivUIOp>(dv, idx(nc)), idx(nc));
    forEach(idx(0), full, idx(nc), [&](Value c0) { tile(c0, nc); });
    if (nc > 1)
      forEach(full, dv, idx(1), [&](Value c0) { tile(c0, 1); });
  }

  //===--------------------------------------------------------------------===//
  // Helpers
  //===--------------------------------------------------------------------===//

  /// exp(x), lane-wise, where a lane below -87.5 (exp underflows to a
  /// denormal there; the polynomial's range ends) is exactly 0, so that a
  /// masked or -inf score weighs nothing; NaN stays NaN.
  Value exp(Value x) {
    Value tiny =
        b.create<arith::CmpFOp>(arith::CmpFPredicate::OLT, x, like(x, -87.5f));
    return b.create<arith::SelectOp>(tiny, like(x, 0.0f),
                                     b.create<math::ExpOp>(x));
  }

  /// The factor applied to every q.k: `scale` (or 1), times 1/sqrt(d)
  /// when `rsqrt_d` is set. With d = 0 every q.k is an empty sum, 0, and
  /// so is every score (1/sqrt(0) would make it 0 * inf = NaN): the
  /// factor then uses 1 for d.
  Value scoreScale() {
    Value factor = op.getScale() ? op.getScale() : f32(1.0f);
    if (!op.getRsqrtD())
      return factor;
    Value atLeastOne = b.create<arith::MaxSIOp>(d, idx(1));
    Value width = b.create<arith::SIToFPOp>(
        b.getF32Type(),
        b.create<arith::IndexCastOp>(b.getI64Type(), atLeastOne));
    return b.create<arith::MulFOp>(factor, b.create<math::RsqrtOp>(width));
  }

  /// The row the decode path prefetches while it reads list position
  /// \p pos: kPrefetchKeys positions ahead (32 KB at d = 128), within the
  /// keys it reads.
  Value prefetchRow(Value pos, Value keyEnd) {
    constexpr int64_t kPrefetchKeys = 64;
    Value ahead = b.create<arith::MinSIOp>(
        b.create<arith::AddIOp>(pos, idx(kPrefetchKeys)),
        b.create<arith::SubIOp>(keyEnd, idx(1)));
    return keyRow(ahead);
  }

  /// The key/value head that group \p groupIndex of query heads reads:
  /// the group's own, or the last one when H is not a multiple of Hkv (a
  /// broken precondition, which must still read inside the buffers).
  Value kvHeadOf(Value groupIndex) {
    return b.create<arith::MinSIOp>(
        groupIndex, b.create<arith::MaxSIOp>(
                        b.create<arith::SubIOp>(kvDim, idx(1)), idx(0)));
  }

  /// The key/value row of list position \p pos.
  Value keyRow(Value pos) {
    Value indices = op.getKeyIndices();
    if (!indices)
      return pos;
    Value row = b.create<memref::LoadOp>(indices, pos);
    return b.create<arith::IndexCastOp>(b.getIndexType(), row);
  }

  /// Indices of element (row, col) of \p head in a buffer of this op's rank.
  SmallVector<Value> at(Value head, Value row, Value col) {
    if (rank == 3)
      return {head, row, col};
    return {row, col};
  }

  Value dim(Value buffer, int64_t i) {
    return b.create<memref::DimOp>(buffer, i);
  }
  Value idx(int64_t v) { return b.create<arith::ConstantIndexOp>(v); }
  Value f32(float v) {
    return b.create<arith::ConstantOp>(b.getF32FloatAttr(v));
  }
  /// \p v as a value of \p x's type (f32 or a vector of f32).
  Value like(Value x, float v) {
    auto vec = dyn_cast<VectorType>(x.getType());
    if (!vec)
      return f32(v);
    return b.create<arith::ConstantOp>(
        DenseElementsAttr::get(vec, b.getF32FloatAttr(v)));
  }
  Value splat(float v) {
    return b.create<arith::ConstantOp>(
        DenseElementsAttr::get(vecType, b.getF32FloatAttr(v)));
  }
  static int64_t ceilTo(int64_t x, int64_t multiple) {
    return (x + multiple - 1) / multiple * multiple;
  }

  /// for (iv = lb; iv < ub; iv += step) body(iv);
  void forEach(Value lb, Value ub, Value step,
               llvm::function_ref<void(Value)> body) {
    b.create<scf::ForOp>(
        lb, ub, step, ValueRange{},
        [&](OpBuilder &nested, Location, Value iv, ValueRange) {
          Nest nest(b, nested);
          body(iv);
          b.create<scf::YieldOp>();
        });
  }

  /// acc = init; for (j = 0; j < upper; ++j) acc = body(j, acc);
  Value reduce(Value upper, Value init,
               llvm::function_ref<Value(Value, Value)> body) {
    return reduceFrom(idx(0), upper, init, body);
  }
  Value reduceFrom(Value lower, Value upper, Value init,
                   llvm::function_ref<Value(Value, Value)> body,
                   int64_t step = 1) {
    auto loop = b.create<scf::ForOp>(
        lower, upper, idx(step), ValueRange{init},
        [&](OpBuilder &nested, Location, Value iv, ValueRange acc) {
          Nest nest(b, nested);
          b.create<scf::YieldOp>(body(iv, acc[0]));
        });
    return loop.getResult(0);
  }
  /// \p x rounded down to a multiple of \p multiple.
  Value roundDown(Value x, int64_t multiple) {
    return b.create<arith::MulIOp>(b.create<arith::DivUIOp>(x, idx(multiple)),
                                   idx(multiple));
  }

  AttentionOp op;
  ImplicitLocOpBuilder &b;
  AttentionSchedule s;
  int64_t rank;
  int64_t width;
  VectorType vecType;
  Value n, d, m, dv, scale, group, groups, heads, kvDim;
  Value causalOffset;
};

/// Whether every op of the hooks of \p op has a lane-wise form: arith and
/// math ops, `if`, `float`, `sqrt` and scalar products; else an error at
/// the first that has none.
LogicalResult checkHooks(AttentionOp op) {
  for (Region *region : {&op.getScore(), &op.getMask()}) {
    WalkResult result = region->walk([&](Operation *inner) {
      if (isa<arith::ArithDialect, math::MathDialect>(inner->getDialect()) ||
          isa<YieldOp, IfOp>(inner))
        return WalkResult::advance();
      if (auto mul = dyn_cast<MulOp>(inner);
          mul && mul.getType().isIntOrFloat())
        return WalkResult::advance();
      if (auto call = dyn_cast<IntrinsicOp>(inner);
          call && (lookupIntrinsic(call.getCallee()) == Intrinsic::Float ||
                   lookupIntrinsic(call.getCallee()) == Intrinsic::Sqrt))
        return WalkResult::advance();
      inner->emitError("this does not compile in an attention hook ('")
          << inner->getName()
          << "'): a hook compiles when it computes on its arguments and on "
             "scalars of the spec with arithmetic, comparisons, `and`, `or`, "
             "`not`, `if`, `float` and the functions of Floats (sqrt exp "
             "log tanh abs min max)";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      return failure();
  }
  return success();
}

struct AttentionLowering : public OpConversionPattern<AttentionOp> {
  AttentionLowering(MLIRContext *context, const KernelTarget &target)
      : OpConversionPattern(context), target(target) {}

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The thread count sizes the kernel's parallel region when the region
    // becomes OpenMP (fac-set-num-threads, the C++ target's num_threads):
    // it must be an argument of the kernel, which is marked `fac.threads`.
    if (Value threads = op.getThreads()) {
      auto arg = dyn_cast<BlockArgument>(threads);
      auto func = dyn_cast_or_null<func::FuncOp>(
          arg ? arg.getOwner()->getParentOp() : nullptr);
      if (!func)
        return op.emitOpError(
            "needs its thread count to be an argument of its function");
      func.setArgAttr(arg.getArgNumber(), "fac.threads",
                      rewriter.getUnitAttr());
    }
    if (failed(checkHooks(op)))
      return failure();
    std::optional<int64_t> keyTile;
    if (auto attr = op.getKeyTileAttr())
      keyTile = attr.getInt();
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    AttentionKernel(op, b, getAttentionSchedule(target, keyTile)).build();
    rewriter.eraseOp(op);
    return success();
  }

  KernelTarget target;
};

struct ConvertFACToVectorPass
    : public fac::impl::ConvertFACToVectorBase<ConvertFACToVectorPass> {
  using ConvertFACToVectorBase::ConvertFACToVectorBase;

  void runOnOperation() override {
    KernelTarget target;
    target.vectorLanes = lanes;
    target.vectorRegisters = registers;
    target.l1Bytes = l1Bytes;
    target.l2Bytes = l2Bytes;
    if (lanes < 1 || lanes > 64 || registers < 8 || registers > 64 ||
        l1Bytes < 1024 || l2Bytes < 1024) {
      emitError(getOperation().getLoc(),
                "convert-fac-to-vector: lanes must be 1-64, registers "
                "8-64, and the caches at least 1 KB");
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateFACToVectorPatterns(patterns, target);
    ConversionTarget legal(getContext());
    legal.addLegalDialect<arith::ArithDialect, math::MathDialect,
                          memref::MemRefDialect, scf::SCFDialect,
                          vector::VectorDialect>();
    // Nothing of the fac dialect has a form below this level.
    legal.addIllegalDialect<FACDialect>();
    if (failed(
            applyPartialConversion(getOperation(), legal, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void fac::populateFACToVectorPatterns(RewritePatternSet &patterns,
                                      const KernelTarget &target) {
  patterns.add<AttentionLowering>(patterns.getContext(), target);
}
