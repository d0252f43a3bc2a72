//===- Evaluator.h - The interpreter's state and rules ----------*- C++ -*-===//
//
// The reference interpreter (Interpreter::Impl), shared by the files that
// define its members by topic: the evaluator of statements, expressions,
// patterns and handlers (Interpreter.cpp), the prelude's intrinsics and
// value comparisons (Intrinsics.cpp), and the library's effect handlers
// (LibraryHandlers.cpp, one per row of LibraryEffects.def). Values are in
// Values.cpp, the tensor algebra in TensorAlgebra.cpp, the stack guard in
// Support/StackGuard.cpp. Private to compiler/lib/Interp.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_LIB_INTERP_EVALUATOR_H
#define FAC_LIB_INTERP_EVALUATOR_H

#include "fac/Interp/Interpreter.h"

#include "TensorAlgebra.h"
#include "Values.h"

#include "fac/Support/Intrinsics.h"
#include "fac/Support/LibraryEffects.h"
#include "fac/Support/StackGuard.h"
#include "fac/Support/WeightCodes.h"

#include "facrt/facrt.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <set>

namespace fac::interp {

using ast::Expr;

/// A new scope inside \p parent.
inline EnvPtr child(const EnvPtr &parent) {
  auto e = std::make_shared<Env>();
  e->parent = parent;
  return e;
}

/// A tensor as a 2-d view (a 1-d tensor is one row).
inline fac_memref2d_f32 view(const Value &t) {
  int64_t cols = t.shape.empty() ? 1 : t.shape.back();
  int64_t rows = cols ? int64_t(t.data.size()) / cols : 0;
  return facrt_view2d(const_cast<float *>(t.data.data()), rows, cols, cols, 0);
}

class Interpreter::Impl {
public:
  Impl(const ast::Module &module, SourceFile &source)
      : module(module), source(source) {}

  /// Reports an error at \p loc and stops the run.
  ValuePtr fail(Location loc, const llvm::Twine &msg);

  //===--------------------------------------------------------------------===//
  // Statements
  //===--------------------------------------------------------------------===//

  /// Runs \p stmts in \p env; the value of the last, if an expression.
  ValuePtr statements(const std::vector<ast::StmtPtr> &stmts, const EnvPtr &env,
                      ConceptResult *result);

  bool bindLet(const ast::Pattern &pattern, const Expr &value,
               const EnvPtr &env);

  /// Matches \p v against \p p, binding names into \p env.
  bool match(const ast::Pattern &p, const ValuePtr &v, Env &env);

  static ValuePtr shapeOf(const Value &t);
  static ValuePtr valuesOf(const Value &t);

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  ValuePtr eval(const Expr &e, const EnvPtr &env);

  ValuePtr evalImpl(const Expr &e, const EnvPtr &env);

  ValuePtr name(const ast::NameExpr &e, const EnvPtr &env);

  ValuePtr field(const ast::FieldExpr &e, const EnvPtr &env);

  //===--------------------------------------------------------------------===//
  // Calls, intrinsics and effects
  //===--------------------------------------------------------------------===//

  ValuePtr callExpr(const ast::CallExpr &e, const EnvPtr &env);

  ValuePtr call(const ValuePtr &fn, const std::vector<ValuePtr> &args,
                Location at);

  ValuePtr makeTensor(const std::vector<ValuePtr> &args, Location at);

  /// `Int8Tensor(shape, codes)`: as `Tensor(...)` checks its shape, and
  /// every code is an int8 (-128 to 127).
  ValuePtr makeInt8Tensor(const std::vector<ValuePtr> &args, Location at);

  ValuePtr intrinsic(llvm::StringRef name, const std::vector<ValuePtr> &args,
                     Location at);

  /// The squared norm of the dense tensor \p t stands for: each row
  /// counted by its multiplicity.
  static double squaredNorm(const Value &t);

  ValuePtr mapTree(const ValuePtr &tree,
                   const std::function<ValuePtr(const ValuePtr &)> &f);

  /// Cuts \p tree to the leaves of the deepest breadth-first frontier whose
  /// tensors take at most \p budget bytes (the root's at least).
  ValuePtr limitTree(const ValuePtr &tree, int64_t budget);

  double treeMagnitude(const ValuePtr &tree);

  /// The prelude's `matches`: whether \p x is (within a relative 1e-5) the
  /// value \p pattern describes. A tree matches an AttentionPattern when
  /// it matches any of its three trees.
  bool matches(const ValuePtr &x, const ValuePtr &pattern);

  /// Tensor equality (docs/LanguageReference.md): element by element,
  /// |x - y| <= 1e-5 max(1, |x|, |y|), so that a kernel's f32 result and a
  /// tensor rebuilt from its values compare equal.
  static bool tensorsClose(const std::vector<float> &a,
                           const std::vector<float> &b);

  bool equal(const ValuePtr &a, const ValuePtr &b);

  /// A tensor as rows x columns from its shape (a 1-d tensor is one row),
  /// so that empty dimensions keep their meaning.
  static std::pair<int64_t, int64_t> matrixShape(const Value &t);

