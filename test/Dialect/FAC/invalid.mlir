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

func.func @bad_rank(%q: memref<?xf32>, %o: memref<?x?xf32>) {
  // expected-error @+1 {{operand #0 must be 2D memref of 32-bit float values}}
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
