//===- TreeBuffers.h - Trees as buffers and loops ---------------*- C++ -*-===//
//
// How fac-bufferize lays out the tree ops' values in buffers and the loops
// that compute them (docs/Rationale.md, "Trees in kernels"):
// - a pyramid over n tokens of width d is one R x d buffer of node means,
//   level by level (level 0 is the tokens; level k has ceil(n / 2^k)
//   nodes; R < 2n + 64), with the count of tokens of each node and each
//   level's first row and size;
// - a cut is the pyramid's rows of its leaves in token order, each with
//   its first token and count; the uncut pyramid's leaves are its tokens.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TRANSFORMS_TREEBUFFERS_H
#define FAC_TRANSFORMS_TREEBUFFERS_H

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/IR/Builders.h"

namespace fac {

/// A tree value in buffers.
struct TreeBuffers {
  mlir::Value means;   ///< R x d f32, node means by level.
  mlir::Value counts;  ///< R i64, tokens per node.
  mlir::Value offsets; ///< 64 i64: the first row of each level.
  mlir::Value sizes;   ///< 64 i64: the nodes of each level.
  mlir::Value levels;  ///< index: how many levels.
  mlir::Value tokens;  ///< index: n.
  mlir::Value source;  ///< The n x d token buffer it was built from.
  /// The cut's leaves (pyramid rows, first tokens, counts: n i64 each)
  /// and how many there are; null for the uncut pyramid.
  mlir::Value cutRows, cutStarts, cutCounts, cutSize;
};

/// Emits the loops of the tree ops of one kernel body; every buffer it
/// allocates is appended to `temporaries` (freed at the kernel's end).
class TreeLowering {
public:
  TreeLowering(mlir::OpBuilder &builder,
               llvm::SmallVectorImpl<mlir::Value> &temporaries)
      : b(builder), temporaries(temporaries) {}

  /// fac.tree_build of the token buffer \p tokens.
  TreeBuffers build(mlir::Location loc, mlir::Value tokens);

  /// fac.tree_cut of \p tree; \p predicate is the op's region. Fails (with
  /// an error) on a predicate op that has no loop form.
  mlir::FailureOr<TreeBuffers> cut(mlir::Location loc, const TreeBuffers &tree,
                                   mlir::Region &predicate);

  /// The rows of a tree's leaves (c x d).
  mlir::Value leaves(mlir::Location loc, const TreeBuffers &tree);

  /// fac.tree_attend: the query leaves, and the keys and values over the
  /// common refinement of their cuts, weighted by count (a log(count)
  /// bias), through the fused fac.attention. Returns the c x dv rows.
  mlir::Value attend(mlir::Location loc, const TreeBuffers &query,
                     const TreeBuffers &key, const TreeBuffers &value,
                     std::optional<int64_t> keyTile);

  /// fac.tree_expand of \p rows (one per leaf of \p tree) into \p out
  /// (one per token).
  void expand(mlir::Location loc, mlir::Value rows, const TreeBuffers &tree,
              mlir::Value out);

  /// The number of leaves of \p tree.
  mlir::Value leafCount(mlir::Location loc, const TreeBuffers &tree);

private:
  mlir::Value index(mlir::Location loc, int64_t v);
  mlir::Value alloc(mlir::Location loc, mlir::Type element,
                    llvm::ArrayRef<mlir::Value> sizes);
  /// Pyramid row, first token and count of leaf \p i.
  std::tuple<mlir::Value, mlir::Value, mlir::Value>
  leaf(mlir::Location loc, const TreeBuffers &tree, mlir::Value i);
  /// Copies row \p from of \p src into row \p to of \p dst.
  void copyRow(mlir::Location loc, mlir::Value src, mlir::Value from,
               mlir::Value dst, mlir::Value to);
  /// The predicate on pyramid row \p row: its ops cloned with the node's
  /// tensor's uses lowered.
  mlir::FailureOr<mlir::Value> predicate(mlir::Location loc,
                                         const TreeBuffers &tree,
                                         mlir::Region &region, mlir::Value row);

  mlir::OpBuilder &b;
  llvm::SmallVectorImpl<mlir::Value> &temporaries;
};

} // namespace fac

#endif // FAC_TRANSFORMS_TREEBUFFERS_H