  ValuePtr matmul(const ValuePtr &a, const ValuePtr &b, Location at);

  /// A perform: the nearest clause of an enclosing handle, else the
  /// library handler.
  ValuePtr perform(const std::string &effect, const std::vector<ValuePtr> &args,
                   const ast::CallExpr &e);

  /// The prelude's dense Attend, in fp64.
  /// `Attend(q, k, v, score, mask)`: query row i of n at position
  /// m - n + i, key j at j; a key the mask drops is left out, every other
  /// score (q.k / sqrt(d), in f64) goes through `score`; a row with no key
  /// left is 0.
  ValuePtr attendWithHooks(const std::vector<ValuePtr> &args, Location at);

  ValuePtr attend(const std::vector<ValuePtr> &args, Location at);

  /// Fractal-codes the three matrices of an AttentionWeight with libfacrt
  /// (4x4 range blocks, 5-bit scales, 7-bit offsets) into the FractalCode's
  /// integers: per matrix, its count of integers and facrt_fractal_export's
  /// output, or -1, rows, cols and the raw values' bits for a matrix the
  /// codec cannot block. scaleFactor is the code's bits per weight.
  ValuePtr compressWeight(const ValuePtr &weight, const ValuePtr &code,
                          Location at);

  /// The AttentionWeight a CompressedWeight's code decodes to.
  ValuePtr decodeWeight(const ValuePtr &compressed, Location at);

  /// The fourth variant's recursion, unrolled by libfacrt, over the
  /// decoded weights: f(x, l, W) = attend_W[l-1](f(x, l-1, W[:|W|/2]) ·
  /// f(x, l-1, W[|W|/2:])).
  ValuePtr fractalForward(const ValuePtr &input, int64_t level,
                          const ValuePtr &weights, Location at);

  /// Self-attention of \p input through a compressed weight's matrices.
  ValuePtr attentionForward(const ValuePtr &input, const ValuePtr &weight,
                            Location at);

  /// collectLeaves, failing at \p at when the leaves' widths differ or the
  /// tree stands for more tokens than the interpreter expands.
  int64_t checkedLeaves(const ValuePtr &tree, std::vector<float> &rows,
                        std::vector<int64_t> &weights, Location at);

  /// Each row of \p rows (\p width wide) repeated by its multiplicity: the
  /// tokens a tree's leaves stand for.
  static std::vector<float> repeatRows(const std::vector<float> &rows,
                                       const std::vector<int64_t> &weights,
                                       int64_t width);

  /// The prelude's Attend over compressed pyramids: one output row per
  /// query leaf, attending over the key/value tokens, each key leaf
  /// weighted by its multiplicity (a log m bias on its score); the output
  /// rows keep the query leaves' multiplicities.
  ValuePtr attendTrees(const std::vector<ValuePtr> &args, Location at);

  ValuePtr handle(const ast::HandleExpr &e, const EnvPtr &env);

  ValuePtr binary(const ast::BinaryExpr &e, const EnvPtr &env);

  struct Handler {
    const ast::HandleExpr *expr;
    EnvPtr env;
  };

  /// Nested evaluations allowed (about 4.5 MB of stack in a release build).
  static constexpr unsigned kMaxDepth = 5000;
  /// The longest list an intrinsic builds (2^24 values).
  static constexpr int64_t kMaxListLength = int64_t(1) << 24;
  const ast::Module &module;
  SourceFile &source;
  std::vector<Handler> handlers;
  RandomDraws draws;
  /// The head attention hooks see.
  int64_t attentionHead = 0;
  uint64_t steps = 0, stepLimit = 0;
  /// The largest tensor the run has made, for MemoryConstraint.
  size_t largestTensorBytes = 0;
  unsigned depth = 0;
  bool failed = false;
  /// While a prelude operator's body runs: where the spec applied it.
  std::optional<Location> preludeCallSite;
  /// The running concept's helpers, which the spec's operators see.
  EnvPtr helperScope;

  bool isDeclaredInSpec(const ast::Decl *decl) const {
    return llvm::any_of(module.getDecls(),
                        [&](const ast::DeclPtr &d) { return d.get() == decl; });
  }

  /// Environments some closure captured. A closure bound by `let` in the
  /// scope it captured is a reference cycle (scope -> closure -> scope);
  /// the destructor breaks every such cycle by emptying these scopes, so a
  /// run frees all it made. Closures that outlive the interpreter keep
  /// their lambda but can no longer be called meaningfully.
  std::vector<std::weak_ptr<Env>> captured;
  size_t capturedCompactAt = 64;

  void noteCaptured(const EnvPtr &env);

  ~Impl() {
    // Take the scopes out first: clearing one may free others.
    std::vector<EnvPtr> live;
    for (const std::weak_ptr<Env> &w : captured)
      if (EnvPtr e = w.lock())
        live.push_back(std::move(e));
    captured.clear();
    for (const EnvPtr &e : live) {
      e->vars.clear();
      e->parent.reset();
    }
  }
};

} // namespace fac::interp

#endif // FAC_LIB_INTERP_EVALUATOR_H
