//===- LibraryHandlers.cpp - The library's effect handlers ----------------===//
//
// Members of the interpreter (Evaluator.h): a perform runs the nearest
// clause of the spec's handlers, else the library's handler of the row of
// LibraryEffects.def Sema resolved it to: attention (dense, with hooks,
// over trees), pyramids, rules, fractal weight codes, MemoryConstraint.
//
//===----------------------------------------------------------------------===//

#include "Evaluator.h"

using namespace fac;
using namespace fac::interp;

ValuePtr Interpreter::Impl::perform(const std::string &effect,
                                    const std::vector<ValuePtr> &args,
                                    const ast::CallExpr &e) {
  for (size_t h = handlers.size(); h-- > 0;)
    for (const ast::Arm &arm : handlers[h].expr->getArms())
      // A clause catches the overload it handles (and binds as many
      // values as it has).
      if (arm.kind == ast::Arm::Kind::Effect && arm.pattern.name == effect &&
          arm.pattern.subs.size() == args.size() &&
          (!arm.handledDecl || !e.performedDecl ||
           arm.handledDecl == e.performedDecl)) {
        EnvPtr frame = child(handlers[h].env);
        for (size_t k = 0; k < args.size(); ++k)
          match(arm.pattern.subs[k], args[k], *frame);
        // The clause runs outside the handler it belongs to.
        std::vector<Handler> inner(handlers.begin() + h, handlers.end());
        handlers.resize(h);
        ValuePtr v = eval(*arm.body, frame);
        handlers.insert(handlers.end(), inner.begin(), inner.end());
        return v;
      }
  if (!e.libraryEffect)
    return fail(e.getLoc(), "effect '" + effect +
                                "' is performed outside any handler of it");
  switch (*e.libraryEffect) {
  case LibraryEffect::AttendHooks:
    return attendWithHooks(args, e.getLoc());
  case LibraryEffect::Attend:
    return attend(args, e.getLoc());
  case LibraryEffect::AttendTrees:
    return attendTrees(args, e.getLoc());
  case LibraryEffect::CompressToPyramid: {
    const Value &t = *args[0];
    int64_t cols = t.shape.empty() ? 1 : t.shape.back();
    // A tree's root summarises at least one token (as the runtime's
    // facrt_pyramid_build requires).
    if (t.rows() == 0)
      return fail(e.getLoc(), "cannot compress a tensor with no rows into "
                              "a tree: a tree stands for at least one token");
    return buildPyramid(t.data.data(), t.rows(), cols);
  }
  case LibraryEffect::DecompressPyramid: {
    std::vector<float> rows;
    std::vector<int64_t> weights;
    int64_t width = checkedLeaves(args[0], rows, weights, e.getLoc());
    if (width < 0)
      return nullptr;
    std::vector<float> tokens = repeatRows(rows, weights, width);
    int64_t n = width ? int64_t(tokens.size()) / width : 0;
    return Value::tensor({n, width}, std::move(tokens));
  }
  case LibraryEffect::CompressByRule: {
    // A tree the rule's pattern matches becomes a leaf of the substitute.
    const ValuePtr &rule = args[1];
    if (matches(args[0], rule->elems[0]))
      return Value::record("Node", {rule->elems[1], Value::list({})});
    return args[0];
  }
  case LibraryEffect::DecompressByRule: {
    // A tensor that is the rule's substitute expands to the value tree
    // of its pattern; anything else is a leaf.
    const ValuePtr &rule = args[1];
    if (matches(args[0], rule->elems[1]))
      return rule->elems[0]->elems[2];
    return Value::record("Node", {args[0], Value::list({})});
  }
  case LibraryEffect::AttentionComputation:
    return call(args[3], {args[0], args[1], args[2]}, e.getLoc());
  case LibraryEffect::CompressWeight:
    return compressWeight(args[0], args[1], e.getLoc());
  case LibraryEffect::Reconstruct:
    return decodeWeight(args[0], e.getLoc());
  case LibraryEffect::AttentionForward:
    return attentionForward(args[0], args[1], e.getLoc());
  case LibraryEffect::FractalForwardAtLevel:
    return fractalForward(args[0], args[1]->i, args[2], e.getLoc());
  case LibraryEffect::FractalForward: {
    // Without a level: every compressed weight in turn.
    ValuePtr x = args[0];
    for (const ValuePtr &w : args.back()->elems)
      if (!(x = attentionForward(x, w, e.getLoc())))
        return nullptr;
    return x;
  }
  case LibraryEffect::MemoryConstraint:
    return Value::record(
        int64_t(largestTensorBytes) <= args[0]->i ? "Satisfy" : "Violate", {});
  }
  llvm_unreachable("every row of LibraryEffects.def has a handler");
}

