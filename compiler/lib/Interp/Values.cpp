//===- Values.cpp - The interpreter's values ------------------------------===//
//
// Values (fac/Interp/Interpreter.h): constructors, printing, pyramids of
// token rows and their flattening, and environments. The evaluator is
// Interpreter.cpp; the tensor algebra's rules are TensorAlgebra.cpp.
//
//===----------------------------------------------------------------------===//

#include "Values.h"

#include "facrt/facrt.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

using namespace fac;
using namespace fac::interp;

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

ValuePtr Value::unit() { return std::make_shared<Value>(); }
ValuePtr Value::boolean(bool b) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::Bool;
  v->b = b;
  return v;
}
ValuePtr Value::integer(int64_t i) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::Int;
  v->i = i;
  return v;
}
ValuePtr Value::real(double f) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::Float;
  // Float is f32 in every stage: an operation computed on doubles and
  // rounded once is f32's correctly rounded result.
  v->f = double(float(f));
  return v;
}
ValuePtr Value::tensor(std::vector<int64_t> shape, std::vector<float> data) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::Tensor;
  v->shape = std::move(shape);
  v->data = std::move(data);
  return v;
}
/// 1 + the deepest of \p elems.
static unsigned depthOver(const std::vector<ValuePtr> &elems) {
  unsigned deepest = 0;
  for (const ValuePtr &e : elems)
    deepest = std::max(deepest, e->depth);
  return deepest + 1;
}
ValuePtr Value::list(std::vector<ValuePtr> elems) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::List;
  v->elems = std::move(elems);
  v->depth = depthOver(v->elems);
  return v;
}
ValuePtr Value::record(std::string ctor, std::vector<ValuePtr> fields) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::Data;
  v->ctor = std::move(ctor);
  v->elems = std::move(fields);
  v->depth = depthOver(v->elems);
  return v;
}

std::string Value::str() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  switch (kind) {
  case Kind::Unit:
    os << "()";
    break;
  case Kind::Bool:
    os << (b ? "true" : "false");
    break;
  case Kind::Int:
    os << i;
    break;
  case Kind::Float:
    os << llvm::format("%g", f);
    break;
  case Kind::Tensor:
    os << "Tensor[";
    for (size_t k = 0; k < shape.size(); ++k)
      os << (k ? ", " : "") << shape[k];
    os << "]";
    break;
  case Kind::List:
  case Kind::Tuple: {
    // Short lists in full, long ones by their length.
    bool list = kind == Kind::List;
    if (list && elems.size() > 8) {
      os << "List(" << elems.size() << ")";
      break;
    }
    os << (list ? "[" : "(");
    for (size_t k = 0; k < elems.size(); ++k)
      os << (k ? ", " : "") << elems[k]->str();
    os << (list ? "]" : ")");
    break;
  }
  case Kind::Data:
    os << ctor << (elems.empty() ? "" : "(...)");
    break;
  case Kind::Closure:
    os << "<function>";
    break;
  }
  return os.str();
}

int64_t Value::rows() const {
  int64_t cols = shape.empty() ? 1 : shape.back();
  return cols ? int64_t(data.size()) / cols : 0;
}

ValuePtr fac::interp::buildPyramid(const float *tokens, int64_t n, int64_t d) {
  if (n <= 0)
    return nullptr;
  std::vector<ValuePtr> level;
  for (int64_t i = 0; i < n; ++i)
    level.push_back(Value::record(
        "Node",
        {Value::tensor(
             {1, d}, std::vector<float>(tokens + i * d, tokens + (i + 1) * d)),
         Value::list({})}));
  while (level.size() > 1) {
    std::vector<ValuePtr> up;
    for (size_t j = 0; j < level.size(); j += 2) {
      std::vector<ValuePtr> children(
          level.begin() + j, level.begin() + std::min(j + 2, level.size()));
      std::vector<float> mean(size_t(d), 0.0f);
      int64_t count = 0;
      for (const ValuePtr &c : children) {
        const Value &t = *c->elems[0];
        count += t.weight(0);
        for (int64_t k = 0; k < d; ++k)
          mean[k] += t.data[k] * float(t.weight(0));
      }
      for (float &x : mean)
        x /= float(count);
      auto summary = std::make_shared<Value>(*Value::tensor({1, d}, mean));
      summary->rowWeights = {count};
      up.push_back(
          Value::record("Node", {summary, Value::list(std::move(children))}));
    }
    level = std::move(up);
  }
  return level.front();
}

int64_t fac::interp::collectLeaves(const ValuePtr &tree,
                                   std::vector<float> &rows,
                                   std::vector<int64_t> &weights) {
  int64_t width = 0;
  bool first = true;
  std::vector<ValuePtr> stack{tree};
  while (!stack.empty()) {
    ValuePtr node = stack.back();
    stack.pop_back();
    if (node->kind != Value::Kind::Data || node->elems.size() != 2)
      continue;
    const std::vector<ValuePtr> &children = node->elems[1]->elems;
    if (!children.empty()) {
      for (auto it = children.rbegin(); it != children.rend(); ++it)
        stack.push_back(*it);
      continue;
    }
    const Value &t = *node->elems[0];
    int64_t cols = t.shape.empty() ? 1 : t.shape.back();
    if (!first && cols != width)
      return -1;
    first = false;
    width = cols;
    rows.insert(rows.end(), t.data.begin(), t.data.end());
    for (int64_t r = 0; r < t.rows(); ++r)
      weights.push_back(t.weight(r));
  }
  return width;
}

std::vector<std::vector<float>> fac::interp::flattenTree(const ValuePtr &tree) {
  std::vector<float> rows;
  std::vector<int64_t> weights;
  int64_t leafWidth = collectLeaves(tree, rows, weights);
  std::vector<std::vector<float>> tokens;
  if (leafWidth < 0)
    return tokens;
  size_t width = size_t(leafWidth);
  for (size_t r = 0; r < weights.size(); ++r)
    for (int64_t m = 0; m < weights[r]; ++m)
      tokens.emplace_back(rows.begin() + r * width,
                          rows.begin() + (r + 1) * width);
  return tokens;
}

ValuePtr Env::lookup(const std::string &name) const {
  for (const Env *e = this; e; e = e->parent.get()) {
    auto it = e->vars.find(name);
    if (it != e->vars.end())
      return it->second;
  }
  return nullptr;
}
