//===- v2_check.cpp - The compiled seed V2 against its meaning ------------===//
//
// Runs the kernels facc compiles from examples/seed/v2-hierarchical.fac
// with `--entry=forward,computeAttention` (linked in, header -include'd)
// and checks them against a model of what the reference interpreter
// computes, written here from the language reference without the
// compiler's code:
// - `compress(x, 0.5)` is the pyramid of x's rows (f32 weighted means);
// - `t ⊛ attentionMask` with the default mask, attention of each node over
//   itself, leaves every node's one-row tensor as it is;
// - `a ⊚ b` is a new root over a and b holding their roots' mean weighted
//   by tokens (f32, as the interpreter computes it);
// - `t ⊡ limit` is the deepest breadth-first frontier whose nodes hold at
//   most `limit` bytes (4 bytes a value), refused below the root's bytes;
// - `decompress` repeats each leaf's row for the tokens it stands for.
// `forward(x)` is decompress(((c ⊛ m) ⊚ (c ⊛ m) ⊚ (c ⊛ m)) ⊡ limit) with
// c = compress(x, 0.5): 3n rows.
//
// The kernels allocate nothing: every buffer is in the caller's workspace.
// Built with -DFAC_COUNT_MALLOC and -Wl,--wrap=malloc, the check counts the
// kernels' calls to malloc (there must be none), and measures the bytes of
// the workspace a call writes (its peak), which must fit in what
// fac_..._workspace_size asked for; one byte less is FACRT_ERR_LIMIT.
// Usage: v2_check <relative tolerance>
//        v2_check --limit <bytes>: forward at n = 1024, 4096, 8192 (d = 64)
//        in a kernel compiled with --memory-limit=<bytes>
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <string>
#include <vector>

#ifdef FAC_COUNT_MALLOC
extern "C" void *__real_malloc(size_t);
/// Calls to malloc from the objects linked in (the kernels').
static int mallocCalls = 0;
extern "C" void *__wrap_malloc(size_t bytes) {
  ++mallocCalls;
  return __real_malloc(bytes);
}
#endif

namespace {

/// A node of the model's trees.
struct Node {
  std::vector<float> mean; ///< One row of d values.
  int64_t count = 0;       ///< The tokens it stands for.
  std::vector<const Node *> children;
};

/// Owns every node the model makes.
std::deque<Node> arena;

const Node *pyramid(const std::vector<float> &x, int64_t n, int64_t d) {
  std::vector<const Node *> level;
  for (int64_t t = 0; t < n; ++t) {
    Node &leaf = arena.emplace_back();
    leaf.mean.assign(x.begin() + t * d, x.begin() + (t + 1) * d);
    leaf.count = 1;
    level.push_back(&leaf);
  }
  while (level.size() > 1) {
    std::vector<const Node *> up;
    for (size_t j = 0; j < level.size(); j += 2) {
      Node &node = arena.emplace_back();
      node.mean.assign(size_t(d), 0.0f);
      for (size_t c = j; c < std::min(j + 2, level.size()); ++c) {
        node.count += level[c]->count;
        node.children.push_back(level[c]);
        for (int64_t i = 0; i < d; ++i)
          node.mean[i] += level[c]->mean[i] * float(level[c]->count);
      }
      for (int64_t i = 0; i < d; ++i)
        node.mean[i] /= float(node.count);
      up.push_back(&node);
    }
    level = std::move(up);
  }
  return level.front();
}

const Node *join(const Node *a, const Node *b) {
  Node &node = arena.emplace_back();
  node.count = a->count + b->count;
  node.children = {a, b};
  for (size_t i = 0; i < a->mean.size(); ++i)
    node.mean.push_back(
        (a->mean[i] * float(a->count) + b->mean[i] * float(b->count)) /
        float(node.count));
  return &node;
}

/// `decompress(tree ⊡ limit)`: the rows of the deepest frontier that fits.
std::vector<double> limited(const Node *tree, int64_t limit, size_t &leaves) {
  int64_t rowBytes = int64_t(tree->mean.size() * sizeof(float));
  std::vector<const Node *> frontier{tree};
  while (true) {
    std::vector<const Node *> next;
    for (const Node *n : frontier) {
      if (n->children.empty())
        next.push_back(n);
      else
        next.insert(next.end(), n->children.begin(), n->children.end());
    }
    if (next.size() == frontier.size() ||
        int64_t(next.size()) * rowBytes > limit)
      break;
    frontier = std::move(next);
  }
  leaves = frontier.size();
  std::vector<double> rows;
  for (const Node *n : frontier)
    for (int64_t c = 0; c < n->count; ++c)
      rows.insert(rows.end(), n->mean.begin(), n->mean.end());
  rows.push_back(0); // Never empty: facrt_max_rel_error takes no NULL.
  return rows;
}

int failures = 0, passes = 0;
facrt_workspace workspace = {nullptr, 0};

void report(bool ok, const char *what, const char *detail) {
  std::printf("%s %s: %s\n", ok ? "ok" : "FAIL", what, detail);
  (ok ? passes : failures)++;
}

std::vector<float> randomRows(std::mt19937 &rng, int64_t n, int64_t d) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(size_t(n * d));
  for (float &e : x)
    e = normal(rng);
  return x;
}

