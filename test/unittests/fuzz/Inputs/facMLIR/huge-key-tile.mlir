func.func @huge_tile(%q: memref<?x?xf32>, %o: memref<?x?xf32>) {
  fac.attention ins(%q, %q, %q : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) {key_tile = 100000000 : i64}
  return
}
