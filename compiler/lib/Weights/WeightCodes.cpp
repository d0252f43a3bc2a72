//===- WeightCodes.cpp - Fractal codes of attention weights ---------------===//

#include "fac/Support/WeightCodes.h"

#include <cstring>

using namespace fac;

bool fac::codeWeights(llvm::ArrayRef<Matrix> matrices,
                      std::vector<int64_t> &ints, double &bitsPerWeight,
                      std::string &error) {
  double bits = 0;
  for (const Matrix &m : matrices) {
    if (int64_t(m.values.size()) > kMaxCodedWeights) {
      error = "fractal coding a " + std::to_string(m.rows) + " x " +
              std::to_string(m.cols) + " matrix is over the limit of " +
              std::to_string(kMaxCodedWeights) + " weights";
      return false;
    }
    facrt_fractal_code *fc = nullptr;
    if (facrt_fractal_encode(m.values.data(), m.rows, m.cols,
                             &kWeightCodeParams, &fc) == FACRT_OK) {
      int64_t n = facrt_fractal_export(fc, nullptr, 0);
      ints.push_back(n);
      size_t at = ints.size();
      ints.resize(at + size_t(n));
      facrt_fractal_export(fc, ints.data() + at, n);
      bits += facrt_fractal_bits_per_weight(fc);
      facrt_fractal_free(fc);
      continue;
    }
    ints.insert(ints.end(), {-1, m.rows, m.cols});
    for (float x : m.values) {
      uint32_t u;
      std::memcpy(&u, &x, sizeof(u));
      ints.push_back(u);
    }
    bits += 32;
  }
  bitsPerWeight = matrices.empty() ? 0 : bits / double(matrices.size());
  return true;
}

bool fac::readWeightCodes(llvm::ArrayRef<int64_t> ints, int count,
                          std::vector<CodedMatrix> &out) {
  size_t k = 0;
  auto fail = [&] {
    freeWeightCodes(out);
    out.clear();
    return false;
  };
  for (int m = 0; m < count; ++m) {
    if (k >= ints.size())
      return fail();
    int64_t n = ints[k++];
    CodedMatrix matrix;
    if (n == -1) {
      if (ints.size() - k < 2)
        return fail();
      int64_t rows = ints[k++], cols = ints[k++];
      // Within what is left before multiplying: no wrap-around.
      int64_t left = int64_t(ints.size() - k);
      if (rows < 0 || cols < 0 || (cols && rows > left / cols) ||
          rows * cols > left)
        return fail();
      matrix.raw.rows = rows;
      matrix.raw.cols = cols;
      for (int64_t e = 0; e < rows * cols; ++e) {
        uint32_t u = uint32_t(ints[k++]);
        float x;
        std::memcpy(&x, &u, sizeof(x));
        matrix.raw.values.push_back(x);
      }
      out.push_back(std::move(matrix));
      continue;
    }
    if (n < 0 || n > int64_t(ints.size() - k) ||
        facrt_fractal_import(ints.data() + k, n, &matrix.code) != FACRT_OK)
      return fail();
    k += size_t(n);
    out.push_back(std::move(matrix));
  }
  return true;
}

bool fac::decodeWeightCodes(llvm::ArrayRef<int64_t> ints, int count,
                            std::vector<Matrix> &out) {
  std::vector<CodedMatrix> coded;
  if (!readWeightCodes(ints, count, coded))
    return false;
  for (CodedMatrix &m : coded) {
    if (!m.code) {
      out.push_back(std::move(m.raw));
      continue;
    }
    int64_t header[8];
    facrt_fractal_export(m.code, header, 8);
    Matrix decoded{header[0], header[1], {}};
    decoded.values.resize(size_t(header[0] * header[1]));
    facrt_fractal_decode(m.code, decoded.values.data());
    out.push_back(std::move(decoded));
  }
  freeWeightCodes(coded);
  return true;
}

void fac::freeWeightCodes(std::vector<CodedMatrix> &matrices) {
  for (CodedMatrix &m : matrices) {
    facrt_fractal_free(m.code);
    m.code = nullptr;
  }
}
