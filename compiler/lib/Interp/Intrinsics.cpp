//===- Intrinsics.cpp - The prelude's intrinsics --------------------------===//
//
// Members of the interpreter (Evaluator.h): the prelude's intrinsics by
// the one table (Intrinsics.def), tensors built from lists, trees' limits
// and magnitudes, `matches`, value equality and matrix products.
//
//===----------------------------------------------------------------------===//

#include "Evaluator.h"

using namespace fac;
using namespace fac::interp;

ValuePtr Interpreter::Impl::makeTensor(const std::vector<ValuePtr> &args,
                                       Location at) {
  std::vector<int64_t> shape;
  int64_t size = 1;
  for (const ValuePtr &d : args[0]->elems) {
    if (d->i < 0 || d->i > (int64_t(1) << 28) || size > (int64_t(1) << 28))
      return fail(at, "tensor shape out of range");
    shape.push_back(d->i);
    size *= d->i;
  }
  if (size != int64_t(args[1]->elems.size())) {
    std::string dims;
    for (int64_t d : shape)
      dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    return fail(at, "a tensor of shape [" + dims + "] (" + llvm::Twine(size) +
                        " elements) given " +
                        llvm::Twine(args[1]->elems.size()) + " values");
  }
  std::vector<float> data;
  for (const ValuePtr &x : args[1]->elems)
    data.push_back(float(x->kind == Value::Kind::Int ? double(x->i) : x->f));
  return Value::tensor(std::move(shape), std::move(data));
}

ValuePtr Interpreter::Impl::makeInt8Tensor(const std::vector<ValuePtr> &args,
                                           Location at) {
  if (!makeTensor(args, at))
    return nullptr;
  for (const ValuePtr &c : args[1]->elems)
    if (c->i < -128 || c->i > 127)
      return fail(at, "an Int8Tensor's code " + llvm::Twine(c->i) +
                          " is not an int8 (-128 to 127)");
  return Value::record("Int8Tensor", args);
}

