//===- TestTensors.h - Random tensors and views for the runtime tests -----===//
//
// Seeded Gaussian data and 2-d views over it, shared by the runtime tests
// so every test draws its data the same way.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TEST_UNITTESTS_TESTTENSORS_H
#define FAC_TEST_UNITTESTS_TESTTENSORS_H

#include "facrt/facrt.h"

#include <random>
#include <vector>

/// \p n values drawn from N(0, sigma^2) with a generator seeded by \p seed.
inline std::vector<float> gaussian(size_t n, unsigned seed,
                                   float sigma = 1.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// A dense row-major rows x cols view of \p data.
inline fac_memref2d_f32 view(std::vector<float> &data, int64_t rows,
                             int64_t cols) {
  return facrt_view2d(data.data(), rows, cols, cols, 0);
}

#endif // FAC_TEST_UNITTESTS_TESTTENSORS_H
