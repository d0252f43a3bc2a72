//===- Pyramid.cpp - Tensor trees and the seed's first variant ------------===//
//
// Pyramids of token vectors (the language's TensorTree), the rule-based
// compression of the seed's first variant (threshold pruning and a codebook
// of rules), attention over the surviving nodes with multiplicities, and
// decompression back to tokens.
//
//===----------------------------------------------------------------------===//

#include "Guard.h"

#include "facrt/facrt.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

struct facrt_pyramid {
  int64_t d = 0;
  /// means[level] is nodes x d, row-major; counts[level][node].
  std::vector<std::vector<float>> means;
  std::vector<std::vector<int64_t>> counts;
};

namespace {
inline float &at(const fac_memref2d_f32 *m, int64_t i, int64_t j) {
  return m->aligned[m->offset + i * m->strides[0] + j * m->strides[1]];
}

double norm(const float *x, int64_t d) {
  double s = 0;
  for (int64_t t = 0; t < d; ++t)
    s += double(x[t]) * x[t];
  return std::sqrt(s);
}

double distance(const float *x, const float *y, int64_t d) {
  double s = 0;
  for (int64_t t = 0; t < d; ++t)
    s += (double(x[t]) - y[t]) * (double(x[t]) - y[t]);
  return std::sqrt(s);
}
} // namespace

static facrt_status pyramidBuildImpl(const fac_memref2d_f32 *tokens,
                                     facrt_pyramid **out) {
  if (!tokens || !out || tokens->sizes[0] <= 0 || tokens->sizes[1] <= 0)
    return FACRT_ERR_ARG;
  int64_t n = tokens->sizes[0], d = tokens->sizes[1];
  auto p = std::make_unique<facrt_pyramid>();
  p->d = d;
  p->means.emplace_back(size_t(n * d));
  p->counts.emplace_back(size_t(n), 1);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < d; ++t)
      p->means[0][i * d + t] = at(tokens, i, t);
  // Each level halves the previous one; a node's mean is the count-weighted
  // mean of its children, so it is the exact mean of its tokens.
  while (p->counts.back().size() > 1) {
    const std::vector<float> &below = p->means.back();
    const std::vector<int64_t> &belowCounts = p->counts.back();
    int64_t m = (int64_t(belowCounts.size()) + 1) / 2;
    std::vector<float> means(size_t(m * d), 0.0f);
    std::vector<int64_t> counts(size_t(m), 0);
    for (int64_t j = 0; j < m; ++j) {
      for (int64_t c = 2 * j;
           c < std::min<int64_t>(2 * j + 2, belowCounts.size()); ++c) {
        counts[j] += belowCounts[c];
        for (int64_t t = 0; t < d; ++t)
          means[j * d + t] += below[c * d + t] * float(belowCounts[c]);
      }
      for (int64_t t = 0; t < d; ++t)
        means[j * d + t] /= float(counts[j]);
    }
    p->means.push_back(std::move(means));
    p->counts.push_back(std::move(counts));
  }
  *out = p.release();
  return FACRT_OK;
}

extern "C" void facrt_pyramid_free(facrt_pyramid *pyramid) { delete pyramid; }

extern "C" int32_t facrt_pyramid_levels(const facrt_pyramid *p) {
  return p ? int32_t(p->counts.size()) : 0;
}

extern "C" int64_t facrt_pyramid_nodes(const facrt_pyramid *p, int32_t level) {
  if (!p || level < 0 || level >= int32_t(p->counts.size()))
    return 0;
  return int64_t(p->counts[level].size());
}

extern "C" const float *facrt_pyramid_mean(const facrt_pyramid *p,
                                           int32_t level, int64_t node) {
  if (node < 0 || node >= facrt_pyramid_nodes(p, level))
    return nullptr;
  return p->means[level].data() + node * p->d;
}

extern "C" int64_t facrt_pyramid_count(const facrt_pyramid *p, int32_t level,
                                       int64_t node) {
  if (node < 0 || node >= facrt_pyramid_nodes(p, level))
    return 0;
  return p->counts[level][node];
}

