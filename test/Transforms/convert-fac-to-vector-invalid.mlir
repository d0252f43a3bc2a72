// What convert-fac-to-vector refuses, with a located error.
// RUN: not %fac-opt %s -split-input-file -convert-fac-to-vector 2>&1 | FileCheck %s

// A thread count the kernel computes cannot size its OpenMP team (the
// team size is set from a marked argument after SCF-to-OpenMP).
// CHECK: convert-fac-to-vector-invalid.mlir:1 offset :[[# @LINE + 3]]:3: error: 'fac.attention' op needs its thread count to be an argument of its function
func.func @computed_threads(%q: memref<?x?xf32>, %o: memref<?x?xf32>, %t: i32) {
  %t2 = arith.addi %t, %t : i32
  fac.attention ins(%q, %q, %q : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) threads %t2
  return
}
