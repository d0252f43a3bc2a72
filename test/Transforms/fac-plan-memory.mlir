// fac-plan-memory: every buffer of a kernel becomes a slice of the
// workspace its caller passes (a new last parameter), sized at the start
// from the arguments; a buffer in a parallel loop has one slice per
// iteration; a call with too small a workspace returns FACRT_ERR_LIMIT (6)
// and does nothing; `<kernel>_workspace_size` gives the bytes. A size the
// kernel computes as it runs is planned from a `min` with a bound known at
// the start, and refused without one.
// RUN: %fac-opt %s -fac-plan-memory -canonicalize -cse | FileCheck %s
// RUN: %fac-opt %s -fac-plan-memory="print bounds=x=100x8,threads=4 limit=100000" -o /dev/null | FileCheck %s --check-prefix=PLAN
// RUN: not %fac-opt %S/Inputs/plan-memory-unbounded.mlir -fac-plan-memory 2>&1 | FileCheck %s --check-prefix=UNBOUNDED
// RUN: not %fac-opt %s -fac-plan-memory="bounds=y=4x4" 2>&1 | FileCheck %s --check-prefix=NO-PARAM
// NO-PARAM: <command line>:0:0: error: --bound y: no kernel has a parameter of that name (they have: x, threads)
// UNBOUNDED: plan-memory-unbounded.mlir:10:13: error: buffer 'leaves' has a size the kernel computes as it runs, with no bound known at its start: the memory plan cannot hold it

// CHECK-LABEL: func.func @K
// CHECK-SAME: (%[[X:[a-z0-9]+]]: memref<?x?xf32> {fac.name = "x"}, %[[T:[a-z0-9]+]]: index {fac.name = "threads"}, %[[W:[a-z0-9]+]]: memref<?xi8> {fac.name = "workspace"}) -> i32
// The sizes, rounded up to 64 bytes: n x d f32, then 16 f32 per worker;
// 64 more to start on a cache line wherever the caller's pointer is.
// CHECK: %[[ROWS:.*]] = arith.andi %{{.*}}, %c-64 : index
// CHECK: %[[WORKERS:.*]] = arith.maxsi %[[T]], %c1 : index
// CHECK: %[[SCRATCH:.*]] = arith.muli %[[WORKERS]], %c64 : index
// The scratch is live beside the rows (the loop reads them): above them.
// CHECK: %[[SUM:.*]] = arith.addi %[[ROWS]], %[[SCRATCH]] : index
// CHECK: %[[TOP:.*]] = arith.maxui %[[ROWS]], %[[SUM]] : index
// The sum of all sizes in f64 must stay under 2^62: a wrapped sum is
// refused.
// CHECK: %[[SANE:.*]] = arith.cmpf olt, %{{.*}}, %{{.*}} : f64
// CHECK: %[[NEED:.*]] = arith.addi %[[TOP]], %c64 : index
// CHECK: %[[HAVE:.*]] = memref.dim %[[W]], %c0
// CHECK: %[[ENOUGH:.*]] = arith.cmpi sge, %[[HAVE]], %[[NEED]] : index
// CHECK: %[[FITS:.*]] = arith.andi %[[SANE]], %[[ENOUGH]] : i1
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: %[[STATUS:.*]] = arith.select %[[FITS]], %c0_i32, %c6_i32 : i32
// CHECK: scf.if %[[FITS]]
// CHECK:   memref.view %[[W]][%[[SHIFT:.*]]][%{{.*}}, %{{.*}}] {fac.buffer = "rows"} : memref<?xi8> to memref<?x?xf32>
// CHECK:   scf.parallel (%[[IV:.*]]) = (%c0) to (%[[WORKERS]])
// The worker's own slice, after the rows: its index times 64 bytes.
// CHECK:     %[[BASE:.*]] = arith.addi %[[SHIFT]], %[[ROWS]] : index
// CHECK:     %[[COPY:.*]] = arith.muli %[[IV]], %c64 : index
// CHECK:     %[[AT:.*]] = arith.addi %[[BASE]], %[[COPY]] : index
// CHECK:     memref.view %[[W]][%[[AT]]][] {fac.buffer = "scratch"} : memref<?xi8> to memref<16xf32>
// CHECK-NOT: memref.dealloc
// CHECK: return %[[STATUS]] : i32
// CHECK-LABEL: func.func @K_workspace_size
// CHECK-SAME: (%{{.*}}: memref<?x?xf32> {fac.name = "x"}, %{{.*}}: index {fac.name = "threads"}) -> i64
// CHECK-SAME: fac.workspace_size = "K"
// CHECK: %[[OK:.*]] = arith.cmpf olt
// CHECK: %[[BYTES:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[R:.*]] = arith.select %[[OK]], %[[BYTES]], %c-1_i64 : i64
// CHECK: return %[[R]] : i64