static int64_t v1CompressImpl(const facrt_pyramid *p, float threshold,
                              const facrt_rule *rules, int32_t n_rules,
                              float tolerance, facrt_cut_node *nodes,
                              float *vectors, int64_t capacity) {
  if (!p || !nodes || !vectors || n_rules < 0 || (n_rules > 0 && !rules))
    return -1;
  int64_t d = p->d, c = 0;
  bool overflow = false;
  auto emit = [&](int32_t level, int64_t j, const float *vector, int32_t rule) {
    if (c >= capacity) {
      overflow = true;
      return;
    }
    nodes[c] = {j << level, p->counts[level][j], level, rule};
    std::copy_n(vector, d, vectors + c * d);
    ++c;
  };
  // Depth first, left to right, so the cut is in token order.
  struct Item {
    int32_t level;
    int64_t node;
  };
  std::vector<Item> stack{{int32_t(p->counts.size()) - 1, 0}};
  while (!stack.empty() && !overflow) {
    Item it = stack.back();
    stack.pop_back();
    const float *mean = p->means[it.level].data() + it.node * d;
    // The magnitude of the tokens the node stands for, as the seed's
    // `magnitude(tensor)` of a node's summary is in the interpreter.
    double magnitude =
        std::sqrt(double(p->counts[it.level][it.node])) * norm(mean, d);
    if (it.level == 0 || magnitude < threshold) {
      emit(it.level, it.node, mean, -1);
      continue;
    }
    int32_t matched = -1;
    for (int32_t r = 0; r < n_rules && matched < 0; ++r)
      if (distance(mean, rules[r].pattern, d) <= tolerance)
        matched = r;
    if (matched >= 0) {
      emit(it.level, it.node, rules[matched].substitute, matched);
      continue;
    }
    int64_t children = int64_t(p->counts[it.level - 1].size());
    if (2 * it.node + 1 < children)
      stack.push_back({it.level - 1, 2 * it.node + 1});
    stack.push_back({it.level - 1, 2 * it.node});
  }
  return overflow ? -1 : c;
}

extern "C" facrt_status facrt_pyramid_gather(const facrt_pyramid *p,
                                             const facrt_cut_node *nodes,
                                             int64_t c, float *out) {
  if (!p || (c > 0 && (!nodes || !out)))
    return FACRT_ERR_ARG;
  for (int64_t j = 0; j < c; ++j) {
    const float *mean =
        facrt_pyramid_mean(p, nodes[j].level, nodes[j].start >> nodes[j].level);
    if (!mean ||
        facrt_pyramid_count(p, nodes[j].level,
                            nodes[j].start >> nodes[j].level) != nodes[j].count)
      return FACRT_ERR_ARG;
    std::copy_n(mean, p->d, out + j * p->d);
  }
  return FACRT_OK;
}

static facrt_status
multiplicityAttentionImpl(const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
                          const fac_memref2d_f32 *v, const int64_t *counts,
                          float scale, fac_memref2d_f32 *out) {
  if (!q || !k || !v || !counts || !out)
    return FACRT_ERR_ARG;
  int64_t n = q->sizes[0], d = q->sizes[1], c = k->sizes[0];
  int64_t dv = v->sizes[1];
  if (k->sizes[1] != d || v->sizes[0] != c || out->sizes[0] != n ||
      out->sizes[1] != dv)
    return FACRT_ERR_ARG;
  std::vector<double> scores(static_cast<size_t>(c));
  for (int64_t i = 0; i < n; ++i) {
    double maxScore = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < c; ++j) {
      if (counts[j] <= 0)
        return FACRT_ERR_ARG;
      float s = 0;
      for (int64_t t = 0; t < d; ++t)
        s += at(q, i, t) * at(k, j, t);
      // A node standing for m tokens: a log(m) bias on its score.
      // d = 0: an empty dot product scores 0 whatever the scale.
      scores[j] =
          (d > 0 ? double(scale) * s : 0.0) + std::log(double(counts[j]));
      maxScore = std::max(maxScore, scores[j]);
    }
    double sum = 0;
    for (int64_t j = 0; j < c; ++j)
      sum += scores[j] = std::exp(scores[j] - maxScore);
    for (int64_t t = 0; t < dv; ++t) {
      double acc = 0;
      for (int64_t j = 0; j < c; ++j)
        acc += scores[j] * at(v, j, t);
      at(out, i, t) = c > 0 ? float(acc / sum) : 0.0f;
    }
  }
  return FACRT_OK;
}

extern "C" facrt_status facrt_v1_decompress(const facrt_cut_node *nodes,
                                            int64_t c,
                                            const fac_memref2d_f32 *compressed,
                                            fac_memref2d_f32 *out) {
  if (!nodes || !compressed || !out || compressed->sizes[0] != c ||
      compressed->sizes[1] != out->sizes[1])
    return FACRT_ERR_ARG;
  for (int64_t j = 0; j < c; ++j) {
    if (nodes[j].start < 0 || nodes[j].start + nodes[j].count > out->sizes[0])
      return FACRT_ERR_ARG;
    for (int64_t i = nodes[j].start; i < nodes[j].start + nodes[j].count; ++i)
      for (int64_t t = 0; t < out->sizes[1]; ++t)
        at(out, i, t) = at(compressed, j, t);
  }
  return FACRT_OK;
}

