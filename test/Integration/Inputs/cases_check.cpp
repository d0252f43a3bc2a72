//===- cases_check.cpp - A kernel against cases fac-check wrote -----------===//
//
// Runs the kernel FAC_KERNEL (a `fac_<Concept>_<function>(in, out,
// workspace, bytes)` of one tensor, its header -include'd, its object linked
// in) on each case file `fac-check --write-cases` wrote: an input matrix
// and the reference interpreter's output for it, both exact. So a kernel
// built for any target (AVX2, AVX-512, AArch64 under qemu, C++) is checked
// against the interpreter on the cases fac-check checked the host's JIT on.
// Prints one line per case: the largest difference over the largest output.
// Usage: cases_check <relative tolerance> <case file>...
//
// Built with -DFAC_RULES, it runs a kernel of the seed's V1 form instead,
// `(compressionRules, decompressionRules, threshold, query, key, value,
// out, ...)`, on cases of three inputs, both tables read from one
// `fac-rules 2` file (fac/Interp/RuleTable.h):
// Usage: cases_check <relative tolerance> <rules> <threshold> <case>...
//
// Built with -DFAC_SCALARS="a, b, ...", it runs an attention kernel
// `(a, b, ..., query, key, value, out, ...)` (its scalars compiled in) on
// cases of three inputs; with -DFAC_ATTENTION, one `(query, key, value,
// out, ...)` with no scalars.
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

bool readMatrix(std::ifstream &in, const char *tag, int64_t &rows,
                int64_t &cols, std::vector<float> &values) {
  std::string word;
  if (!(in >> word >> rows >> cols) || word != tag || rows < 0 || cols < 0)
    return false;
  values.resize(size_t(rows * cols));
  for (float &x : values) {
    if (!(in >> word))
      return false;
    x = std::strtof(word.c_str(), nullptr);
  }
  return true;
}

#ifdef FAC_RULES
/// A `fac-rules 2` table as the kernel takes it: R x 4 x d.
bool readRules(const char *path, std::vector<float> &rows,
               fac_memref3d_f32 &table) {
  std::ifstream in(path);
  std::string magic, version;
  int64_t rules = 0, width = 0;
  if (!(in >> magic >> version >> rules >> width) || magic != "fac-rules" ||
      version != "2" || rules < 0 || width < 1)
    return false;
  rows.resize(size_t(rules * 4 * width) + 1);
  for (int64_t i = 0; i < rules * 4 * width; ++i)
    if (!(in >> rows[size_t(i)]))
      return false;
  table = {
      rows.data(), rows.data(), 0, {rules, 4, width}, {4 * width, width, 1}};
  return true;
}
#endif

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: cases_check <tolerance> <case>...\n");
    return 2;
  }
  double tolerance = std::atof(argv[1]);
  int first = 2;
#ifdef FAC_RULES
  std::vector<float> ruleRows;
  fac_memref3d_f32 rules;
  if (argc < 5 || !readRules(argv[2], ruleRows, rules)) {
    std::fprintf(stderr, "usage: cases_check <tolerance> <fac-rules 2 file> "
                         "<threshold> <case>...\n");
    return 2;
  }
  float threshold = std::strtof(argv[3], nullptr);
  first = 4;
  const int64_t wantInputs = 3;
#elif defined(FAC_SCALARS) || defined(FAC_ATTENTION)
  const int64_t wantInputs = 3;
#else
  const int64_t wantInputs = 1;
#endif
  facrt_workspace workspace = {nullptr, 0};
  int failures = 0;
  for (int a = first; a < argc; ++a) {
    std::ifstream in(argv[a]);
    std::string word, kernel;
    int64_t inputs = 0, outRows = 0, outCols = 0;
    int64_t rows[3] = {0, 0, 0}, cols[3] = {0, 0, 0};
    std::vector<float> x[3], want;
    bool read =
        bool(in >> word >> kernel >> word >> inputs) && inputs == wantInputs;
    for (int64_t i = 0; read && i < inputs; ++i)
      read = readMatrix(in, "matrix", rows[i], cols[i], x[i]);
    if (!read || !readMatrix(in, "expected", outRows, outCols, want)) {
      std::printf("FAIL %s: not a case of %lld input(s)\n", argv[a],
                  (long long)wantInputs);
      ++failures;
      continue;
    }
    std::vector<float> out(size_t(outRows * outCols) + 1, NAN);
    fac_memref2d_f32 xv[3];
    for (int64_t i = 0; i < inputs; ++i)
      xv[i] = facrt_view2d(x[i].data(), rows[i], cols[i], cols[i], 0);
    fac_memref2d_f32 ov =
        facrt_view2d(out.data(), outRows, outCols, outCols, 0);
#ifdef FAC_RULES
    facrt_status status = FACRT_CALL(&workspace, FAC_KERNEL, &rules, &rules,
                                     threshold, &xv[0], &xv[1], &xv[2], &ov);
#elif defined(FAC_SCALARS)
    facrt_status status = FACRT_CALL(&workspace, FAC_KERNEL, FAC_SCALARS,
                                     &xv[0], &xv[1], &xv[2], &ov);
#elif defined(FAC_ATTENTION)
    facrt_status status =
        FACRT_CALL(&workspace, FAC_KERNEL, &xv[0], &xv[1], &xv[2], &ov);
#else
    facrt_status status = FACRT_CALL(&workspace, FAC_KERNEL, &xv[0], &ov);
#endif
    double diff = 0, scale = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      diff = std::fmax(diff, std::fabs(double(out[i]) - want[i]));
      if (std::isnan(out[i]))
        diff = INFINITY;
      scale = std::fmax(scale, std::fabs(double(want[i])));
    }
    double err = scale > 0 ? diff / scale : diff;
    bool ok = status == FACRT_OK && err <= tolerance;
    failures += !ok;
    std::printf("%s %s %lldx%lld: %s, relative difference %.1e\n",
                ok ? "ok" : "FAIL", kernel.c_str(), (long long)rows[0],
                (long long)cols[0], facrt_status_str(status), err);
  }
  facrt_workspace_free(&workspace);
  return failures ? 1 : 0;
}
