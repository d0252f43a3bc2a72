//===- TensorTest.cpp - Tensors, views and status codes -------------------===//

#include "facrt/facrt.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

TEST(Tensor, AllocIsZeroedAndAligned) {
  facrt_tensor t{};
  ASSERT_EQ(facrt_tensor_alloc(&t, 3, 5), FACRT_OK);
  EXPECT_EQ(t.rows, 3);
  EXPECT_EQ(t.cols, 5);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 64, 0u);
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(t.data[i], 0.0f);
  facrt_tensor_free(&t);
  EXPECT_EQ(t.data, nullptr);
  EXPECT_EQ(t.rows, 0);
  facrt_tensor_free(&t); // Freeing twice is harmless.
}

TEST(Tensor, AllocRejectsBadArguments) {
  facrt_tensor t{};
  EXPECT_EQ(facrt_tensor_alloc(&t, -1, 2), FACRT_ERR_ARG);
  EXPECT_EQ(facrt_tensor_alloc(nullptr, 1, 2), FACRT_ERR_ARG);
}

TEST(Tensor, ViewCutsAHeadOutOfARow) {
  float base[4 * 6];
  fac_memref2d_f32 v = facrt_view2d(base, 4, 2, 6, 3);
  EXPECT_EQ(v.aligned, base);
  EXPECT_EQ(v.offset, 3);
  EXPECT_EQ(v.sizes[0], 4);
  EXPECT_EQ(v.sizes[1], 2);
  EXPECT_EQ(v.strides[0], 6);
  EXPECT_EQ(v.strides[1], 1);
  // Element (2, 1) of the view is base[2 * 6 + 3 + 1].
  EXPECT_EQ(&v.aligned[v.offset + 2 * v.strides[0] + 1], &base[16]);
}

TEST(Status, EveryCodeHasADistinctName) {
  facrt_status all[] = {FACRT_OK,           FACRT_ERR_IO,  FACRT_ERR_FORMAT,
                        FACRT_ERR_CHECKSUM, FACRT_ERR_ARG, FACRT_ERR_NOMEM};
  for (facrt_status a : all)
    for (facrt_status b : all)
      if (a != b)
        EXPECT_NE(std::string(facrt_status_str(a)), facrt_status_str(b));
}

TEST(Timer, IsMonotonic) {
  double a = facrt_now_seconds();
  double b = facrt_now_seconds();
  EXPECT_LE(a, b);
}

TEST(Tensor, AllocRejectsSizesWhoseByteCountOverflows) {
  // 2^40 x 2^40 floats and 2^62 x 4 floats wrap size_t: such a call used to
  // succeed with a 64-byte buffer.
  facrt_tensor t{};
  EXPECT_EQ(facrt_tensor_alloc(&t, int64_t(1) << 40, int64_t(1) << 40),
            FACRT_ERR_NOMEM);
  EXPECT_EQ(facrt_tensor_alloc(&t, int64_t(1) << 62, 4), FACRT_ERR_NOMEM);
  EXPECT_EQ(facrt_tensor_alloc(&t, INT64_MAX, INT64_MAX), FACRT_ERR_NOMEM);
  EXPECT_EQ(t.data, nullptr);
}

TEST(Workspace, GrowsAlignedAndKeepsStorageThatIsLargeEnough) {
  facrt_workspace w{};
  ASSERT_EQ(facrt_workspace_reserve(&w, 100), FACRT_OK);
  ASSERT_NE(w.data, nullptr);
  EXPECT_EQ(w.bytes, 100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w.data) % 64, 0u);
  void *first = w.data;
  // Smaller: the same storage.
  ASSERT_EQ(facrt_workspace_reserve(&w, 10), FACRT_OK);
  EXPECT_EQ(w.data, first);
  EXPECT_EQ(w.bytes, 100);
  // Larger: new storage, every byte writable.
  ASSERT_EQ(facrt_workspace_reserve(&w, 1000), FACRT_OK);
  EXPECT_EQ(w.bytes, 1000);
  std::memset(w.data, 1, 1000);
  facrt_workspace_free(&w);
  EXPECT_EQ(w.data, nullptr);
  EXPECT_EQ(w.bytes, 0);
  facrt_workspace_free(&w); // Safe twice.
}

TEST(Workspace, RejectsNegativeAndUnallocatableSizes) {
  facrt_workspace w{};
  EXPECT_EQ(facrt_workspace_reserve(&w, -1), FACRT_ERR_ARG);
  EXPECT_EQ(facrt_workspace_reserve(nullptr, 8), FACRT_ERR_ARG);
  EXPECT_EQ(facrt_workspace_reserve(&w, INT64_MAX), FACRT_ERR_NOMEM);
  EXPECT_EQ(w.data, nullptr);
  // A zero-byte request still gives storage (kernels without buffers).
  EXPECT_EQ(facrt_workspace_reserve(&w, 0), FACRT_OK);
  EXPECT_NE(w.data, nullptr);
  facrt_workspace_free(&w);
}

TEST(Workspace, CallGrowsToWhatTheKernelAsks) {
  facrt_workspace w{};
  int64_t seen = -1;
  auto call = [&](void *data, int64_t bytes) {
    seen = bytes;
    return data ? FACRT_OK : FACRT_ERR_ARG;
  };
  EXPECT_EQ(facrt::callWithWorkspace(&w, 4096, call), FACRT_OK);
  EXPECT_EQ(seen, 4096);
  // A size function's -1: sizes too large to sum.
  EXPECT_EQ(facrt::callWithWorkspace(&w, -1, call), FACRT_ERR_LIMIT);
  facrt_workspace_free(&w);
}
