// fac-kernel-status: a kernel checks the shapes of the buffers it is given
// (none negative, and fitting together) and returns a facrt_status (0 ok,
// 4 bad argument), doing its work only when they fit.
// RUN: %fac-opt %s -fac-kernel-status -split-input-file | FileCheck %s

!head = memref<?x?xf32, strided<[?, 1], offset: ?>>
// CHECK-LABEL: func.func @one_head
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: {{.*}}, %[[K:[a-z0-9]+]]: {{.*}}, %[[V:[a-z0-9]+]]: {{.*}}, %[[O:[a-z0-9]+]]: {{.*}}) -> i32
// CHECK-DAG: %[[QD:.*]] = memref.dim %[[Q]], %c1
// CHECK-DAG: %[[KD:.*]] = memref.dim %[[K]], %c1
// CHECK-DAG: %[[KM:.*]] = memref.dim %[[K]], %c0
// CHECK-DAG: %[[VM:.*]] = memref.dim %[[V]], %c0
// No size is negative (a descriptor is the caller's).
// CHECK: arith.cmpi sge, %[[VM]], %c0{{.*}}
// CHECK: arith.cmpi eq, %[[QD]], %[[KD]]
// CHECK: arith.cmpi eq, %[[KM]], %[[VM]]
// CHECK: scf.if %[[OK:.*]] {
// CHECK-NEXT: fac.attention
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i32
// CHECK: %[[S:.*]] = arith.select %[[OK]], %[[C0]], %[[C4]] : i32
// CHECK-NEXT: return %[[S]] : i32
func.func @one_head(%q: !head, %k: !head, %v: !head, %o: !head) attributes {fac.kernel} {
  fac.attention ins(%q, %k, %v : !head, !head, !head) outs(%o : !head) {rsqrt_d}
  return
}

// -----

// A layer: heads match, key heads divide query heads; the bias has one
// entry per gathered key and every gathered row is checked in a loop.
!layer = memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>
!bias = memref<?xf32, strided<[1], offset: ?>>
!rows = memref<?xi64, strided<[1], offset: ?>>
// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%[[B:[a-z0-9]+]]: memref<?xf32{{.*}}, %[[R:[a-z0-9]+]]: memref<?xi64{{.*}}) -> i32
// CHECK: %[[NB:.*]] = memref.dim %[[B]], %c0
// CHECK: %[[NR:.*]] = memref.dim %[[R]], %c0
// CHECK: arith.cmpi ne, %{{.*}}, %{{.*}} : index
// CHECK: %[[DIV:.*]] = arith.maxui
// CHECK: arith.remui %{{.*}}, %[[DIV]]
// CHECK: arith.cmpi eq, %[[NB]], %[[NR]]
// CHECK: scf.for {{.*}} iter_args
// CHECK: memref.load %[[R]]
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi slt
// CHECK: scf.if
// CHECK-NEXT: fac.attention
// CHECK: return %{{.*}} : i32
func.func @layer(%bias: !bias, %rows: !rows, %q: !layer, %k: !layer, %v: !layer, %o: !layer) attributes {fac.kernel} {
  fac.attention ins(%q, %k, %v : !layer, !layer, !layer) outs(%o : !layer)
      bias %bias : !bias indices %rows : !rows {rsqrt_d}
  return
}

// -----

// A fac.require (from fac-bufferize) is checked at the start, computed
// from the arguments even when written after work, and then erased.
!m = memref<?x?xf32, strided<[?, 1], offset: ?>>
// CHECK-LABEL: func.func @required
// CHECK-SAME: (%[[A:[a-z0-9]+]]: memref<{{.*}}>>, %[[B:[a-z0-9]+]]: memref<{{.*}}>>) -> i32
// CHECK: %[[ROWS_A:.*]] = memref.dim %[[A]], %c0
// CHECK: %[[ROWS_B:.*]] = memref.dim %[[B]], %c0
// CHECK: %[[SAME:.*]] = arith.cmpi eq, %[[ROWS_A]], %[[ROWS_B]]
// CHECK: %[[OK:.*]] = arith.andi %{{.*}}, %[[SAME]]
// CHECK: scf.if %[[OK]] {
// CHECK-NOT: fac.require
// CHECK: arith.select %[[OK]]
func.func @required(%a: !m, %b: !m) attributes {fac.kernel} {
  %c0 = arith.constant 0 : index
  %ra = memref.dim %a, %c0 : !m
  %rb = memref.dim %b, %c0 : !m
  %same = arith.cmpi eq, %ra, %rb : index
  fac.require %same, "rows of b"
  return
}

// -----

// A function that is not a kernel is left alone.
// CHECK-LABEL: func.func @helper
// CHECK-SAME: () {
func.func @helper() {
  return
}
