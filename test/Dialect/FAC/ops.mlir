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

// The ops for the rest of the language.
// CHECK-LABEL: fac.concept @Language
fac.concept @Language(%m: !fac.model, %xs: !fac.list<i64>, %tree: !fac.data<"TensorTree">, %t: !fac.tensor, %s: f32) {
  // CHECK: fac.if %{{.*}} -> f32 {
  // CHECK: } else {
  %c = arith.constant true
  %0 = fac.if %c -> f32 {
    fac.yield %s : f32
  } else {
    %z = arith.constant 0.0 : f32
    fac.yield %z : f32
  }
  // CHECK: fac.handle -> i64 attributes {kinds = ["value"], patterns = ["Node(_, %0)"]} {
  // CHECK: } with {
  // CHECK: ^bb0(%{{.*}}: !fac.list<!fac.data<"TensorTree">>):
  %1 = fac.handle -> i64 attributes {kinds = ["value"], patterns = ["Node(_, %0)"]} {
    fac.yield %tree : !fac.data<"TensorTree">
  } with {
  ^bb0(%children: !fac.list<!fac.data<"TensorTree">>):
    %n = fac.intrinsic "len"(%children) : (!fac.list<!fac.data<"TensorTree">>) -> i64
    fac.yield %n : i64
  }
  // CHECK: fac.destructure %{{.*}} "Node(%0, %1)" : !fac.data<"TensorTree"> -> (!fac.tensor, !fac.list<!fac.data<"TensorTree">>)
  %2:2 = fac.destructure %tree "Node(%0, %1)" : !fac.data<"TensorTree"> -> (!fac.tensor, !fac.list<!fac.data<"TensorTree">>)
  // CHECK: fac.construct "Node"(%{{.*}}, %{{.*}}) : (!fac.tensor, !fac.list<!fac.data<"TensorTree">>) -> !fac.data<"TensorTree">
  %3 = fac.construct "Node"(%2#0, %2#1) : (!fac.tensor, !fac.list<!fac.data<"TensorTree">>) -> !fac.data<"TensorTree">
  // CHECK: fac.field %{{.*}}["tensor"] : !fac.data<"TensorTree"> -> !fac.tensor
  %4 = fac.field %3["tensor"] : !fac.data<"TensorTree"> -> !fac.tensor
  // CHECK: fac.exists %{{.*}} : <"Option", [i64]>
  // CHECK: fac.unwrap %{{.*}} : <"Option", [i64]> -> i64
  %none = fac.construct "None"() : () -> !fac.data<"Option", [i64]>
  %5 = fac.exists %none : !fac.data<"Option", [i64]>
  %6 = fac.unwrap %none : !fac.data<"Option", [i64]> -> i64
  // CHECK: fac.list(%{{.*}}, %{{.*}}) : (i64, i64) -> !fac.list<i64>
  // CHECK: fac.tuple(%{{.*}}, %{{.*}}) : (i64, f32) -> tuple<i64, f32>
  // CHECK: fac.unit
  %7 = fac.list(%1, %6) : (i64, i64) -> !fac.list<i64>
  %8 = fac.tuple(%1, %s) : (i64, f32) -> tuple<i64, f32>
  %9 = fac.unit
  // CHECK: fac.index %{{.*}}[%{{.*}}] : <i64>
  // CHECK: fac.slice %{{.*}}[%{{.*}} :] : <i64>
  // CHECK: fac.slice %{{.*}}[ : %{{.*}}] : <i64>
  %10 = fac.index %7[%1] : !fac.list<i64>
  %11 = fac.slice %7[%1 :] : !fac.list<i64>
  %12 = fac.slice %7[: %1] : !fac.list<i64>
  // CHECK: fac.comprehension %{{.*}} : <i64> -> <f32> {
  %13 = fac.comprehension %xs : !fac.list<i64> -> !fac.list<f32> {
  ^bb0(%x: i64):
    %pos = arith.cmpi sgt, %x, %1 : i64
    fac.yield %s, %pos : f32, i1
  }
  // CHECK: fac.arith "add" %{{.*}}, %{{.*}} : !fac.tensor, !fac.tensor
  // CHECK: fac.neg %{{.*}} : !fac.tensor
  %14 = fac.arith "add" %t, %4 : !fac.tensor, !fac.tensor
  %15 = fac.neg %14 : !fac.tensor
  // CHECK: fac.call @op_u2295_0(%{{.*}}, %{{.*}}) : (!fac.tensor, !fac.tensor) -> !fac.tensor
  %16 = fac.call @op_u2295_0(%t, %15) : (!fac.tensor, !fac.tensor) -> !fac.tensor
  // CHECK: fac.lambda(%{{.*}}: i64) -> i64 attributes {name = "countdown"} {
  // CHECK:   fac.self "countdown" : (i64) -> i64
  %17 = fac.lambda(%n: i64) -> i64 attributes {name = "countdown"} {
    %self = fac.self "countdown" : (i64) -> i64
    %r = fac.apply %self(%n) : (i64) -> i64
    fac.return %r : i64
  }
  // CHECK: fac.theorem "Positive" {
  // CHECK:   fac.yield %{{.*}} : i1
  fac.theorem "Positive" {
  ^bb0(%a: f32):
    %zero = arith.constant 0.0 : f32
    %ok = arith.cmpf oge, %a, %zero : f32
    fac.yield %ok : i1
  }
}

// CHECK-LABEL: fac.operator @op_u2295_0 "{{.*}}"(%{{.*}}: !fac.tensor, %{{.*}}: !fac.tensor) -> !fac.tensor {
fac.operator @op_u2295_0 "⊕"(%a: !fac.tensor, %b: !fac.tensor) -> !fac.tensor {
  %r = fac.arith "add" %a, %b : !fac.tensor, !fac.tensor
  fac.return %r : !fac.tensor
}