ValuePtr Interpreter::Impl::attendWithHooks(const std::vector<ValuePtr> &args,
                                            Location at) {
  const Value &q = *args[0], &k = *args[1], &v = *args[2];
  int64_t n = q.rows(), m = k.rows();
  int64_t d = q.shape.empty() ? 1 : q.shape.back();
  int64_t dv = v.shape.empty() ? 1 : v.shape.back();
  if ((k.shape.empty() ? 1 : k.shape.back()) != d || v.rows() != m)
    return fail(at, "Attend of " + args[0]->str() + ", " + args[1]->str() +
                        ", " + args[2]->str());
  ValuePtr head = Value::integer(attentionHead);
  double scale = 1.0 / std::sqrt(double(std::max<int64_t>(d, 1)));
  std::vector<float> out(size_t(n * dv), 0.0f);
  std::vector<double> scores(static_cast<size_t>(m));
  std::vector<bool> kept(static_cast<size_t>(m));
  for (int64_t i = 0; i < n; ++i) {
    ValuePtr position = Value::integer(m - n + i);
    double top = -INFINITY;
    for (int64_t j = 0; j < m; ++j) {
      ValuePtr key = Value::integer(j);
      ValuePtr keep = call(args[4], {position, key, head}, at);
      if (!keep)
        return nullptr;
      kept[size_t(j)] = keep->b;
      if (!keep->b)
        continue;
      double s = 0;
      for (int64_t t = 0; t < d; ++t)
        s += double(q.data[size_t(i * d + t)]) * k.data[size_t(j * d + t)];
      ValuePtr scored =
          call(args[3], {Value::real(s * scale), position, key, head}, at);
      if (!scored)
        return nullptr;
      // -inf drops the key; NaN and +inf are no score.
      if (std::isnan(scored->f) || scored->f == INFINITY)
        return fail(at, llvm::Twine("the score hook of 'Attend' gave ") +
                            (std::isnan(scored->f) ? "NaN" : "+inf") +
                            " for query position " + llvm::Twine(m - n + i) +
                            " and key " + llvm::Twine(j));
      scores[size_t(j)] = scored->f;
      top = std::max(top, scored->f);
    }
    if (top == -INFINITY)
      continue; // No key left (or every score -inf): the row is 0.
    double sum = 0;
    std::vector<double> row(size_t(dv), 0.0);
    for (int64_t j = 0; j < m; ++j) {
      if (!kept[size_t(j)])
        continue;
      double p = std::exp(scores[size_t(j)] - top);
      sum += p;
      for (int64_t c = 0; c < dv; ++c)
        row[size_t(c)] += p * v.data[size_t(j * dv + c)];
    }
    for (int64_t c = 0; c < dv; ++c)
      out[size_t(i * dv + c)] = float(row[size_t(c)] / sum);
  }
  return Value::tensor({n, dv}, std::move(out));
}

ValuePtr Interpreter::Impl::attend(const std::vector<ValuePtr> &args,
                                   Location at) {
  fac_memref2d_f32 q = view(*args[0]), k = view(*args[1]), v = view(*args[2]);
  if (q.sizes[1] != k.sizes[1] || k.sizes[0] != v.sizes[0])
    return fail(at, "Attend of " + args[0]->str() + ", " + args[1]->str() +
                        ", " + args[2]->str());
  std::vector<double> out(size_t(q.sizes[0] * v.sizes[1]));
  facrt_attention_ref_f64(&q, &k, &v, 1.0 / std::sqrt(double(q.sizes[1])), 0,
                          out.data());
  return Value::tensor({q.sizes[0], v.sizes[1]},
                       std::vector<float>(out.begin(), out.end()));
}

ValuePtr Interpreter::Impl::compressWeight(const ValuePtr &weight,
                                           const ValuePtr &code, Location at) {
  std::vector<Matrix> matrices;
  for (const ValuePtr &m : weight->elems) {
    const Value &t = *m;
    matrices.push_back(
        {t.rows(), t.shape.empty() ? 1 : t.shape.back(), t.data});
  }
  std::vector<int64_t> codes;
  double bits = 0;
  std::string error;
  if (!codeWeights(matrices, codes, bits, error))
    return fail(at, error);
  std::vector<ValuePtr> ints;
  for (int64_t x : codes)
    ints.push_back(Value::integer(x));
  ValuePtr fractalCode =
      Value::record("FractalCode", {code->elems[0], Value::list(ints)});
  return Value::record("CompressedWeight", {fractalCode, Value::real(bits)});
}

ValuePtr Interpreter::Impl::decodeWeight(const ValuePtr &compressed,
                                         Location at) {
  std::vector<int64_t> ints;
  for (const ValuePtr &x : compressed->elems[0]->elems[1]->elems)
    ints.push_back(x->i);
  std::vector<Matrix> decoded;
  if (!decodeWeightCodes(ints, 3, decoded))
    return fail(at, "malformed fractal code");
  std::vector<ValuePtr> matrices;
  for (Matrix &m : decoded)
    matrices.push_back(Value::tensor({m.rows, m.cols}, std::move(m.values)));
  return Value::record("AttentionWeight", std::move(matrices));
}

