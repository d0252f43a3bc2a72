//===- PlanMemory.cpp - Kernels' buffers in a caller's workspace ----------===//
//
// Implements fac-plan-memory (see Passes.td): every buffer a kernel
// allocates becomes a slice of a workspace its caller passes, sized at the
// kernel's start from its arguments; a `<kernel>_workspace_size` function
// tells the caller how much; the plan can be printed, bounded and checked
// against a byte limit at compile time.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "EntryValues.h"

#include "fac/Dialect/FAC/FACDialect.h"
#include "fac/Support/ParseNumber.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace fac {
#define GEN_PASS_DEF_FACPLANMEMORY
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

/// libfacrt's FACRT_ERR_LIMIT: the workspace is too small, or the plan
/// needs more than the limit.
constexpr int32_t kStatusLimit = 6;
/// Every slice starts on a cache line.
constexpr int64_t kAlign = 64;
/// Operations a size expression may have, at most (a chain of joins adds
/// one per join).
constexpr int kMaxDepth = 256;
/// A workspace this large is a wrapped or absurd size: refused.
constexpr double kMaxBytes = 4611686018427387904.0; // 2^62

/// \p bytes as the plan prints it: exact below 2^53.
std::string bytesText(double bytes) {
  if (bytes >= kMaxBytes)
    return "more than 2^62 bytes";
  return std::to_string(int64_t(bytes)) + " bytes";
}

/// A buffer of a kernel, and the parallel loops around it (outermost
/// first): it needs one copy per iteration of them.
struct Buffer {
  /// Op handles are values; their accessors are not const.
  mutable memref::AllocOp alloc;
  SmallVector<scf::ParallelOp> parallels;
  /// Where it is live: the positions, in the block the kernel's work runs
  /// in, of the first and last ops that hold it (its allocation, and the
  /// last use of it or of a view of it; deallocations do not count).
  int64_t first = 0, last = std::numeric_limits<int64_t>::max();
  /// The branches of `scf.if`s that hold its allocation and every use:
  /// (the if, the region's number).
  SmallVector<std::pair<Operation *, unsigned>> branches;

  bool overlaps(const Buffer &other) const {
    // Buffers of the two branches of one `if` are never live together.
    for (auto [op, region] : branches)
      for (auto [otherOp, otherRegion] : other.branches)
        if (op == otherOp && region != otherRegion)
          return false;
    return !(last < other.first || other.last < first);
  }

  std::string what() const {
    auto name = alloc->getAttrOfType<StringAttr>("fac.buffer");
    return name ? name.str() : "buffer";
  }
  int64_t elementBytes() const {
    return (alloc.getType().getElementTypeBitWidth() + 7) / 8;
  }
};

/// The largest shapes given with `bounds`.
struct Bounds {
  llvm::StringMap<SmallVector<int64_t>> shapes;
  llvm::StringMap<int64_t> scalars;
};

/// The name of a kernel's parameter \p arg.
std::string parameterName(BlockArgument arg) {
  auto func = cast<func::FuncOp>(arg.getOwner()->getParentOp());
  if (auto name =
          func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "fac.name"))
    return name.str();
  if (auto name = dyn_cast<NameLoc>(arg.getLoc()))
    return name.getName().str();
  return "arg" + std::to_string(arg.getArgNumber());
}

/// Formulas and values of the sizes a kernel computes at its start: the
/// same expressions EntryValues rebuilds, printed or evaluated.
class Expressions {
public:
  explicit Expressions(const Bounds &bounds) : bounds(bounds) {}

