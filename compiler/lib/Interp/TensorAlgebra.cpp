//===- TensorAlgebra.cpp - The interpreter's tensor intrinsics ------------===//
//
// Values are f32, computed in f64 and rounded once. No rule passes on a NaN
// made from numbers that are not NaN: it says why instead.
//
//===----------------------------------------------------------------------===//

#include "TensorAlgebra.h"

#include "fac/Support/Intrinsics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace fac::interp;

namespace {

/// The largest tensor a rule builds (2^28 values, as `Tensor(...)`).
constexpr int64_t kMaxValues = int64_t(1) << 28;

bool isTensor(const ValuePtr &v) { return v && v->kind == Value::Kind::Tensor; }

double number(const Value &v) {
  return v.kind == Value::Kind::Int ? double(v.i) : v.f;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t k = 0; k < shape.size(); ++k)
    text += (k ? ", " : "") + std::to_string(shape[k]);
  return text + "]";
}

/// The value of a function of one Float by name, on f64
/// (ScalarIntrinsics.def).
double unary(llvm::StringRef name, double x) {
#define FAC_UNARY(fn, expr, op)                                                \
  if (name == #fn)                                                             \
    return expr;
#include "fac/Support/ScalarIntrinsics.def"
  return NAN;
}

/// Row-major strides of \p shape.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t k = shape.size(); k-- > 1;)
    strides[k - 1] = strides[k] * shape[k];
  return strides;
}

/// `a op b` on two tensors, broadcast, with `fn` on f64.
template <typename Fn>
TensorResult broadcast(llvm::StringRef what, const Value &a, const Value &b,
                       Fn fn) {
  if (a.shape.size() != b.shape.size())
    return TensorResult::fail(("'" + what + "' of tensors of shapes " +
                               shapeText(a.shape) + " and " +
                               shapeText(b.shape) + ": the ranks differ")
                                  .str());
  std::vector<int64_t> shape(a.shape.size());
  for (size_t k = 0; k < shape.size(); ++k) {
    int64_t x = a.shape[k], y = b.shape[k];
    if (x != y && x != 1 && y != 1)
      return TensorResult::fail(
          ("'" + what + "' of tensors of shapes " + shapeText(a.shape) +
           " and " + shapeText(b.shape) + ": dimension " + llvm::Twine(k) +
           " is neither equal nor 1 on one side")
              .str());
    shape[k] = x == 1 ? y : x;
  }
  std::vector<int64_t> as = stridesOf(a.shape), bs = stridesOf(b.shape),
                       os = stridesOf(shape);
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  std::vector<float> out(static_cast<size_t>(count));
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t ai = 0, bi = 0, rest = flat;
    for (size_t k = 0; k < shape.size(); ++k) {
      int64_t at = rest / os[k];
      rest %= os[k];
      ai += (a.shape[k] == 1 ? 0 : at) * as[k];
      bi += (b.shape[k] == 1 ? 0 : at) * bs[k];
    }
    double x = a.data[size_t(ai)], y = b.data[size_t(bi)];
    double r = fn(x, y);
    if (std::isnan(r) && !std::isnan(x) && !std::isnan(y))
      return TensorResult::fail(notANumber(what, {x, y}));
    out[size_t(flat)] = float(r);
  }
  return {Value::tensor(std::move(shape), std::move(out)), ""};
}