ValuePtr Interpreter::Impl::intrinsic(llvm::StringRef name,
                                      const std::vector<ValuePtr> &args,
                                      Location at) {
  // The prelude's intrinsics by the one table (Intrinsics.def).
  std::optional<Intrinsic> which = lookupIntrinsic(name);
  auto num = [](const ValuePtr &v) {
    return v->kind == Value::Kind::Int ? double(v->i) : v->f;
  };
  // The functions of Floats: a NaN of numbers is an error here.
  auto real = [&](double r, std::initializer_list<double> in) -> ValuePtr {
    if (std::isnan(r) &&
        llvm::none_of(in, [](double v) { return std::isnan(v); }))
      return fail(at, notANumber(name, in));
    return Value::real(r);
  };
  if (isTensorIntrinsic(name, args)) {
    TensorResult r = tensorIntrinsic(name, args);
    return r.value ? r.value : fail(at, r.error);
  }
#define FAC_UNARY(fn, expr, op)                                                \
  if (name == #fn) {                                                           \
    double x = num(args[0]);                                                   \
    return real(expr, {x});                                                    \
  }
#define FAC_BINARY(fn, expr, op)                                               \
  if (name == #fn) {                                                           \
    double x = num(args[0]), y = num(args[1]);                                 \
    return real(expr, {x, y});                                                 \
  }
#include "fac/Support/ScalarIntrinsics.def"
  if (which == Intrinsic::Float)
    return Value::real(double(args[0]->i));
  if (which == Intrinsic::Int) {
    // Toward zero; only a Float an Int holds converts.
    double x = std::trunc(num(args[0]));
    if (!(x >= -0x1p63 && x < 0x1p63)) {
      std::string text;
      llvm::raw_string_ostream(text) << llvm::format("%g", num(args[0]));
      return fail(at, "'int' of " + text + ", which no Int holds");
    }
    return Value::integer(int64_t(x));
  }
  if (which == Intrinsic::Len)
    return Value::integer(int64_t(args[0]->elems.size()));
  if (which == Intrinsic::Range) {
    std::vector<ValuePtr> out;
    if (args[0]->i > kMaxListLength)
      return fail(at, "range of " + llvm::Twine(args[0]->i) +
                          " is over the interpreter's limit");
    for (int64_t k = 0; k < args[0]->i; ++k)
      out.push_back(Value::integer(k));
    return Value::list(std::move(out));
  }
  if (which == Intrinsic::Magnitude) {
    if (args[0]->kind == Value::Kind::Tensor)
      return Value::real(std::sqrt(squaredNorm(*args[0])));
    return Value::real(treeMagnitude(args[0]));
  }
  if (which == Intrinsic::ListFlatten) {
    std::vector<ValuePtr> out;
    for (const ValuePtr &xs : args[0]->elems) {
      if (out.size() + xs->elems.size() > size_t(kMaxListLength))
        return fail(at, "List.flatten of more than " +
                            llvm::Twine(kMaxListLength) +
                            " elements is over the interpreter's limit");
      out.insert(out.end(), xs->elems.begin(), xs->elems.end());
    }
    return Value::list(std::move(out));
  }
  if (which == Intrinsic::Map || which == Intrinsic::ListMap ||
      which == Intrinsic::ListInit || which == Intrinsic::Find ||
      which == Intrinsic::ListFold) {
    std::vector<ValuePtr> out;
    if (which == Intrinsic::ListInit) {
      if (args[0]->i > kMaxListLength)
        return fail(at, "List.init of " + llvm::Twine(args[0]->i) +
                            " elements is over the interpreter's limit");
      for (int64_t k = 0; k < args[0]->i; ++k) {
        out.push_back(call(args[1], {Value::integer(k)}, at));
        if (!out.back())
          return nullptr;
      }
      return Value::list(std::move(out));
    }
    if (which == Intrinsic::ListFold) {
      ValuePtr acc = args[1];
      for (const ValuePtr &x : args[0]->elems)
        if (!(acc = call(args[2], {acc, x}, at)))
          return nullptr;
      return acc;
    }
    bool indexed = which == Intrinsic::ListMap;
    const ValuePtr &fn = indexed ? args[1] : args[0];
    const ValuePtr &xs = indexed ? args[0] : args[1];
    for (size_t k = 0; k < xs->elems.size(); ++k) {
      ValuePtr r = indexed ? call(fn, {xs->elems[k], Value::integer(k)}, at)
                           : call(fn, {xs->elems[k]}, at);
      if (!r)
        return nullptr;
      if (which == Intrinsic::Find) {
        if (r->b)
          return Value::record("Some", {xs->elems[k]});
        continue;
      }
      out.push_back(r);
    }
    if (which == Intrinsic::Find)
      return Value::record("None", {});
    return Value::list(std::move(out));
  }
  if (which == Intrinsic::Matmul)
    return matmul(args[0], args[1], at);
  if (which == Intrinsic::RandomNormal || which == Intrinsic::InitRandom) {
    int64_t count = 1;
    double mean = 0, std = 0.02;
    if (which == Intrinsic::RandomNormal) {
      count = args[0]->i;
      mean = num(args[1]);
      std = num(args[2]);
    } else {
      // Each dimension in range before multiplying: no wrap-around.
      for (const ValuePtr &d : args[0]->elems) {
        if (d->i < 0 || d->i > kMaxListLength)
          return fail(at, "random tensor dimension " + llvm::Twine(d->i) +
                              " out of range");
        count *= d->i;
        if (count > kMaxListLength)
          break;
      }
    }
    if (count < 0 || count > kMaxListLength)
      return fail(at, "random tensor of " + llvm::Twine(count) +
                          " values is out of the interpreter's range");
    if (!std::isfinite(mean) || !std::isfinite(std) || std < 0)
      return fail(at, "RandomNormal needs a finite mean and a finite "
                      "standard deviation >= 0");
    std::vector<ValuePtr> out;
    for (double x : draws.normal(count, mean, std))
      out.push_back(Value::real(x));
    return Value::list(std::move(out));
  }
  if (which == Intrinsic::SampleCode) {
    if (args[0]->i > kMaxListLength)
      return fail(at, "sampleCode level over the interpreter's limit");
    std::vector<ValuePtr> out;
    for (int64_t x : draws.code(args[0]->i))
      out.push_back(Value::integer(x));
    return Value::list(std::move(out));
  }
  if (name == "equal")
    return Value::boolean(equal(args[0], args[1]));
  if (which == Intrinsic::TreeJoin) {
    // A new root over both trees, holding their weighted mean.
    const Value &a = *args[0]->elems[0], &b = *args[1]->elems[0];
    if (a.data.size() != b.data.size())
      return fail(at, "treeJoin of trees of different widths");
    int64_t wa = 0, wb = 0;
    for (int64_t r = 0; r < a.rows(); ++r)
      wa += a.weight(r);
    for (int64_t r = 0; r < b.rows(); ++r)
      wb += b.weight(r);
    // Multiplicities double with every join: bounded before they wrap.
    if (wa + wb > kMaxListLength)
      return fail(at, "a tree of more than " + llvm::Twine(kMaxListLength) +
                          " tokens is over the interpreter's limit");
    std::vector<float> mean(a.data.size());
    for (size_t k = 0; k < mean.size(); ++k)
      mean[k] =
          (a.data[k] * float(wa) + b.data[k] * float(wb)) / float(wa + wb);
    auto summary = std::make_shared<Value>(*Value::tensor(a.shape, mean));
    if (a.rows() == 1)
      summary->rowWeights = {wa + wb};
    return Value::record("Node", {summary, Value::list({args[0], args[1]})});
  }
  if (which == Intrinsic::TreeMask) {
    // The mask applied to every node's tensor, as self-attention.
    return mapTree(args[0], [&](const ValuePtr &t) {
      ValuePtr r = call(args[1], {t, t, t}, at);
      if (r && r->kind == Value::Kind::Tensor && r->rows() == t->rows()) {
        auto w = std::make_shared<Value>(*r);
        w->rowWeights = t->rowWeights;
        return ValuePtr(w);
      }
      return r;
    });
  }
  if (which == Intrinsic::TreeLimit) {
    // The finest cut, expanded breadth first, whose leaves fit; even the
    // root must fit, or the limit cannot be met.
    int64_t budget = args[1]->i;
    int64_t rootBytes = int64_t(args[0]->elems[0]->data.size() * sizeof(float));
    if (budget < rootBytes)
      return fail(at, "memory limit of " + llvm::Twine(budget) +
                          " bytes cannot hold even the tree's root (" +
                          llvm::Twine(rootBytes) + " bytes)");
    return limitTree(args[0], budget);
  }
  if (which == Intrinsic::Matches)
    return Value::boolean(matches(args[0], args[1]));
  if (which == Intrinsic::FractalDecode) {
    // The first matrix of the code, which must have the asked shape.
    ValuePtr w = decodeWeight(
        Value::record("CompressedWeight", {args[0], Value::real(0)}), at);
    if (!w)
      return nullptr;
    const ValuePtr &m = w->elems[0];
    std::vector<int64_t> shape;
    for (const ValuePtr &d : args[1]->elems)
      shape.push_back(d->i);
    int64_t size = 1;
    for (int64_t d : shape)
      size *= d;
    if (size != int64_t(m->data.size()))
      return fail(at, "fractalDecode: the code decodes to " + m->str());
    return Value::tensor(shape, m->data);
  }
  if (which == Intrinsic::ApplyCompressed)
    return attentionForward(args[0], args[1], at);
  return fail(at,
              "the interpreter has no implementation of '" + name + "' yet");
}

