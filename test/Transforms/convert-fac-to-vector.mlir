// convert-fac-to-vector: fac.attention becomes the fused kernel, one
// scf.parallel over (head, query block) whose body packs the block's
// queries transposed and pre-scaled, then per key block scores keys with
// a register-blocked micro-kernel (6 keys x one query block of vector
// FMAs), updates the lane-wise online softmax and accumulates P.V four
// output columns at a time. Scratch is per query block: never n x m.
// RUN: %fac-opt %s -convert-fac-to-vector="lanes=16 registers=32" | FileCheck %s
// RUN: %fac-opt %s -convert-fac-to-vector="lanes=4 registers=32 l1-bytes=65536" | FileCheck %s --check-prefix=NEON
// RUN: %fac-opt %s -convert-fac-to-vector="lanes=8 registers=16" | FileCheck %s --check-prefix=AVX2
// RUN: not %fac-opt %s -convert-fac-to-vector="lanes=0" 2>&1 | FileCheck %s --check-prefix=BAD
// Every allocation of the kernel, in order: the decode path's partial
// softmaxes (H * chunks * n rows of dv + 2) and one chunk's scores, then
// the block path's transposed queries (d x 64), output accumulator
// (dv x 64) and block scores (36 x 64). None is n x m.
// RUN: %fac-opt %s -convert-fac-to-vector="lanes=16 registers=32" | sed -n '/func.func @attention/,/^  }$/p' | grep memref.alloc | FileCheck %s --check-prefix=ALLOC
// ALLOC: memref.alloc(%{{.*}}, %{{.*}}) {alignment = 64 : i64, fac.buffer = "decode partial softmaxes"} : memref<?x?xf32>
// ALLOC-NEXT: memref.alloc() {alignment = 64 : i64, fac.buffer = "decode scores"} : memref<512xf32>
// ALLOC-NEXT: memref.alloc(%{{.*}}) {alignment = 64 : i64, fac.buffer = "query block"} : memref<?x64xf32>
// ALLOC-NEXT: memref.alloc(%{{.*}}) {alignment = 64 : i64, fac.buffer = "output block"} : memref<?x64xf32>
// ALLOC-NEXT: memref.alloc() {alignment = 64 : i64, fac.buffer = "score block"} : memref<36x64xf32>
// ALLOC-NOT: memref.alloc
// The decode path (n <= 4): four keys' dot products as independent FMA
// chains along d (16 lanes), each key line prefetched into L2 ahead, one
// horizontal sum per key.
// RUN: %fac-opt %s -convert-fac-to-vector="lanes=16 registers=32" | sed -n '/func.func @attention/,/^  }$/p' | FileCheck %s --check-prefix=DECODE
// DECODE: %[[FEW:.*]] = arith.cmpi sle, %{{.*}}, %c4
// DECODE: scf.if %[[FEW]]
// DECODE: scf.for {{.*}} step %c16{{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// DECODE-COUNT-4: memref.prefetch %arg1[{{.*}}], read, locality<2>, data
// DECODE-COUNT-4: vector.reduction <add>
// DECODE: } else {

// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: memref<?x?xf32>, %[[K:[a-z0-9]+]]: memref<?x?xf32>, %[[V:[a-z0-9]+]]: memref<?x?xf32>, %[[O:[a-z0-9]+]]: memref<?x?xf32>, %[[S:[a-z0-9]+]]: f32)
// CHECK:      %[[N:.*]] = memref.dim %[[Q]], %c0
// CHECK:      %[[D:.*]] = memref.dim %[[Q]], %c1
// CHECK:      %[[KEYS:.*]] = memref.dim %[[K]], %c0
// No key/value heads would mean no keys.
// CHECK:      %[[M:.*]] = arith.select %{{.*}}, %c0{{.*}}, %[[KEYS]] : index
// CHECK:      %[[DV:.*]] = memref.dim %[[V]], %c1
// CHECK:      %[[DF:.*]] = arith.sitofp
// CHECK:      %[[RS:.*]] = math.rsqrt %[[DF]]
// CHECK:      %[[SCALE:.*]] = arith.mulf %[[S]], %[[RS]]
// One head, ceil(n / 64) query blocks, on the calling thread (no thread
// count).
// CHECK-NOT:  scf.parallel
// CHECK:      scf.for %{{.*}} = %c0{{.*}} to %c1{{.*}} step
// CHECK:      scf.for %[[BLOCK:.*]] = %c0{{.*}} to %{{.*}} step
// CHECK:        %[[I0:.*]] = arith.muli %[[BLOCK]], %c64
// CHECK-DAG:    %[[QT:.*]] = memref.alloc(%[[D]]) {alignment = 64 : i64, fac.buffer = "query block"} : memref<?x64xf32>
// CHECK-DAG:    %[[OT:.*]] = memref.alloc(%[[DV]]) {alignment = 64 : i64, fac.buffer = "output block"} : memref<?x64xf32>
// key_tile 32 rounded up to whole micro-tiles of 6 keys.
// CHECK-DAG:    %[[ST:.*]] = memref.alloc() {alignment = 64 : i64, fac.buffer = "score block"} : memref<36x64xf32>
// Qt[t][lane] = scale * q[i0 + lane][t].
// CHECK:        memref.load %[[Q]]
// CHECK:   arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:   memref.store %{{.*}}, %[[QT]]
// CHECK:        %[[BLOCKS:.*]]:2 = scf.for %{{.*}} = %c0{{.*}} to %[[M]] step %c32{{.*}} iter_args(%[[MAX:.*]] = %{{.*}}, %[[SUM:.*]] = %{{.*}}) -> (vector<64xf32>, vector<64xf32>)
// The score micro-kernel: one row of Qt, six broadcast key elements.
// CHECK:          scf.for %{{.*}} = %c0{{.*}} to %[[D]] step %c1{{.*}} iter_args({{.*}}) -> (vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>)
// CHECK:       %[[QROW:.*]] = vector.load %[[QT]]
// CHECK-COUNT-6:    vector.fma %{{.*}}, %[[QROW]], %{{.*}} : vector<64xf32>
// CHECK:          vector.store %{{.*}}, %[[ST]]
// The running maximum, the correction, the probabilities.
// CHECK:          arith.maxnumf {{.*}} : vector<64xf32>
// CHECK:          %[[NEWMAX:.*]] = arith.maxnumf %[[MAX]]
// CHECK:          %[[DIFF:.*]] = arith.subf %[[MAX]], %[[NEWMAX]]
// CHECK:          math.exp %[[DIFF]] : vector<64xf32>
// CHECK:          math.exp {{.*}} : vector<64xf32>
// CHECK:          math.fma %[[SUM]]
// P.V: four output columns in registers, one probability row per key.
// CHECK:          scf.for {{.*}} iter_args({{.*}}) -> (vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>)
// CHECK:            %[[P:.*]] = vector.load %[[ST]]
// CHECK:            memref.load %[[V]]
// CHECK:       vector.broadcast
// CHECK:       vector.fma %{{.*}}, %[[P]]
// CHECK:          scf.yield %[[NEWMAX]], %{{.*}} : vector<64xf32>, vector<64xf32>
// A lane with no keys has sum 0 and stays zero.
// CHECK:        %[[POS:.*]] = arith.cmpf ogt, %[[BLOCKS]]#1
// CHECK:        arith.select %[[POS]]
// CHECK:        memref.store %{{.*}}, %[[O]]
// CHECK-DAG:    memref.dealloc %[[QT]]
// CHECK-DAG:    memref.dealloc %[[OT]]
// CHECK-DAG:    memref.dealloc %[[ST]]
// CHECK-NOT:  fac.attention
func.func @attention(%q: memref<?x?xf32>, %k: memref<?x?xf32>, %v: memref<?x?xf32>, %o: memref<?x?xf32>, %s: f32) {
  fac.attention ins(%q, %k, %v : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) scale %s {key_tile = 32 : i64, rsqrt_d}
  return
}

// Without a key_tile the block is sized to half the L1: 16 KB of 64-lane
// score rows is 64 rows, 60 in whole micro-tiles; half of NEON's 64 KB L1
// holds 512 rows of 16 lanes (510 in micro-tiles), and half of a 32 KB L1
// 256 rows of AVX2's 8 x 2 lanes (252).
// CHECK-LABEL: func.func @unscaled
// CHECK-NOT: math.rsqrt
// CHECK: memref.alloc() {alignment = 64 : i64, fac.buffer = "score block"} : memref<60x64xf32>
// CHECK: step %c60{{.*}} iter_args
// NEON-LABEL: func.func @unscaled
// NEON: memref.alloc() {alignment = 64 : i64, fac.buffer = "score block"} : memref<510x16xf32>
// NEON: iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// AVX2-LABEL: func.func @unscaled
// AVX2: memref.alloc() {alignment = 64 : i64, fac.buffer = "score block"} : memref<252x16xf32>
func.func @unscaled(%q: memref<?x?xf32>, %o: memref<?x?xf32>) {
  fac.attention ins(%q, %q, %q : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>)
  return
}