/// A reduction of \p t along \p axis: `sum`, `mean` or `max`.
TensorResult reduce(llvm::StringRef name, const Value &t, int64_t axis) {
  int64_t rank = int64_t(t.shape.size());
  if (axis < 0 || axis >= rank)
    return TensorResult::fail(("'" + name + "' along axis " +
                               llvm::Twine(axis) + " of a tensor of shape " +
                               shapeText(t.shape))
                                  .str());
  int64_t outer = 1, inner = 1, n = t.shape[size_t(axis)];
  for (int64_t k = 0; k < axis; ++k)
    outer *= t.shape[size_t(k)];
  for (int64_t k = axis + 1; k < rank; ++k)
    inner *= t.shape[size_t(k)];
  if (n == 0 && name != "sum")
    return TensorResult::fail(("'" + name + "' along axis " +
                               llvm::Twine(axis) + " of a tensor of shape " +
                               shapeText(t.shape) + ", which is empty")
                                  .str());
  std::vector<int64_t> shape = t.shape;
  shape[size_t(axis)] = 1;
  std::vector<float> out(size_t(outer * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double acc = name == "max" ? -INFINITY : 0;
      for (int64_t k = 0; k < n; ++k) {
        double x = t.data[size_t((o * n + k) * inner + i)];
        acc = name == "max" ? std::max(acc, x) : acc + x;
      }
      if (name == "mean")
        acc /= double(n);
      if (std::isnan(acc))
        return TensorResult::fail(
            ("'" + name + "' of values of opposite infinities is not a number")
                .str());
      out[size_t(o * inner + i)] = float(acc);
    }
  return {Value::tensor(std::move(shape), std::move(out)), ""};
}

TensorResult softmax(const Value &t) {
  if (t.shape.empty())
    return TensorResult::fail("'softmax' of a tensor of rank 0");
  int64_t n = t.shape.back();
  std::vector<float> out(t.data.size());
  for (size_t row = 0; n > 0 && row < t.data.size() / size_t(n); ++row) {
    const float *x = t.data.data() + row * size_t(n);
    double top = -INFINITY;
    for (int64_t k = 0; k < n; ++k)
      top = std::max(top, double(x[k]));
    if (!std::isfinite(top))
      return TensorResult::fail(("'softmax' of row " + llvm::Twine(row) +
                                 (top > 0 ? ", which holds +inf,"
                                          : ", which holds no finite value,") +
                                 " is not a number")
                                    .str());
    double total = 0;
    std::vector<double> e(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k)
      total += e[size_t(k)] = std::exp(double(x[k]) - top);
    for (int64_t k = 0; k < n; ++k)
      out[row * size_t(n) + size_t(k)] = float(e[size_t(k)] / total);
  }
  return {Value::tensor(t.shape, std::move(out)), ""};
}

TensorResult transpose(const Value &t) {
  if (t.shape.size() != 2)
    return TensorResult::fail("'transpose' of a tensor of shape " +
                              shapeText(t.shape) + ": it takes matrices");
  int64_t r = t.shape[0], c = t.shape[1];
  std::vector<float> out(t.data.size());
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j)
      out[size_t(j * r + i)] = t.data[size_t(i * c + j)];
  return {Value::tensor({c, r}, std::move(out)), ""};
}

TensorResult reshape(const Value &t, const Value &shapeList) {
  std::vector<int64_t> shape;
  int64_t count = 1;
  for (const ValuePtr &d : shapeList.elems) {
    if (d->i < 0 || d->i > kMaxValues || count > kMaxValues)
      return TensorResult::fail("'reshape' to a dimension of " +
                                std::to_string(d->i));
    shape.push_back(d->i);
    count *= d->i;
  }
  if (count != int64_t(t.data.size()))
    return TensorResult::fail(
        "'reshape' of a tensor of shape " + shapeText(t.shape) + " (" +
        std::to_string(t.data.size()) + " values) to shape " +
        shapeText(shape) + " (" + std::to_string(count) + " values)");
  return {Value::tensor(std::move(shape), t.data), ""};
}

/// The values of one row (first-axis slice) of \p t.
int64_t rowSize(const Value &t) {
  int64_t size = 1;
  for (size_t k = 1; k < t.shape.size(); ++k)
    size *= t.shape[k];
  return size;
}

TensorResult gather(const Value &t, const Value &indices) {
  if (t.shape.empty())
    return TensorResult::fail("'gather' of a tensor of rank 0");
  int64_t rows = t.shape[0], size = rowSize(t);
  if (int64_t(indices.elems.size()) * size > kMaxValues)
    return TensorResult::fail("'gather' of more values than a tensor holds");
  std::vector<float> out;
  for (const ValuePtr &i : indices.elems) {
    if (i->i < 0 || i->i >= rows)
      return TensorResult::fail("'gather' of row " + std::to_string(i->i) +
                                " of a tensor of shape " + shapeText(t.shape));
    out.insert(out.end(), t.data.begin() + i->i * size,
               t.data.begin() + (i->i + 1) * size);
  }
  std::vector<int64_t> shape = t.shape;
  shape[0] = int64_t(indices.elems.size());
  return {Value::tensor(std::move(shape), std::move(out)), ""};
}

