// fac-specialize with defines: -D binds concept parameters, which leave
// the concept; recursion on them is unrolled; bad bindings are errors.
// RUN: %fac-opt %s -fac-specialize="defines=level=3,sizes=2,5" | FileCheck %s
// RUN: not %fac-opt %s -fac-specialize="defines=levels=3" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not %fac-opt %s -fac-specialize="defines=level=3.5" 2>&1 | FileCheck %s --check-prefix=NOT-INT
// RUN: not %fac-opt %s -fac-specialize="defines=sizes=1,x" 2>&1 | FileCheck %s --check-prefix=NOT-LIST
// RUN: not %fac-opt %s -fac-specialize="defines=mask=1" 2>&1 | FileCheck %s --check-prefix=NOT-BINDABLE
// RUN: not %fac-opt %s -fac-specialize="defines=level=-1" 2>&1 | FileCheck %s --check-prefix=ENDLESS
// RUN: not %fac-opt %s -fac-specialize="defines=level=65" 2>&1 | FileCheck %s --check-prefix=ENDLESS

// f(3, z) = f(2, 2z) = f(1, 4z) = f(0, 8z) = 8z; len(sizes) = 2.
// CHECK-LABEL: fac.concept @Unroll
// CHECK-SAME: (%{{.*}}: (!fac.tensor) -> !fac.tensor)
// CHECK: %[[TWO:.*]] = arith.constant 2.0{{0*}}e+00 : f32
// CHECK: fac.lambda(%[[Z:[a-z0-9]+]]: f32) -> f32 {
// CHECK-NEXT: %[[A:.*]] = arith.addf %[[Z]], %[[Z]]
// CHECK-NEXT: %[[B:.*]] = arith.addf %[[A]], %[[A]]
// CHECK-NEXT: %[[C:.*]] = arith.addf %[[B]], %[[B]]
// CHECK-NEXT: fac.return %[[C]]
// CHECK-NEXT: }
// CHECK-NEXT: fac.lambda(%[[Q:[a-z0-9]+]]: !fac.tensor,
// CHECK-NEXT: %[[R:.*]] = fac.mul %[[TWO]], %[[Q]]
// CHECK-NEXT: fac.return %[[R]]
// CHECK: fac.export "forward"
// CHECK: fac.export "attention"

// UNKNOWN: <command line>:0:0: error: -D levels: no concept has a parameter of that name
// UNKNOWN: note: the parameters of 'Unroll' are: level, sizes, mask
// NOT-INT: error: -D level=3.5: the parameter needs an Int
// NOT-LIST: error: -D sizes=1,x: 'x' is not an Int
// NOT-BINDABLE: error: -D mask: parameter 'mask' has type '(!fac.tensor) -> !fac.tensor', which -D cannot give: it binds Int, Float and Bool parameters, lists of them (and any list to the empty list, with '-D name='), and a FractalCode by its level
// ENDLESS: error: the recursion of 'f' did not end after 64 calls unrolled at compile time; a recursion is compiled when values known at compile time (-D) end it
fac.concept @Unroll(%level: i64 loc("level"(unknown)), %sizes: !fac.list<i64> loc("sizes"(unknown)), %mask: (!fac.tensor) -> !fac.tensor loc("mask"(unknown))) {
  %f = fac.lambda(%n: i64, %y: f32) -> f32 attributes {name = "f"} {
    %c0 = arith.constant 0 : i64
    %done = arith.cmpi eq, %n, %c0 : i64
    %r = fac.if %done -> f32 {
      fac.yield %y : f32
    } else {
      %c1 = arith.constant 1 : i64
      %m = arith.subi %n, %c1 : i64
      %self = fac.self "f" : (i64, f32) -> f32
      %twice = arith.addf %y, %y : f32
      %v = fac.apply %self(%m, %twice) : (i64, f32) -> f32
      fac.yield %v : f32
    }
    fac.return %r : f32
  }
  %g = fac.lambda(%z: f32) -> f32 {
    %v = fac.apply %f(%level, %z) : (i64, f32) -> f32
    fac.return %v : f32
  }
  %h = fac.lambda(%q: !fac.tensor, %k: !fac.tensor, %vv: !fac.tensor) -> !fac.tensor {
    %n = fac.intrinsic "len"(%sizes) : (!fac.list<i64>) -> i64
    %fl = fac.intrinsic "float"(%n) : (i64) -> f32
    %r = fac.mul %fl, %q : f32, !fac.tensor -> !fac.tensor
    fac.return %r : !fac.tensor
  }
  fac.export "forward" = %g : (f32) -> f32
  fac.export "attention" = %h : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
}
