// convert-fac-to-scf: fac.attention becomes the tiled online-softmax loop
// nest: per query row, zero the row, then per key tile score into a stack
// scratch of key_tile floats, rescale the row once by exp(old max - new
// max) and accumulate p * v; finally divide by the running sum.
// RUN: %fac-opt %s -convert-fac-to-scf | FileCheck %s

// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: memref<?x?xf32>, %[[K:[a-z0-9]+]]: memref<?x?xf32>, %[[V:[a-z0-9]+]]: memref<?x?xf32>, %[[O:[a-z0-9]+]]: memref<?x?xf32>, %[[S:[a-z0-9]+]]: f32)
// CHECK:      %[[N:.*]] = memref.dim %[[Q]], %c0
// CHECK:      %[[D:.*]] = memref.dim %[[Q]], %c1
// CHECK:      %[[M:.*]] = memref.dim %[[K]], %c0
// CHECK:      %[[DV:.*]] = memref.dim %[[V]], %c1
// CHECK:      %[[TILE:.*]] = arith.constant 32 : index
// CHECK:      %[[DF:.*]] = arith.sitofp
// CHECK:      %[[RS:.*]] = math.rsqrt %[[DF]]
// CHECK:      %[[SCALE:.*]] = arith.mulf %[[S]], %[[RS]]
// CHECK:      %[[SCRATCH:.*]] = memref.alloca() : memref<32xf32>
// CHECK-DAG:  %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:  %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:      scf.for %[[I:.*]] = %c0{{.*}} to %[[N]] step %c1
// CHECK:        scf.for %[[T:.*]] = %c0{{.*}} to %[[DV]]
// CHECK-NEXT:     memref.store %[[ZERO]], %[[O]][%[[I]], %[[T]]]
// CHECK:        %[[TILES:.*]]:2 = scf.for %[[J0:.*]] = %c0{{.*}} to %[[M]] step %[[TILE]] iter_args(%[[MAX:.*]] = %[[NEG_INF]], %[[SUM:.*]] = %[[ZERO]]) -> (f32, f32)
// CHECK:          %[[END:.*]] = arith.minsi
// Scores of the tile into the scratch buffer, with their maximum.
// CHECK:          scf.for {{.*}} iter_args(%{{.*}} = %[[NEG_INF]]) -> (f32)
// CHECK:            scf.for {{.*}} to %[[D]] {{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (f32)
// CHECK:              arith.mulf {{.*}} fastmath<reassoc,contract>
// CHECK:              arith.addf {{.*}} fastmath<reassoc,contract>
// CHECK:            arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:            memref.store %{{.*}}, %[[SCRATCH]]
// CHECK:            arith.maxnumf
// CHECK:          %[[NEWMAX:.*]] = arith.maxnumf %[[MAX]]
// CHECK:          %[[DIFF:.*]] = arith.subf %[[MAX]], %[[NEWMAX]]
// CHECK:          %[[CORR:.*]] = math.exp %[[DIFF]]
// CHECK:          math.exp
// CHECK:          %[[RESCALED:.*]] = arith.mulf %[[SUM]], %[[CORR]]
// CHECK:          scf.for
// CHECK:            arith.mulf %{{.*}}, %[[CORR]]
// CHECK:          scf.for
// CHECK:            scf.for
// CHECK:              memref.load %[[V]]
// CHECK:          scf.yield %[[NEWMAX]], %{{.*}} : f32, f32
// A row with no keys has sum 0 and stays zero.
// CHECK:        %[[POS:.*]] = arith.cmpf ogt, %[[TILES]]#1, %[[ZERO]]
// CHECK:        %[[INV:.*]] = arith.divf %{{.*}}, %[[TILES]]#1
// CHECK:        arith.select %[[POS]], %[[INV]], %[[ZERO]]
// CHECK-NOT:  fac.attention
func.func @attention(%q: memref<?x?xf32>, %k: memref<?x?xf32>, %v: memref<?x?xf32>, %o: memref<?x?xf32>, %s: f32) {
  fac.attention ins(%q, %k, %v : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) scale %s {key_tile = 32 : i64, rsqrt_d}
  return
}

// Without a scale or rsqrt_d the scores are the plain dot products.
// CHECK-LABEL: func.func @unscaled
// CHECK-NOT: math.rsqrt
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: memref.alloca() : memref<64xf32>
// CHECK: arith.mulf %{{.*}}, %[[ONE]] fastmath
func.func @unscaled(%q: memref<?x?xf32>, %o: memref<?x?xf32>) {
  fac.attention ins(%q, %q, %q : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>)
  return
}
