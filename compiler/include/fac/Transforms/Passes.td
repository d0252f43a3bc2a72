//===- Passes.td - FAC pass definitions ---------------------*- tablegen -*-===//
//
// Every FAC pass, one per file under compiler/lib/Transforms. The named
// pipelines that chain them are in Pipelines.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TRANSFORMS_PASSES
#define FAC_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def FacSpecialize : Pass<"fac-specialize", "mlir::ModuleOp"> {
  let summary = "Bind parameters and make static what compile-time values "
                "decide";
  let description = [{
    Binds each concept parameter named by `defines` (`name=value`: an Int,
    a Float, `true`/`false`, or a comma-separated list of them) to a
    constant and removes it from the concept, so kernels no longer take it.
    A function-typed parameter with a library default (a compression
    scheme, a decompression scheme, an attention mask) is bound to it, as
    fac-interp does: a lambda performing `Compress`, `Decompress` or
    `Attend`. A `FractalCode` parameter is given by its level.
    Before any inlining, `handle MemoryConstraint(limit) with | Satisfy =>
    a | Violate => b` becomes `fac.memory_fits` of `limit` and the tensors
    the function has made or read before it (the interpreter's rule): when
    `b` calls the enclosing function again on its own parameters (which
    never ends), a `fac.require {memory}` of it and `a` (the kernel returns
    FACRT_ERR_LIMIT); otherwise a `fac.if` choosing `a` or `b`.
    Then, with patterns applied to a fixed point:
    - `AttentionComputation(q, k, v, mask)` is `mask(q, k, v)`;
    - an effect clause written in the spec (`handle e with | E(x) => v`)
      is inlined at every `fac.perform "E"` it handles (lexically inside
      `e`, not inside a lambda, not under an inner handler of `E`);
    - `fac.call` of an operator becomes the operator's body;
    - `fac.apply` of a lambda known at compile time becomes its body; a
      recursive lambda (one using `fac.self`) only when an argument is a
      compile-time value, so that recursion on `-D` values is unrolled
      (at most `max-unroll` calls deep, then an error);
    - `fac.if` on a constant, a `fac.handle` whose arm the IR decides (a
      value built by `fac.construct`, a `Return(x)` clause, or a single
      irrefutable data arm, which becomes a `fac.destructure`), fields and
      `exists` of built values;
    - `len`, `xs[i]`, `xs[a:b]`, `map`, `List.map`, `List.fold`,
      comprehensions over list literals, `range(n)` and `List.init(n, f)`
      of a constant `n`, and the canonicalizations of every loaded dialect;
    - what a rule table's leaf patterns decide: the children of a pattern
      tree of a rule found in a `List<CompressionRule>` parameter
      (`Node(_, cs) = unwrap(find(p, rules)).pattern.value`, or
      `.children`) are `[]`; then a `fac.if` whose two branches compute
      the same value from the same operands is that value, and a `find`
      nothing reads goes.

    Before (with `defines = level=1`):
    ```mlir
    fac.concept @C(%level: i64, %x: f32) {
      %f = fac.lambda(%n: i64, %y: f32) -> f32 attributes {name = "f"} {
        %c0 = arith.constant 0 : i64
        %done = arith.cmpi eq, %n, %c0 : i64
        %r = fac.if %done -> f32 {
          fac.yield %y : f32
        } else {
          %c1 = arith.constant 1 : i64
          %m = arith.subi %n, %c1 : i64
          %self = fac.self "f" : (i64, f32) -> f32
          %twice = arith.addf %y, %y : f32
          %v = fac.apply %self(%m, %twice) : (i64, f32) -> f32
          fac.yield %v : f32
        }
        fac.return %r : f32
      }
      %g = fac.lambda(%z: f32) -> f32 {
        %v = fac.apply %f(%level, %z) : (i64, f32) -> f32
        fac.return %v : f32
      }
      fac.export "forward" = %g : (f32) -> f32
    }
    ```
    After:
    ```mlir
    fac.concept @C(%x: f32) {
      %g = fac.lambda(%z: f32) -> f32 {
        %twice = arith.addf %z, %z : f32
        fac.return %twice : f32
      }
      fac.export "forward" = %g : (f32) -> f32
    }
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
  let options = [
    ListOption<"defines", "defines", "std::string",
               "Concept parameters bound at compile time, as name=value">,
    Option<"maxUnroll", "max-unroll", "int64_t", /*default=*/"64",
           "Calls of a recursive lambda unrolled at most">
  ];
}

def FacOutlineKernels : Pass<"fac-outline-kernels", "mlir::ModuleOp"> {
  let summary = "Turn every exported lambda of a concept into a kernel function";
  let description = [{
    For each `fac.export` in a `fac.concept`, and each let-bound lambda of
    the concept named in `entries`, creates a `func.func` named
    `<Concept>_<slot or name>` whose arguments are the concept's parameters
    followed by the lambda's. The lambda's body is cloned in, with every
    value it captures from the concept cloned in front of it. The concepts
    are then erased. (fac-specialize, which runs before, inlines the
    applications of known lambdas.)

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
  let options = [
    ListOption<"entries", "entries", "std::string",
               "Let-bound functions of a concept compiled as kernels besides "
               "its exports">
  ];
}

def FacLowerTrees : Pass<"fac-lower-trees", "mlir::ModuleOp"> {
  let summary = "Turn tree recursion and the prelude's tree effects into "
                "tree ops";
  let description = [{
    In kernels (after fac-outline-kernels):
    - a parameter of type TensorTree is a token matrix: the kernel builds
      its pyramid (`fac.tree_build`); a TensorTree result is returned as
      the tokens it stands for (`fac.tree_expand` of its leaves);
    - the application of a recursive function over a tree whose body is a
      top-down cut, `let Node(t, cs) = tree; if c(t) then Node(t, []) else
      Node(t, map(f, cs))` (either branch order; the map as `map(f, cs)`,
      `map(c => f(c), cs)` or `[f(c) | c in cs]`; any names), becomes
      `fac.tree_cut` with the computation of `c` from the node's tensor as
      its predicate; when the kept node goes through the seed's rule step,
      `let n = Node(t, map(f, cs)); if find(r => matches(n, r.pattern),
      rules) exists then Node(unwrap(..).substitute, []) else n` with
      `rules` from outside the function, the cut takes `rules`:
      `fac.tree_cut %tree rules(%rules : !fac.list<...>) {...}`;
    - `Compress(tensor, 0.5)` becomes `fac.tree_build`, `Decompress(tree)`
      the expansion of its leaves, `Attend` on trees `fac.tree_attend`;
    - the leaves and the expansion of `Node(x, [])` are `x` and the
      expansion along the tree `x`'s rows were computed over;
    - the prelude's `treeJoin` (`⊚`, `⊙`) becomes `fac.tree_join`,
      `treeLimit` (`⊡`) `fac.tree_limit`, and `treeMask` (`⊛`) of a mask
      `(q, k, v) => Attend(a, b, c)` over its own parameters is the tree
      itself (attention of a one-row tensor over itself is that tensor).
    A recursion over trees of any other form, and any other mask, is an
    error naming the function or located at the `⊛`.

    Before:
    ```mlir
    %f = fac.lambda(%t: !fac.data<"TensorTree">) -> !fac.data<"TensorTree">
        attributes {name = "compress"} {
      %x:2 = fac.destructure %t "Node(%0, %1)" : ...
      %m = fac.intrinsic "magnitude"(%x#0) : (!fac.tensor) -> f32
      %small = arith.cmpf olt, %m, %threshold : f32
      %r = fac.if %small -> !fac.data<"TensorTree"> {
        ... fac.construct "Node"(%x#0, %empty) ...
      } else {
        %self = fac.self "compress" : ...
        %cs = fac.intrinsic "map"(%self, %x#1) : ...
        ... fac.construct "Node"(%x#0, %cs) ...
      }
      fac.return %r : !fac.data<"TensorTree">
    }
    %c = fac.apply %f(%tree) : ...
    ```
    After:
    ```mlir
    %c = fac.tree_cut %tree {
    ^bb0(%node: !fac.tensor):
      %m = fac.intrinsic "magnitude"(%node) : (!fac.tensor) -> f32
      %small = arith.cmpf olt, %m, %threshold : f32
      fac.yield %small : i1
    }
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def FacMakeWeights : Pass<"fac-make-weights", "mlir::ModuleOp"> {
  let summary = "Draw and fractal-code weights at compile time";
  let description = [{
    In each concept (after fac-specialize, before fac-outline-kernels):
    - random draws (`RandomNormal`, `initRandom`, `sampleCode`) with
      compile-time arguments become `fac.literal` values, drawn with
      fac-interp's generator in the interpreter's order: the concept body's
      top level first, on a generator of its own seeded as every run is,
      then each function the concept defines, as on its first call (from
      the state the body left). A kernel holds what the interpreter draws;
    - `Compress(weight, code)` of an `AttentionWeight` known at compile time
      (drawn, written out, or a `Reconstruct` of a code made then) becomes
      its `CompressedWeight`, coded by libfacrt exactly as the interpreter's
      library handler codes it.
    Draws and weights that depend on a kernel's arguments are left for
    fac-lower-weights to refuse.

    Before:
    ```mlir
    %v = fac.intrinsic "initRandom"(%shape) : (!fac.list<i64>) -> !fac.list<f32>
    %w = fac.construct "Tensor"(%shape, %v) : ...
    %aw = fac.construct "AttentionWeight"(%w, %w2, %w3) : ...
    %cw = fac.perform "Compress"(%aw, %code) : ...
    ```
    After:
    ```mlir
    %ints = fac.literal dense<[104, 8, 8, 4, 5, 7, 16, ...]> : tensor<315xi64> -> !fac.list<i64>
    %code = fac.construct "FractalCode"(%level, %ints) : ...
    %cw = fac.construct "CompressedWeight"(%code, %bits) : ...
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def FacLowerWeights : Pass<"fac-lower-weights", "mlir::ModuleOp"> {
  let summary = "Lower the weight effects to decoding, products and "
                "attention";
  let description = [{
    In kernels (after fac-make-weights and fac-outline-kernels), on
    compressed weights made at compile time: `Reconstruct` becomes three
    `fac.fractal_decode` ops (or `fac.literal` tensors for matrices the
    codec cannot block), `AttentionForward(x, w)` and `applyCompressed`
    (`⤙`, `⊙`) become `Attend(x·wq, x·wk, x·wv)` with the products as
    `matmul`, `FractalForward(x, ws)` the chain of them, and
    `FractalForward(x, level, ws)` at a compile-time level the tree of
    2^level - 1 attentions and products its recursion computes (libfacrt's
    facrt_v4_forward, node for node); `fractalDecode(code, shape)` the
    code's first matrix. A draw, a `Compress` of a weight or a weight
    effect that depends on a kernel's arguments is an error located at it.

    Before:
    ```mlir
    %y = fac.perform "AttentionForward"(%x, %cw) : ...
    ```
    After:
    ```mlir
    %wq = fac.fractal_decode {rows = 8, cols = 8, range = 4, ...}
    %q = fac.intrinsic "matmul"(%x, %wq) : (!fac.tensor, !fac.tensor) -> !fac.tensor
    ...
    %y = fac.attend %q, %k, %v {rsqrt_d} : !fac.tensor
    ```
  }];
  let options = [
    Option<"maxAttentions", "max-attentions", "int64_t", /*default=*/"63",
           "Attentions an unrolled FractalForward may have">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def FacBindPrelude : Pass<"fac-bind-prelude", "mlir::ModuleOp"> {
  let summary = "Bind performed prelude effects to their intrinsic ops";
  let description = [{
    Replaces each `fac.perform` of an effect of the standard prelude by the
    op that implements it: `Attend(q, k, v)` becomes
    `fac.attend %q, %k, %v {rsqrt_d}`. Which library effect a perform is
    comes from `LibraryEffects.def` (its name and type). A perform of an
    effect the library does not have is an error: it has no handler on
    any target; so is a library effect at a type the library does not
    have (the message lists the types it has), or one that another pass
    lowers and did not (the message names the pass).

    `Attend(q, k, v, score, mask)` becomes `fac.attend` with the bodies of
    the two lambdas as its `score` and `mask` regions (a hook that is not a
    lambda the IR shows is an error at the call); when a hook reads the
    head index, the kernel gets an i64 parameter `head` (marked
    `fac.head`) before its tensors, which becomes the op's `head`. The
    prelude's functions of numbers on scalars (`float`, and the rows of
    `ScalarIntrinsics.def`: `sqrt exp log tanh abs min max`) become arith
    and math ops.

    Before:
    ```mlir
    %mask = fac.lambda(%i: i64, %j: i64, %h: i64) -> i1 {
      %in = arith.cmpi sle, %j, %i : i64
      fac.return %in : i1
    }
    %r = fac.perform "Attend"(%q, %k, %v, %score, %mask) : ...
    ```
    After:
    ```mlir
    %r = fac.attend %q, %k, %v score {...} mask {
    ^bb0(%i: i64, %j: i64, %h: i64):
      %in = arith.cmpi sle, %j, %i : i64
      fac.yield %in : i1
    } {rsqrt_d} : !fac.tensor
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect"];
}

def FacBufferize : Pass<"fac-bufferize", "mlir::ModuleOp"> {
  let summary = "Give kernels a buffer ABI in destination-passing style";
  let description = [{
    Rewrites every `fac.kernel` function on `!fac.tensor` values into one on
    2-d strided memrefs, `memref<?x?xf32, strided<[?, 1], offset: ?>>`:
    tensor arguments become memref arguments, the result becomes a trailing
    `out` argument the caller allocates, and tensor ops become their buffer
    forms (`fac.attend` -> `fac.attention`, products to loops,
    `fac.fractal_decode` to decoding loops over constant tables, literals
    to constant globals, a `fac.if` on a run-time value to `scf.if`
    yielding a buffer, the tensor algebra to loop nests, a row slice to a
    `memref.subview`). Intermediate tensors get a `memref.alloc` freed at
    the end of the kernel (a branch's are not freed: fac-plan-memory makes
    them views of the workspace). The function is marked
    `llvm.emit_c_interface` so that its C entry point takes descriptors.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::scf::SCFDialect"];
  let options = [
    Option<"keyTile", "key-tile", "int64_t", /*default=*/"0",
           "Keys scored per step of the online softmax (1-4096; 0: sized "
           "by the lowering to the target's L1 cache)">
  ];
}

def ConvertFACToVector : Pass<"convert-fac-to-vector", "mlir::ModuleOp"> {
  let summary = "Lower fac.attention to the fused flash-style vector kernel";
  let description = [{
    `fac.attention` becomes one `scf.parallel` over (head, query block)
    whose body is the fused kernel: query rows sit in vector lanes, so a
    block of W = lanes x query-vectors rows is scored against blocks of
    keys by a register-blocked micro-kernel (`vector.fma` of a broadcast
    key element and a row of the transposed, pre-scaled query block), the
    online softmax is lane-wise vector arithmetic with `math.exp`, and the
    P.V update accumulates a few output columns in registers. Scratch is
    O(W x (d + dv + key block)) per query block, never O(n x m). Whole key
    blocks past a causal horizon are skipped; only blocks crossing it are
    masked.

    The tiles come from the target (`lanes`, `registers`, `l1-bytes`,
    `l2-bytes`: what facc asks of the TargetInfo; the defaults are facc's
    default target, AVX2); see docs/Rationale.md, "The attention kernel".
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::vector::VectorDialect"];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"8",
           "f32 lanes per vector register (1-64)">,
    Option<"registers", "registers", "int64_t", /*default=*/"16",
           "Vector registers (8-64)">,
    Option<"l1Bytes", "l1-bytes", "int64_t", /*default=*/"32768",
           "L1 data cache per core, in bytes">,
    Option<"l2Bytes", "l2-bytes", "int64_t", /*default=*/"1048576",
           "L2 cache per core, in bytes">
  ];
}

def FacLayerEntry : Pass<"fac-layer-entry", "mlir::ModuleOp"> {
  let summary = "Add a whole-layer entry point to every attention kernel";
  let description = [{
    For each kernel (after fac-bufferize) that is one `fac.attention` of
    its own arguments, adds `<kernel>_layer`: the same attention over
    whole layers, all heads in one call. Its arguments are the kernel's
    scalars, then `causal_offset` (index: query row i sees the keys
    j <= i + causal_offset; negative, or m or more, means no mask), then
    `threads` (i32:
    the team size of its parallel region, at least 1), then the kernel's
    buffers as 3-d strided views, heads first (query H x n x d, key and
    value Hkv x m x d with Hkv dividing H: grouped-query attention; out
    H x n x dv). The model's `[tokens][heads * d]` matrices are such views
    with strides `[d, heads * d, 1]`.
  }];
}

def FacKernelStatus : Pass<"fac-kernel-status", "mlir::ModuleOp"> {
  let summary = "Make every kernel check its arguments and return a status";
  let description = [{
    Every kernel on buffers (after fac-bufferize and fac-layer-entry)
    returns an i32, libfacrt's `facrt_status`: `FACRT_OK` (0), or
    `FACRT_ERR_ARG` (4) when the buffers it was given do not fit together;
    then it writes nothing. Checked for each `fac.attention` on the
    kernel's own arguments: query and key widths, key and value rows,
    `out`'s rows and columns, heads (`out` and query; key and value; key
    heads dividing query heads), the bias's length, and every gathered key
    row in range.

    Before:
    ```mlir
    func.func @K(%q: memref<?x?xf32>, %k: memref<?x?xf32>,
                 %v: memref<?x?xf32>, %out: memref<?x?xf32>)
        attributes {fac.kernel} {
      fac.attention ins(%q, %k, %v : ...) outs(%out : ...)
      return
    }
    ```
    After:
    ```mlir
    func.func @K(...) -> i32 attributes {fac.kernel} {
      %ok = ... (memref.dim and arith.cmpi of the shapes)
      scf.if %ok {
        fac.attention ins(%q, %k, %v : ...) outs(%out : ...)
      }
      %status = arith.select %ok, %c0_i32, %c4_i32 : i32
      return %status : i32
    }
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def FacPlanMemory : Pass<"fac-plan-memory", "mlir::ModuleOp"> {
  let summary = "Place every buffer of a kernel in a workspace its caller "
                "passes";
  let description = [{
    Runs last on the loops (after convert-fac-to-vector). Every
    `memref.alloc` of a kernel gets a slice of one byte buffer, the
    workspace, a new last parameter (`memref<?xi8>`): its size, computed
    at the kernel's start from the arguments (a size the kernel computes
    later must be written `min(size, bound)` with a bound known there, as
    the tree lowering does), rounded up to 64 bytes, times the iterations
    of the `scf.parallel` loops around it (each worker of the attention
    core has its own). Slices of buffers live at the same time do not
    overlap; a buffer made after another's last use (of it or of a view
    of it; in the block the work runs in) may take its bytes: buffers are
    placed greedily, those live beside the most others first, each above
    the placed ones it overlaps. The deallocations go. A function
    `<kernel>_workspace_size` with the kernel's other parameters returns
    the bytes the kernel needs (the top of the highest slice, plus 64 to
    align the start). A kernel given less returns `FACRT_ERR_LIMIT` (6) and writes
    nothing; so does one whose plan needs more than `limit` bytes. After
    fac-kernel-status the room is checked inside its `scf.if`, so bad
    arguments stay `FACRT_ERR_ARG`. Sizes are also summed in f64: a sum
    over 2^62 is refused (the size function returns -1).

    `bounds` (`name=RxC` for a matrix, `name=HxRxC`, `name=N` for an
    integer parameter) are the largest shapes the kernel will see: with
    all of a kernel's given, its plan is evaluated at compile time, and a
    plan over `limit` is an error at the kernel's spec location. `print`
    writes each kernel's plan to stdout: every buffer, its element type,
    its shape and bytes as formulas of the parameters (`rows(x)`,
    `cols(x)`), and the total, evaluated at the bounds when given.

    Before:
    ```mlir
    func.func @K(%x: memref<?x?xf32>, %out: memref<?x?xf32>) -> i32 {
      %t = memref.alloc(%n, %d) {fac.buffer = "pyramid means"} : memref<?x?xf32>
      ...
      memref.dealloc %t : memref<?x?xf32>
      return %status : i32
    }
    ```
    After:
    ```mlir
    func.func @K(%x: memref<?x?xf32>, %out: memref<?x?xf32>,
                 %workspace: memref<?xi8>) -> i32 {
      %need = ... (sizes from memref.dim of the arguments)
      %fits = arith.cmpi sge, %bytes, %need : index
      %r = scf.if %fits -> (i32) {
        %t = memref.view %workspace[%shift][%n, %d] : memref<?xi8> to memref<?x?xf32>
        ...
        scf.yield %status : i32
      } else {
        scf.yield %c6_i32 : i32
      }
      return %r : i32
    }
    func.func @K_workspace_size(%x: memref<?x?xf32>, %out: memref<?x?xf32>) -> i64
    ```
  }];
  let options = [
    Option<"limit", "limit", "int64_t", /*default=*/"0",
           "Bytes a kernel's workspace may hold at most (0: no limit)">,
    Option<"print", "print", "bool", /*default=*/"false",
           "Print each kernel's memory plan to stdout">,
    ListOption<"bounds", "bounds", "std::string",
               "Largest shapes of the kernels' parameters (name=RxC, "
               "name=N)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def FacSetNumThreads : Pass<"fac-set-num-threads", "mlir::ModuleOp"> {
  let summary = "Size every OpenMP team by the kernel's thread argument";
  let description = [{
    After convert-scf-to-openmp: in a function with an argument marked
    `fac.threads` (convert-fac-to-vector marks the thread count of a
    `fac.attention`), every `omp.parallel` without a `num_threads` clause
    gets `num_threads(max(threads, 1))`.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::omp::OpenMPDialect"];
}

def FacApproximateMath : Pass<"fac-approximate-math", "mlir::ModuleOp"> {
  let summary = "Expand math.exp into MLIR's polynomial approximation";
  let description = [{
    Applies MLIR's polynomial approximation patterns
    (`populateMathPolynomialApproximationPatterns`), so that `math.exp` on
    vectors becomes vector arithmetic (a range reduction, a degree-6
    polynomial and an exponent built from bits) instead of one libm call
    per lane, with the same result on every target.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

#endif // FAC_TRANSFORMS_PASSES
