// convert-fac-to-vector: the score and mask hooks of fac.attention are
// inlined where the scores are made. On the block path (a query block's
// rows in the 64 lanes), once per key: the query positions are a vector
// of i64 (m - n + i0 + lane), the key position and the head are
// broadcast, the hooks' scalar ops become the same ops on vectors, an
// `if` a select of both sides, and a dropped key's score -inf; then the
// block's maximum is taken as 0 where it is -inf (a lane with no key kept
// yet). On the decode path (vectors along d) they run on each scalar
// score, and the chunk maxima are guarded the same way. Before a key block
// (or a decode chunk) is scored, the mask is evaluated over intervals of
// the positions: a block it drops for every row gets no keys. A hook with
// an op that has no lane-wise form is refused where it is written.
// RUN: %fac-opt %s -split-input-file -verify-diagnostics -convert-fac-to-vector="lanes=16 registers=32" | FileCheck %s

// CHECK-LABEL: func.func @hooked
// CHECK-SAME: %[[WINDOW:[a-z0-9]+]]: i64, %[[SLOPE:[a-z0-9]+]]: f32, %[[HEAD:[a-z0-9]+]]: i64
// Decode path: a chunk the window drops for the row (the smallest
// distance, row - last key, not under the window) is not scored.
// CHECK: arith.cmpi slt, %{{[0-9]+}}, %[[WINDOW]] : i64
// CHECK: arith.select %{{.*}}, %{{.*}}, %c0{{.*}} : index
// Decode path: the hooks on one score.
// CHECK: %[[DI:.*]] = arith.subi %[[QP:[0-9]+]], %[[KP:[0-9]+]] : i64
// CHECK-NEXT: %[[DF:.*]] = arith.sitofp %[[DI]] : i64 to f32
// CHECK-NEXT: %[[DB:.*]] = arith.mulf %[[SLOPE]], %[[DF]] : f32
// CHECK-NEXT: %[[DSCORE:.*]] = arith.subf %{{[0-9]+}}, %[[DB]] : f32
// CHECK-NEXT: %[[DC:.*]] = arith.cmpi sle, %[[KP]], %[[QP]] : i64
// CHECK-NEXT: %[[DD:.*]] = arith.subi %[[QP]], %[[KP]] : i64
// CHECK-NEXT: %[[DW:.*]] = arith.cmpi slt, %[[DD]], %[[WINDOW]] : i64
// CHECK: %[[DKEEP:.*]] = arith.select %[[DC]], %[[DW]], %{{.*}} : i1
// CHECK: %[[DOUT:.*]] = arith.select %[[DKEEP]], %[[DSCORE]], %{{.*}} : f32
// CHECK: memref.store %[[DOUT]]
// CHECK: arith.maxnumf
// CHECK: %[[DNEG:.*]] = arith.cmpf oeq, %[[DMAX:.*]], %{{.*}} : f32
// CHECK-NEXT: arith.constant 0.0
// CHECK-NEXT: arith.select %[[DNEG]], %{{.*}}, %[[DMAX]] : f32
// Block path: a key block the window drops for every row is not scored.
// CHECK: arith.cmpi slt, %{{[0-9]+}}, %[[WINDOW]] : i64
// CHECK: arith.select %{{.*}}, %{{.*}}, %c0{{.*}} : index
// Block path: positions of the 64 lanes, then per key.
// CHECK: %[[LANES:.*]] = arith.constant dense<[0, 1, 2, {{.*}}, 63]> : vector<64xi64>
// CHECK: %[[BASE:.*]] = vector.broadcast %{{.*}} : i64 to vector<64xi64>
// CHECK-NEXT: %[[QPOS:.*]] = arith.addi %[[LANES]], %[[BASE]] : vector<64xi64>
// CHECK: scf.for
// CHECK: %[[ROW:.*]] = vector.load %{{.*}} : memref<{{.*}}x64xf32>, vector<64xf32>
// CHECK: %[[DIST:.*]] = arith.subi %[[QPOS]], %{{.*}} : vector<64xi64>
// CHECK-NEXT: %[[FDIST:.*]] = arith.sitofp %[[DIST]] : vector<64xi64> to vector<64xf32>
// CHECK-NEXT: %[[VSLOPE:.*]] = vector.broadcast %[[SLOPE]] : f32 to vector<64xf32>
// CHECK-NEXT: %[[BIAS:.*]] = arith.mulf %[[VSLOPE]], %[[FDIST]] : vector<64xf32>
// CHECK-NEXT: %[[SCORED:.*]] = arith.subf %[[ROW]], %[[BIAS]] : vector<64xf32>
// CHECK: %[[CAUSAL:.*]] = arith.cmpi sle, %{{.*}}, %[[QPOS]] : vector<64xi64>
// CHECK: %[[VWINDOW:.*]] = vector.broadcast %[[WINDOW]] : i64 to vector<64xi64>
// CHECK-NEXT: %[[INSIDE:.*]] = arith.cmpi slt, %{{.*}}, %[[VWINDOW]] : vector<64xi64>
// CHECK: %[[KEEP:.*]] = arith.select %[[CAUSAL]], %[[INSIDE]], %{{.*}} : vector<64xi1>, vector<64xi1>
// CHECK: %[[MASKED:.*]] = arith.select %[[KEEP]], %[[SCORED]], %{{.*}} : vector<64xi1>, vector<64xf32>
// CHECK-NEXT: arith.constant 0
// CHECK-NEXT: vector.store %[[MASKED]]
// CHECK: arith.cmpf oeq, %{{.*}}, %{{.*}} : vector<64xf32>
func.func @hooked(%q: memref<?x?xf32>, %k: memref<?x?xf32>, %v: memref<?x?xf32>, %o: memref<?x?xf32>, %window: i64, %slope: f32, %head: i64) {
  fac.attention ins(%q, %k, %v : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) head %head score {
  ^bb0(%s: f32, %i: i64, %j: i64, %h: i64):
    %d = arith.subi %i, %j : i64
    %f = arith.sitofp %d : i64 to f32
    %b = arith.mulf %slope, %f : f32
    %r = arith.subf %s, %b : f32
    fac.yield %r : f32
  } mask {
  ^bb0(%i: i64, %j: i64, %h: i64):
    %c = arith.cmpi sle, %j, %i : i64
    %w = fac.if %c -> i1 {
      %d = arith.subi %i, %j : i64
      %in = arith.cmpi slt, %d, %window : i64
      fac.yield %in : i1
    } else {
      %false = arith.constant false
      fac.yield %false : i1
    }
    fac.yield %w : i1
  } {rsqrt_d}
  return
}