double Interpreter::Impl::squaredNorm(const Value &t) {
  int64_t cols = t.shape.empty() ? 1 : t.shape.back();
  double s = 0;
  for (int64_t r = 0; r < t.rows(); ++r)
    for (int64_t k = 0; k < cols; ++k)
      s += double(t.weight(r)) * t.data[r * cols + k] * t.data[r * cols + k];
  return s;
}

ValuePtr
Interpreter::Impl::mapTree(const ValuePtr &tree,
                           const std::function<ValuePtr(const ValuePtr &)> &f) {
  ValuePtr t = f(tree->elems[0]);
  if (!t)
    return nullptr;
  std::vector<ValuePtr> children;
  for (const ValuePtr &c : tree->elems[1]->elems) {
    children.push_back(mapTree(c, f));
    if (!children.back())
      return nullptr;
  }
  return Value::record("Node", {t, Value::list(std::move(children))});
}

ValuePtr Interpreter::Impl::limitTree(const ValuePtr &tree, int64_t budget) {
  // The frontier at each depth, from the root down, while the next one
  // fits; nodes are values, so the cut is by depth, not by identity (a
  // tree joined with itself is cut the same in both places).
  std::vector<ValuePtr> frontier{tree};
  auto bytes = [](const std::vector<ValuePtr> &nodes) {
    int64_t b = 0;
    for (const ValuePtr &n : nodes)
      b += int64_t(n->elems[0]->data.size() * sizeof(float));
    return b;
  };
  int64_t depth = 0;
  while (true) {
    std::vector<ValuePtr> next;
    for (const ValuePtr &n : frontier) {
      const std::vector<ValuePtr> &cs = n->elems[1]->elems;
      if (cs.empty())
        next.push_back(n);
      else
        next.insert(next.end(), cs.begin(), cs.end());
    }
    if (next.size() == frontier.size() || bytes(next) > budget)
      break;
    frontier = std::move(next);
    ++depth;
  }
  std::function<ValuePtr(const ValuePtr &, int64_t)> rebuild =
      [&](const ValuePtr &n, int64_t at) -> ValuePtr {
    std::vector<ValuePtr> children;
    if (at < depth)
      for (const ValuePtr &c : n->elems[1]->elems)
        children.push_back(rebuild(c, at + 1));
    return Value::record("Node",
                         {n->elems[0], Value::list(std::move(children))});
  };
  return rebuild(tree, 0);
}

