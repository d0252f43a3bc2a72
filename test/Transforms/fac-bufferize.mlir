// fac-bufferize: kernels get a buffer ABI in destination-passing style.
// RUN: %fac-opt %s -fac-bufferize=key-tile=16 -split-input-file -verify-diagnostics | FileCheck %s

// The returned attention writes straight into the new `out` argument.
// CHECK-LABEL: func.func @direct
// CHECK-SAME: (%[[S:[a-z0-9]+]]: f32, %[[Q:[a-z0-9]+]]: memref<?x?xf32, strided<[?, 1], offset: ?>>, %[[K:[a-z0-9]+]]: memref<?x?xf32, strided<[?, 1], offset: ?>>, %[[V:[a-z0-9]+]]: memref<?x?xf32, strided<[?, 1], offset: ?>>, %[[OUT:[a-z0-9]+]]: memref<?x?xf32, strided<[?, 1], offset: ?>> {fac.name = "out"})
// CHECK-SAME: attributes {fac.kernel, llvm.emit_c_interface}
// CHECK-NEXT: fac.attention ins(%[[Q]], %[[K]], %[[V]] : {{.*}}) outs(%[[OUT]] : {{.*}}) scale %[[S]] {key_tile = 16 : i64, rsqrt_d}
// CHECK-NEXT: return
// CHECK-NEXT: }
func.func @direct(%s: f32, %q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor attributes {fac.kernel} {
  %r = fac.attend %q, %k, %v scale %s {rsqrt_d} : !fac.tensor
  return %r : !fac.tensor
}

// -----

// An intermediate tensor gets a buffer of its own, freed at the end.
// CHECK-LABEL: func.func @chained
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: memref{{.*}}, %[[K:[a-z0-9]+]]: memref{{.*}}, %[[V:[a-z0-9]+]]: memref{{.*}}, %[[OUT:[a-z0-9]+]]: memref
// CHECK: %[[ROWS:.*]] = memref.dim %[[Q]], %c0
// CHECK: %[[COLS:.*]] = memref.dim %[[V]], %c1
// CHECK: %[[TMP:.*]] = memref.alloc(%[[ROWS]], %[[COLS]]) {fac.buffer = "attention rows"} : memref<?x?xf32>
// CHECK: fac.attention ins(%[[Q]], %[[K]], %[[V]] : {{.*}}) outs(%[[TMP]] : memref<?x?xf32>) {key_tile = 16 : i64}
// CHECK: fac.attention ins(%[[TMP]], %[[K]], %[[V]] : {{.*}}) outs(%[[OUT]] : {{.*}}) {key_tile = 16 : i64}
// CHECK: memref.dealloc %[[TMP]]
// CHECK: return
func.func @chained(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor attributes {fac.kernel} {
  %a = fac.attend %q, %k, %v : !fac.tensor
  %b = fac.attend %a, %k, %v : !fac.tensor
  return %b : !fac.tensor
}

// -----

// Returning an argument copies it into `out` (a loop: no runtime library),
// which must have its shape (a fac.require for fac-kernel-status).
// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: memref{{.*}}, %{{.*}}: memref{{.*}}, %{{.*}}: memref{{.*}}, %[[OUT:[a-z0-9]+]]: memref
// CHECK-DAG: %[[ROWS:.*]] = memref.dim %[[Q]], %c0
// CHECK-DAG: %[[OUTROWS:.*]] = memref.dim %[[OUT]], %c0
// CHECK: %[[SAME:.*]] = arith.cmpi eq, %[[OUTROWS]], %[[ROWS]]
// CHECK: fac.require %[[SAME]], "rows of out"
// CHECK: fac.require %{{.*}}, "columns of out"
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[X:.*]] = memref.load %[[Q]]
// CHECK-NEXT: memref.store %[[X]], %[[OUT]]
// CHECK-NOT: memref.copy
func.func @identity(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor attributes {fac.kernel} {
  return %q : !fac.tensor
}

// -----

// Functions that are not kernels are left alone.
// CHECK-LABEL: func.func @helper(%{{.*}}: !fac.tensor) -> !fac.tensor
func.func @helper(%q: !fac.tensor) -> !fac.tensor {
  return %q : !fac.tensor
}

// -----

// expected-error @+1 {{kernel must return one tensor, got 'f32'}}
func.func @scalar(%s: f32) -> f32 attributes {fac.kernel} {
  return %s : f32
}

// -----

func.func @unsupported(%s: f32, %q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor attributes {fac.kernel} {
  // expected-error @+1 {{has no buffer form yet: fac-bufferize handles tensors made by fac.attend, products, fractal decoding, literals, branches and the tree ops only}}
  %sv = fac.mul %s, %v : f32, !fac.tensor -> !fac.tensor
  %r = fac.attend %q, %k, %sv : !fac.tensor
  return %r : !fac.tensor
}

// -----

// A branch on a run-time value: scf.if yielding each side's buffer as the
// ABI's strided view; the result is copied into `out`.
// CHECK-LABEL: func.func @branch
// CHECK: %[[R:.*]] = scf.if %arg0 -> (memref<?x?xf32, strided<[?, 1], offset: ?>>) {
// CHECK:   %[[A:.*]] = memref.alloc({{.*}}) {fac.buffer = "attention rows"} : memref<?x?xf32>
// CHECK:   fac.attention ins({{.*}}) outs(%[[A]] : memref<?x?xf32>)
// CHECK:   %[[C:.*]] = memref.cast %[[A]] : memref<?x?xf32> to memref<?x?xf32, strided<[?, 1], offset: ?>>
// CHECK:   scf.yield %[[C]]
// CHECK: } else {
// CHECK:   scf.yield %arg1
// CHECK: }
// CHECK: fac.require {{.*}}, "rows of out"
// CHECK: memref.load %[[R]]
// CHECK-NOT: memref.dealloc %[[A]]
func.func @branch(%c: i1, %q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor attributes {fac.kernel} {
  %r = fac.if %c -> !fac.tensor {
    %a = fac.attend %q, %k, %v {rsqrt_d} : !fac.tensor
    fac.yield %a : !fac.tensor
  } else {
    fac.yield %q : !fac.tensor
  }
  return %r : !fac.tensor
}
