//===- fac-learn-rules.cpp - Learn V1's compression rules from real data --===//
//
// The seed's first variant replaces subtrees that match a learned rule by
// the rule's substitute. This tool learns the rules from real activations:
// the keys of one layer of stories260K on real text, per K/V head, as
// pyramids; the summaries of their inner nodes are clustered with k-means,
// and each centroid becomes a rule (pattern = substitute = centroid). It
// writes the rules and measures them on held-out text: how many inner
// nodes they match, the V1 cut size with them, and the attention error.
// Usage: fac-learn-rules <data dir> <rules out> [rules tolerance layer]
//
//===----------------------------------------------------------------------===//

#include "fac/Support/ParseNumber.h"

#include "facrt/host.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

enum ExitCode : int {
  kExitSuccess = 0,
  kExitFailure = 1, ///< Nothing to learn from.
  kExitUsage = 2,
  kExitIO = 3
};

constexpr int32_t kTokens = 256;
/// The most rules a table may have.
constexpr int64_t kMaxRules = 4096;

double distance2(const float *a, const float *b, int64_t d) {
  double s = 0;
  for (int64_t t = 0; t < d; ++t)
    s += (double(a[t]) - b[t]) * (double(a[t]) - b[t]);
  return s;
}

/// Q, K and V of \p layer for \p tokens, computed from the token
/// embeddings (the layer's projections applied to its inputs as if they
/// were the embeddings: exact for layer 0).
struct QKV {
  std::vector<float> q, k, v;
};

QKV qkvOf(const facrt_llama_model &model, int32_t layer,
          const std::vector<int32_t> &tokens) {
  const facrt_llama_config &c = model.config;
  int32_t n = int32_t(tokens.size());
  QKV r;
  std::vector<float> x(static_cast<size_t>(n) * c.dim);
  r.q.resize(x.size());
  r.k.resize(static_cast<size_t>(n) * c.dim * c.n_kv_heads / c.n_heads);
  r.v.resize(r.k.size());
  facrt_llama_embed(&model, tokens.data(), n, x.data());
  facrt_llama_qkv(&model, layer, x.data(), n, r.q.data(), r.k.data(),
                  r.v.data());
  return r;
}

/// The inner-node summaries of the pyramids of every head's keys.
std::vector<float> innerSummaries(const std::vector<float> &keys, int64_t n,
                                  int64_t heads, int64_t d) {
  std::vector<float> out;
  for (int64_t h = 0; h < heads; ++h) {
    fac_memref2d_f32 view =
        facrt_view2d(const_cast<float *>(keys.data()), n, d, heads * d, h * d);
    facrt_pyramid *p = nullptr;
    facrt_pyramid_build(&view, &p);
    for (int32_t l = 1; l < facrt_pyramid_levels(p); ++l)
      for (int64_t j = 0; j < facrt_pyramid_nodes(p, l); ++j) {
        const float *mean = facrt_pyramid_mean(p, l, j);
        out.insert(out.end(), mean, mean + d);
      }
    facrt_pyramid_free(p);
  }
  return out;
}

/// The whole of the regular file \p path; false when it is not one or
/// cannot be read (C stdio: no exception for a directory or a read error).
bool readText(const std::string &path, std::string &text) {
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "rb"),
                                              &std::fclose);
  if (!file)
    return false;
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof(buf), file.get())) > 0)
    text.append(buf, got);
  return !std::ferror(file.get());
}