/// The seed's V1 `attend` with no rules: q, k and v each compressed, the
/// query leaves attending over the common refinement of the key and value
/// cuts with multiplicities, each row repeated for its query tokens.
static facrt_status v1AttentionImpl(const fac_memref2d_f32 *q,
                                    const fac_memref2d_f32 *k,
                                    const fac_memref2d_f32 *v, float threshold,
                                    fac_memref2d_f32 *out, int64_t *scored) {
  if (!q || !k || !v || !out || q->sizes[0] < 1 || k->sizes[0] < 1 ||
      k->sizes[0] != v->sizes[0] || k->sizes[1] != q->sizes[1] ||
      out->sizes[0] != q->sizes[0] || out->sizes[1] != v->sizes[1])
    return FACRT_ERR_ARG;
  int64_t m = k->sizes[0], d = q->sizes[1], dv = v->sizes[1];
  struct Cut {
    std::unique_ptr<facrt_pyramid, void (*)(facrt_pyramid *)> pyramid{
        nullptr, facrt_pyramid_free};
    std::vector<facrt_cut_node> nodes;
    std::vector<float> rows;
  };
  auto cut = [&](const fac_memref2d_f32 *tokens, Cut &c) {
    facrt_pyramid *p = nullptr;
    facrt_status status = pyramidBuildImpl(tokens, &p);
    if (status != FACRT_OK)
      return status;
    c.pyramid.reset(p);
    int64_t rows = tokens->sizes[0], width = tokens->sizes[1];
    c.nodes.resize(size_t(rows));
    c.rows.resize(size_t(rows * width));
    int64_t count = v1CompressImpl(p, threshold, nullptr, 0, 0, c.nodes.data(),
                                   c.rows.data(), rows);
    if (count < 0)
      return FACRT_ERR_ARG;
    c.nodes.resize(size_t(count));
    return FACRT_OK;
  };
  Cut cq, ck, cv;
  for (auto [tokens, c] : {std::pair{q, &cq}, {k, &ck}, {v, &cv}})
    if (facrt_status status = cut(tokens, *c); status != FACRT_OK)
      return status;
  // The common refinement of the key and value cuts.
  std::vector<float> keys, values;
  std::vector<int64_t> counts;
  size_t i = 0, j = 0;
  for (int64_t t = 0; t < m;) {
    const facrt_cut_node &a = ck.nodes[i], &b = cv.nodes[j];
    int64_t end = std::min(a.start + a.count, b.start + b.count);
    keys.insert(keys.end(), ck.rows.begin() + i * d,
                ck.rows.begin() + (i + 1) * d);
    values.insert(values.end(), cv.rows.begin() + j * dv,
                  cv.rows.begin() + (j + 1) * dv);
    counts.push_back(end - t);
    i += a.start + a.count == end;
    j += b.start + b.count == end;
    t = end;
  }
  int64_t pieces = int64_t(counts.size()), leaves = int64_t(cq.nodes.size());
  std::vector<float> attended(size_t(leaves * dv));
  fac_memref2d_f32 qv = facrt_view2d(cq.rows.data(), leaves, d, d, 0);
  fac_memref2d_f32 kv = facrt_view2d(keys.data(), pieces, d, d, 0);
  fac_memref2d_f32 vv = facrt_view2d(values.data(), pieces, dv, dv, 0);
  fac_memref2d_f32 ov = facrt_view2d(attended.data(), leaves, dv, dv, 0);
  facrt_status status = multiplicityAttentionImpl(
      &qv, &kv, &vv, counts.data(), 1.0f / std::sqrt(float(d)), &ov);
  if (status != FACRT_OK)
    return status;
  if (scored)
    *scored = pieces;
  return facrt_v1_decompress(cq.nodes.data(), leaves, &ov, out);
}