// PLAN: memory plan of K:
// PLAN-NEXT:   rows: f32 [rows(x) x cols(x)]: 3200 bytes at the bounds
// PLAN-NEXT:   scratch: f32 [16], one per parallel iteration (max(threads, 1)): 256 bytes at the bounds
// PLAN-NEXT:   workspace: 2 buffers, each from a 64-byte boundary, sharing bytes where their lives do not overlap; 3520 bytes at the bounds (limit 100000)
func.func @K(%x: memref<?x?xf32> {fac.name = "x"}, %threads: index {fac.name = "threads"}) -> i32 attributes {fac.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?x?xf32>
  %d = memref.dim %x, %c1 : memref<?x?xf32>
  %one = arith.constant 1.0 : f32
  %rows = memref.alloc(%n, %d) {fac.buffer = "rows"} : memref<?x?xf32>
  memref.store %one, %rows[%c0, %c0] : memref<?x?xf32>
  %workers = arith.maxsi %threads, %c1 : index
  scf.parallel (%w) = (%c0) to (%workers) step (%c1) {
    %s = memref.alloc() {fac.buffer = "scratch"} : memref<16xf32>
    %r = memref.load %rows[%c0, %c0] : memref<?x?xf32>
    memref.store %r, %s[%c0] : memref<16xf32>
    memref.dealloc %s : memref<16xf32>
    scf.reduce
  }
  memref.dealloc %rows : memref<?x?xf32>
  %ok = arith.constant 0 : i32
  return %ok : i32
}

// Buffers whose lives do not overlap share their bytes: the second is made
// after the last use of the first, at the same offset.
// CHECK-LABEL: func.func @Reuse
// CHECK: memref.view %{{.*}}[%[[AT:.*]]][%{{.*}}, %{{.*}}] {fac.buffer = "first"}
// CHECK: memref.view %{{.*}}[%[[AT]]][%{{.*}}, %{{.*}}] {fac.buffer = "second"}
// PLAN: memory plan of Reuse:
// PLAN-NEXT:   first: f32 [rows(x) x cols(x)]: 3200 bytes at the bounds
// PLAN-NEXT:   second: f32 [cols(x) x rows(x)]: 3200 bytes at the bounds
// PLAN-NEXT:   workspace: 2 buffers, each from a 64-byte boundary, sharing bytes where their lives do not overlap; 3264 bytes at the bounds (limit 100000)
func.func @Reuse(%x: memref<?x?xf32> {fac.name = "x"}) -> i32 attributes {fac.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?x?xf32>
  %d = memref.dim %x, %c1 : memref<?x?xf32>
  %one = arith.constant 1.0 : f32
  %first = memref.alloc(%n, %d) {fac.buffer = "first"} : memref<?x?xf32>
  memref.store %one, %first[%c0, %c0] : memref<?x?xf32>
  %v = memref.load %first[%c0, %c0] : memref<?x?xf32>
  %second = memref.alloc(%d, %n) {fac.buffer = "second"} : memref<?x?xf32>
  memref.store %v, %second[%c0, %c0] : memref<?x?xf32>
  memref.dealloc %first : memref<?x?xf32>
  memref.dealloc %second : memref<?x?xf32>
  %ok = arith.constant 0 : i32
  return %ok : i32
}

// A size known only as the kernel runs, bounded by the rows: planned at
// the bound.
// CHECK-LABEL: func.func @Bounded
// CHECK: memref.view %{{.*}}[%{{.*}}][%[[C:.*]]] {fac.buffer = "leaves"}
// PLAN: memory plan of Bounded:
// PLAN-NEXT:   leaves: i64 [rows(x)]: 832 bytes at the bounds
func.func @Bounded(%x: memref<?x?xf32> {fac.name = "x"}) -> i32 attributes {fac.kernel} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x?xf32>
  %count = scf.for %i = %c0 to %n step %n iter_args(%a = %c0) -> (index) {
    %b = arith.addi %a, %i : index
    scf.yield %b : index
  }
  %c = arith.minui %count, %n : index
  %leaves = memref.alloc(%c) {fac.buffer = "leaves"} : memref<?xi64>
  %i = arith.constant 1 : i64
  memref.store %i, %leaves[%c0] : memref<?xi64>
  %ok = arith.constant 0 : i32
  return %ok : i32
}

