/*===- reference.h - Reference attention, for checks ---------------*- C -*-===*
 *
 * Dense attention in fp64 (with the compiled kernel's hooks), the error
 * measure the tests and the main job report, and a clock.
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_REFERENCE_H
#define FACRT_REFERENCE_H

#include "facrt/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/*===-- References --------------------------------------------------------===*/

/// Dense attention in fp64: out[i] = sum_j softmax_j(scale * q_i . k_j) v_j,
/// over all j < m, or j <= i when \p causal. q is n x d, k is m x d, v is
/// m x dv, out is n x dv; each given as a strided view.
facrt_status facrt_attention_ref_f64(const fac_memref2d_f32 *q,
                                     const fac_memref2d_f32 *k,
                                     const fac_memref2d_f32 *v, double scale,
                                     int causal, double *out);

/// The hooks of the compiled attention kernel (fac.attention), for the
/// reference: key j of the list is visible to query row i iff
/// causal_offset < 0 or j <= i + causal_offset; its score gains bias[j]
/// when bias is not NULL; it is row key_indices[j] of k and v when
/// key_indices is not NULL (then the list has num_keys entries, each a
/// row of k, else it is every row of k).
typedef struct facrt_attention_hooks {
  int64_t causal_offset;
  const float *bias;
  const int64_t *key_indices;
  int64_t num_keys;
} facrt_attention_hooks;

/// facrt_attention_ref_f64 with the kernel's hooks; FACRT_ERR_ARG when an
/// index is not a row of k.
facrt_status facrt_attention_ref_f64_hooks(const fac_memref2d_f32 *q,
                                           const fac_memref2d_f32 *k,
                                           const fac_memref2d_f32 *v,
                                           double scale,
                                           const facrt_attention_hooks *hooks,
                                           double *out);

/// The largest |got - ref| over the view, divided by the largest |ref|
/// (so a relative error that does not blow up near zero entries).
double facrt_max_rel_error(const fac_memref2d_f32 *got, const double *ref);

/*===-- Clock -------------------------------------------------------------===*/

/// Monotonic wall-clock time in seconds.
double facrt_now_seconds(void);

#ifdef __cplusplus
}
#endif

#endif /* FACRT_REFERENCE_H */
