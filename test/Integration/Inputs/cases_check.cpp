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

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: cases_check <tolerance> <case>...\n");
    return 2;
  }
  double tolerance = std::atof(argv[1]);
  facrt_workspace workspace = {nullptr, 0};
  int failures = 0;
  for (int a = 2; a < argc; ++a) {
    std::ifstream in(argv[a]);
    std::string word, kernel;
    int64_t inputs = 0, rows = 0, cols = 0, outRows = 0, outCols = 0;
    std::vector<float> x, want;
    if (!(in >> word >> kernel >> word >> inputs) || inputs != 1 ||
        !readMatrix(in, "matrix", rows, cols, x) ||
        !readMatrix(in, "expected", outRows, outCols, want)) {
      std::printf("FAIL %s: not a case of one input\n", argv[a]);
      ++failures;
      continue;
    }
    std::vector<float> out(size_t(outRows * outCols) + 1, NAN);
    fac_memref2d_f32 xv = facrt_view2d(x.data(), rows, cols, cols, 0);
    fac_memref2d_f32 ov =
        facrt_view2d(out.data(), outRows, outCols, outCols, 0);
    facrt_status status = FACRT_CALL(&workspace, FAC_KERNEL, &xv, &ov);
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
                ok ? "ok" : "FAIL", kernel.c_str(), (long long)rows,
                (long long)cols, facrt_status_str(status), err);
  }
  facrt_workspace_free(&workspace);
  return failures ? 1 : 0;
}