static facrt_status
hierarchicalAttentionImpl(const fac_memref2d_f32 *q, const facrt_pyramid *keys,
                          const facrt_pyramid *values, int64_t window,
                          float scale, fac_memref2d_f32 *out, int64_t *pairs) {
  if (!q || !keys || !values || !out || window <= 0 ||
      keys->counts[0].size() != values->counts[0].size() ||
      q->sizes[1] != keys->d || out->sizes[1] != values->d ||
      out->sizes[0] != q->sizes[0] ||
      q->sizes[0] > int64_t(keys->counts[0].size()))
    return FACRT_ERR_ARG;
  int64_t n = q->sizes[0], d = keys->d, dv = values->d;
  int64_t first = int64_t(keys->counts[0].size()) - n; // Position of row 0.
  int64_t scored = 0;
  std::vector<double> scores;
  std::vector<std::pair<int32_t, int64_t>> cover; // (level, node)
  for (int64_t i = 0; i < n; ++i) {
    // Cover [0, i] from the right: `window` nodes per level, moving up a
    // level once the position is aligned to the next level's nodes.
    cover.clear();
    int64_t pos = first + i + 1;
    int32_t level = 0;
    int64_t taken = 0;
    int32_t top = int32_t(keys->counts.size()) - 1;
    while (pos > 0) {
      int64_t size = int64_t(1) << level;
      if (taken >= window && level < top && pos % (2 * size) == 0) {
        ++level;
        taken = 0;
        continue;
      }
      cover.push_back({level, pos / size - 1});
      pos -= size;
      ++taken;
    }
    scored += int64_t(cover.size());
    scores.resize(cover.size());
    double maxScore = -std::numeric_limits<double>::infinity();
    for (size_t j = 0; j < cover.size(); ++j) {
      const float *key =
          keys->means[cover[j].first].data() + cover[j].second * d;
      float s = 0;
      for (int64_t t = 0; t < d; ++t)
        s += at(q, i, t) * key[t];
      scores[j] =
          (d > 0 ? double(scale) * s : 0.0) +
          std::log(double(keys->counts[cover[j].first][cover[j].second]));
      maxScore = std::max(maxScore, scores[j]);
    }
    double sum = 0;
    for (double &s : scores)
      sum += s = std::exp(s - maxScore);
    for (int64_t t = 0; t < dv; ++t) {
      double acc = 0;
      for (size_t j = 0; j < cover.size(); ++j)
        acc +=
            scores[j] * values->means[cover[j].first][cover[j].second * dv + t];
      at(out, i, t) = float(acc / sum);
    }
  }
  if (pairs)
    *pairs = scored;
  return FACRT_OK;
}

//===----------------------------------------------------------------------===//
// The C ABI: no exception crosses it (Guard.h).
//===----------------------------------------------------------------------===//

extern "C" facrt_status facrt_pyramid_build(const fac_memref2d_f32 *tokens,
                                            facrt_pyramid **out) {
  return facrt::guard([&] { return pyramidBuildImpl(tokens, out); });
}

extern "C" int64_t facrt_v1_compress(const facrt_pyramid *pyramid,
                                     float threshold, const facrt_rule *rules,
                                     int32_t n_rules, float tolerance,
                                     facrt_cut_node *nodes, float *vectors,
                                     int64_t capacity) {
  return facrt::guardOr<int64_t>(-1, [&] {
    return v1CompressImpl(pyramid, threshold, rules, n_rules, tolerance, nodes,
                          vectors, capacity);
  });
}

extern "C" facrt_status facrt_multiplicity_attention(const fac_memref2d_f32 *q,
                                                     const fac_memref2d_f32 *k,
                                                     const fac_memref2d_f32 *v,
                                                     const int64_t *counts,
                                                     float scale,
                                                     fac_memref2d_f32 *out) {
  return facrt::guard(
      [&] { return multiplicityAttentionImpl(q, k, v, counts, scale, out); });
}

extern "C" facrt_status
facrt_v1_attention(const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
                   const fac_memref2d_f32 *v, float threshold,
                   fac_memref2d_f32 *out, int64_t *scored) {
  return facrt::guard(
      [&] { return v1AttentionImpl(q, k, v, threshold, out, scored); });
}

extern "C" facrt_status
facrt_v2_attention(const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
                   const fac_memref2d_f32 *v, int64_t window,
                   fac_memref2d_f32 *out, int64_t *pairs) {
  return facrt::guard([&] {
    if (!q || !k || !v)
      return FACRT_ERR_ARG;
    facrt_pyramid *keys = nullptr, *values = nullptr;
    facrt_status status = pyramidBuildImpl(k, &keys);
    if (status == FACRT_OK)
      status = pyramidBuildImpl(v, &values);
    if (status == FACRT_OK)
      status = hierarchicalAttentionImpl(q, keys, values, window,
                                         1.0f / std::sqrt(float(q->sizes[1])),
                                         out, pairs);
    facrt_pyramid_free(keys);
    facrt_pyramid_free(values);
    return status;
  });
}

extern "C" facrt_status facrt_hierarchical_attention(
    const fac_memref2d_f32 *q, const facrt_pyramid *keys,
    const facrt_pyramid *values, int64_t window, float scale,
    fac_memref2d_f32 *out, int64_t *pairs) {
  return facrt::guard([&] {
    return hierarchicalAttentionImpl(q, keys, values, window, scale, out,
                                     pairs);
  });
}
