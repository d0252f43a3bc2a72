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

#include <memory>

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
  /// fac.tree_join: the two trees joined. Then `means` is the root's 1 x d
  /// mean, `tokens` those of both, and the other buffers are null.
  std::shared_ptr<const std::pair<TreeBuffers, TreeBuffers>> join;
  /// Only its leaves are known (a limited or flattened join): leaf i is
  /// row i of `means`, and only the cut's buffers are set besides.
  bool flat = false;
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

  /// fac.tree_cut of \p tree; \p predicate is the op's region. With a
  /// rule table \p rules (R x 4 x d: each rule's query, key and value
  /// pattern rows and its substitute), each token the cut keeps that a
  /// rule's pattern matches becomes the first such rule's substitute, in
  /// the pyramid's own rows when \p inPlace, else in a copy. Fails (with
  /// an error) on a predicate op that has no loop form.
  mlir::FailureOr<TreeBuffers> cut(mlir::Location loc, const TreeBuffers &tree,
                                   mlir::Region &predicate,
                                   mlir::Value rules = nullptr,
                                   bool inPlace = false);

  /// fac.tree_join of \p left and \p right: their root's mean, computed
  /// now; the rest is done when the tree is limited or expanded.
  TreeBuffers join(mlir::Location loc, const TreeBuffers &left,
                   const TreeBuffers &right);

  /// fac.tree_limit of \p tree (pyramids and joins of them): the deepest
  /// breadth-first cut whose nodes hold at most \p bytes, as a flat tree.
  mlir::FailureOr<TreeBuffers>
  limit(mlir::Location loc, const TreeBuffers &tree, mlir::Value bytes);

  /// \p tree as a tree whose leaves are known: a join is flattened to its
  /// tokens; any other tree is returned as it is.
  mlir::FailureOr<TreeBuffers> leafForm(mlir::Location loc,
                                        const TreeBuffers &tree);

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
  /// A pyramid or join inside a tree of joins, at \p depth.
  struct Part {
    const TreeBuffers *tree;
    int64_t depth;
  };
  /// The parts of \p tree, depth first, left to right.
  void parts(const TreeBuffers &tree, int64_t depth,
             llvm::SmallVectorImpl<Part> &out);
  /// The width (d) of a tree's tensors, from the kernel's arguments.
  mlir::Value width(mlir::Location loc, const TreeBuffers &tree);
  /// The depth at which every pyramid of \p parts is on its tokens.
  mlir::Value deepestDepth(mlir::Location loc, llvm::ArrayRef<Part> parts);
  /// The level of \p part's pyramid cut at depth \p depth (index).
  mlir::Value partLevel(mlir::Location loc, const Part &part,
                        mlir::Value depth);
  /// The nodes of the breadth-first cut at \p depth of a tree of parts.
  mlir::Value frontierSize(mlir::Location loc, llvm::ArrayRef<Part> parts,
                           mlir::Value depth);
  /// The breadth-first cut of \p tree at \p depth as a flat tree, of at
  /// most \p maxNodes nodes when given.
  TreeBuffers frontier(mlir::Location loc, const TreeBuffers &tree,
                       llvm::ArrayRef<Part> parts, mlir::Value depth,
                       mlir::Value maxNodes = nullptr);
  /// Requires \p condition at the kernel's entry (fac.require).
  void require(mlir::Location loc, mlir::Value condition, llvm::StringRef what);
  mlir::Value index(mlir::Location loc, int64_t v);
  /// A buffer the kernel's workspace will hold, named \p what in the
  /// memory plan (fac-plan-memory).
  mlir::Value alloc(mlir::Location loc, mlir::Type element,
                    llvm::ArrayRef<mlir::Value> sizes, llvm::StringRef what);
  /// Pyramid row, first token and count of leaf \p i.
  std::tuple<mlir::Value, mlir::Value, mlir::Value>
  leaf(mlir::Location loc, const TreeBuffers &tree, mlir::Value i);
  /// The first rule of \p rules whose pattern matches row \p row of
  /// \p means (i64, -1 when none): the prelude's `matches`, each pattern
  /// row within a relative 1e-5 (L1, summed in f64 in order).
  mlir::Value firstMatch(mlir::Location loc, mlir::Value rules,
                         mlir::Value means, mlir::Value row);
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
