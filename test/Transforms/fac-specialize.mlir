// fac-specialize: handlers the spec writes are inlined at their performs,
// operators and known lambdas are inlined, matches and lists the IR
// decides are folded; recursion on run-time values stays.
// RUN: %fac-opt %s -fac-specialize -split-input-file | FileCheck %s

// Sample(3) is the clause's 3 * 0.5; the perform inside a lambda defined
// under the handler is not the clause's (it is handled where the lambda is
// called): it stays.
// CHECK-LABEL: fac.concept @Handlers
// CHECK-DAG: %[[HALF3:.*]] = arith.constant 1.5{{0*}}e+00 : f32
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i64
// CHECK: fac.lambda(%[[Y:.*]]: f32)
// CHECK-NEXT: %[[S:.*]] = fac.perform "Sample"(%[[C4]])
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[S]], %[[HALF3]]
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[M]], %[[Y]]
// CHECK-NEXT: fac.return %[[P]]
// CHECK-NOT: fac.handle
fac.concept @Handlers(%x: f32 loc("x"(unknown))) {
  %h = fac.lambda(%y: f32) -> f32 {
    %r = fac.handle -> f32 attributes {kinds = ["effect"], patterns = ["Sample(%0)"]} {
      %c3 = arith.constant 3 : i64
      %s = fac.perform "Sample"(%c3) : (i64) -> f32
      %later = fac.lambda(%k: i64) -> f32 {
        %t = fac.perform "Sample"(%k) : (i64) -> f32
        fac.return %t : f32
      }
      %c4 = arith.constant 4 : i64
      %u = fac.apply %later(%c4) : (i64) -> f32
      %m = arith.mulf %s, %u : f32
      %p = arith.mulf %m, %y : f32
      fac.yield %p : f32
    } with {
    ^bb0(%n: i64):
      %f = arith.sitofp %n : i64 to f32
      %half = arith.constant 0.5 : f32
      %v = arith.mulf %f, %half : f32
      fac.yield %v : f32
    }
    fac.return %r : f32
  }
  fac.export "forward" = %h : (f32) -> f32
}

// -----

// A Node built here matches `Node(_, %0)`; `Satisfy` picks its arm;
// Return(x) is its scrutinee; a single data arm on an unknown value is
// irrefutable (Sema checks exhaustiveness): a fac.destructure.
// CHECK-LABEL: fac.concept @Matches
// CHECK: %[[C9:.*]] = arith.constant 9 : i64
// CHECK: fac.lambda
// CHECK-NEXT: fac.return %[[C9]] : i64
// CHECK-LABEL: fac.concept @Irrefutable
// CHECK-SAME: (%[[W:.*]]: !fac.data<"Weight">)
// CHECK: fac.lambda
// CHECK-NEXT: %[[SCALE:.*]] = fac.destructure %[[W]] "Weight(_, %0)"
// CHECK-NEXT: fac.return %[[SCALE]] : f32
// CHECK-NOT: fac.handle
fac.concept @Matches() {
  %f = fac.lambda(%x: !fac.tensor) -> i64 {
    %none = fac.list() : () -> !fac.list<!fac.data<"TensorTree">>
    %leaf = fac.construct "Node"(%x, %none) : (!fac.tensor, !fac.list<!fac.data<"TensorTree">>) -> !fac.data<"TensorTree">
    %n = fac.handle -> i64 attributes {kinds = ["value"], patterns = ["Node(_, %0)"]} {
      fac.yield %leaf : !fac.data<"TensorTree">
    } with {
    ^bb0(%cs: !fac.list<!fac.data<"TensorTree">>):
      %len = fac.intrinsic "len"(%cs) : (!fac.list<!fac.data<"TensorTree">>) -> i64
      fac.yield %len : i64
    }
    %ok = fac.construct "Satisfy"() : () -> !fac.data<"MemoryStatus">
    %m = fac.handle -> i64 attributes {kinds = ["value", "value"], patterns = ["Violate", "Satisfy"]} {
      fac.yield %ok : !fac.data<"MemoryStatus">
    } with {
      %c7 = arith.constant 7 : i64
      fac.yield %c7 : i64
    }, {
      %c9 = arith.constant 9 : i64
      fac.yield %c9 : i64
    }
    %s = arith.addi %n, %m : i64
    fac.return %s : i64
  }
  fac.export "forward" = %f : (!fac.tensor) -> i64
}
fac.concept @Irrefutable(%w: !fac.data<"Weight"> loc("w"(unknown))) {
  %g = fac.lambda(%y: !fac.tensor) -> f32 {
    %v = fac.handle -> f32 attributes {kinds = ["value"], patterns = ["Weight(_, %0)"]} {
      fac.yield %w : !fac.data<"Weight">
    } with {
    ^bb0(%scale: f32):
      fac.yield %scale : f32
    }
    %r = fac.handle -> f32 attributes {kinds = ["return"], patterns = ["Return(%0)"]} {
      fac.yield %v : f32
    } with {
    ^bb0(%z: f32):
      fac.yield %z : f32
    }
    fac.return %r : f32
  }
  fac.export "forward" = %g : (!fac.tensor) -> f32
}


