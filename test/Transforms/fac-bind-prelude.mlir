// fac-bind-prelude: performed prelude effects become their intrinsic ops;
// an effect with no handler anywhere is an error at its call site, and so
// is a library effect at a type the library does not have, or one another
// pass gives kernels (LibraryEffects.def) that it did not lower.
// `Attend(q, k, v, score, mask)` takes the two lambdas' bodies as the
// op's hook regions; a hook that reads the head index adds the kernel's
// `head` parameter (before its tensors). The prelude's functions of
// numbers on scalars become arith and math ops.
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
  // expected-error @+1 {{effect 'Prune' is not handled and has no library handler}}
  %r = fac.perform "Prune"(%q) : (!fac.tensor) -> !fac.tensor
  return %r : !fac.tensor
}

// -----

func.func @wrong_signature(%q: !fac.tensor, %s: f32) -> !fac.tensor {
  // expected-error @+1 {{performs 'Attend' at (Tensor, Tensor, Float) -> Tensor, a type the library's 'Attend' does not have ((Tensor, Tensor, Tensor) -> Tensor, (Tensor, Tensor, Tensor, (Float, Int, Int, Int) -> Float, (Int, Int, Int) -> Bool) -> Tensor, (TensorTree, TensorTree, TensorTree) -> Tensor)}}
  %r = fac.perform "Attend"(%q, %q, %s) : (!fac.tensor, !fac.tensor, f32) -> !fac.tensor
  return %r : !fac.tensor
}

// -----

func.func @not_lowered(%q: !fac.tensor, %ratio: f32) -> !fac.data<"TensorTree"> {
  // expected-error @+1 {{of library effect 'Compress' (Tensor, Float) -> TensorTree, which kernels get from fac-lower-trees in the forms docs/LanguageReference.md lists ("What compiles to kernels today"): this use is not one of them}}
  %r = fac.perform "Compress"(%q, %ratio) : (!fac.tensor, f32) -> !fac.data<"TensorTree">
  return %r : !fac.data<"TensorTree">
}

// -----

// CHECK-LABEL: func.func @hooks
// CHECK-SAME: (%[[W:[a-z0-9]+]]: i64, %[[HEAD:[a-z0-9]+]]: i64 {fac.head, fac.name = "head"}, %[[Q:[a-z0-9]+]]: !fac.tensor,
// CHECK-NOT: fac.lambda
// CHECK: fac.attend %[[Q]], %{{.*}}, %{{.*}} head %[[HEAD]] score {
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %[[I:.*]]: i64, %[[J:.*]]: i64, %[[H:.*]]: i64):
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[H]] : i64 to f32
// CHECK-NEXT: %[[T:.*]] = math.tanh %[[S]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.addf %[[T]], %[[F]] : f32
// CHECK-NEXT: fac.yield %[[R]] : f32
// CHECK-NEXT: } mask {
// CHECK-NEXT: ^bb0(%[[MI:.*]]: i64, %[[MJ:.*]]: i64, %{{.*}}: i64):
// CHECK-NEXT: %[[D:.*]] = arith.subi %[[MI]], %[[MJ]] : i64
// CHECK-NEXT: %[[IN:.*]] = arith.cmpi slt, %[[D]], %[[W]] : i64
// CHECK-NEXT: fac.yield %[[IN]] : i1
// CHECK-NEXT: } {rsqrt_d} : !fac.tensor
func.func @hooks(%w: i64, %q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor attributes {fac.kernel} {
  %score = fac.lambda(%s: f32, %i: i64, %j: i64, %h: i64) -> f32 {
    %f = fac.intrinsic "float"(%h) : (i64) -> f32
    %t = fac.intrinsic "tanh"(%s) : (f32) -> f32
    %r = arith.addf %t, %f : f32
    fac.return %r : f32
  }
  %mask = fac.lambda(%i: i64, %j: i64, %h: i64) -> i1 {
    %d = arith.subi %i, %j : i64
    %in = arith.cmpi slt, %d, %w : i64
    fac.return %in : i1
  }
  %r = fac.perform "Attend"(%q, %k, %v, %score, %mask) : (!fac.tensor, !fac.tensor, !fac.tensor, (f32, i64, i64, i64) -> f32, (i64, i64, i64) -> i1) -> !fac.tensor
  return %r : !fac.tensor
}

// -----

// No hook reads the head: no head parameter.
// CHECK-LABEL: func.func @no_head
// CHECK-SAME: (%{{.*}}: !fac.tensor, %{{.*}}: !fac.tensor, %{{.*}}: !fac.tensor, %{{.*}}: f32)
// CHECK: fac.attend {{.*}} score {
func.func @no_head(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor, %c: f32) -> !fac.tensor attributes {fac.kernel} {
  %score = fac.lambda(%s: f32, %i: i64, %j: i64, %h: i64) -> f32 {
    %m = fac.intrinsic "min"(%s, %c) : (f32, f32) -> f32
    fac.return %m : f32
  }
  %mask = fac.lambda(%i: i64, %j: i64, %h: i64) -> i1 {
    %in = arith.cmpi sle, %j, %i : i64
    fac.return %in : i1
  }
  %r = fac.perform "Attend"(%q, %k, %v, %score, %mask) : (!fac.tensor, !fac.tensor, !fac.tensor, (f32, i64, i64, i64) -> f32, (i64, i64, i64) -> i1) -> !fac.tensor
  return %r : !fac.tensor
}

// -----

func.func @hook_not_a_lambda(%q: !fac.tensor, %score: (f32, i64, i64, i64) -> f32, %mask: (i64, i64, i64) -> i1) -> !fac.tensor {
  // expected-error @+1 {{the score hook of 'Attend' does not compile: it must be a lambda written at the call or bound to a name the compiler can see}}
  %r = fac.perform "Attend"(%q, %q, %q, %score, %mask) : (!fac.tensor, !fac.tensor, !fac.tensor, (f32, i64, i64, i64) -> f32, (i64, i64, i64) -> i1) -> !fac.tensor
  return %r : !fac.tensor
}