void checkForward(std::mt19937 &rng, int64_t n, int64_t d, int64_t limit,
                  double tolerance) {
  std::vector<float> x = randomRows(rng, n, d);
  std::vector<float> out(size_t(3 * n * d) + 1, NAN);
  fac_memref2d_f32 xv = facrt_view2d(x.data(), n, d, d, 0);
  fac_memref2d_f32 ov = facrt_view2d(out.data(), 3 * n, d, d, 0);
  facrt_status status = FACRT_CALL(
      &workspace, fac_FractalAttentionCompression_forward, limit, &xv, &ov);
  const Node *c = pyramid(x, n, d);
  size_t leaves = 0;
  std::vector<double> ref = limited(join(join(c, c), c), limit, leaves);
  double err = facrt_max_rel_error(&ov, ref.data());
  char detail[160];
  std::snprintf(detail, sizeof detail,
                "n=%lld d=%lld limit=%lld: %zu leaves, max relative error "
                "%.1e",
                (long long)n, (long long)d, (long long)limit, leaves, err);
  report(status == FACRT_OK && err <= tolerance, "forward", detail);
}

void checkAttention(std::mt19937 &rng, int64_t nq, int64_t nk, int64_t nv,
                    int64_t d, int64_t limit, double tolerance) {
  std::vector<float> q = randomRows(rng, nq, d), k = randomRows(rng, nk, d),
                     v = randomRows(rng, nv, d);
  int64_t rows = nq + nk + nv;
  std::vector<float> out(size_t(rows * d) + 1, NAN);
  fac_memref2d_f32 qv = facrt_view2d(q.data(), nq, d, d, 0);
  fac_memref2d_f32 kv = facrt_view2d(k.data(), nk, d, d, 0);
  fac_memref2d_f32 vv = facrt_view2d(v.data(), nv, d, d, 0);
  fac_memref2d_f32 ov = facrt_view2d(out.data(), rows, d, d, 0);
  facrt_status status =
      FACRT_CALL(&workspace, fac_FractalAttentionCompression_computeAttention,
                 limit, &qv, &kv, &vv, &ov);
  size_t leaves = 0;
  std::vector<double> ref = limited(
      join(join(pyramid(q, nq, d), pyramid(k, nk, d)), pyramid(v, nv, d)),
      limit, leaves);
  double err = facrt_max_rel_error(&ov, ref.data());
  char detail[160];
  std::snprintf(detail, sizeof detail,
                "%lld/%lld/%lld tokens d=%lld limit=%lld: %zu leaves, max "
                "relative error %.1e",
                (long long)nq, (long long)nk, (long long)nv, (long long)d,
                (long long)limit, leaves, err);
  report(status == FACRT_OK && err <= tolerance, "computeAttention", detail);
}

