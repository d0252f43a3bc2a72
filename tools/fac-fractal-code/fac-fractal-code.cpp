//===- fac-fractal-code.cpp - Fractal-code the weights of a checkpoint ----===//
//
// Codes wq, wk, wv and wo of every layer of a llama2.c checkpoint as
// partitioned iterated function systems (the seed's third variant), decodes
// them, and writes a checkpoint of the same format with the decoded
// weights, so that any llama2.c runner can measure what the code costs.
// Usage: fac-fractal-code in.bin out.bin [range scale_bits offset_bits]
//
//===----------------------------------------------------------------------===//

#include "fac/Support/ParseNumber.h"

#include "facrt/host.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <vector>

namespace {

enum ExitCode : int {
  kExitSuccess = 0,
  kExitFailure = 1, ///< The weights cannot be coded as asked.
  kExitUsage = 2,
  kExitIO = 3
};

/// The checkpoint's header and floats as they are in the file.
constexpr size_t kHeaderBytes = 28;

/// Parses positional argument \p text named \p name, in [lo, hi].
std::optional<int32_t> parseParam(const char *name, const char *text,
                                  int64_t lo, int64_t hi) {
  if (std::optional<int64_t> v = fac::parseInteger(text, lo, hi))
    return int32_t(*v);
  std::fprintf(stderr, "fac-fractal-code: error: %s '%s' is not %s\n", name,
               text, fac::describeRange(lo, hi).c_str());
  return std::nullopt;
}

/// Frees the model on every path out of main.
struct ModelOwner {
  facrt_llama_model model{};
  ~ModelOwner() { facrt_llama_free(&model); }
};

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
  if (argc == 6) {
    // A 1 x 1 block costs more bits than the weight it codes.
    std::optional<int32_t> range = parseParam("range", argv[3], 2, 1024);
    std::optional<int32_t> scaleBits = parseParam("scale_bits", argv[4], 1, 16);
    std::optional<int32_t> offsetBits =
        parseParam("offset_bits", argv[5], 1, 16);
    if (!range || !scaleBits || !offsetBits)
      return kExitUsage;
    params = {*range, *scaleBits, *offsetBits, 16};
  }
  ModelOwner owner;
  facrt_llama_model &model = owner.model;
  if (facrt_status s = facrt_llama_load(argv[1], nullptr, &model)) {
    std::fprintf(stderr, "fac-fractal-code: error: %s: %s\n", argv[1],
                 facrt_status_str(s));
    return kExitIO;
  }
  const facrt_llama_config &c = model.config;
  int64_t dim = c.dim, kv = int64_t(c.dim) * c.n_kv_heads / c.n_heads;
  // Every projection must split into range blocks, with room for domain
  // blocks twice their size.
  for (int64_t side : {dim, kv})
    if (side % params.range != 0 || side < 2 * params.range) {
      std::fprintf(stderr,
                   "fac-fractal-code: error: range %d does not fit this "
                   "model: the %lldx%lld projections need a block size that "
                   "divides %lld and is at most half of it\n",
                   params.range, (long long)side, (long long)dim,
                   (long long)side);
      return kExitFailure;
    }
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
                   "fac-fractal-code: error: cannot code a %lldx%lld matrix "
                   "with range %d, scale_bits %d, offset_bits %d: %s\n",
                   (long long)m.rows, (long long)m.cols, params.range,
                   params.scale_bits, params.offset_bits, facrt_status_str(s));
      return kExitFailure;
    }
    std::vector<float> decoded(static_cast<size_t>(m.rows * m.cols));
    facrt_status decodedOk = facrt_fractal_decode(code, decoded.data());
    bits += facrt_fractal_bits_per_weight(code) * double(decoded.size());
    facrt_fractal_free(code);
    if (decodedOk != FACRT_OK) {
      std::fprintf(stderr, "fac-fractal-code: error: cannot decode: %s\n",
                   facrt_status_str(decodedOk));
      return kExitFailure;
    }
    for (size_t k = 0; k < decoded.size(); ++k) {
      errNum += (double(m.w[k]) - decoded[k]) * (double(m.w[k]) - decoded[k]);
      errDen += double(m.w[k]) * m.w[k];
    }
    weights += int64_t(decoded.size());
    std::copy(decoded.begin(), decoded.end(), const_cast<float *>(m.w));
  }
  // The checkpoint: the original header, then the weights with the coded
  // matrices replaced, in the original order and size (the loader has
  // checked that the file holds exactly these).
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<char> header(kHeaderBytes);
  in.read(header.data(), std::streamsize(kHeaderBytes));
  in.seekg(0, std::ios::end);
  std::streamoff fileBytes = in.tellg();
  if (!in || fileBytes < std::streamoff(kHeaderBytes)) {
    std::fprintf(stderr, "fac-fractal-code: error: cannot read %s again\n",
                 argv[1]);
    return kExitIO;
  }
  size_t floats = (size_t(fileBytes) - kHeaderBytes) / sizeof(float);
  std::ofstream out(argv[2], std::ios::binary);
  out.write(header.data(), std::streamsize(kHeaderBytes));
  out.write(reinterpret_cast<const char *>(model.storage),
            std::streamsize(floats * sizeof(float)));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fac-fractal-code: error: cannot write %s\n", argv[2]);
    std::remove(argv[2]);
    return kExitIO;
  }
  std::printf("coded %zu matrices (%lld weights): %.3f bits/weight, "
              "relative error %.3f; wrote %s\n",
              matrices.size(), (long long)weights, bits / double(weights),
              errDen > 0 ? std::sqrt(errNum / errDen) : std::sqrt(errNum),
              argv[2]);
  return kExitSuccess;
}
