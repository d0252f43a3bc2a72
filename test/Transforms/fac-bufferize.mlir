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

func.func @unsupported(%axis: i64, %q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor attributes {fac.kernel} {
  // expected-error @+1 {{'fac.intrinsic' op along an axis known only at run time: a kernel reduces along an axis given as a number}}
  %sv = fac.intrinsic "sum"(%v, %axis) : (!fac.tensor, i64) -> !fac.tensor
  %r = fac.attend %q, %k, %sv : !fac.tensor
  return %r : !fac.tensor
}

// -----

// The tensor algebra: a Float times a tensor is a loop nest into a buffer
// of the plan; a row slice is a view (clamped bounds); `++` copies both.
// CHECK-LABEL: func.func @algebra
// CHECK: %[[SCALED:.*]] = memref.alloc({{.*}}) {fac.buffer = "elementwise result"}
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.mulf
// CHECK: memref.store {{.*}}, %[[SCALED]]
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: %[[VIEW:.*]] = memref.subview %[[SCALED]]
// CHECK: %[[JOINED:.*]] = memref.alloc({{.*}}) {fac.buffer = "concatenation"}
// CHECK: fac.attention {{.*}}, %[[JOINED]]
func.func @algebra(%s: f32, %lo: i64, %q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor attributes {fac.kernel} {
  %sk = fac.mul %s, %k : f32, !fac.tensor -> !fac.tensor
  %c9 = arith.constant 9 : i64
  %rows = fac.intrinsic "rows"(%sk, %lo, %c9) : (!fac.tensor, i64, i64) -> !fac.tensor
  %joined = fac.intrinsic "concat"(%rows, %k) : (!fac.tensor, !fac.tensor) -> !fac.tensor
  %r = fac.attend %q, %joined, %v : !fac.tensor
  return %r : !fac.tensor
}

// -----

// Rows in groups of b, reduced along axis 1 and reshaped back: one loop
// nest over the groups, reading the rows' buffer; no buffer for [g, b, d].
// CHECK-LABEL: func.func @pooled
// CHECK-NOT: fac.list
// CHECK: fac.require {{.*}} "rows of reshape(t, [g, b, d]) (g x b, each at least 0)"
// CHECK: %[[MEANS:.*]] = memref.alloc({{.*}}) {fac.buffer = "reduction"}
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.muli
// CHECK: memref.load %arg2
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: memref.store {{.*}}, %[[MEANS]]
// CHECK: fac.require {{.*}} "values of a reshape (the same count, each side at least 0)"
func.func @pooled(%g: i64, %b: i64, %k: !fac.tensor) -> !fac.tensor attributes {fac.kernel} {
  %c1 = arith.constant 1 : i64
  %c8 = arith.constant 8 : i64
  %shape = fac.list(%g, %b, %c8) : (i64, i64, i64) -> !fac.list<i64>
  %groups = fac.intrinsic "reshape"(%k, %shape) : (!fac.tensor, !fac.list<i64>) -> !fac.tensor
  %means = fac.intrinsic "mean"(%groups, %c1) : (!fac.tensor, i64) -> !fac.tensor
  %back = fac.list(%g, %c8) : (i64, i64) -> !fac.list<i64>
  %r = fac.intrinsic "reshape"(%means, %back) : (!fac.tensor, !fac.list<i64>) -> !fac.tensor
  return %r : !fac.tensor
}

// -----

func.func @rank3(%g: i64, %b: i64, %k: !fac.tensor) -> !fac.tensor attributes {fac.kernel} {
  %c8 = arith.constant 8 : i64
  %shape = fac.list(%g, %b, %c8) : (i64, i64, i64) -> !fac.list<i64>
  %groups = fac.intrinsic "reshape"(%k, %shape) : (!fac.tensor, !fac.list<i64>) -> !fac.tensor
  // expected-error @+1 {{reads reshape(t, [g, b, d]), which kernels hold only as the groups of a reduction along axis 1}}
  %r = fac.intrinsic "softmax"(%groups) : (!fac.tensor) -> !fac.tensor
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