  /// \p v as a formula of the parameters (an upper bound for `min(x, b)`
  /// where only b is known at the start); nullopt when it is not known
  /// there.
  std::optional<std::string> formula(Value v, int depth = kMaxDepth) {
    if (!v || depth == 0)
      return std::nullopt;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (!isa<func::FuncOp>(arg.getOwner()->getParentOp()))
        return std::nullopt;
      return parameterName(arg);
    }
    Operation *def = v.getDefiningOp();
    IntegerAttr constant;
    if (matchPattern(v, m_Constant(&constant)))
      return std::to_string(constant.getValue().getSExtValue());
    if (auto dim = dyn_cast<memref::DimOp>(def)) {
      std::optional<int64_t> index = dim.getConstantIndex();
      if (!index)
        return std::nullopt;
      if (auto arg = dyn_cast<BlockArgument>(dim.getSource())) {
        if (!isa<func::FuncOp>(arg.getOwner()->getParentOp()))
          return std::nullopt;
        int64_t rank = cast<MemRefType>(arg.getType()).getRank();
        std::string name = parameterName(arg);
        if (*index == rank - 1)
          return "cols(" + name + ")";
        if (*index == rank - 2)
          return "rows(" + name + ")";
        return "heads(" + name + ")";
      }
      if (auto alloc = dim.getSource().getDefiningOp<memref::AllocOp>()) {
        OpFoldResult size = alloc.getMixedSizes()[*index];
        if (auto v = dyn_cast<Value>(size))
          return formula(v, depth - 1);
        return std::to_string(*getConstantIntValue(size));
      }
      return std::nullopt;
    }
    if (isa<arith::IndexCastOp, arith::ExtSIOp, arith::ExtUIOp>(def))
      return formula(def->getOperand(0), depth - 1);
    auto binary = [&](StringRef op) -> std::optional<std::string> {
      auto a = formula(def->getOperand(0), depth - 1);
      auto b = formula(def->getOperand(1), depth - 1);
      if (!a || !b)
        return std::nullopt;
      return "(" + *a + " " + op.str() + " " + *b + ")";
    };
    auto call = [&](StringRef fn) -> std::optional<std::string> {
      auto a = formula(def->getOperand(0), depth - 1);
      auto b = formula(def->getOperand(1), depth - 1);
      if (!a || !b)
        return std::nullopt;
      return fn.str() + "(" + *a + ", " + *b + ")";
    };
    if (isa<arith::AddIOp>(def))
      return binary("+");
    if (isa<arith::SubIOp>(def))
      return binary("-");
    if (isa<arith::MulIOp>(def))
      return binary("*");
    if (isa<arith::DivUIOp, arith::DivSIOp>(def))
      return binary("/");
    if (isa<arith::RemUIOp, arith::RemSIOp>(def))
      return binary("%");
    if (isa<arith::CeilDivUIOp, arith::CeilDivSIOp>(def))
      return call("ceildiv");
    if (isa<arith::MaxSIOp, arith::MaxUIOp>(def))
      return call("max");
    if (isa<arith::MinSIOp, arith::MinUIOp>(def)) {
      auto min = def;
      // The bound the plan reserves: a side known at the start.
      auto a = formula(min->getOperand(0), depth - 1);
      auto b = formula(min->getOperand(1), depth - 1);
      if (a && b)
        return *a == *b ? *a : "min(" + *a + ", " + *b + ")";
      return a ? a : b;
    }
    if (auto cmp = dyn_cast<arith::CmpIOp>(def)) {
      static const char *const ops[] = {"==", "!=", "<",  "<=", ">",
                                        ">=", "<",  "<=", ">",  ">="};
      return binary(ops[static_cast<int>(cmp.getPredicate())]);
    }
    if (auto select = dyn_cast<arith::SelectOp>(def)) {
      auto c = formula(select.getCondition(), depth - 1);
      auto a = formula(select.getTrueValue(), depth - 1);
      auto b = formula(select.getFalseValue(), depth - 1);
      if (!a || !b)
        return std::nullopt;
      // Either way the same (a broadcast of equal sides, say).
      if (*a == *b)
        return *a;
      // A choice made as the kernel runs: the plan holds either.
      if (!c)
        return "max(" + *a + ", " + *b + ")";
      return "(" + *c + " ? " + *a + " : " + *b + ")";
    }
    return std::nullopt;
  }

  /// \p v at the bounds; nullopt when a bound it needs is not given.
  std::optional<double> value(Value v, int depth = kMaxDepth) {
    if (!v || depth == 0)
      return std::nullopt;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (!isa<func::FuncOp>(arg.getOwner()->getParentOp()))
        return std::nullopt;
      auto it = bounds.scalars.find(parameterName(arg));
      if (it == bounds.scalars.end())
        return std::nullopt;
      return double(it->second);
    }
    Operation *def = v.getDefiningOp();
    IntegerAttr constant;
    if (matchPattern(v, m_Constant(&constant)))
      return double(constant.getValue().getSExtValue());
    if (auto dim = dyn_cast<memref::DimOp>(def)) {
      std::optional<int64_t> index = dim.getConstantIndex();
      if (!index)
        return std::nullopt;
      if (auto arg = dyn_cast<BlockArgument>(dim.getSource())) {
        if (!isa<func::FuncOp>(arg.getOwner()->getParentOp()))
          return std::nullopt;
        auto it = bounds.shapes.find(parameterName(arg));
        if (it == bounds.shapes.end() ||
            it->second.size() !=
                size_t(cast<MemRefType>(arg.getType()).getRank()))
          return std::nullopt;
        return double(it->second[*index]);
      }
      if (auto alloc = dim.getSource().getDefiningOp<memref::AllocOp>()) {
        OpFoldResult size = alloc.getMixedSizes()[*index];
        if (auto v = dyn_cast<Value>(size))
          return value(v, depth - 1);
        return double(*getConstantIntValue(size));
      }
      return std::nullopt;
    }
    if (isa<arith::IndexCastOp, arith::ExtSIOp, arith::ExtUIOp>(def))
      return value(def->getOperand(0), depth - 1);
    if (isa<arith::MinUIOp, arith::MinSIOp>(def)) {
      auto a = value(def->getOperand(0), depth - 1);
      auto b = value(def->getOperand(1), depth - 1);
      if (a && b)
        return std::min(*a, *b);
      return a ? a : b;
    }
    if (auto select = dyn_cast<arith::SelectOp>(def)) {
      if (auto c = value(select.getCondition(), depth - 1))
        return value(*c ? select.getTrueValue() : select.getFalseValue(),
                     depth - 1);
      auto a = value(select.getTrueValue(), depth - 1);
      auto b = value(select.getFalseValue(), depth - 1);
      if (!a || !b)
        return std::nullopt;
      return std::max(*a, *b);
    }
    if (def->getNumOperands() != 2)
      return std::nullopt;
    auto a = value(def->getOperand(0), depth - 1);
    auto b = value(def->getOperand(1), depth - 1);
    if (!a || !b)
      return std::nullopt;
    // In doubles: sizes at large bounds do not wrap (exact below 2^53,
    // which is all a plan that fits a limit ever needs).
    double x = *a, y = *b;
    if (isa<arith::AddIOp>(def))
      return x + y;
    if (isa<arith::SubIOp>(def))
      return x - y;
    if (isa<arith::MulIOp>(def))
      return x * y;
    if (isa<arith::DivUIOp, arith::DivSIOp>(def))
      return y != 0 ? std::optional<double>(std::trunc(x / y)) : std::nullopt;
    if (isa<arith::RemUIOp, arith::RemSIOp>(def))
      return y != 0 ? std::optional<double>(std::fmod(x, y)) : std::nullopt;
    if (isa<arith::CeilDivUIOp, arith::CeilDivSIOp>(def))
      return y != 0 ? std::optional<double>(std::ceil(x / y)) : std::nullopt;
    if (isa<arith::MaxSIOp, arith::MaxUIOp>(def))
      return std::max(x, y);
    if (auto cmp = dyn_cast<arith::CmpIOp>(def)) {
      switch (cmp.getPredicate()) {
      case arith::CmpIPredicate::eq:
        return double(x == y);
      case arith::CmpIPredicate::ne:
        return double(x != y);
      case arith::CmpIPredicate::slt:
      case arith::CmpIPredicate::ult:
        return double(x < y);
      case arith::CmpIPredicate::sle:
      case arith::CmpIPredicate::ule:
        return double(x <= y);
      case arith::CmpIPredicate::sgt:
      case arith::CmpIPredicate::ugt:
        return double(x > y);
      case arith::CmpIPredicate::sge:
      case arith::CmpIPredicate::uge:
        return double(x >= y);
      }
    }
    return std::nullopt;
  }

