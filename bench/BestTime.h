//===- BestTime.h - The best time of repeated calls, for the benchmarks ---===//

#ifndef FAC_BENCH_BESTTIME_H
#define FAC_BENCH_BESTTIME_H

#include "facrt/facrt.h"

#include <algorithm>

namespace fac::bench {

/// The best time per call, in seconds, of at least 3 calls of \p call and
/// at least \p seconds of them.
template <class F> double bestTime(F call, double seconds) {
  double best = 1e30, start = facrt_now_seconds();
  int calls = 0;
  while (calls < 3 || facrt_now_seconds() - start < seconds) {
    double t0 = facrt_now_seconds();
    call();
    best = std::min(best, facrt_now_seconds() - t0);
    ++calls;
  }
  return best;
}

} // namespace fac::bench

#endif // FAC_BENCH_BESTTIME_H
