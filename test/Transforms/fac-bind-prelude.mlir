// fac-bind-prelude: performed prelude effects become their intrinsic ops;
// an effect with no handler anywhere is an error at its call site.
// RUN: %fac-opt %s -fac-bind-prelude -split-input-file -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @attend
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: !fac.tensor, %[[K:[a-z0-9]+]]: !fac.tensor, %[[V:[a-z0-9]+]]: !fac.tensor)
func.func @attend(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor {
  // CHECK-NOT: fac.perform
  // CHECK: %[[R:.*]] = fac.attend %[[Q]], %[[K]], %[[V]] {rsqrt_d} : !fac.tensor
  // CHECK: return %[[R]]
  %r = fac.perform "Attend"(%q, %k, %v) : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
  return %r : !fac.tensor
}

// -----

func.func @unknown(%q: !fac.tensor) -> !fac.tensor {
  // expected-error @+1 {{effect 'Compress' is not handled and has no library handler}}
  %r = fac.perform "Compress"(%q) : (!fac.tensor) -> !fac.tensor
  return %r : !fac.tensor
}

// -----

func.func @wrong_signature(%q: !fac.tensor, %s: f32) -> !fac.tensor {
  // expected-error @+1 {{'Attend' takes three tensors and returns a tensor}}
  %r = fac.perform "Attend"(%q, %q, %s) : (!fac.tensor, !fac.tensor, f32) -> !fac.tensor
  return %r : !fac.tensor
}
