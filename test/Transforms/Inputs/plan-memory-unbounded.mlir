// A buffer whose size the kernel computes in a loop, with no bound:
// refused by fac-plan-memory (test/Transforms/fac-plan-memory.mlir).
func.func @Unbounded(%x: memref<?x?xf32> {fac.name = "x"}) -> i32 attributes {fac.kernel} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x?xf32>
  %count = scf.for %i = %c0 to %n step %n iter_args(%a = %c0) -> (index) {
    %b = arith.addi %a, %i : index
    scf.yield %b : index
  }
  %leaves = memref.alloc(%count) {fac.buffer = "leaves"} : memref<?xi64>
  %ok = arith.constant 0 : i32
  return %ok : i32
}
