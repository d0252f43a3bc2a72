// fac-layer-entry: a kernel that is one attention of its own arguments
// gains `<kernel>_layer`, the same attention over whole layers (3-d
// strided views, heads first) with a causal offset and a thread count
// after the kernel's scalars. Other kernels are left alone.
// RUN: %fac-opt %s -fac-layer-entry -split-input-file | FileCheck %s

!head = memref<?x?xf32, strided<[?, 1], offset: ?>>

// CHECK-LABEL: func.func @Dense_attention(
// CHECK-LABEL: func.func @Dense_attention_layer
// CHECK-SAME: (%[[S:[a-z0-9]+]]: f32 {fac.name = "scale"}, %[[OFF:[a-z0-9]+]]: index {fac.name = "causal_offset"}, %[[T:[a-z0-9]+]]: i32 {fac.name = "threads"}, %[[Q:[a-z0-9]+]]: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>> {fac.name = "query"}, %[[K:[a-z0-9]+]]: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>> {fac.name = "key"}, %[[V:[a-z0-9]+]]: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>> {fac.name = "value"}, %[[O:[a-z0-9]+]]: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>> {fac.name = "out"})
// CHECK-SAME: attributes {fac.kernel, llvm.emit_c_interface}
// CHECK-NEXT: fac.attention ins(%[[Q]], %[[K]], %[[V]] : {{.*}}) outs(%[[O]] : {{.*}}) scale %[[S]] causal %[[OFF]] threads %[[T]] {key_tile = 8 : i64, rsqrt_d}
// CHECK-NEXT: return
func.func @Dense_attention(%s: f32 {fac.name = "scale"}, %q: !head {fac.name = "query"}, %k: !head {fac.name = "key"}, %v: !head {fac.name = "value"}, %o: !head {fac.name = "out"}) attributes {fac.kernel, llvm.emit_c_interface} {
  fac.attention ins(%q, %k, %v : !head, !head, !head) outs(%o : !head) scale %s {key_tile = 8 : i64, rsqrt_d}
  return
}

// -----

// Two attentions in a row: no single attention to lift to a layer.
// CHECK-LABEL: func.func @chained
// CHECK-NOT: func.func @chained_layer
func.func @chained(%q: memref<?x?xf32>, %k: memref<?x?xf32>, %v: memref<?x?xf32>, %o: memref<?x?xf32>, %t: memref<?x?xf32>) attributes {fac.kernel} {
  fac.attention ins(%q, %k, %v : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%t : memref<?x?xf32>)
  fac.attention ins(%t, %k, %v : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>)
  return
}

// -----

// A kernel already using a hook is not a plain attention: left alone.
// CHECK-LABEL: func.func @biased
// CHECK-NOT: func.func @biased_layer
func.func @biased(%q: memref<?x?xf32>, %o: memref<?x?xf32>, %b: memref<?xf32>) attributes {fac.kernel} {
  fac.attention ins(%q, %q, %q : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) outs(%o : memref<?x?xf32>) bias %b : memref<?xf32>
  return
}

// -----

!head = memref<?x?xf32, strided<[?, 1], offset: ?>>

// Score and mask hooks go with the attention: the layer's op gets copies,
// the kernel's scalars mapped to the layer's and a hoisted constant cloned;
// the `head` the one-head kernel takes is not the layer's (each query head
// is its own index there).
// CHECK-LABEL: func.func @Hooked_attention_layer
// CHECK-SAME: (%[[W:[a-z0-9]+]]: i64 {fac.name = "window"}, %[[OFF:[a-z0-9]+]]: index {fac.name = "causal_offset"}, %[[T:[a-z0-9]+]]: i32 {fac.name = "threads"}, %[[Q:[a-z0-9]+]]: memref<?x?x?xf32, {{.*}}> {fac.name = "q"},
// CHECK: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-NEXT: fac.attention ins(%[[Q]], {{.*}} causal %[[OFF]] threads %[[T]] score {
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %{{.*}}: i64, %{{.*}}: i64, %[[H:.*]]: i64):
// CHECK-NEXT: %[[H1:.*]] = arith.addi %[[H]], %[[ONE]] : i64
// CHECK: } mask {
// CHECK: arith.cmpi slt, %{{.*}}, %[[W]] : i64
// CHECK: } {rsqrt_d}
// CHECK-NEXT: return
func.func @Hooked_attention(%w: i64 {fac.name = "window"}, %head: i64 {fac.head, fac.name = "head"}, %q: !head {fac.name = "q"}, %k: !head {fac.name = "k"}, %v: !head {fac.name = "v"}, %o: !head {fac.name = "out"}) attributes {fac.kernel, llvm.emit_c_interface} {
  %one = arith.constant 1 : i64
  fac.attention ins(%q, %k, %v : !head, !head, !head) outs(%o : !head) head %head score {
  ^bb0(%s: f32, %i: i64, %j: i64, %h: i64):
    %h1 = arith.addi %h, %one : i64
    %f = arith.sitofp %h1 : i64 to f32
    %r = arith.mulf %s, %f : f32
    fac.yield %r : f32
  } mask {
  ^bb0(%i: i64, %j: i64, %h: i64):
    %d = arith.subi %i, %j : i64
    %in = arith.cmpi slt, %d, %w : i64
    fac.yield %in : i1
  } {rsqrt_d}
  return
}

// -----

!head = memref<?x?xf32, strided<[?, 1], offset: ?>>

// A scale bound at compile time (facc -D scale=2.0) is a constant: the
// layer entry clones it. It used to get no layer entry, so a model ran the
// kernel one head at a time.
// CHECK-LABEL: func.func @Bound_attention_layer
// CHECK-SAME: (%[[OFF:[a-z0-9]+]]: index {fac.name = "causal_offset"}, %[[T:[a-z0-9]+]]: i32 {fac.name = "threads"},
// CHECK-NEXT: %[[S:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT: fac.attention ins({{.*}}) outs({{.*}}) scale %[[S]] causal %[[OFF]] threads %[[T]] {rsqrt_d}
// CHECK-NEXT: return
func.func @Bound_attention(%q: !head {fac.name = "query"}, %k: !head {fac.name = "key"}, %v: !head {fac.name = "value"}, %o: !head {fac.name = "out"}) attributes {fac.kernel, llvm.emit_c_interface} {
  %s = arith.constant 2.0 : f32
  fac.attention ins(%q, %k, %v : !head, !head, !head) outs(%o : !head) scale %s {rsqrt_d}
  return
}