/// A call that must be refused: FACRT_ERR_ARG and `out` untouched.
void checkRefused(const char *what, int64_t n, int64_t d, int64_t outRows,
                  int64_t limit) {
  std::vector<float> x(size_t(n * d) + 1, 0.5f),
      out(size_t(outRows * d) + 1, 7.0f);
  fac_memref2d_f32 xv = facrt_view2d(x.data(), n, d, d, 0);
  fac_memref2d_f32 ov = facrt_view2d(out.data(), outRows, d, d, 0);
  facrt_status status = FACRT_CALL(
      &workspace, fac_FractalAttentionCompression_forward, limit, &xv, &ov);
  bool untouched = true;
  for (float e : out)
    untouched = untouched && e == 7.0f;
  report(status == FACRT_ERR_ARG && untouched, "refused", what);
}

/// forward with descriptors that lie about their sizes (negative, or too
/// large to sum): refused with \p want, nothing written, and the size
/// function says \p wantSize (-1: no size fits).
void checkBadDescriptor(const char *what, int64_t rows, int64_t cols,
                        facrt_status want, bool sizeIsMinusOne) {
  std::vector<float> x(64, 0.5f), out(64, 7.0f);
  std::vector<unsigned char> bytes(1 << 20, 0xA5);
  fac_memref2d_f32 xv = {x.data(), x.data(), 0, {rows, cols}, {cols, 1}};
  fac_memref2d_f32 ov = {
      out.data(), out.data(), 0, {3 * rows, cols}, {cols, 1}};
  int64_t size =
      fac_FractalAttentionCompression_forward_workspace_size(1 << 20, &xv, &ov);
  facrt_status status = fac_FractalAttentionCompression_forward(
      1 << 20, &xv, &ov, bytes.data(), int64_t(bytes.size()));
  bool untouched = true;
  for (float e : out)
    untouched = untouched && e == 7.0f;
  for (unsigned char b : bytes)
    untouched = untouched && b == 0xA5;
  char detail[160];
  std::snprintf(detail, sizeof detail, "%s: %s, workspace size %lld", what,
                facrt_status_str(status), (long long)size);
  report(status == want && untouched && (!sizeIsMinusOne || size == -1),
         "refused", detail);
}

