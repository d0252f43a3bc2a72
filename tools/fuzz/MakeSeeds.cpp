//===- MakeSeeds.cpp - Seed inputs of the runtime fuzz targets ------------===//
//
// Writes the inputs the runtime fuzz targets start from, made of the real
// files: the stories260K tokenizer behind its input header (with text from
// Moby Dick), and the fractal codes of the model's layer-0 projections at
// several block sizes and bit widths. The checkpoint target starts from the
// checkpoint file itself. Usage: fac-fuzz-seeds <data dir> <out dir>.
//
//===----------------------------------------------------------------------===//

#include "facrt/host.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

enum ExitCode : int { kExitSuccess = 0, kExitUsage = 2, kExitIO = 3 };

bool write(const std::string &path, const void *data, size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char *>(data), std::streamsize(size));
  out.close();
  if (!out)
    std::fprintf(stderr, "fac-fuzz-seeds: error: cannot write %s\n",
                 path.c_str());
  return bool(out);
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <data dir> <out dir>\n", argv[0]);
    return kExitUsage;
  }
  std::string data = argv[1], out = argv[2];
  facrt_llama_model model;
  facrt_tokenizer *tok = nullptr;
  if (facrt_status s = facrt_stories260k_load(data.c_str(), &model, &tok)) {
    std::fprintf(stderr, "fac-fuzz-seeds: error: %s: %s\n", data.c_str(),
                 facrt_status_str(s));
    return kExitIO;
  }
  facrt_tokenizer_free(tok);
  bool ok = true;

  // Tokenizer inputs: vocabulary size and text length (2 bytes each, little
  // endian), the text, then the real tokenizer file.
  std::ifstream tokFile(data + "/stories260K/tok512.bin", std::ios::binary);
  std::vector<char> tokBytes((std::istreambuf_iterator<char>(tokFile)), {});
  const char *texts[] = {"Call me Ishmael. Some years ago",
                         "Once upon a time, there was a little girl named "
                         "Lily.\n\xc3\xa9\xe2\x82\xac\x01\x7f"};
  int k = 0;
  for (const char *text : texts) {
    std::string t = text;
    std::vector<char> input = {char(512 & 255), char(512 >> 8),
                               char(t.size() & 255), char(t.size() >> 8)};
    input.insert(input.end(), t.begin(), t.end());
    input.insert(input.end(), tokBytes.begin(), tokBytes.end());
    ok &= write(out + "/tokenizer-" + std::to_string(k++), input.data(),
                input.size());
  }

  // Fractal codes of layer 0's wq (64 x 64) and wk (32 x 64).
  const facrt_llama_config &c = model.config;
  int64_t dim = c.dim, kv = int64_t(dim) * c.n_kv_heads / c.n_heads;
  struct Matrix {
    const float *w;
    int64_t rows;
  } matrices[] = {{model.weights.wq, dim}, {model.weights.wk, kv}};
  facrt_fractal_params params[] = {{4, 5, 7, 16}, {8, 3, 4, 4}, {16, 8, 8, 2}};
  k = 0;
  for (const Matrix &m : matrices)
    for (const facrt_fractal_params &p : params) {
      facrt_fractal_code *code = nullptr;
      if (facrt_fractal_encode(m.w, m.rows, dim, &p, &code) != FACRT_OK)
        continue;
      std::vector<int64_t> ints(size_t(facrt_fractal_export(code, nullptr, 0)));
      facrt_fractal_export(code, ints.data(), int64_t(ints.size()));
      facrt_fractal_free(code);
      ok &= write(out + "/fractal-code-" + std::to_string(k++), ints.data(),
                  ints.size() * sizeof(int64_t));
    }
  facrt_llama_free(&model);
  return ok ? kExitSuccess : kExitIO;
}
