// The verifiers of the fac ops.
// RUN: %fac-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{parameter #0 has type 'memref<4xf32>', but concept parameters are values of the language, not buffers}}
fac.concept @BadParam(%m: memref<4xf32>) {
}

// -----

fac.concept @BadReturn(%s: f32) {
  %f = fac.lambda(%q: !fac.tensor) -> !fac.tensor {
    // expected-error @+1 {{returns 'f32' but the lambda's result type is '!fac.tensor'}}
    fac.return %s : f32
  }
}

// -----

fac.concept @BadSlot(%s: f32) {
  %f = fac.lambda(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor {
    fac.return %q : !fac.tensor
  }
  // expected-error @+1 {{unknown model slot 'feedforward'}}
  fac.export "feedforward" = %f : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
}

// -----

fac.concept @BadExportType(%s: f32) {
  %f = fac.lambda(%q: !fac.tensor) -> !fac.tensor {
    fac.return %q : !fac.tensor
  }
  // expected-error @+1 {{slot 'attention' needs a function of type '(!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor', got '(!fac.tensor) -> !fac.tensor'}}
  fac.export "attention" = %f : (!fac.tensor) -> !fac.tensor
}

// -----

func.func @bad_mul(%a: i64, %t: !fac.tensor) -> !fac.tensor {
  // expected-error @+1 {{expects two equal scalars, or an f32 and a tensor, got 'i64' and '!fac.tensor' -> '!fac.tensor'}}
  %0 = fac.mul %a, %t : i64, !fac.tensor -> !fac.tensor
  return %0 : !fac.tensor
}

// -----

func.func @bad_widths(%q: memref<4x8xf32>, %k: memref<4x16xf32>, %v: memref<4x8xf32>, %o: memref<4x8xf32>) {
  // expected-error @+1 {{query and key widths differ: 8 vs 16}}
  fac.attention ins(%q, %k, %v : memref<4x8xf32>, memref<4x16xf32>, memref<4x8xf32>) outs(%o : memref<4x8xf32>)
  return
}

// -----

func.func @bad_lengths(%q: memref<4x8xf32>, %k: memref<4x8xf32>, %v: memref<5x8xf32>, %o: memref<4x8xf32>) {
  // expected-error @+1 {{key and value lengths differ: 4 vs 5}}
  fac.attention ins(%q, %k, %v : memref<4x8xf32>, memref<4x8xf32>, memref<5x8xf32>) outs(%o : memref<4x8xf32>)
  return
}

// -----

func.func @bad_out(%q: memref<4x8xf32>, %k: memref<6x8xf32>, %v: memref<6x3xf32>, %o: memref<4x8xf32>) {
  // expected-error @+1 {{output shape must be (queries x value width)}}
  fac.attention ins(%q, %k, %v : memref<4x8xf32>, memref<6x8xf32>, memref<6x3xf32>) outs(%o : memref<4x8xf32>)
  return
}

// -----

func.func @bad_tile(%q: memref<?x?xf32>, %o: memref<?x?xf32>) {
  // expected-error @+1 {{attribute 'key_tile' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  fac.attention ins(%q, %q, %q : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) {key_tile = 0 : i64}
  return
}

// -----

func.func @huge_tile(%q: memref<?x?xf32>, %o: memref<?x?xf32>) {
  // A block of 10^8 keys would need 400 MB of scores per query lane.
  // expected-error @+1 {{attribute 'key_tile' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive whose value is at most 4096 (fac::kMaxKeyTile)}}
  fac.attention ins(%q, %q, %q : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) {key_tile = 100000000 : i64}
  return
}

// -----

func.func @bad_rank(%q: memref<?xf32>, %o: memref<?x?xf32>) {
  // expected-error @+1 {{operand #0 must be 2D/3D memref of 32-bit float values}}
  fac.attention ins(%q, %o, %o : memref<?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>)
  return
}

// -----

fac.concept @TwoExports(%s: f32) {
  %f = fac.lambda(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor) -> !fac.tensor {
    fac.return %q : !fac.tensor
  }
  // expected-note @+1 {{first exported here}}
  fac.export "attention" = %f : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
  // expected-error @+1 {{exports slot 'attention' twice}}
  fac.export "attention" = %f : (!fac.tensor, !fac.tensor, !fac.tensor) -> !fac.tensor
}

// -----

func.func @if_yields_wrong_type(%c: i1, %x: i64) -> f32 {
  // expected-error @+1 {{then region yields 'i64' but the result is 'f32'}}
  %0 = fac.if %c -> f32 {
    fac.yield %x : i64
  } else {
    fac.yield %x : i64
  }
  return %0 : f32
}

// -----

func.func @handle_binders(%t: !fac.data<"TensorTree">) -> i64 {
  // expected-error @+1 {{arm #0 pattern 'Node(%0, %1)' binds 2 values but the region has 1 arguments}}
  %0 = fac.handle -> i64 attributes {kinds = ["value"], patterns = ["Node(%0, %1)"]} {
    fac.yield %t : !fac.data<"TensorTree">
  } with {
  ^bb0(%a: !fac.tensor):
    %c = arith.constant 1 : i64
    fac.yield %c : i64
  }
  return %0 : i64
}

// -----

func.func @handle_kind(%t: i64) -> i64 {
  // expected-error @+1 {{arm #0 has unknown kind 'maybe'}}
  %0 = fac.handle -> i64 attributes {kinds = ["maybe"], patterns = ["_"]} {
    fac.yield %t : i64
  } with {
    fac.yield %t : i64
  }
  return %0 : i64
}

// -----

func.func @handle_arm_type(%t: i64, %f: f32) -> i64 {
  // expected-error @+1 {{arm #0 yields 'f32' but the result is 'i64'}}
  %0 = fac.handle -> i64 attributes {kinds = ["value"], patterns = ["_"]} {
    fac.yield %t : i64
  } with {
    fac.yield %f : f32
  }
  return %0 : i64
}

// -----

func.func @destructure(%t: !fac.data<"TensorTree">) {
  // expected-error @+1 {{pattern 'Node(%0, %0)' binds -1 values but there are 2 results}}
  %0:2 = fac.destructure %t "Node(%0, %0)" : !fac.data<"TensorTree"> -> (!fac.tensor, !fac.tensor)
  return
}

// -----

func.func @unwrap(%o: !fac.data<"Option", [i64]>) -> f32 {
  // expected-error @+1 {{unwraps 'i64' but the result is 'f32'}}
  %0 = fac.unwrap %o : !fac.data<"Option", [i64]> -> f32
  return %0 : f32
}

// -----

func.func @exists(%o: !fac.data<"TensorTree">) -> i1 {
  // expected-error @+1 {{expects an Option, got '!fac.data<"TensorTree">'}}
  %0 = fac.exists %o : !fac.data<"TensorTree">
  return %0 : i1
}

// -----

func.func @list(%a: i64, %b: f32) {
  // expected-error @+1 {{element of type 'f32' in a list of 'i64'}}
  %0 = fac.list(%a, %b) : (i64, f32) -> !fac.list<i64>
  return
}

// -----

func.func @comprehension(%xs: !fac.list<i64>) {
  // expected-error @+1 {{body yields 'i64' into a '!fac.list<f32>'}}
  %0 = fac.comprehension %xs : !fac.list<i64> -> !fac.list<f32> {
  ^bb0(%x: i64):
    fac.yield %x : i64
  }
  return
}

// -----

func.func @arith(%a: f32, %b: f32) {
  // expected-error @+1 {{needs two tensors, or a tensor and an f32; got 'f32' and 'f32'}}
  %0 = fac.arith "add" %a, %b : f32, f32
  return
}

// -----

func.func @call(%a: !fac.tensor) {
  // expected-error @+1 {{'nowhere' is not a fac.operator}}
  %0 = fac.call @nowhere(%a, %a) : (!fac.tensor, !fac.tensor) -> !fac.tensor
  return
}

// -----

func.func @self() {
  %0 = fac.lambda(%n: i64) -> i64 attributes {name = "f"} {
    // expected-error @+1 {{no enclosing lambda is named 'g'}}
    %self = fac.self "g" : (i64) -> i64
    fac.return %n : i64
  }
  return
}

// -----

fac.concept @BadTheorem(%s: f32) {
  // expected-error @+1 {{statement must be an i1, got 'f32'}}
  fac.theorem "NotABool" {
    fac.yield %s : f32
  }
}

// -----

func.func @mixed_rank(%q: memref<?x?x?xf32>, %o: memref<?x?xf32>) {
  // expected-error @+1 {{query, key, value and out must all be 2-d (one head) or all 3-d (heads first)}}
  fac.attention ins(%q, %q, %q : memref<?x?x?xf32>, memref<?x?x?xf32>, memref<?x?x?xf32>) outs(%o : memref<?x?xf32>)
  return
}

// -----

func.func @gqa_heads(%q: memref<6x?x8xf32>, %k: memref<4x?x8xf32>, %o: memref<6x?x8xf32>) {
  // expected-error @+1 {{key/value heads (4) must divide the query heads (6)}}
  fac.attention ins(%q, %k, %k : memref<6x?x8xf32>, memref<4x?x8xf32>, memref<4x?x8xf32>) outs(%o : memref<6x?x8xf32>)
  return
}

// -----

func.func @bias_length(%q: memref<?x?xf32>, %k: memref<10x8xf32>, %o: memref<?x?xf32>, %b: memref<9xf32>) {
  // expected-error @+1 {{bias must have one entry per key}}
  fac.attention ins(%q, %k, %k : memref<?x?xf32>, memref<10x8xf32>, memref<10x8xf32>) outs(%o : memref<?x?xf32>) bias %b : memref<9xf32>
  return
}
