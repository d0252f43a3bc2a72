// fac-outline-kernels with entries: a concept's let-bound functions become
// kernels too, a recursive one calling a copy of itself; a name no concept
// has is an error listing the functions there are.
// RUN: %fac-opt %s -fac-outline-kernels=entries=forward,count | FileCheck %s
// RUN: not %fac-opt %s -fac-outline-kernels=entries=backward 2>&1 | FileCheck %s --check-prefix=MISSING

// CHECK-LABEL: func.func @Seed_forward
// CHECK-SAME: (%[[S:[a-z0-9]+]]: f32 {fac.name = "scale"}, %[[X:[a-z0-9]+]]: !fac.tensor) -> !fac.tensor
// CHECK-NEXT: %[[R:.*]] = fac.mul %[[S]], %[[X]]
// CHECK-NEXT: return %[[R]]

// The recursive function: its name inside its body is a copy of it.
// CHECK-LABEL: func.func @Seed_count
// CHECK-SAME: (%{{.*}}: f32 {fac.name = "scale"}, %[[N:[a-z0-9]+]]: i64) -> i64
// CHECK: %[[SELF:.*]] = fac.lambda(%{{.*}}: i64) -> i64 attributes {name = "count"}
// CHECK: fac.self "count"
// CHECK: fac.if
// CHECK: fac.apply %[[SELF]](
// CHECK-NOT: fac.self
// CHECK: return

// MISSING: error: --entry=backward: no concept has a function of that name
// MISSING: note: the functions of 'Seed' are: forward, count
fac.concept @Seed(%s: f32 loc("scale"(unknown))) {
  %f = fac.lambda(%x: !fac.tensor) -> !fac.tensor attributes {name = "forward"} {
    %r = fac.mul %s, %x : f32, !fac.tensor -> !fac.tensor
    fac.return %r : !fac.tensor
  }
  %count = fac.lambda(%n: i64) -> i64 attributes {name = "count"} {
    %c0 = arith.constant 0 : i64
    %done = arith.cmpi sle, %n, %c0 : i64
    %r = fac.if %done -> i64 {
      fac.yield %c0 : i64
    } else {
      %c1 = arith.constant 1 : i64
      %m = arith.subi %n, %c1 : i64
      %self = fac.self "count" : (i64) -> i64
      %v = fac.apply %self(%m) : (i64) -> i64
      %w = arith.addi %v, %c1 : i64
      fac.yield %w : i64
    }
    fac.return %r : i64
  }
}
