//===- status_check.cpp - The status of one call of an attention kernel --===//
//
// Built with -DFAC_KERNEL=name (and -DFAC_SCALARS="a, b" for its scalar
// parameters) against a kernel's header and object: calls it once on
// q (n x d), k and v (m x d) of ones, out n x d, and prints the status.
// Usage: status_check <n> <m> <d>
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  int64_t n = std::atoll(argv[1]), m = std::atoll(argv[2]),
          d = std::atoll(argv[3]);
  std::vector<float> q(size_t(n * d), 1.0f), k(size_t(m * d), 1.0f),
      v(k.size(), 1.0f), out(q.size());
  fac_memref2d_f32 qv = facrt_view2d(q.data(), n, d, d, 0),
                   kv = facrt_view2d(k.data(), m, d, d, 0),
                   vv = facrt_view2d(v.data(), m, d, d, 0),
                   ov = facrt_view2d(out.data(), n, d, d, 0);
  facrt_workspace workspace = {nullptr, 0};
#ifdef FAC_SCALARS
  facrt_status s =
      FACRT_CALL(&workspace, FAC_KERNEL, FAC_SCALARS, &qv, &kv, &vv, &ov);
#else
  facrt_status s = FACRT_CALL(&workspace, FAC_KERNEL, &qv, &kv, &vv, &ov);
#endif
  facrt_workspace_free(&workspace);
  std::printf("status: %s\n", facrt_status_str(s));
  return 0;
}
