// The named pipeline fac-lower-to-llvm (what facc runs before translating
// to LLVM IR) takes a concept to the LLVM dialect alone, with the C
// interface wrapper the generated header declares.
// RUN: %fac-opt %s -fac-lower-to-llvm | FileCheck %s
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
// CHECK: llvm.func @_mlir_ciface_Dense_attention(%{{.*}}: f32, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr{{.*}})
// CHECK: llvm.call @Dense_attention

// TILE4: llvm.mlir.constant(4 : index)