double Interpreter::Impl::treeMagnitude(const ValuePtr &tree) {
  // The norm of the dense tensor the tree stands for: its leaves.
  if (tree->kind != Value::Kind::Data || tree->elems.size() != 2)
    return 0;
  const ValuePtr &children = tree->elems[1];
  if (children->elems.empty())
    return std::sqrt(squaredNorm(*tree->elems[0]));
  double s = 0;
  for (const ValuePtr &c : children->elems) {
    double m = treeMagnitude(c);
    s += m * m;
  }
  return std::sqrt(s);
}

bool Interpreter::Impl::matches(const ValuePtr &x, const ValuePtr &pattern) {
  if (pattern->kind == Value::Kind::Data && pattern->ctor == "AttentionPattern")
    return llvm::any_of(pattern->elems,
                        [&](const ValuePtr &tree) { return matches(x, tree); });
  if (x->kind != pattern->kind)
    return false;
  switch (x->kind) {
  case Value::Kind::Tensor: {
    if (x->data.size() != pattern->data.size())
      return false;
    double num = 0, den = 0;
    for (size_t k = 0; k < x->data.size(); ++k) {
      num += std::fabs(double(x->data[k]) - pattern->data[k]);
      den += std::fabs(double(pattern->data[k]));
    }
    return num <= 1e-5 * std::max(den, 1e-30);
  }
  case Value::Kind::Float:
    return std::fabs(x->f - pattern->f) <= 1e-5 * std::fabs(pattern->f);
  case Value::Kind::Data:
  case Value::Kind::List:
  case Value::Kind::Tuple:
    if (x->ctor != pattern->ctor || x->elems.size() != pattern->elems.size())
      return false;
    for (size_t k = 0; k < x->elems.size(); ++k)
      if (!matches(x->elems[k], pattern->elems[k]))
        return false;
    return true;
  default:
    return equal(x, pattern);
  }
}

bool Interpreter::Impl::tensorsClose(const std::vector<float> &a,
                                     const std::vector<float> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t k = 0; k < a.size(); ++k) {
    double x = a[k], y = b[k];
    if (!(std::fabs(x - y) <=
          1e-5 * std::max({1.0, std::fabs(x), std::fabs(y)})))
      return false;
  }
  return true;
}

bool Interpreter::Impl::equal(const ValuePtr &a, const ValuePtr &b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case Value::Kind::Unit:
    return true;
  case Value::Kind::Bool:
    return a->b == b->b;
  case Value::Kind::Int:
    return a->i == b->i;
  case Value::Kind::Float:
    return a->f == b->f;
  case Value::Kind::Tensor:
    return a->shape == b->shape && tensorsClose(a->data, b->data);
  case Value::Kind::Closure:
    return a.get() == b.get();
  default:
    if (a->ctor != b->ctor || a->elems.size() != b->elems.size())
      return false;
    for (size_t k = 0; k < a->elems.size(); ++k)
      if (!equal(a->elems[k], b->elems[k]))
        return false;
    return true;
  }
}

std::pair<int64_t, int64_t> Interpreter::Impl::matrixShape(const Value &t) {
  if (t.shape.empty())
    return {1, int64_t(t.data.size())};
  int64_t rows = 1;
  for (size_t k = 0; k + 1 < t.shape.size(); ++k)
    rows *= t.shape[k];
  return {rows, t.shape.back()};
}

ValuePtr Interpreter::Impl::matmul(const ValuePtr &a, const ValuePtr &b,
                                   Location at) {
  auto [n, inner] = matrixShape(*a);
  auto [innerB, m] = matrixShape(*b);
  if (inner != innerB)
    return fail(at, "matmul of " + a->str() + " by " + b->str());
  // The multiply-adds a run may spend in one product (about a second).
  constexpr int64_t kMaxWork = int64_t(1) << 30;
  if (n && m && inner && (n * m > kMaxWork / inner || n * m > kMaxListLength))
    return fail(at, "matmul of " + a->str() + " by " + b->str() +
                        " is over the interpreter's limit");
  std::vector<float> out(size_t(n * m), 0.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < inner; ++k)
      for (int64_t j = 0; j < m; ++j)
        out[i * m + j] += a->data[i * inner + k] * b->data[k * m + j];
  return Value::tensor({n, m}, std::move(out));
}