// -----

// range(3), the comprehension over it, List.fold, a slice and an index all
// fold: 0 + 1 + 4, plus [1, 4][1]; the operator's body is inlined.
// CHECK-LABEL: fac.concept @Lists
// CHECK: %[[NINE:.*]] = arith.constant 9.0{{0*}}e+00 : f32
// CHECK: fac.lambda(%[[X:.*]]: !fac.tensor)
// CHECK-NEXT: %[[R:.*]] = fac.mul %[[NINE]], %[[X]]
// CHECK-NEXT: fac.return %[[R]]
fac.concept @Lists(%t: !fac.tensor loc("t"(unknown))) {
  %f = fac.lambda(%x: !fac.tensor) -> !fac.tensor {
    %c3 = arith.constant 3 : i64
    %r = fac.intrinsic "range"(%c3) : (i64) -> !fac.list<i64>
    %sq = fac.comprehension %r : <i64> -> <i64> {
    ^bb0(%i: i64):
      %p = arith.muli %i, %i : i64
      fac.yield %p : i64
    }
    %c0 = arith.constant 0 : i64
    %add = fac.lambda(%acc: i64, %e: i64) -> i64 {
      %s = arith.addi %acc, %e : i64
      fac.return %s : i64
    }
    %sum = fac.intrinsic "List.fold"(%sq, %c0, %add) : (!fac.list<i64>, i64, (i64, i64) -> i64) -> i64
    %c1 = arith.constant 1 : i64
    %tail = fac.slice %sq[%c1 :] : <i64>
    %last = fac.index %tail[%c1] : <i64>
    %both = arith.addi %sum, %last : i64
    %fl = fac.intrinsic "float"(%both) : (i64) -> f32
    %y = fac.call @scale(%fl, %x) : (f32, !fac.tensor) -> !fac.tensor
    fac.return %y : !fac.tensor
  }
  fac.export "forward" = %f : (!fac.tensor) -> !fac.tensor
}
fac.operator @scale "\E2\8A\97"(%s: f32, %x: !fac.tensor) -> !fac.tensor {
  %r = fac.mul %s, %x : f32, !fac.tensor -> !fac.tensor
  fac.return %r : !fac.tensor
}

// -----

// compress recurses on a run-time tree: nothing unrolls it. Its match is
// irrefutable (a fac.destructure) and it is applied where it was.
// CHECK-LABEL: fac.concept @Trees
// CHECK: %[[C:.*]] = fac.lambda(%[[T:.*]]: !fac.data<"TensorTree">) -> !fac.data<"TensorTree"> attributes {name = "compress"}
// CHECK-NEXT: %[[D:.*]]:2 = fac.destructure %[[T]] "Node(%0, %1)"
// CHECK-NEXT: %[[SELF:.*]] = fac.self "compress"
// CHECK-NEXT: fac.intrinsic "map"(%[[SELF]], %[[D]]#1)
// CHECK: fac.lambda
// CHECK-NEXT: fac.apply %[[C]](
fac.concept @Trees(%th: f32 loc("threshold"(unknown))) {
  %c = fac.lambda(%tree: !fac.data<"TensorTree">) -> !fac.data<"TensorTree"> attributes {name = "compress"} {
    %r = fac.handle -> !fac.data<"TensorTree"> attributes {kinds = ["value"], patterns = ["Node(%0, %1)"]} {
      fac.yield %tree : !fac.data<"TensorTree">
    } with {
    ^bb0(%x: !fac.tensor, %cs: !fac.list<!fac.data<"TensorTree">>):
      %self = fac.self "compress" : (!fac.data<"TensorTree">) -> !fac.data<"TensorTree">
      %m = fac.intrinsic "map"(%self, %cs) : ((!fac.data<"TensorTree">) -> !fac.data<"TensorTree">, !fac.list<!fac.data<"TensorTree">>) -> !fac.list<!fac.data<"TensorTree">>
      %n = fac.construct "Node"(%x, %m) : (!fac.tensor, !fac.list<!fac.data<"TensorTree">>) -> !fac.data<"TensorTree">
      fac.yield %n : !fac.data<"TensorTree">
    }
    fac.return %r : !fac.data<"TensorTree">
  }
  %a = fac.lambda(%q: !fac.data<"TensorTree">) -> !fac.data<"TensorTree"> {
    %v = fac.apply %c(%q) : (!fac.data<"TensorTree">) -> !fac.data<"TensorTree">
    fac.return %v : !fac.data<"TensorTree">
  }
  fac.export "forward" = %a : (!fac.data<"TensorTree">) -> !fac.data<"TensorTree">
}
