// fac-outline-kernels: each exported lambda becomes a func.func with the
// concept's parameters first; captures are cloned in (fac-specialize has
// inlined known applications before), parameter names kept as fac.name.
// RUN: %fac-opt %s -fac-outline-kernels -split-input-file -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @Dense_attention
// CHECK-SAME: (%[[S:[a-z0-9]+]]: f32 {fac.name = "scale"}, %[[Q:[a-z0-9]+]]: !fac.tensor {fac.name = "query"}, %[[K:[a-z0-9]+]]: !fac.tensor {fac.name = "key"}, %[[V:[a-z0-9]+]]: !fac.tensor {fac.name = "value"}) -> !fac.tensor
// CHECK-SAME: attributes {fac.kernel}
// CHECK-NEXT:   %[[TWO:.*]] = arith.constant 2.0
// CHECK-NEXT:   %[[S2:.*]] = fac.mul %[[S]], %[[TWO]]
// CHECK-NEXT:   %[[SQ:.*]] = fac.mul %[[S2]], %[[Q]]
// CHECK-NEXT:   %[[R:.*]] = fac.perform "Attend"(%[[SQ]], %[[K]], %[[V]])
// CHECK-NEXT:   return %[[R]] : !fac.tensor
// CHECK-NOT: fac.concept
fac.concept @Dense(%s: f32 loc("scale"(unknown))) {
  %two = arith.constant 2.0 : f32
  %s2 = fac.mul %s, %two : f32, f32 -> f32
  %unused = arith.constant 7.0 : f32
  %f = fac.lambda(%q: !fac.tensor loc("query"(unknown)), %k: !fac.tensor loc("key"(unknown)), %v: !fac.tensor loc("value"(unknown))) -> !fac.tensor {
    %sq = fac.mul %s2, %q : f32, !fac.tensor -> !fac.tensor
    %r = fac.perform "Attend"(%sq, %k, %v) : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
    fac.return %r : !fac.tensor
  }
  fac.export "attention" = %f : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
}

// -----

// A lambda the exported one applies is a capture: cloned in with it.
// CHECK-LABEL: func.func @Nested_attention
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: !fac.tensor, %[[K:[a-z0-9]+]]: !fac.tensor, %[[V:[a-z0-9]+]]: !fac.tensor)
// CHECK-NEXT: %[[F:.*]] = fac.lambda
// CHECK: %[[R:.*]] = fac.apply %[[F]](%[[Q]], %[[K]], %[[V]])
// CHECK: return %[[R]]
fac.concept @Nested() {
  %inner = fac.lambda(%a: !fac.tensor, %b: !fac.tensor, %c: !fac.tensor) -> !fac.tensor {
    %r = fac.perform "Attend"(%c, %b, %a) : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
    fac.return %r : !fac.tensor
  }
  %outer = fac.lambda(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor {
    %r = fac.apply %inner(%q, %k, %v) : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
    fac.return %r : !fac.tensor
  }
  fac.export "attention" = %outer : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
}

// -----

// A concept that exports nothing has no kernel.
// CHECK-NOT: func.func
// expected-warning @+1 {{concept 'Quiet' exports nothing into the model: no kernel is emitted}}
fac.concept @Quiet(%s: f32) {
}

// -----

// A function value that is not a lambda cannot be exported.
fac.concept @Opaque(%t: !fac.tensor) {
  %make = fac.lambda(%x: !fac.tensor) -> ((!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor) {
    %f = fac.lambda(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor {
      fac.return %q : !fac.tensor
    }
    fac.return %f : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
  }
  %g = fac.apply %make(%t) : (!fac.tensor) -> ((!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor)
  // expected-error @+1 {{'fac.export' op exports a value that is not a lambda known at compile time}}
  fac.export "attention" = %g : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
}
