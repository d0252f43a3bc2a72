//===- WeightCodes.h - Random weights and their fractal codes -------------===//
//
// What the interpreter and the compiler must compute alike for the seed's
// third and fourth variants: the random draws of `RandomNormal`,
// `initRandom` and `sampleCode` (one generator, seeded as every run is), and
// the integers of a `FractalCode` that the library's `Compress` makes of an
// `AttentionWeight` and `Reconstruct` reads back. The compiler draws and
// codes at compile time with these functions, so a kernel holds the codes
// the interpreter would make (docs/Rationale.md).
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SUPPORT_WEIGHTCODES_H
#define FAC_SUPPORT_WEIGHTCODES_H

#include "facrt/facrt.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace fac {

/// The random draws of a run: fac-interp makes one per run, the compiler
/// one per kernel, drawing in program order.
class RandomDraws {
public:
  /// `RandomNormal(count, mean, std)`: a fresh normal distribution per call.
  std::vector<double> normal(int64_t count, double mean, double std) {
    std::normal_distribution<double> dist(mean, std);
    std::vector<double> out;
    out.reserve(size_t(count));
    for (int64_t k = 0; k < count; ++k)
      out.push_back(dist(rng));
    return out;
  }
  /// `initRandom(shape)`: N(0, 0.02) values.
  std::vector<double> initial(int64_t count) { return normal(count, 0, 0.02); }
  /// `sampleCode(level)`: level + 1 integers in 0-7.
  std::vector<int64_t> code(int64_t level) {
    std::uniform_int_distribution<int64_t> dist(0, 7);
    std::vector<int64_t> out;
    for (int64_t k = 0; k < std::max<int64_t>(level, 0) + 1; ++k)
      out.push_back(dist(rng));
    return out;
  }

private:
  std::mt19937 rng{1234};
};

/// A row-major matrix.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> values;
};

/// The libfacrt code parameters `Compress` uses: 4x4 range blocks, 5-bit
/// scales, 7-bit offsets, 16 decoding iterations.
inline constexpr facrt_fractal_params kWeightCodeParams{4, 5, 7, 16};

/// The most weights one matrix may have to be coded (coding compares every
/// domain block with every range block: about weights^2 / 2 operations).
inline constexpr int64_t kMaxCodedWeights = int64_t(1) << 15;

/// `Compress` of an AttentionWeight: per matrix, the count of its code's
/// integers and facrt_fractal_export's integers; or, for a matrix the codec
/// cannot block, -1, rows, cols and the IEEE bits of each value. Sets
/// \p bitsPerWeight to the mean over the matrices. Fails with a message
/// for a matrix over kMaxCodedWeights.
bool codeWeights(llvm::ArrayRef<Matrix> matrices, std::vector<int64_t> &ints,
                 double &bitsPerWeight, std::string &error);

/// One matrix of a code: a fractal code (owned; free with
/// facrt_fractal_free) or raw values.
struct CodedMatrix {
  facrt_fractal_code *code = nullptr;
  Matrix raw;
};

/// The matrices \p ints codes, in order; false when they do not form
/// `count` matrices' codes (\p out then holds no codes).
bool readWeightCodes(llvm::ArrayRef<int64_t> ints, int count,
                     std::vector<CodedMatrix> &out);

/// The \p count matrices \p ints codes, decoded (facrt_fractal_decode, or
/// the raw values); false when they do not form `count` matrices' codes.
bool decodeWeightCodes(llvm::ArrayRef<int64_t> ints, int count,
                       std::vector<Matrix> &out);

/// Frees the codes of \p matrices.
void freeWeightCodes(std::vector<CodedMatrix> &matrices);

} // namespace fac

#endif // FAC_SUPPORT_WEIGHTCODES_H