private:
  const Bounds &bounds;
};

/// The bytes of each buffer (one copy, rounded up to kAlign), its copies,
/// its first byte, and the workspace's bytes, built by one builder.
struct Layout {
  SmallVector<Value> bytes, copies, bases, ends;
  /// Per buffer: the upper bounds of its parallel loops' dimensions.
  SmallVector<SmallVector<Value>> loopCounts;
  Value need;
  /// Whether the sizes are sane: their sum, in f64, is under 2^62 (the
  /// exact sum in index would wrap for absurd shapes).
  Value sane;
};

struct PlanMemoryPass : public fac::impl::FacPlanMemoryBase<PlanMemoryPass> {
  using FacPlanMemoryBase::FacPlanMemoryBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Bounds given;
    if (failed(parseBounds(given)))
      return signalPassFailure();
    SmallVector<func::FuncOp> kernels;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr("fac.kernel") && !func.isExternal())
        kernels.push_back(func);
    if (failed(checkBounds(kernels, given)))
      return signalPassFailure();
    if (limit < 0) {
      emitError(FileLineColLoc::get(&getContext(), "<command line>", 0, 0),
                "memory limit ")
          << int64_t(limit) << ": a limit is a positive number of bytes (0: "
          << "no limit)";
      return signalPassFailure();
    }
    for (func::FuncOp func : kernels)
      if (failed(plan(func, given)))
        return signalPassFailure();
  }

  LogicalResult parseBounds(Bounds &given) {
    Location here = FileLineColLoc::get(&getContext(), "<command line>", 0, 0);
    for (const std::string &text : bounds) {
      std::string name, problem;
      SmallVector<int64_t> sizes;
      if (!fac::parseBound(text, name, sizes, problem))
        return emitError(here, "--bound ") << text << ": " << problem,
               failure();
      if (given.shapes.count(name) || given.scalars.count(name))
        return emitError(here, "--bound ")
                   << name << " is given twice; give each parameter one bound",
               failure();
      if (sizes.size() == 1)
        given.scalars[name] = sizes[0];
      else
        given.shapes[name] = sizes;
    }
    return success();
  }

  /// Every bound names a parameter of some kernel, with its kind and rank.
  LogicalResult checkBounds(ArrayRef<func::FuncOp> kernels,
                            const Bounds &given) {
    Location here = FileLineColLoc::get(&getContext(), "<command line>", 0, 0);
    auto check = [&](StringRef name, std::optional<size_t> rank) {
      std::string names;
      for (func::FuncOp func : kernels)
        for (BlockArgument arg : func.getArguments()) {
          std::string param = parameterName(arg);
          if (param == "workspace")
            continue;
          if (param != name) {
            if (!StringRef(names).contains(param))
              names += (names.empty() ? "" : ", ") + param;
            continue;
          }
          Type type = arg.getType();
          auto memref = dyn_cast<MemRefType>(type);
          if (memref && rank == size_t(memref.getRank()))
            return success();
          if (!memref && !rank && type.isIntOrIndex())
            return success();
          InFlightDiagnostic diag = emitError(here, "--bound ") << name << ": ";
          if (memref)
            diag << "'" << name << "' is a buffer of rank " << memref.getRank()
                 << ": give its " << memref.getRank() << " sizes (e.g. "
                 << (memref.getRank() == 2 ? "4096x64" : "8x4096x64") << ")";
          else if (type.isIntOrIndex())
            diag << "'" << name << "' is an integer: give one value";
          else
            diag << "'" << name << "' has type " << type
                 << ", which the memory plan does not read";
          return failure();
        }
      return emitError(here, "--bound ")
                 << name
                 << ": no kernel has a parameter of that name (they have: "
                 << (names.empty() ? "none" : names) << ")",
             failure();
    };
    for (const auto &entry : given.shapes)
      if (failed(check(entry.first(), entry.second.size())))
        return failure();
    for (const auto &entry : given.scalars)
      if (failed(check(entry.first(), std::nullopt)))
        return failure();
    return success();
  }

  /// Buffers of \p func, in order; fails on one the plan cannot hold.
  FailureOr<SmallVector<Buffer>> buffers(func::FuncOp func) {
    SmallVector<Buffer> out;
    WalkResult walk = func.walk([&](memref::AllocOp alloc) {
      Buffer buffer;
      buffer.alloc = alloc;
      for (Operation *p = alloc->getParentOp(); p != func; p = p->getParentOp())
        if (auto loop = dyn_cast<scf::ParallelOp>(p)) {
          auto isConstant = [](ValueRange vs, int64_t c) {
            return llvm::all_of(vs, [&](Value v) {
              std::optional<int64_t> x = getConstantIntValue(v);
              return x && *x == c;
            });
          };
          if (!isConstant(loop.getLowerBound(), 0) ||
              !isConstant(loop.getStep(), 1)) {
            alloc.emitError("buffer '")
                << buffer.what()
                << "' is in a parallel loop that does not count from 0 by 1";
            return WalkResult::interrupt();
          }
          buffer.parallels.insert(buffer.parallels.begin(), loop);
        }
      if (!alloc.getType().getLayout().isIdentity()) {
        alloc.emitError("buffer '") << buffer.what() << "' has a layout";
        return WalkResult::interrupt();
      }
      out.push_back(buffer);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    liveRanges(func, out);
    return out;
  }

  /// The order buffers are placed in: those live beside the most others
  /// first (in allocation order among equals), so that a buffer live
  /// beside few is placed last, over the bytes of those that died. (V2:
  /// the cut goes first, the pyramid above it, and the leaves, made once
  /// the pyramid is dead, reuse its bytes above the cut.)
  static SmallVector<size_t> placement(ArrayRef<Buffer> all) {
    SmallVector<size_t> order, degree(all.size(), 0);
    for (size_t i = 0; i < all.size(); ++i) {
      order.push_back(i);
      for (size_t j = 0; j < all.size(); ++j)
        degree[i] += i != j && all[i].overlaps(all[j]);
    }
    llvm::stable_sort(
        order, [&](size_t a, size_t b) { return degree[a] > degree[b]; });
    return order;
  }

  /// The block the kernel's work runs in: under fac-kernel-status's
  /// `scf.if %ok` when there is one, else the body.
  static Block &workBlock(func::FuncOp func) {
    scf::IfOp checked = statusCheck(func).second;
    return checked ? *checked.thenBlock() : func.getBody().front();
  }

  /// fac-kernel-status's status `select %ok, ..., 4` and the `scf.if` on
  /// `%ok` (and, with memory requirements, `%ok and %memory`) that holds
  /// the work; null when the kernel has none.
  static std::pair<arith::SelectOp, scf::IfOp> statusCheck(func::FuncOp func) {
    Block &entry = func.getBody().front();
    auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
    auto status = ret && ret.getNumOperands() == 1
                      ? ret.getOperand(0).getDefiningOp<arith::SelectOp>()
                      : arith::SelectOp();
    if (!status || status->getBlock() != &entry)
      return {};
    Value ok = status.getCondition();
    for (auto op : entry.getOps<scf::IfOp>()) {
      Value c = op.getCondition();
      auto both = c.getDefiningOp<arith::AndIOp>();
      if (op.getNumResults() == 0 && (c == ok || (both && both.getLhs() == ok)))
        return {status, op};
    }
    return {};
  }

  /// Each buffer's live range in the work block: from the op holding its
  /// allocation to the last op holding a use of it or of a memref made
  /// from it (a view, a cast). A buffer passed on any other way (into a
  /// loop's carried values, say) is live throughout.
  static void liveRanges(func::FuncOp func, MutableArrayRef<Buffer> all) {
    Block &work = workBlock(func);
    llvm::DenseMap<Operation *, int64_t> position;
    int64_t k = 0;
    for (Operation &op : work)
      position[&op] = k++;
    auto at = [&](Operation *op) -> std::optional<int64_t> {
      Operation *top = work.findAncestorOpInBlock(*op);
      if (!top)
        return std::nullopt;
      return position.lookup(top);
    };
    for (Buffer &buffer : all) {
      std::optional<int64_t> start = at(buffer.alloc);
      if (!start)
        continue; // Live throughout.
      int64_t end = *start;
      bool escapes = false;
      SmallVector<Value> aliases = {buffer.alloc.getResult()};
      for (size_t i = 0; i < aliases.size() && !escapes; ++i)
        for (OpOperand &use : aliases[i].getUses()) {
          Operation *user = use.getOwner();
          if (isa<memref::DeallocOp>(user))
            continue;
          if (isa<scf::YieldOp, scf::ForOp, scf::WhileOp, scf::IfOp,
                  scf::ParallelOp, func::ReturnOp, func::CallOp>(user)) {
            escapes = true;
            break;
          }
          for (Value result : user->getResults())
            if (isa<MemRefType>(result.getType()))
              aliases.push_back(result);
          std::optional<int64_t> p = at(user);
          if (!p) {
            escapes = true;
            break;
          }
          end = std::max(end, *p);
        }
      if (escapes)
        continue;
      buffer.first = *start;
      buffer.last = end;
      // The branches around the allocation that hold every use too.
      for (Operation *p = buffer.alloc->getParentOp();
           p && p != work.getParentOp(); p = p->getParentOp()) {
        auto branch = dyn_cast<scf::IfOp>(p);
        if (!branch)
          continue;
        Region *region = buffer.alloc->getParentRegion();
        while (region->getParentOp() != p)
          region = region->getParentOp()->getParentRegion();
        bool inside = llvm::all_of(aliases, [&](Value v) {
          return llvm::all_of(v.getUsers(), [&](Operation *user) {
            return isa<memref::DeallocOp>(user) ||
                   region->isAncestor(user->getParentRegion());
          });
        });
        if (inside)
          buffer.branches.push_back({p, region->getRegionNumber()});
      }
    }
  }

  /// The layout of \p all built by \p b from \p values.
  FailureOr<Layout> layout(OpBuilder &b, Location loc, EntryValues &values,
                           ArrayRef<Buffer> all) {
    Layout l;
    Value c0 = b.create<arith::ConstantIndexOp>(loc, 0);
    Value total = c0;
    Type f64 = b.getF64Type();
    auto toF64 = [&](Value index) -> Value {
      return b.create<arith::SIToFPOp>(
          loc, f64, b.create<arith::IndexCastOp>(loc, b.getI64Type(), index));
    };
    Value approx = b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(0));
    for (const Buffer &buffer : all) {
      Value count = b.create<arith::ConstantIndexOp>(loc, 1);
      Value approxBytes = b.create<arith::ConstantOp>(
          loc, b.getF64FloatAttr(double(buffer.elementBytes())));
      for (OpFoldResult dim : buffer.alloc.getMixedSizes()) {
        Value size;
        if (auto dynamic = dyn_cast<Value>(dim)) {
          size = values.upperBound(dynamic);
          if (!size)
            return buffer.alloc.emitError("buffer '")
                       << buffer.what()
                       << "' has a size the kernel computes as it runs, "
                          "with no bound known at its start: the memory plan "
                          "cannot hold it",
                   failure();
        } else {
          size =
              b.create<arith::ConstantIndexOp>(loc, *getConstantIntValue(dim));
        }
        count = b.create<arith::MulIOp>(loc, count, size);
        approxBytes = b.create<arith::MulFOp>(loc, approxBytes, toF64(size));
      }
      Value bytes = b.create<arith::MulIOp>(
          loc, count,
          b.create<arith::ConstantIndexOp>(loc, buffer.elementBytes()));
      // Rounded up to a cache line.
      Value mask = b.create<arith::ConstantIndexOp>(loc, kAlign - 1);
      bytes = b.create<arith::AndIOp>(
          loc, b.create<arith::AddIOp>(loc, bytes, mask),
          b.create<arith::ConstantIndexOp>(loc, ~(kAlign - 1)));
      Value copies = b.create<arith::ConstantIndexOp>(loc, 1);
      SmallVector<Value> counts;
      for (scf::ParallelOp loop : buffer.parallels)
        for (Value ub : loop.getUpperBound()) {
          Value n = values.atEntry(ub);
          if (!n)
            return buffer.alloc.emitError("buffer '")
                       << buffer.what()
                       << "' is in a parallel loop whose iterations are not "
                          "known at the kernel's start",
                   failure();
          counts.push_back(n);
          copies = b.create<arith::MulIOp>(loc, copies, n);
          approxBytes = b.create<arith::MulFOp>(loc, approxBytes, toF64(n));
        }
      approx = b.create<arith::AddFOp>(loc, approx, approxBytes);
      l.bytes.push_back(bytes);
      l.copies.push_back(copies);
      l.loopCounts.push_back(counts);
    }
    // Each buffer above those placed before it that are live at the same
    // time: one whose life is over lends its bytes.
    l.bases.assign(all.size(), c0);
    l.ends.assign(all.size(), c0);
    SmallVector<size_t> placed;
    for (size_t i : placement(all)) {
      Value base = c0;
      for (size_t j : placed)
        if (all[j].overlaps(all[i]))
          base = b.create<arith::MaxUIOp>(loc, base, l.ends[j]);
      l.bases[i] = base;
      l.ends[i] = b.create<arith::AddIOp>(
          loc, base, b.create<arith::MulIOp>(loc, l.bytes[i], l.copies[i]));
      total = b.create<arith::MaxUIOp>(loc, total, l.ends[i]);
      placed.push_back(i);
    }
    l.sane = b.create<arith::CmpFOp>(
        loc, arith::CmpFPredicate::OLT, approx,
        b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(kMaxBytes)));
    // The caller's pointer may be anywhere in a cache line.
    l.need = all.empty() ? total
                         : b.create<arith::AddIOp>(
                               loc, total,
                               b.create<arith::ConstantIndexOp>(loc, kAlign));
    return l;
  }

  LogicalResult plan(func::FuncOp func, const Bounds &given) {
    MLIRContext *ctx = &getContext();
    Location loc = func.getLoc();
    FailureOr<SmallVector<Buffer>> all = buffers(func);
    if (failed(all))
      return failure();
    if (func.getNumResults() != 1 || !func.getResultTypes()[0].isInteger(32) ||
        !func.getBody().hasOneBlock())
      return func.emitOpError("kernel must return a status from one block "
                              "(run fac-kernel-status first)");
    if (print || limit > 0)
      if (failed(report(func, *all, given)))
        return failure();

    // The size function, from the kernel's buffers as they are.
    Block &entry = func.getBody().front();
    OpBuilder b(ctx);
    b.setInsertionPointAfter(func);
    std::string sizeName = (func.getSymName() + "_workspace_size").str();
    if (SymbolTable::lookupNearestSymbolFrom(func, b.getStringAttr(sizeName)))
      return func.emitOpError("a function named '")
                 << sizeName
                 << "' already exists, which its workspace size takes",
             failure();
    auto sizeFunc = b.create<func::FuncOp>(
        loc, sizeName,
        FunctionType::get(ctx, func.getArgumentTypes(), b.getI64Type()));
    sizeFunc.setAllArgAttrs(func.getAllArgAttrs());
    sizeFunc->setAttr("fac.workspace_size", func.getSymNameAttr());
    sizeFunc->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    {
      Block *body = sizeFunc.addEntryBlock();
      b.setInsertionPointToStart(body);
      IRMapping arguments;
      arguments.map(entry.getArguments(), body->getArguments());
      EntryValues values(b, loc, entry, arguments);
      FailureOr<Layout> l = layout(b, loc, values, *all);
      if (failed(l))
        return failure();
      // -1 for sizes too large to sum.
      Value need = b.create<arith::IndexCastOp>(loc, b.getI64Type(), l->need);
      b.create<func::ReturnOp>(
          loc,
          b.create<arith::SelectOp>(loc, l->sane, need,
                                    b.create<arith::ConstantIntOp>(loc, -1, 64))
              .getResult());
    }

    // The kernel: the workspace, its layout at the start, the views.
    Operation *firstWork = &entry.front();
    unsigned index = func.getNumArguments();
    func.insertArgument(
        index, MemRefType::get({ShapedType::kDynamic}, b.getI8Type()),
        b.getDictionaryAttr(
            {b.getNamedAttr("fac.name", b.getStringAttr("workspace"))}),
        loc);
    Value workspace = entry.getArgument(index);
    b.setInsertionPoint(firstWork);
    EntryValues values(b, loc, entry);
    FailureOr<Layout> l = layout(b, loc, values, *all);
    if (failed(l))
      return failure();
    Value have = b.create<memref::DimOp>(loc, workspace, 0);
    Value fits = b.create<arith::AndIOp>(
        loc, l->sane,
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, have, l->need));
    if (limit > 0)
      fits = b.create<arith::AndIOp>(
          loc, fits,
          b.create<arith::CmpIOp>(
              loc, arith::CmpIPredicate::sle, l->need,
              b.create<arith::ConstantIndexOp>(loc, int64_t(limit))));
    // The first cache line in the workspace.
    Value shift;
    if (!all->empty()) {
      Value address =
          b.create<memref::ExtractAlignedPointerAsIndexOp>(loc, workspace);
      Value mask = b.create<arith::ConstantIndexOp>(loc, kAlign - 1);
      Value align = b.create<arith::ConstantIndexOp>(loc, kAlign);
      shift = b.create<arith::AndIOp>(
          loc,
          b.create<arith::SubIOp>(loc, align,
                                  b.create<arith::AndIOp>(loc, address, mask)),
          mask);
    }
    for (auto [i, buffer] : llvm::enumerate(*all)) {
      memref::AllocOp alloc = buffer.alloc;
      b.setInsertionPoint(alloc);
      Location at = alloc.getLoc();
      // This copy: the iteration of the parallel loops around it.
      Value copy = b.create<arith::ConstantIndexOp>(at, 0);
      unsigned dim = 0;
      for (scf::ParallelOp loop : buffer.parallels)
        for (Value iv : loop.getInductionVars())
          copy = b.create<arith::AddIOp>(
              at, b.create<arith::MulIOp>(at, copy, l->loopCounts[i][dim++]),
              iv);
      Value offset = b.create<arith::AddIOp>(
          at, b.create<arith::AddIOp>(at, shift, l->bases[i]),
          b.create<arith::MulIOp>(at, copy, l->bytes[i]));
      auto view = b.create<memref::ViewOp>(at, alloc.getType(), workspace,
                                           offset, alloc.getDynamicSizes());
      if (auto name = alloc->getAttr("fac.buffer"))
        view->setAttr("fac.buffer", name);
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.replaceAllUsesWith(view.getResult());
      alloc.erase();
    }

    // Nothing runs without the room for it. After fac-kernel-status the
    // work is in `scf.if %ok` and the status is `select %ok, 0, 4`: the
    // room is checked inside, so that bad arguments stay FACRT_ERR_ARG.
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    auto [status, checked] = statusCheck(func);
    if (checked) {
      Block *work = checked.thenBlock();
      b.setInsertionPointToStart(work);
      auto inner = b.create<scf::IfOp>(loc, TypeRange{}, fits, false);
      SmallVector<Operation *> ops;
      for (Operation &op : work->without_terminator())
        if (&op != inner.getOperation())
          ops.push_back(&op);
      for (Operation *op : ops)
        op->moveBefore(inner.thenBlock()->getTerminator());
      b.setInsertionPoint(ret);
      Value noRoom = b.create<arith::AndIOp>(
          loc, status.getCondition(),
          b.create<arith::XOrIOp>(loc, fits,
                                  b.create<arith::ConstantIntOp>(loc, 1, 1)));
      ret.setOperand(0,
                     b.create<arith::SelectOp>(
                         loc, noRoom,
                         b.create<arith::ConstantIntOp>(loc, kStatusLimit, 32),
                         status.getResult()));
      return success();
    }
    b.setInsertionPoint(ret);
    auto guard =
        b.create<scf::IfOp>(loc, TypeRange{b.getI32Type()}, fits, true);
    Block *then = guard.thenBlock();
    Block *otherwise = guard.elseBlock();
    SmallVector<Operation *> work;
    for (Operation *op = firstWork; op != guard.getOperation();
         op = op->getNextNode())
      work.push_back(op);
    for (Operation *op : work)
      op->moveBefore(then, then->end());
    b.setInsertionPointToEnd(then);
    b.create<scf::YieldOp>(loc, ret.getOperand(0));
    b.setInsertionPointToEnd(otherwise);
    b.create<scf::YieldOp>(
        loc, b.create<arith::ConstantIntOp>(loc, kStatusLimit, 32).getResult());
    b.setInsertionPoint(ret);
    b.create<func::ReturnOp>(ret.getLoc(), guard.getResult(0));
    ret.erase();
    return success();
  }

  /// Prints the plan of \p func (with `print`) and checks it against the
  /// limit at the bounds.
  LogicalResult report(func::FuncOp func, ArrayRef<Buffer> all,
                       const Bounds &given) {
    Expressions e(given);
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "memory plan of " << func.getSymName() << ":\n";
    // Each buffer's bytes at the bounds.
    SmallVector<std::optional<double>> sizes;
    for (const Buffer &buffer : all) {
      MemRefType type = buffer.alloc.getType();
      std::string shape;
      std::optional<double> elements = 1;
      for (OpFoldResult size : buffer.alloc.getMixedSizes()) {
        std::string dim;
        std::optional<double> v;
        if (auto dynamic = dyn_cast<Value>(size)) {
          dim = e.formula(dynamic).value_or("?");
          v = e.value(dynamic);
        } else {
          dim = std::to_string(*getConstantIntValue(size));
          v = double(*getConstantIntValue(size));
        }
        shape += (shape.empty() ? "" : " x ") + dim;
        elements = elements && v ? std::optional<double>(*elements * *v)
                                 : std::nullopt;
      }
      std::string copies;
      std::optional<double> copyCount = 1;
      for (scf::ParallelOp loop : buffer.parallels)
        for (Value ub : loop.getUpperBound()) {
          copies += (copies.empty() ? "" : " * ") + e.formula(ub).value_or("?");
          std::optional<double> v = e.value(ub);
          copyCount = copyCount && v ? std::optional<double>(*copyCount * *v)
                                     : std::nullopt;
        }
      os << "  " << buffer.what() << ": " << type.getElementType() << " ["
         << (shape.empty() ? "1" : shape) << "]";
      if (!copies.empty())
        os << ", one per parallel iteration (" << copies << ")";
      std::optional<double> bytes;
      if (elements && copyCount)
        bytes = std::ceil(*elements * buffer.elementBytes() / kAlign) * kAlign *
                *copyCount;
      if (bytes)
        os << ": " << bytesText(*bytes) << " at the bounds";
      os << "\n";
      sizes.push_back(bytes);
    }
    // Packed as the layout packs them.
    SmallVector<std::optional<double>> ends(all.size(), 0.0);
    SmallVector<size_t> placed;
    for (size_t i : placement(all)) {
      std::optional<double> base = 0;
      for (size_t j : placed)
        if (all[j].overlaps(all[i]))
          base = base && ends[j]
                     ? std::optional<double>(std::max(*base, *ends[j]))
                     : std::nullopt;
      ends[i] = base && sizes[i] ? std::optional<double>(*base + *sizes[i])
                                 : std::nullopt;
      placed.push_back(i);
    }
    std::optional<double> total = 0;
    for (const std::optional<double> &end : ends)
      total = total && end ? std::optional<double>(std::max(*total, *end))
                           : std::nullopt;
    if (!all.empty() && total)
      *total += kAlign;
    os << "  workspace: " << all.size() << " buffers, each from a 64-byte "
       << "boundary, sharing bytes where their lives do not overlap";
    if (total)
      os << "; " << bytesText(*total) << " at the bounds";
    else
      os << "; give every parameter a --bound to evaluate it";
    if (limit > 0)
      os << " (limit " << int64_t(limit) << ")";
    os << "\n";
    if (print)
      llvm::outs() << os.str();
    if (limit > 0 && total && *total > double(limit)) {
      // At the spec's function, without the op.
      InFlightDiagnostic diag = mlir::emitError(func.getLoc(), "kernel '")
                                << func.getSymName() << "' needs "
                                << bytesText(*total)
                                << " of workspace at the bounds given, "
                                   "over the memory limit of "
                                << int64_t(limit) << " bytes";
      diag.attachNote() << os.str();
      return failure();
    }
    return success();
  }
};

} // namespace

bool fac::parseBound(llvm::StringRef text, std::string &name,
                     llvm::SmallVectorImpl<int64_t> &sizes,
                     std::string &problem) {
  auto [key, value] = text.split('=');
  name = key.str();
  sizes.clear();
  if (key.empty() || !text.contains('=') || value.empty()) {
    problem = "expected name=N, name=RxC or name=HxRxC";
    return false;
  }
  SmallVector<StringRef> parts;
  value.split(parts, 'x');
  if (parts.size() > 3) {
    problem = "a buffer has at most 3 sizes (HxRxC)";
    return false;
  }
  constexpr int64_t kMax = int64_t(1) << 40;
  for (StringRef part : parts) {
    // An integer parameter may be negative (a causal offset).
    int64_t low = parts.size() == 1 ? -kMax : 0;
    std::optional<int64_t> v = parseInteger(part, low, kMax);
    if (!v) {
      problem = parts.size() == 1
                    ? "expected an integer from -2^40 to 2^40"
                    : "expected sizes from 0 to 2^40 separated by 'x'";
      return false;
    }
    sizes.push_back(*v);
  }
  return true;
}