/// Lloyd's k-means with k-means++ seeding.
std::vector<float> kmeans(const std::vector<float> &points, int64_t d,
                          int64_t k) {
  int64_t n = int64_t(points.size()) / d;
  k = std::min(k, n);
  std::mt19937 gen(17);
  std::vector<float> centers;
  std::vector<double> best(static_cast<size_t>(n), 1e300);
  centers.insert(centers.end(), points.begin(), points.begin() + d);
  while (int64_t(centers.size()) / d < k) {
    const float *last = &centers[centers.size() - size_t(d)];
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      best[i] = std::min(best[i], distance2(&points[i * d], last, d));
      total += best[i];
    }
    double pick = std::uniform_real_distribution<double>(0, total)(gen);
    int64_t i = 0;
    for (; i + 1 < n && (pick -= best[i]) > 0; ++i)
      ;
    centers.insert(centers.end(), points.begin() + i * d,
                   points.begin() + (i + 1) * d);
  }
  std::vector<int64_t> assign(static_cast<size_t>(n));
  for (int iter = 0; iter < 25; ++iter) {
    for (int64_t i = 0; i < n; ++i) {
      double b = 1e300;
      for (int64_t c = 0; c < k; ++c) {
        double dist = distance2(&points[i * d], &centers[c * d], d);
        if (dist < b) {
          b = dist;
          assign[i] = c;
        }
      }
    }
    std::vector<double> sums(static_cast<size_t>(k * d), 0);
    std::vector<int64_t> counts(static_cast<size_t>(k), 0);
    for (int64_t i = 0; i < n; ++i) {
      ++counts[assign[i]];
      for (int64_t t = 0; t < d; ++t)
        sums[assign[i] * d + t] += points[i * d + t];
    }
    for (int64_t c = 0; c < k; ++c)
      if (counts[c])
        for (int64_t t = 0; t < d; ++t)
          centers[c * d + t] = float(sums[c * d + t] / counts[c]);
  }
  return centers;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3 && argc != 6) {
    std::fprintf(stderr,
                 "usage: %s <data dir> <rules out> [rules tolerance "
                 "layer]\n",
                 argv[0]);
    return kExitUsage;
  }
  std::string dir = argv[1];
  int64_t ruleCount = 32;
  float tolerance = 0.5f;
  int32_t layer = 0;
  if (argc == 6) {
    std::optional<int64_t> r = fac::parseInteger(argv[3], 1, kMaxRules);
    std::optional<double> t = fac::parseReal(argv[4], 0, 1e30);
    // The layer is checked against the model once it is loaded.
    std::optional<int64_t> l = fac::parseInteger(argv[5], 0, INT32_MAX);
    if (!r)
      std::fprintf(stderr, "fac-learn-rules: error: rules '%s' is not %s\n",
                   argv[3], fac::describeRange(1, kMaxRules).c_str());
    if (!t)
      std::fprintf(stderr,
                   "fac-learn-rules: error: tolerance '%s' is not a "
                   "distance from 0 to 1e30\n",
                   argv[4]);
    if (!l)
      std::fprintf(stderr,
                   "fac-learn-rules: error: layer '%s' is not a layer "
                   "index\n",
                   argv[5]);
    if (!r || !t || !l)
      return kExitUsage;
    ruleCount = *r;
    tolerance = float(*t);
    layer = int32_t(*l);
  }
  facrt_llama_model model;
  facrt_tokenizer *tok = nullptr;
  if (facrt_status s = facrt_stories260k_load(dir.c_str(), &model, &tok)) {
    std::fprintf(stderr,
                 "fac-learn-rules: error: cannot load the model from %s: %s\n",
                 dir.c_str(), facrt_status_str(s));
    return kExitIO;
  }
  auto freeModel = [&] {
    facrt_tokenizer_free(tok);
    facrt_llama_free(&model);
  };
  if (layer >= model.config.n_layers) {
    std::fprintf(stderr,
                 "fac-learn-rules: error: layer %d: the model has layers 0 "
                 "to %d\n",
                 layer, model.config.n_layers - 1);
    freeModel();
    return kExitUsage;
  }
  std::string textPath = dir + "/text/moby-dick-ch1-3.txt";
  std::string text;
  if (!readText(textPath, text)) {
    std::fprintf(stderr, "fac-learn-rules: error: cannot read %s\n",
                 textPath.c_str());
    freeModel();
    return kExitIO;
  }
  // Learn on one stretch of the book, measure on the next.
  std::string trainText = text.substr(0, text.size() / 2);
  std::string testText = text.substr(text.size() / 2);
  auto encode = [&](const std::string &s) {
    std::vector<int32_t> t(kTokens);
    int32_t n = facrt_tokenizer_encode(tok, s.c_str(), 1, 0, t.data(), kTokens);
    t.resize(size_t(std::min(n, kTokens)));
    return t;
  };
  std::vector<int32_t> train = encode(trainText), test = encode(testText);
  int64_t heads = model.config.n_kv_heads;
  int64_t d = model.config.dim / model.config.n_heads;

  std::vector<float> points = innerSummaries(qkvOf(model, layer, train).k,
                                             int64_t(train.size()), heads, d);
  if (points.empty()) {
    std::fprintf(stderr, "fac-learn-rules: error: the text is too short to "
                         "learn rules from\n");
    freeModel();
    return kExitFailure;
  }
  std::vector<float> centers = kmeans(points, d, ruleCount);
  ruleCount = int64_t(centers.size()) / d;

  std::ofstream rules(argv[2]);
  rules << "fac-rules 1\n" << ruleCount << " " << d << " " << tolerance << "\n";
  for (int64_t c = 0; c < ruleCount; ++c) {
    for (int64_t t = 0; t < d; ++t)
      rules << (t ? " " : "") << centers[c * d + t];
    rules << "\n";
  }
  rules.close();
  if (!rules) {
    std::fprintf(stderr, "fac-learn-rules: error: cannot write %s\n", argv[2]);
    std::remove(argv[2]);
    freeModel();
    return kExitIO;
  }

  // Held-out: matched inner nodes, V1 cut size, attention error.
  QKV held = qkvOf(model, layer, test);
  std::vector<float> &keys = held.k;
  std::vector<float> testPoints =
      innerSummaries(keys, int64_t(test.size()), heads, d);
  int64_t matched = 0, inner = int64_t(testPoints.size()) / d;
  for (int64_t i = 0; i < inner; ++i)
    for (int64_t c = 0; c < ruleCount; ++c)
      if (distance2(&testPoints[i * d], &centers[c * d], d) <=
          double(tolerance) * tolerance) {
        ++matched;
        break;
      }
  std::vector<facrt_rule> table;
  for (int64_t c = 0; c < ruleCount; ++c)
    table.push_back({&centers[c * d], &centers[c * d]});
  int64_t n = int64_t(test.size()), cut = 0;
  int64_t queryHeads = model.config.n_heads, group = queryHeads / heads;
  double worst = 0;
  for (int64_t h = 0; h < heads; ++h) {
    fac_memref2d_f32 kv = facrt_view2d(keys.data(), n, d, heads * d, h * d);
    fac_memref2d_f32 vv = facrt_view2d(held.v.data(), n, d, heads * d, h * d);
    facrt_pyramid *kp = nullptr, *vp = nullptr;
    facrt_pyramid_build(&kv, &kp);
    facrt_pyramid_build(&vv, &vp);
    std::vector<facrt_cut_node> nodes(static_cast<size_t>(n));
    std::vector<float> vectors(static_cast<size_t>(n * d));
    int64_t c = facrt_v1_compress(kp, 0.0f, table.data(), int32_t(ruleCount),
                                  tolerance, nodes.data(), vectors.data(), n);
    cut += c;
    // Values over the same cut: their pyramid's means.
    std::vector<float> values(static_cast<size_t>(c * d));
    std::vector<int64_t> counts;
    facrt_pyramid_gather(vp, nodes.data(), c, values.data());
    for (int64_t j = 0; j < c; ++j)
      counts.push_back(nodes[j].count);
    fac_memref2d_f32 ck = facrt_view2d(vectors.data(), c, d, d, 0);
    fac_memref2d_f32 cv = facrt_view2d(values.data(), c, d, d, 0);
    for (int64_t qh = h * group; qh < (h + 1) * group; ++qh) {
      fac_memref2d_f32 qv =
          facrt_view2d(held.q.data(), n, d, queryHeads * d, qh * d);
      std::vector<float> out(static_cast<size_t>(n * d));
      fac_memref2d_f32 ov = facrt_view2d(out.data(), n, d, d, 0);
      float scale = 1.0f / std::sqrt(float(d));
      facrt_multiplicity_attention(&qv, &ck, &cv, counts.data(), scale, &ov);
      std::vector<double> ref(static_cast<size_t>(n * d));
      facrt_attention_ref_f64(&qv, &kv, &vv, scale, 0, ref.data());
      worst = std::max(worst, facrt_max_rel_error(&ov, ref.data()));
    }
    facrt_pyramid_free(kp);
    facrt_pyramid_free(vp);
  }
  std::printf("learned %lld rules (tolerance %g) from %zu tokens of layer %d "
              "keys; on %zu held-out tokens they match %.1f%% of the inner "
              "nodes, cut the pyramids to %.3f of the keys, and attention "
              "over the cut is off by %.3f (max relative)\n",
              (long long)ruleCount, tolerance, train.size(), layer, test.size(),
              100.0 * double(matched) / double(inner),
              double(cut) / double(n * heads), worst);
  freeModel();
  return kExitSuccess;
}
