//===- fac-fractal-code.cpp - Fractal-code the weights of a checkpoint ----===//
//
// Codes wq, wk, wv and wo of every layer of a llama2.c checkpoint as
// partitioned iterated function systems (the seed's third variant), decodes
// them, and writes a checkpoint of the same format with the decoded
// weights, so that any llama2.c runner can measure what the code costs.
// Usage: fac-fractal-code in.bin out.bin [range scale_bits offset_bits]
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace {
enum ExitCode : int { kExitSuccess = 0, kExitUsage = 2, kExitIO = 3 };
} // namespace

int main(int argc, char **argv) {
  if (argc != 3 && argc != 6) {
    std::fprintf(stderr,
                 "usage: %s in.bin out.bin [range scale_bits "
                 "offset_bits]\n",
                 argv[0]);
    return kExitUsage;
  }
  facrt_fractal_params params{4, 5, 7, 16};
  if (argc == 6)
    params = {std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]), 16};
  facrt_llama_model model;
  if (facrt_status s = facrt_llama_load(argv[1], nullptr, &model)) {
    std::fprintf(stderr, "fac-fractal-code: %s: %s\n", argv[1],
                 facrt_status_str(s));
    return kExitIO;
  }
  const facrt_llama_config &c = model.config;
  int64_t dim = c.dim, kv = int64_t(c.dim) * c.n_kv_heads / c.n_heads;
  struct Matrix {
    const float *w;
    int64_t rows, cols;
  };
  std::vector<Matrix> matrices;
  for (int32_t l = 0; l < c.n_layers; ++l) {
    matrices.push_back({model.weights.wq + l * dim * dim, dim, dim});
    matrices.push_back({model.weights.wk + l * kv * dim, kv, dim});
    matrices.push_back({model.weights.wv + l * kv * dim, kv, dim});
    matrices.push_back({model.weights.wo + l * dim * dim, dim, dim});
  }
  double bits = 0, errNum = 0, errDen = 0;
  int64_t weights = 0;
  for (const Matrix &m : matrices) {
    facrt_fractal_code *code = nullptr;
    if (facrt_status s =
            facrt_fractal_encode(m.w, m.rows, m.cols, &params, &code)) {
      std::fprintf(stderr,
                   "fac-fractal-code: cannot code a %lldx%lld "
                   "matrix with %d-blocks: %s\n",
                   (long long)m.rows, (long long)m.cols, params.range,
                   facrt_status_str(s));
      return kExitUsage;
    }
    std::vector<float> decoded(static_cast<size_t>(m.rows * m.cols));
    facrt_fractal_decode(code, decoded.data());
    bits += facrt_fractal_bits_per_weight(code) * double(decoded.size());
    facrt_fractal_free(code);
    for (size_t k = 0; k < decoded.size(); ++k) {
      errNum += (double(m.w[k]) - decoded[k]) * (double(m.w[k]) - decoded[k]);
      errDen += double(m.w[k]) * m.w[k];
    }
    weights += int64_t(decoded.size());
    std::copy(decoded.begin(), decoded.end(), const_cast<float *>(m.w));
  }
  // The checkpoint: the original header, then the weights with the coded
  // matrices replaced, in the original order and size.
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<char> header(28);
  in.read(header.data(), 28);
  in.seekg(0, std::ios::end);
  size_t floats = (size_t(in.tellg()) - 28) / sizeof(float);
  std::ofstream out(argv[2], std::ios::binary);
  out.write(header.data(), 28);
  out.write(reinterpret_cast<const char *>(model.storage),
            std::streamsize(floats * sizeof(float)));
  if (!out) {
    std::fprintf(stderr, "fac-fractal-code: cannot write %s\n", argv[2]);
    return kExitIO;
  }
  std::printf("coded %zu matrices (%lld weights): %.3f bits/weight, "
              "relative error %.3f; wrote %s\n",
              matrices.size(), (long long)weights, bits / double(weights),
              std::sqrt(errNum / errDen), argv[2]);
  facrt_llama_free(&model);
  return kExitSuccess;
}
