// The tree ops print in a form that parses back to the same IR, and their
// verifiers reject what they do not describe.
// RUN: %fac-opt %s -split-input-file -verify-diagnostics | %fac-opt | FileCheck %s

// CHECK-LABEL: func.func @trees
// CHECK-SAME: (%[[X:.*]]: !fac.tensor, %[[T:.*]]: f32)
func.func @trees(%x: !fac.tensor, %t: f32) -> !fac.tensor {
  // CHECK: %[[P:.*]] = fac.tree_build %[[X]]{{$}}
  %p = fac.tree_build %x
  // CHECK: %[[C:.*]] = fac.tree_cut %[[P]] {
  // CHECK-NEXT: ^bb0(%[[N:.*]]: !fac.tensor):
  // CHECK-NEXT: %[[M:.*]] = fac.intrinsic "magnitude"(%[[N]])
  // CHECK-NEXT: %[[B:.*]] = arith.cmpf olt, %[[M]], %[[T]] : f32
  // CHECK-NEXT: fac.yield %[[B]] : i1
  // CHECK-NEXT: }
  %c = fac.tree_cut %p {
  ^bb0(%node: !fac.tensor):
    %m = fac.intrinsic "magnitude"(%node) : (!fac.tensor) -> f32
    %b = arith.cmpf olt, %m, %t : f32
    fac.yield %b : i1
  }
  // CHECK: %[[A:.*]] = fac.tree_attend %[[C]], %[[C]], %[[P]]
  %a = fac.tree_attend %c, %c, %p
  // CHECK: %[[L:.*]] = fac.tree_leaves %[[C]]
  %l = fac.tree_leaves %c
  // CHECK: fac.tree_expand %[[A]], %[[C]]
  %e = fac.tree_expand %a, %c
  return %e : !fac.tensor
}

// CHECK-LABEL: func.func @joins
// CHECK-SAME: (%[[X:.*]]: !fac.tensor, %[[Y:.*]]: !fac.tensor, %[[B:.*]]: i64)
func.func @joins(%x: !fac.tensor, %y: !fac.tensor, %bytes: i64) -> !fac.tensor {
  // CHECK: %[[P:.*]] = fac.tree_build %[[X]]
  // CHECK: %[[Q:.*]] = fac.tree_build %[[Y]]
  // CHECK: %[[J:.*]] = fac.tree_join %[[P]], %[[Q]]{{$}}
  // CHECK: %[[K:.*]] = fac.tree_limit %[[J]], %[[B]]{{$}}
  // CHECK: fac.tree_leaves %[[K]]
  %p = fac.tree_build %x
  %q = fac.tree_build %y
  %j = fac.tree_join %p, %q
  %k = fac.tree_limit %j, %bytes
  %l = fac.tree_leaves %k
  return %l : !fac.tensor
}

// -----

func.func @not_a_tree(%x: !fac.tensor) {
  // expected-error @+1 {{result #0 must be a TensorTree, but got '!fac.data<"Option", [!fac.tensor]>'}}
  %p = "fac.tree_build"(%x) : (!fac.tensor) -> !fac.data<"Option", [!fac.tensor]>
  return
}

// -----

func.func @predicate_arguments(%p: !fac.data<"TensorTree">) {
  // expected-error @+1 {{predicate must take one !fac.tensor, the node's}}
  %c = fac.tree_cut %p {
  ^bb0(%a: !fac.tensor, %b: !fac.tensor):
    %t = arith.constant true
    fac.yield %t : i1
  }
  return
}

// -----

func.func @predicate_result(%p: !fac.data<"TensorTree">) {
  // expected-error @+1 {{predicate must yield an i1, got 'f32'}}
  %c = fac.tree_cut %p {
  ^bb0(%a: !fac.tensor):
    %m = fac.intrinsic "magnitude"(%a) : (!fac.tensor) -> f32
    fac.yield %m : f32
  }
  return
}

// -----

func.func @limit_bytes(%p: !fac.data<"TensorTree">, %b: i32) {
  // expected-error @+1 {{operand #1 must be 64-bit signless integer}}
  %c = "fac.tree_limit"(%p, %b) : (!fac.data<"TensorTree">, i32) -> !fac.data<"TensorTree">
  return
}