TensorResult concat(const Value &a, const Value &b) {
  if (a.kind == Value::Kind::List) {
    if (a.elems.size() + b.elems.size() > size_t(kMaxValues))
      return TensorResult::fail("'++' of lists longer than the interpreter's "
                                "limit");
    std::vector<ValuePtr> out = a.elems;
    out.insert(out.end(), b.elems.begin(), b.elems.end());
    return {Value::list(std::move(out)), ""};
  }
  if (a.shape.empty() || a.shape.size() != b.shape.size() ||
      !std::equal(a.shape.begin() + 1, a.shape.end(), b.shape.begin() + 1))
    return TensorResult::fail(
        "'++' of tensors of shapes " + shapeText(a.shape) + " and " +
        shapeText(b.shape) + ": rows of one shape are needed");
  if (a.data.size() + b.data.size() > size_t(kMaxValues))
    return TensorResult::fail("'++' of tensors larger than a tensor holds");
  std::vector<float> out = a.data;
  out.insert(out.end(), b.data.begin(), b.data.end());
  std::vector<int64_t> shape = a.shape;
  shape[0] += b.shape[0];
  return {Value::tensor(std::move(shape), std::move(out)), ""};
}

TensorResult topk(const Value &t, int64_t k) {
  if (k < 0)
    return TensorResult::fail("'topk' of " + std::to_string(k) + " values");
  std::vector<int64_t> order(t.data.size());
  std::iota(order.begin(), order.end(), 0);
  size_t kept = std::min(size_t(k), order.size());
  // Largest first; of equal values, the lower index first.
  std::partial_sort(order.begin(), order.begin() + kept, order.end(),
                    [&](int64_t x, int64_t y) {
                      float a = t.data[size_t(x)], b = t.data[size_t(y)];
                      return a > b || (a == b && x < y);
                    });
  std::vector<ValuePtr> out;
  for (size_t i = 0; i < kept; ++i)
    out.push_back(Value::integer(order[i]));
  return {Value::list(std::move(out)), ""};
}

/// An Int8Tensor record's codes as a tensor of Floats.
Value codesAsTensor(const Value &codes) {
  Value t;
  t.kind = Value::Kind::Tensor;
  for (const ValuePtr &d : codes.elems[0]->elems)
    t.shape.push_back(d->i);
  for (const ValuePtr &c : codes.elems[1]->elems)
    t.data.push_back(float(c->i));
  return t;
}

/// A Float scale as a tensor of \p t's rank with every side 1.
Value scaleAsTensor(const Value &t, const Value &scale) {
  Value s;
  s.kind = Value::Kind::Tensor;
  s.shape.assign(t.shape.size(), 1);
  s.data = {float(number(scale))};
  return s;
}

/// `quantize(t, scales)`: round(t / scales) to the nearest integer (halves
/// away from 0), clamped to [-127, 127]; a quotient that is not a number
/// (0 / 0, or a NaN value or scale) has no code.
TensorResult quantize(const Value &t, const Value &scales) {
  TensorResult q = broadcast("quantize", t, scales, [](double x, double s) {
    double r = std::round(double(float(x / s)));
    return std::isnan(r) ? r : std::clamp(r, -127.0, 127.0);
  });
  if (!q.value)
    return q;
  if (llvm::any_of(q.value->data, [](float c) { return std::isnan(c); }))
    return TensorResult::fail(
        "'quantize' of a value or scale that is not a number: it has no code");
  std::vector<ValuePtr> shape, codes;
  for (int64_t d : q.value->shape)
    shape.push_back(Value::integer(d));
  for (float c : q.value->data)
    codes.push_back(Value::integer(int64_t(c)));
  return {Value::record("Int8Tensor", {Value::list(std::move(shape)),
                                       Value::list(std::move(codes))}),
          ""};
}

} // namespace

bool fac::interp::isInt8Tensor(const ValuePtr &v) {
  return v && v->kind == Value::Kind::Data && v->ctor == "Int8Tensor" &&
         v->elems.size() == 2;
}

