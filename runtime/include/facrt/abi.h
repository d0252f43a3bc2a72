/*===- abi.h - The kernels' C ABI ----------------------------------*- C -*-===*
 *
 * What a kernel facc compiled takes and returns: the status codes, the
 * strided views it receives tensors as, and the workspace it works in.
 * The header facc writes includes only this. Plain C types; the layout of
 * every struct is part of the ABI (docs/RuntimeABI.md).
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_ABI_H
#define FACRT_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===-- Status ------------------------------------------------------------===*/

/* No C++ exception crosses this interface: an allocation that fails inside
 * any call is FACRT_ERR_NOMEM (or the call's documented error value), and
 * no call aborts. */

/// Every fallible runtime call returns one of these.
typedef enum facrt_status {
  FACRT_OK = 0,
  FACRT_ERR_IO = 1,       ///< A file could not be opened or read.
  FACRT_ERR_FORMAT = 2,   ///< A file's contents do not match its format.
  FACRT_ERR_CHECKSUM = 3, ///< A file's sha256 is not the expected one.
  FACRT_ERR_ARG = 4,      ///< An argument is out of range.
  FACRT_ERR_NOMEM = 5,    ///< An allocation failed.
  FACRT_ERR_LIMIT = 6     ///< A memory arena's byte limit would be exceeded.
} facrt_status;

/// A static, human-readable name for \p status.
const char *facrt_status_str(facrt_status status);

/*===-- Tensors -----------------------------------------------------------===*/

/// A strided view of a 2-d f32 array. Same layout as MLIR's
/// StridedMemRefType<float, 2>: this is how kernels receive tensors.
typedef struct fac_memref2d_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} fac_memref2d_f32;

/// The same for 3-d f32 arrays (StridedMemRefType<float, 3>): a whole
/// layer, heads first, e.g. the view {heads, tokens, d} with strides
/// {d, heads * d, 1} of a [tokens][heads * d] matrix.
typedef struct fac_memref3d_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[3];
  int64_t strides[3];
} fac_memref3d_f32;

/// 1-d f32 and int64 arrays (a bias per key, a list of key rows).
typedef struct fac_memref1d_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} fac_memref1d_f32;
typedef struct fac_memref1d_i64 {
  int64_t *allocated;
  int64_t *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} fac_memref1d_i64;

/// A kernel's workspace, bytes (StridedMemRefType<int8_t, 1>). The C header
/// facc writes builds it from `void *workspace, int64_t workspace_bytes`;
/// `fac_<kernel>_workspace_size` says how many bytes a call needs.
typedef struct fac_memref1d_i8 {
  int8_t *allocated;
  int8_t *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} fac_memref1d_i8;

/// An owning, row-major, 64-byte aligned 2-d f32 tensor.
typedef struct facrt_tensor {
  float *data;
  int64_t rows;
  int64_t cols;
} facrt_tensor;

/// Allocates a zero-filled rows x cols tensor: FACRT_ERR_ARG for a negative
/// size, FACRT_ERR_NOMEM when rows * cols * 4 bytes does not fit in size_t
/// or the allocation fails.
facrt_status facrt_tensor_alloc(facrt_tensor *t, int64_t rows, int64_t cols);
/// Frees \p t's storage and zeroes it; safe on a zeroed tensor.
void facrt_tensor_free(facrt_tensor *t);
/// A kernel's workspace, kept by its caller and reused across calls: what
/// `fac_<kernel>(..., workspace.data, workspace.bytes)` takes.
typedef struct facrt_workspace {
  void *data;
  int64_t bytes;
} facrt_workspace;
/// Makes \p w hold at least \p bytes (64-byte aligned), keeping its
/// storage when it already does: FACRT_ERR_ARG for a negative size,
/// FACRT_ERR_NOMEM over 2^62 bytes or when the allocation fails (then \p w
/// is as it was).
facrt_status facrt_workspace_reserve(facrt_workspace *w, int64_t bytes);
/// Frees \p w's storage and zeroes it; safe on a zeroed workspace.
void facrt_workspace_free(facrt_workspace *w);
/// A view of columns [col, col + cols) of every row of \p base, a
/// rows x ld row-major array: how a head is cut out of a [n][dim] matrix.
fac_memref2d_f32 facrt_view2d(float *base, int64_t rows, int64_t cols,
                              int64_t ld, int64_t col);

#ifdef __cplusplus
}

namespace facrt {
/// Grows \p w to \p need bytes, then makes \p call with its storage. A
/// size function's -1 (sizes too large to sum) is FACRT_ERR_LIMIT.
template <class Call>
facrt_status callWithWorkspace(facrt_workspace *w, int64_t need, Call call) {
  if (need < 0)
    return FACRT_ERR_LIMIT;
  if (facrt_status s = facrt_workspace_reserve(w, need))
    return s;
  return facrt_status(call(w->data, w->bytes));
}
} // namespace facrt

#define FACRT_CAT_(a, b) a##b
#define FACRT_CAT(a, b) FACRT_CAT_(a, b)
/// From C++: `kernel(args..., workspace)` of a facc kernel, with \p w
/// (a facrt_workspace *) grown first to `kernel_workspace_size(args...)`.
/// The arguments are evaluated twice: pass values, not calls.
#define FACRT_CALL(w, kernel, ...)                                             \
  facrt::callWithWorkspace((w),                                                \
                           FACRT_CAT(kernel, _workspace_size)(__VA_ARGS__),    \
                           [&](void *data_, int64_t bytes_) {                  \
                             return kernel(__VA_ARGS__, data_, bytes_);        \
                           })
#endif

#endif /* FACRT_ABI_H */
