// fac-set-num-threads: after convert-scf-to-openmp, the team of every
// parallel region of a kernel is its argument marked `fac.threads`, at
// least 1; a function without one keeps OpenMP's default.
// RUN: %fac-opt %s -convert-scf-to-openmp -fac-set-num-threads | FileCheck %s

// CHECK-LABEL: func.func @marked
// CHECK-SAME: (%{{.*}}: index, %[[T:[a-z0-9]+]]: i32 {fac.threads}, %{{.*}}: memref<?xf32>)
// CHECK: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: %[[N:.*]] = arith.maxsi %[[T]], %[[ONE]] : i32
// CHECK: omp.parallel num_threads(%[[N]] : i32)
// CHECK: omp.wsloop
func.func @marked(%n: index, %t: i32 {fac.threads}, %m: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %x = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %x, %m[%i] : memref<?xf32>
  }
  return
}

// CHECK-LABEL: func.func @unmarked
// CHECK: omp.parallel {
func.func @unmarked(%n: index, %m: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %x = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %x, %m[%i] : memref<?xf32>
  }
  return
}
