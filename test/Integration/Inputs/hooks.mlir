// Kernels on buffers that use every hook of fac.attention, for
// Integration/attention-hooks.test: facc compiles .mlir input for every
// target. `hooks_layer` is a whole layer (heads first, GQA) with a causal
// offset, a bias per key, a gathered key list and a thread count;
// `hooks_head` is one head with the same hooks, on the calling thread.
!layer = memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>
!head = memref<?x?xf32, strided<[?, 1], offset: ?>>
!bias = memref<?xf32, strided<[1], offset: ?>>
!rows = memref<?xi64, strided<[1], offset: ?>>

func.func @hooks_layer(%offset: index {fac.name = "causal_offset"},
                       %threads: i32 {fac.name = "threads"},
                       %bias: !bias {fac.name = "bias"},
                       %rows: !rows {fac.name = "key_indices"},
                       %q: !layer {fac.name = "query"},
                       %k: !layer {fac.name = "key"},
                       %v: !layer {fac.name = "value"},
                       %o: !layer {fac.name = "out"}) attributes {fac.kernel} {
  fac.attention ins(%q, %k, %v : !layer, !layer, !layer) outs(%o : !layer)
      causal %offset bias %bias : !bias indices %rows : !rows
      threads %threads {rsqrt_d}
  return
}

func.func @hooks_head(%offset: index {fac.name = "causal_offset"},
                      %bias: !bias {fac.name = "bias"},
                      %rows: !rows {fac.name = "key_indices"},
                      %q: !head {fac.name = "query"},
                      %k: !head {fac.name = "key"},
                      %v: !head {fac.name = "value"},
                      %o: !head {fac.name = "out"}) attributes {fac.kernel} {
  fac.attention ins(%q, %k, %v : !head, !head, !head) outs(%o : !head)
      causal %offset bias %bias : !bias indices %rows : !rows {rsqrt_d}
  return
}
