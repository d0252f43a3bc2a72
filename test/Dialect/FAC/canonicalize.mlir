// Canonicalization of fac.attend: a scalar multiplying the queries moves
// into the score scale, and composes with a scale already there.
// RUN: %fac-opt %s -canonicalize | FileCheck %s

// CHECK-LABEL: func.func @fold_query_scale
// CHECK-SAME: (%[[S:arg[0-9]+]]: f32, %[[Q:arg[0-9]+]]: !fac.tensor, %[[K:arg[0-9]+]]: !fac.tensor, %[[V:arg[0-9]+]]: !fac.tensor)
func.func @fold_query_scale(%s: f32, %q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor {
  // CHECK-NOT: fac.mul
  // CHECK: %[[R:.*]] = fac.attend %[[Q]], %[[K]], %[[V]] scale %[[S]] {rsqrt_d} : !fac.tensor
  // CHECK: return %[[R]]
  %sq = fac.mul %s, %q : f32, !fac.tensor -> !fac.tensor
  %r = fac.attend %sq, %k, %v {rsqrt_d} : !fac.tensor
  return %r : !fac.tensor
}

// CHECK-LABEL: func.func @compose_scales
// CHECK-SAME: (%[[S:arg[0-9]+]]: f32, %[[T:arg[0-9]+]]: f32, %[[Q:arg[0-9]+]]: !fac.tensor
func.func @compose_scales(%s: f32, %t: f32, %q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor {
  // CHECK: %[[ST:.*]] = arith.mulf %[[T]], %[[S]] : f32
  // CHECK: fac.attend %[[Q]], %{{.*}}, %{{.*}} scale %[[ST]] : !fac.tensor
  %sq = fac.mul %q, %s : !fac.tensor, f32 -> !fac.tensor
  %r = fac.attend %sq, %k, %v scale %t : !fac.tensor
  return %r : !fac.tensor
}

// The keys are not the queries: nothing to fold.
// CHECK-LABEL: func.func @no_fold_on_keys
func.func @no_fold_on_keys(%s: f32, %q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor {
  // CHECK: fac.mul
  // CHECK: fac.attend %{{.*}}, %{{.*}}, %{{.*}} {rsqrt_d}
  %sk = fac.mul %s, %k : f32, !fac.tensor -> !fac.tensor
  %r = fac.attend %q, %sk, %v {rsqrt_d} : !fac.tensor
  return %r : !fac.tensor
}
