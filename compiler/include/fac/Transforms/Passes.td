//===- Passes.td - FAC pass definitions ---------------------*- tablegen -*-===//
//
// Every FAC pass, one per file under compiler/lib/Transforms. The named
// pipelines that chain them are in Pipelines.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TRANSFORMS_PASSES
#define FAC_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def FacOutlineKernels : Pass<"fac-outline-kernels", "mlir::ModuleOp"> {
  let summary = "Turn every exported lambda of a concept into a kernel function";
  let description = [{
    For each `fac.export` in a `fac.concept`, creates a `func.func` named
    `<Concept>_<slot>` whose arguments are the concept's parameters followed
    by the lambda's. The lambda's body is inlined, with every value it
    captures from the concept cloned in front of it; applications of
    lambdas known at compile time are inlined too. The concepts are then
    erased.

    Before:
    ```mlir
    fac.concept @Dense(%s: f32) {
      %f = fac.lambda(%q: !fac.tensor, %k: !fac.tensor, %v: !fac.tensor)
          -> !fac.tensor { ... }
      fac.export "attention" = %f : ...
    }
    ```
    After:
    ```mlir
    func.func @Dense_attention(%s: f32, %q: !fac.tensor, %k: !fac.tensor,
                               %v: !fac.tensor) -> !fac.tensor
        attributes {fac.kernel} { ... }
    ```
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def FacBindPrelude : Pass<"fac-bind-prelude", "mlir::ModuleOp"> {
  let summary = "Bind performed prelude effects to their intrinsic ops";
  let description = [{
    Replaces each `fac.perform` of an effect of the standard prelude by the
    op that implements it: `Attend(q, k, v)` becomes
    `fac.attend %q, %k, %v {rsqrt_d}`. A perform of any other effect is an
    error: it has no handler on any target.
  }];
}

def FacBufferize : Pass<"fac-bufferize", "mlir::ModuleOp"> {
  let summary = "Give kernels a buffer ABI in destination-passing style";
  let description = [{
    Rewrites every `fac.kernel` function on `!fac.tensor` values into one on
    2-d strided memrefs, `memref<?x?xf32, strided<[?, 1], offset: ?>>`:
    tensor arguments become memref arguments, the result becomes a trailing
    `out` argument the caller allocates, and tensor ops become their buffer
    forms (`fac.attend` -> `fac.attention`). Intermediate tensors get a
    `memref.alloc` freed at the end of the kernel. The function is marked
    `llvm.emit_c_interface` so that its C entry point takes descriptors.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
  let options = [
    Option<"keyTile", "key-tile", "int64_t", /*default=*/"64",
           "Keys scored per step of the online softmax (1-4096)">
  ];
}

def ConvertFACToSCF : Pass<"convert-fac-to-scf", "mlir::ModuleOp"> {
  let summary = "Lower fac buffer ops to scf loops over memrefs";
  let description = [{
    `fac.attention` becomes a tiled, online-softmax (flash-style) loop nest:
    for each query row, keys are scored `key_tile` at a time into a stack
    scratch buffer; the running maximum and sum rescale the output row,
    which doubles as the accumulator, once per tile. The arithmetic carries
    `reassoc` and `contract` fast-math flags so that LLVM vectorises the
    dot products and fuses multiply-adds.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::memref::MemRefDialect"];
}

#endif // FAC_TRANSFORMS_PASSES