ValuePtr Interpreter::Impl::fractalForward(const ValuePtr &input, int64_t level,
                                           const ValuePtr &weights,
                                           Location at) {
  std::vector<ValuePtr> decoded;
  std::vector<const float *> matrices;
  int64_t n = input->rows();
  for (const ValuePtr &w : weights->elems) {
    decoded.push_back(decodeWeight(w, at));
    if (!decoded.back())
      return nullptr;
    for (const ValuePtr &m : decoded.back()->elems) {
      if (m->rows() != n || int64_t(m->data.size()) != n * n)
        return fail(at, "the fractal forward multiplies square matrices: "
                        "input " +
                            input->str() + ", weight " + m->str());
      matrices.push_back(m->data.data());
    }
  }
  if (int64_t(input->data.size()) != n * n || level < 0 || level > 20)
    return fail(at, "the fractal forward needs a square input and a level "
                    "in 0-20, got " +
                        input->str());
  std::vector<float> out(input->data.size());
  if (facrt_v4_forward(input->data.data(), n, int32_t(level), matrices.data(),
                       int64_t(decoded.size()), out.data(),
                       nullptr) != FACRT_OK)
    return fail(at, "level " + llvm::Twine(level) + " needs more than " +
                        llvm::Twine(decoded.size()) + " weights");
  return Value::tensor(input->shape, std::move(out));
}

ValuePtr Interpreter::Impl::attentionForward(const ValuePtr &input,
                                             const ValuePtr &weight,
                                             Location at) {
  ValuePtr w = decodeWeight(weight, at);
  if (!w)
    return nullptr;
  ValuePtr q = matmul(input, w->elems[0], at);
  ValuePtr k = q ? matmul(input, w->elems[1], at) : nullptr;
  ValuePtr v = k ? matmul(input, w->elems[2], at) : nullptr;
  if (!v)
    return nullptr;
  return attend({q, k, v}, at);
}

int64_t Interpreter::Impl::checkedLeaves(const ValuePtr &tree,
                                         std::vector<float> &rows,
                                         std::vector<int64_t> &weights,
                                         Location at) {
  int64_t width = collectLeaves(tree, rows, weights);
  if (width < 0) {
    fail(at, "the leaves of the tree hold tensors of different widths");
    return -1;
  }
  int64_t tokens = 0;
  for (int64_t w : weights)
    if ((tokens += w) > kMaxListLength) {
      fail(at, "a tree of more than " + llvm::Twine(kMaxListLength) +
                   " tokens is over the interpreter's limit");
      return -1;
    }
  return width;
}

std::vector<float>
Interpreter::Impl::repeatRows(const std::vector<float> &rows,
                              const std::vector<int64_t> &weights,
                              int64_t width) {
  std::vector<float> out;
  for (size_t r = 0; r < weights.size(); ++r)
    for (int64_t m = 0; m < weights[r]; ++m)
      out.insert(out.end(), rows.begin() + r * width,
                 rows.begin() + (r + 1) * width);
  return out;
}

ValuePtr Interpreter::Impl::attendTrees(const std::vector<ValuePtr> &args,
                                        Location at) {
  std::vector<float> q, k, v;
  std::vector<int64_t> qw, kw, vw;
  if (checkedLeaves(args[0], q, qw, at) < 0 ||
      checkedLeaves(args[1], k, kw, at) < 0 ||
      checkedLeaves(args[2], v, vw, at) < 0)
    return nullptr;
  if (qw.empty() || kw.empty() || vw.empty())
    return fail(at, "Attend of an empty tree");
  int64_t d = int64_t(q.size() / qw.size());
  int64_t dv = int64_t(v.size() / vw.size());
  if (int64_t(k.size() / kw.size()) != d)
    return fail(at, "query and key widths differ");
  // Keys and values may be cut differently: attend over their tokens.
  std::vector<float> keys = repeatRows(k, kw, d),
                     values = repeatRows(v, vw, dv);
  int64_t n = int64_t(keys.size()) / d;
  if (int64_t(values.size()) / dv != n)
    return fail(at, "keys and values stand for different token counts (" +
                        llvm::Twine(n) + " and " +
                        llvm::Twine(int64_t(values.size()) / dv) + ")");
  fac_memref2d_f32 qv = facrt_view2d(q.data(), int64_t(qw.size()), d, d, 0);
  fac_memref2d_f32 kv = facrt_view2d(keys.data(), n, d, d, 0);
  fac_memref2d_f32 vv = facrt_view2d(values.data(), n, dv, dv, 0);
  std::vector<double> out(qw.size() * size_t(dv));
  facrt_attention_ref_f64(&qv, &kv, &vv, 1.0 / std::sqrt(double(d)), 0,
                          out.data());
  auto result = std::make_shared<Value>(*Value::tensor(
      {int64_t(qw.size()), dv}, std::vector<float>(out.begin(), out.end())));
  result->rowWeights = qw;
  return result;
}
