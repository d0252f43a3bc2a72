func.func @k(%q: memref<?x?xf32>) attributes {fac.kernel} {
  fac.bogus
  return
}
