//===- TensorBuffers.h - The tensor algebra as loops on buffers -*- C++ -*-===//
//
// How fac-bufferize computes the prelude's tensor algebra (Prelude.fac,
// "Tensor algebra") on a kernel's buffers (docs/Rationale.md, "The tensor
// algebra in kernels"). A kernel's tensors are matrices: rows x columns
// f32 buffers with unit column stride. Each op is a loop nest writing a
// buffer of its own (or `out`); a row slice is a view. Two forms of rank 3
// exist only between the ops that make and read them: `reshape(t, [g, b,
// d])` (t's rows in groups of b), read by a reduction along axis 1, whose
// [g, 1, d] result only `reshape` reads. `topk`'s indices are an i64
// buffer, which only `gather` reads. An Int8Tensor (`quantize`'s codes) is
// an i8 buffer.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TRANSFORMS_TENSORBUFFERS_H
#define FAC_TRANSFORMS_TENSORBUFFERS_H

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/IR/Builders.h"

#include <functional>
#include <tuple>

namespace fac {

/// Loops from 0 by 1 to each of \p ends (outermost first) around \p body:
/// scf::buildLoopNest.
void buildLoops(mlir::OpBuilder &builder, mlir::Location loc,
                mlir::ValueRange ends,
                llvm::function_ref<void(mlir::OpBuilder &, mlir::Location,
                                        mlir::ValueRange)>
                    body);

class TensorLowering {
public:
  /// The buffer an op writes, \p rows x \p cols of \p element: `out` for
  /// the kernel's result, else a new buffer named \p what in the memory
  /// plan.
  using Destination = std::function<mlir::Value(
      mlir::Operation *, mlir::Value rows, mlir::Value cols,
      llvm::StringRef what, mlir::Type element)>;
  /// A check of the kernel's arguments: \p holds, else FACRT_ERR_ARG
  /// naming \p what.
  using Require = std::function<void(mlir::Location, mlir::Value holds,
                                     llvm::StringRef what)>;

  /// Scratch buffers (top-k's) are appended to \p temporaries.
  TensorLowering(mlir::OpBuilder &builder, Destination destination,
                 Require require,
                 llvm::SmallVectorImpl<mlir::Value> &temporaries)
      : b(builder), makeDestination(std::move(destination)),
        require(std::move(require)), temporaries(temporaries) {}

  /// Whether \p op is a tensor-algebra op (its operands' tensors already
  /// buffers).
  static bool handles(mlir::Operation &op);

  /// Replaces \p op (handles()) by loops on buffers. Fails, with an error
  /// at the op, on a form no kernel computes.
  mlir::LogicalResult lower(mlir::Operation &op);

private:
  /// An f32 destination.
  mlir::Value destination(mlir::Operation *op, mlir::Value rows,
                          mlir::Value cols, llvm::StringRef what) {
    return makeDestination(op, rows, cols, what, b.getF32Type());
  }

  mlir::OpBuilder &b;
  Destination makeDestination;
  Require require;
  /// `reshape(t, [g, b, d])`: t's buffer, b and g (indices).
  llvm::DenseMap<mlir::Value, std::tuple<mlir::Value, mlir::Value, mlir::Value>>
      groups;
  /// A reduction of groups: a [g, 1, d] tensor held as its g x d buffer.
  llvm::DenseSet<mlir::Value> reducedGroups;
  /// `topk(t, k)`: its indices in an i64 buffer, which only `gather` reads,
  /// and the count of t's values.
  llvm::DenseMap<mlir::Value, std::pair<mlir::Value, mlir::Value>> topIndices;
  llvm::SmallVectorImpl<mlir::Value> &temporaries;
};

} // namespace fac

#endif // FAC_TRANSFORMS_TENSORBUFFERS_H