// A whole layer: heads first, key/value heads shared by groups of query
// heads, the causal horizon, a bias per key, a gathered key list, and a
// thread count, which makes the workers one scf.parallel and marks the
// argument for the OpenMP team size.
// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, %[[K:[a-z0-9]+]]: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, %[[V:[a-z0-9]+]]: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, %[[O:[a-z0-9]+]]: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, %[[OFF:[a-z0-9]+]]: index, %[[BIAS:[a-z0-9]+]]: memref<?xf32>, %[[IDX:[a-z0-9]+]]: memref<?xi64>, %{{.*}}: i32 {fac.threads})
// CHECK-DAG:  %[[H:.*]] = memref.dim %[[Q]], %c0
// CHECK-DAG:  %[[HKV:.*]] = memref.dim %[[K]], %c0
// The key count is the index list's length.
// CHECK-DAG:  %[[KEYS:.*]] = memref.dim %[[IDX]], %c0
// CHECK:      %[[M:.*]] = arith.select %{{.*}}, %c0{{.*}}, %[[KEYS]] : index
// A negative offset masks nothing (m); any other is clamped to m.
// CHECK:      %[[NEG:.*]] = arith.cmpi slt, %[[OFF]], %c0
// CHECK:      %[[CLAMPED:.*]] = arith.minsi %[[OFF]], %[[M]]
// CHECK:      %[[OFFSET:.*]] = arith.select %[[NEG]], %[[M]], %[[CLAMPED]]
// CHECK:      arith.divui %[[H]],
// CHECK: %[[GROUP:.*]] = arith.maxsi
// One parallel iteration per worker (max(threads, 1)), each taking every
// workers-th (K/V head, key chunk) pair when decoding, then (head, query
// block) pair.
// CHECK:      scf.parallel
// CHECK:      scf.parallel (%[[W:.*]]) = (%c0{{.*}}) to (%[[WORKERS:.*]]) step (%c1{{.*}})
// CHECK:        scf.for %[[PAIR:.*]] = %[[W]] to %{{.*}} step %[[WORKERS]]
// CHECK:          %[[HEAD:.*]] = arith.divui %[[PAIR]], %{{.*}}
// The head's K/V head, kept inside the buffers even when Hkv does not
// divide H.
// CHECK:        %[[GI:.*]] = arith.divui %[[HEAD]], %[[GROUP]]
// CHECK:        %[[KVH:.*]] = arith.minsi %[[GI]],
// Keys past the block's last row's horizon are never visited.
// CHECK:        %[[END:.*]] = arith.minsi %[[M]],
// CHECK:        scf.for %{{.*}} = %c0{{.*}} to %[[END]] step
// CHECK:          %[[ROW:.*]] = memref.load %[[IDX]]
// CHECK:          %[[ROWIDX:.*]] = arith.index_cast %[[ROW]] : i64 to index
// CHECK:          memref.load %[[K]][%[[KVH]], %[[ROWIDX]], %{{.*}}]
// CHECK:          memref.load %[[BIAS]]
// CHECK:     vector.broadcast
// CHECK:     arith.addf
// Only a block that crosses the diagonal is masked, lane by lane.
// CHECK:          %[[CROSSES:.*]] = arith.cmpi sgt
// CHECK:          scf.if %[[CROSSES]]
// CHECK:            arith.cmpi sge, %{{.*}} : vector<64xi32>
// CHECK:            arith.select {{.*}} : vector<64xi1>, vector<64xf32>
func.func @layer(%q: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, %k: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, %v: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, %o: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, %offset: index, %bias: memref<?xf32>, %idx: memref<?xi64>, %threads: i32) {
  fac.attention ins(%q, %k, %v : memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>) outs(%o : memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>) causal %offset bias %bias : memref<?xf32> indices %idx : memref<?xi64> threads %threads {rsqrt_d}
  return
}

// BAD: convert-fac-to-vector: lanes must be 1-64

