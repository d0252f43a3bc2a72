// The named pipeline fac-lower-to-llvm (what facc runs before translating
// to LLVM IR) takes a concept to the LLVM dialect alone, with the C
// interface wrapper the generated header declares.
// RUN: %fac-opt %s -fac-lower-to-llvm | FileCheck %s
// exp is MLIR's polynomial, inlined: no libm call anywhere.
// RUN: %fac-opt %s -fac-lower-to-llvm | FileCheck %s --check-prefix=NOEXP
// NOEXP-NOT: llvm.intr.exp
// NOEXP-NOT: @expf
// RUN: %fac-opt %s -fac-lower-to-llvm="key-tile=4" | FileCheck %s --check-prefix=TILE4

fac.concept @Dense(%s: f32) {
  %f = fac.lambda(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor {
    %sq = fac.mul %s, %q : f32, !fac.tensor -> !fac.tensor
    %r = fac.perform "Attend"(%sq, %k, %v) : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
    fac.return %r : !fac.tensor
  }
  fac.export "attention" = %f : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
}

// CHECK-NOT: fac.
// CHECK-NOT: scf.
// CHECK-NOT: memref.
// CHECK: llvm.func @Dense_attention(%{{.*}}: f32, %{{.*}}: !llvm.ptr
// CHECK: llvm.intr.fmuladd
// CHECK: llvm.intr.floor
// CHECK: llvm.func @_mlir_ciface_Dense_attention(%{{.*}}: f32, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr {fac.name = "out"}, %{{.*}}: !llvm.ptr {fac.name = "workspace"})
// CHECK: llvm.call @Dense_attention
// The whole-layer entry: one OpenMP region sized by its thread argument,
// a work-sharing loop over the workers (one per thread; each takes every
// workers-th (head, query block) for the block kernel, or (K/V head, key
// chunk) for decoding, and its own slice of the workspace).
// CHECK: llvm.func @Dense_attention_layer(%{{.*}}: f32, %{{.*}}: i64 {fac.name = "causal_offset"}, %[[T:[a-z0-9]+]]: i32 {fac.name = "threads", fac.threads}
// CHECK: %[[N:.*]] = llvm.intr.smax(%[[T]], %{{.*}}) : (i32, i32) -> i32
// CHECK: omp.parallel num_threads(%[[N]] : i32)
// CHECK: omp.wsloop
// CHECK: omp.loop_nest (%{{.*}}) : i64
// CHECK: %[[N2:.*]] = llvm.intr.smax(%[[T]], %{{.*}}) : (i32, i32) -> i32
// CHECK: omp.parallel num_threads(%[[N2]] : i32)
// CHECK: omp.wsloop
// CHECK: llvm.func @_mlir_ciface_Dense_attention_layer(

// TILE4: llvm.mlir.constant(4 : index)
