// Every fac op prints in a form that parses back to the same IR.
// RUN: %fac-opt %s | %fac-opt | FileCheck %s

// CHECK-LABEL: fac.concept @Roundtrip(%arg0: f32, %arg1: i64) {
fac.concept @Roundtrip(%s: f32, %n: i64) {
  // CHECK: %[[F:.*]] = fac.lambda(%[[Q:[a-z0-9]+]]: !fac.tensor, %[[K:[a-z0-9]+]]: !fac.tensor, %[[V:[a-z0-9]+]]: !fac.tensor) -> !fac.tensor {
  %f = fac.lambda(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor {
    // CHECK: %[[SQ:.*]] = fac.mul %arg0, %[[Q]] : f32, !fac.tensor -> !fac.tensor
    %sq = fac.mul %s, %q : f32, !fac.tensor -> !fac.tensor
    // CHECK: %[[A:.*]] = fac.perform "Attend"(%[[SQ]], %[[K]], %[[V]]) : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
    %a = fac.perform "Attend"(%sq, %k, %v) : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
    // CHECK: %[[B:.*]] = fac.attend %[[A]], %[[K]], %[[V]] scale %arg0 {rsqrt_d} : !fac.tensor
    %b = fac.attend %a, %k, %v scale %s {rsqrt_d} : !fac.tensor
    // CHECK: fac.return %[[B]] : !fac.tensor
    fac.return %b : !fac.tensor
  }
  // CHECK: %[[G:.*]] = fac.lambda(%[[X:[a-z0-9]+]]: !fac.tensor, %[[Y:[a-z0-9]+]]: !fac.tensor, %[[Z:[a-z0-9]+]]: !fac.tensor) -> !fac.tensor {
  %g = fac.lambda(%x: !fac.tensor, %y: !fac.tensor, %z: !fac.tensor) -> !fac.tensor {
    // CHECK: fac.apply %[[F]](%[[X]], %[[Y]], %[[Z]]) : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
    %r = fac.apply %f(%x, %y, %z) : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
    fac.return %r : !fac.tensor
  }
  // CHECK: fac.export "attention" = %[[G]] : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
  fac.export "attention" = %g : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
}

// CHECK-LABEL: func.func @buffers
func.func @buffers(%q: memref<?x?xf32>, %k: memref<4x8xf32>, %v: memref<?x?xf32, strided<[?, 1], offset: ?>>, %o: memref<?x?xf32>, %s: f32) {
  // CHECK: fac.attention ins(%{{.*}}, %{{.*}}, %{{.*}} : memref<?x?xf32>, memref<4x8xf32>, memref<?x?xf32, strided<[?, 1], offset: ?>>) outs(%{{.*}} : memref<?x?xf32>) {key_tile = 32 : i64}
  fac.attention ins(%q, %k, %v : memref<?x?xf32>, memref<4x8xf32>, memref<?x?xf32, strided<[?, 1], offset: ?>>) outs(%o : memref<?x?xf32>) {key_tile = 32 : i64}
  // CHECK: fac.attention ins({{.*}}) outs({{.*}}) scale %{{.*}} {rsqrt_d}
  fac.attention ins(%q, %k, %v : memref<?x?xf32>, memref<4x8xf32>, memref<?x?xf32, strided<[?, 1], offset: ?>>) outs(%o : memref<?x?xf32>) scale %s {rsqrt_d}
  return
}