// -----

// Products, quotients by positive values and `if`s of i64 have interval
// forms too (and a constant of the mask is copied where the intervals are
// computed: it used to be used from the mask's own region, which goes): a
// block-diagonal mask (blocks of `size` positions, the diagonal block's
// keys at `size * (i / size)` and after) drops whole key chunks on the
// decode path: the quotient's and the product's corners, then the chunk
// is scored only where the mask can hold.
// CHECK-LABEL: func.func @blocks
// CHECK-SAME: %[[SIZE:[a-z0-9]+]]: i64
// CHECK: arith.divsi %{{.*}}, %{{.*}} : i64
// CHECK: arith.muli %{{.*}}, %{{.*}} : i64
// CHECK: arith.select %{{[0-9]+}}, %{{[0-9]+}}, %c0{{.*}} : index
func.func @blocks(%q: memref<?x?xf32>, %k: memref<?x?xf32>, %v: memref<?x?xf32>, %o: memref<?x?xf32>, %size: i64) {
  fac.attention ins(%q, %k, %v : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) mask {
  ^bb0(%i: i64, %j: i64, %h: i64):
    %zero = arith.constant 0 : i64
    %one = arith.constant 1 : i64
    %small = arith.cmpi slt, %size, %one : i64
    %b = fac.if %small -> i64 {
      fac.yield %one : i64
    } else {
      fac.yield %size : i64
    }
    %blk = arith.divsi %i, %b : i64
    %start = arith.muli %blk, %b : i64
    %after = arith.cmpi sge, %j, %start : i64
    %causal = arith.cmpi sle, %j, %i : i64
    %keep = arith.andi %after, %causal : i1
    fac.yield %keep : i1
  } {rsqrt_d}
  return
}

// -----

func.func @unsupported(%q: memref<?x?xf32>, %k: memref<?x?xf32>, %v: memref<?x?xf32>, %o: memref<?x?xf32>, %t: !fac.tensor) {
  // expected-error @+1 {{failed to legalize operation 'fac.attention'}}
  fac.attention ins(%q, %k, %v : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) score {
  ^bb0(%s: f32, %i: i64, %j: i64, %h: i64):
    // expected-error @+1 {{this does not compile in an attention hook ('fac.intrinsic'): a hook compiles when it computes on its arguments and on scalars of the spec}}
    %m = fac.intrinsic "magnitude"(%t) : (!fac.tensor) -> f32
    %r = arith.addf %s, %m : f32
    fac.yield %r : f32
  } {rsqrt_d}
  return
}