/// forward on n x d rows with a workspace exactly as large as asked for,
/// filled with a pattern: the bytes the call changed are its peak.
/// Reports the status, the peak, and the kernel's mallocs.
void checkWorkspace(int64_t n, int64_t d, int64_t limit, int64_t memoryLimit) {
  std::mt19937 rng(5);
  std::vector<float> x = randomRows(rng, n, d);
  std::vector<float> out(size_t(3 * n * d) + 1, NAN);
  fac_memref2d_f32 xv = facrt_view2d(x.data(), n, d, d, 0);
  fac_memref2d_f32 ov = facrt_view2d(out.data(), 3 * n, d, d, 0);
  int64_t need =
      fac_FractalAttentionCompression_forward_workspace_size(limit, &xv, &ov);
  // Off a cache line on purpose, with a guard after it.
  std::vector<unsigned char> bytes(size_t(need) + 128 + 3, 0xA5);
  unsigned char *start = bytes.data() + 3;
  int calls = 0;
#ifdef FAC_COUNT_MALLOC
  calls = mallocCalls;
#endif
  facrt_status status =
      fac_FractalAttentionCompression_forward(limit, &xv, &ov, start, need);
#ifdef FAC_COUNT_MALLOC
  calls = mallocCalls - calls;
#endif
  int64_t peak = 0;
  for (int64_t i = 0; i < need + 128; ++i)
    if (start[i] != 0xA5)
      peak = i + 1;
  char detail[200];
  std::snprintf(detail, sizeof detail,
                "n=%lld d=%lld: status %s, workspace asked %lld bytes, "
                "written %lld, mallocs %d",
                (long long)n, (long long)d, facrt_status_str(status),
                (long long)need, (long long)peak, calls);
  bool fits = peak <= need && calls == 0;
  if (memoryLimit > 0)
    // A plan over the limit is refused, having written nothing.
    report(fits &&
               (need <= memoryLimit ? status == FACRT_OK
                                    : status == FACRT_ERR_LIMIT && peak == 0),
           "limited workspace", detail);
  else
    report(fits && status == FACRT_OK, "workspace", detail);
  if (memoryLimit > 0)
    return;
  // One byte short: refused, nothing written.
  std::fill(bytes.begin(), bytes.end(), 0xA5);
  status =
      fac_FractalAttentionCompression_forward(limit, &xv, &ov, start, need - 1);
  bool untouched = true;
  for (unsigned char b : bytes)
    untouched = untouched && b == 0xA5;
  std::snprintf(detail, sizeof detail, "n=%lld d=%lld, %lld bytes: %s",
                (long long)n, (long long)d, (long long)(need - 1),
                facrt_status_str(status));
  report(status == FACRT_ERR_LIMIT && untouched, "workspace one byte short",
         detail);
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 3 && std::string(argv[1]) == "--limit") {
    int64_t memoryLimit = std::atoll(argv[2]);
    for (int64_t n : {1024, 4096, 8192})
      checkWorkspace(n, 64, 1 << 30, memoryLimit);
    std::printf("%d passed, %d failed\n", passes, failures);
    return failures ? 1 : 0;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <relative tolerance>\n", argv[0]);
    return 2;
  }
  double tolerance = std::atof(argv[1]);
  std::mt19937 rng(11);
  for (int64_t d : {8, 64})
    for (int64_t n : {1, 2, 3, 7, 64, 100, 257}) {
      int64_t row = 4 * d;
      // The root only, a few nodes, n nodes, everything.
      for (int64_t limit : {row, 5 * row, n * row, 3 * n * row})
        checkForward(rng, n, d, limit, tolerance);
    }
  // Rows of no values take no bytes: every limit holds all of them.
  checkForward(rng, 7, 0, 1, tolerance);
  for (int64_t limit : {32, 40 * 32, 1 << 20})
    checkAttention(rng, 37, 200, 5, 8, limit, tolerance);
  checkAttention(rng, 1, 1, 1, 8, 3 * 32, tolerance);

  checkRefused("a limit under the root's bytes", 16, 8, 48, 31);
  checkRefused("a negative limit", 16, 8, 48, -1);
  checkRefused("no tokens", 0, 8, 0, 1 << 20);
  checkRefused("out has a row less", 16, 8, 47, 1 << 20);
  checkBadDescriptor("negative rows", -5, 8, FACRT_ERR_ARG, false);
  checkBadDescriptor("negative columns", 5, -8, FACRT_ERR_ARG, false);
  // Sizes over 2^40 are not arguments a kernel takes; their plan would not
  // even sum (the size function says -1).
  checkBadDescriptor("2^61 rows", int64_t(1) << 61, 1, FACRT_ERR_ARG, true);
  checkBadDescriptor("2^40 x 2^22", int64_t(1) << 40, int64_t(1) << 22,
                     FACRT_ERR_ARG, true);
  for (int64_t n : {1, 100, 4096})
    checkWorkspace(n, 64, 1 << 30, 0);
  // The spec's own limit bounds its cut: the workspace asked shrinks with
  // it (facc --print-memory-plan gives the same numbers at these bounds).
  {
    std::vector<float> x(size_t(4096 * 64)), out(size_t(3 * 4096 * 64));
    fac_memref2d_f32 xv = facrt_view2d(x.data(), 4096, 64, 64, 0);
    fac_memref2d_f32 ov = facrt_view2d(out.data(), 3 * 4096, 64, 64, 0);
    for (int64_t limit : {int64_t(1) << 30, int64_t(1) << 20})
      std::printf(
          "workspace n=4096 d=64 memoryLimit=%lld: %lld bytes\n",
          (long long)limit,
          (long long)fac_FractalAttentionCompression_forward_workspace_size(
              limit, &xv, &ov));
  }
  std::printf("%d passed, %d failed\n", passes, failures);
  return failures ? 1 : 0;
}