bool fac::interp::isTensorIntrinsic(llvm::StringRef name,
                                    const std::vector<ValuePtr> &args) {
  // The algebra (`concat` of lists too), and the functions of Floats on a
  // tensor.
  if (args.empty())
    return false;
  if (isLoweredBy(name, Lowering::Algebra))
    return name == "concat" || isTensor(args[0]) || isInt8Tensor(args[0]);
  return isLoweredBy(name, Lowering::Scalar) && isTensor(args[0]);
}

TensorResult fac::interp::tensorIntrinsic(llvm::StringRef name,
                                          const std::vector<ValuePtr> &args) {
  const Value &t = *args[0];
  if (name == "concat")
    return concat(t, *args[1]);
  // A Float scale is a tensor of 1s' shape.
  if (name == "quantize")
    return quantize(t,
                    isTensor(args[1]) ? *args[1] : scaleAsTensor(t, *args[1]));
  if (name == "dequantize") {
    Value codes = codesAsTensor(t);
    return broadcast("dequantize", codes,
                     isTensor(args[1]) ? *args[1]
                                       : scaleAsTensor(codes, *args[1]),
                     [](double c, double s) { return c * s; });
  }
  if (args.size() == 1 && name != "softmax" && name != "transpose") {
    std::vector<float> out(t.data.size());
    for (size_t k = 0; k < out.size(); ++k) {
      double x = t.data[k], r = unary(name, x);
      if (std::isnan(r) && !std::isnan(x))
        return TensorResult::fail(notANumber(name, {x}));
      out[k] = float(r);
    }
    return {Value::tensor(t.shape, std::move(out)), ""};
  }
  if ((name == "min" || name == "max") && isTensor(args[1]))
    return broadcast(name, t, *args[1], [&](double x, double y) {
      return name == "min" ? std::fmin(x, y) : std::fmax(x, y);
    });
  if (name == "sum" || name == "mean" || name == "max")
    return reduce(name, t, args[1]->i);
  if (name == "softmax")
    return softmax(t);
  if (name == "transpose")
    return transpose(t);
  if (name == "reshape")
    return reshape(t, *args[1]);
  if (name == "gather")
    return gather(t, *args[1]);
  return topk(t, args[1]->i);
}

TensorResult fac::interp::tensorArithmetic(llvm::StringRef op,
                                           const ValuePtr &a,
                                           const ValuePtr &b) {
  auto fn = [&](double x, double y) {
    return op == "+" ? x + y : op == "-" ? x - y : op == "*" ? x * y : x / y;
  };
  if (isTensor(a) && isTensor(b))
    return broadcast(op, *a, *b, fn);
  const Value &t = isTensor(a) ? *a : *b;
  std::vector<float> out(t.data.size());
  for (size_t k = 0; k < out.size(); ++k) {
    double x = isTensor(a) ? double(a->data[k]) : number(*a);
    double y = isTensor(b) ? double(b->data[k]) : number(*b);
    double r = fn(x, y);
    if (std::isnan(r) && !std::isnan(x) && !std::isnan(y))
      return TensorResult::fail(notANumber(op, {x, y}));
    out[k] = float(r);
  }
  return {Value::tensor(t.shape, std::move(out)), ""};
}

TensorResult fac::interp::tensorRows(const Value &t, int64_t lo, int64_t hi) {
  if (t.shape.empty())
    return TensorResult::fail("a slice of a tensor of rank 0");
  int64_t rows = t.shape[0], size = rowSize(t);
  lo = std::clamp<int64_t>(lo, 0, rows);
  hi = std::clamp<int64_t>(hi, lo, rows);
  std::vector<int64_t> shape = t.shape;
  shape[0] = hi - lo;
  return {Value::tensor(std::move(shape),
                        std::vector<float>(t.data.begin() + lo * size,
                                           t.data.begin() + hi * size)),
          ""};
}

std::string fac::interp::notANumber(llvm::StringRef what,
                                    std::initializer_list<double> in) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "'" << what << "' of ";
  bool first = true;
  for (double v : in) {
    os << (first ? "" : ", ") << llvm::format("%g", v);
    first = false;
  }
  os << " is not a number";
  return text;
}
