//===- FACOps.td - Operations of the fac dialect ------------*- tablegen -*-===//

#ifndef FAC_OPS
#define FAC_OPS

include "fac/Dialect/FAC/FACDialect.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/BuiltinTypes.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"

// Any value of the language: scalars, tensors, lists, data, tuples, Unit
// (`none`) and functions.
defvar FAC_Value = AnyType;
def FAC_Buffer2D : MemRefRankOf<[F32], [2]>;
def FAC_AttentionBuffer : MemRefRankOf<[F32], [2, 3]>;

//===----------------------------------------------------------------------===//
// Ops that mirror the language
//===----------------------------------------------------------------------===//

def FAC_ConceptOp : FAC_Op<"concept", [Symbol, SingleBlock, NoTerminator,
                                       IsolatedFromAbove]> {
  let summary = "a concept definition `Name := (params) :: { ... }`";
  let description = [{
    The body's block arguments are the concept's parameters, in order. The
    body binds values and exports them into the model with `fac.export`.

    ```mlir
    fac.concept @DenseAttention(%scale: f32) {
      %f = fac.lambda(%q: !fac.tensor) -> !fac.tensor { ... }
      fac.export "attention" = %f : (!fac.tensor) -> !fac.tensor
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
}

def FAC_LambdaOp : FAC_Op<"lambda", [SingleBlock,
    AutomaticAllocationScope]> {
  let summary = "a lambda `(params) => body`, a value of function type";
  let description = [{
    The region's block arguments are the parameters; `fac.return` yields
    the body's value. The lambda may use values from enclosing regions:
    those are its captures.
  }];
  let results = (outs FunctionType:$result);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::FunctionType getFunctionType() {
      return ::llvm::cast<::mlir::FunctionType>(getResult().getType());
    }
  }];
}

def FAC_ReturnOp : FAC_Op<"return", [Pure, Terminator,
    ParentOneOf<["LambdaOp", "OperatorOp"]>, ReturnLike]> {
  let summary = "the value of a lambda's or an operator's body";
  let arguments = (ins FAC_Value:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

def FAC_PerformOp : FAC_Op<"perform"> {
  let summary = "performs an effect, `Name(args)`";
  let description = [{
    Performs the effect named `effect`. An effect of the prelude is bound to
    its intrinsic by `fac-bind-prelude`; any other must be handled in the
    spec (Sema rejects it otherwise).
  }];
  let arguments = (ins StrAttr:$effect, Variadic<FAC_Value>:$args);
  let results = (outs FAC_Value:$result);
  let assemblyFormat = [{
    $effect `(` $args `)` attr-dict `:` functional-type($args, $result)
  }];
}

def FAC_ApplyOp : FAC_Op<"apply", [
    TypesMatchWith<"result type is the callee's result", "callee", "result",
        "::llvm::cast<::mlir::FunctionType>($_self).getResult(0)">,
    RangedTypesMatchWith<"argument types are the callee's inputs", "callee",
        "args", "::llvm::cast<::mlir::FunctionType>($_self).getInputs()">]> {
  let summary = "calls a function value";
  let arguments = (ins FunctionType:$callee, Variadic<FAC_Value>:$args);
  let results = (outs FAC_Value:$result);
  let assemblyFormat = [{
    $callee `(` $args `)` attr-dict `:` type($callee)
  }];
}

def FAC_ExportOp : FAC_Op<"export", [HasParent<"ConceptOp">]> {
  let summary = "`model.<slot> := value`: exports a kernel into the model";
  let description = [{
    Plugs a function value into a slot of the model: `attention`
    (`model.attention := f`), or `forward` for a concept whose value is a
    function. Every export becomes one kernel entry point.
  }];
  let arguments = (ins StrAttr:$slot, FunctionType:$value);
  let assemblyFormat = "$slot `=` $value attr-dict `:` type($value)";
  let hasVerifier = 1;
}

def FAC_MulOp : FAC_Op<"mul", [Pure]> {
  let summary = "multiplication of scalars, or of a tensor by a scalar";
  let arguments = (ins FAC_Value:$lhs, FAC_Value:$rhs);
  let results = (outs FAC_Value:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
  // Of two scalars: arith.mulf or arith.muli.
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Algorithm ops
//===----------------------------------------------------------------------===//

def FAC_AttendOp : FAC_Op<"attend", [Pure, AttrSizedOperandSegments]> {
  let summary = "scaled dot-product attention on tensors";
  let description = [{
    `softmax(s * query . key^T) . value`, row by row, where `s` is the
    `scale` operand when present (else 1), multiplied by `1/sqrt(d)` when
    `rsqrt_d` is set (d: the query width). The prelude's `Attend` is
    `fac.attend` with `rsqrt_d` and no `scale`.

    The hooks (the prelude's `Attend(q, k, v, score, mask)`): query row i
    of n is at position `p_i = m - n + i` among the m keys (the queries are
    the last positions: a whole prompt, or one query against a cache). A
    `mask` region, `(p_i, j, head) -> i1` on i64s, drops key j for row i
    where it yields false; a `score` region, `(s_ij, p_i, j, head) -> f32`,
    replaces each kept score. `head` is the operand (0 when absent). A row
    with no key kept is 0.
  }];
  let arguments = (ins FAC_TensorType:$query, FAC_TensorType:$key,
                       FAC_TensorType:$value, Optional<F32>:$scale,
                       Optional<I64>:$head, UnitAttr:$rsqrt_d);
  let results = (outs FAC_TensorType:$result);
  let regions = (region MaxSizedRegion<1>:$score, MaxSizedRegion<1>:$mask);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`scale` $scale^)? (`head` $head^)?
    (`score` $score^)? (`mask` $mask^)? attr-dict `:` type($result)
  }];
  let hasCanonicalizer = 1;
  let hasVerifier = 1;
}

def FAC_LiteralOp : FAC_Op<"literal", [Pure]> {
  let summary = "a list or tensor known at compile time";
  let description = [{
    Values the compiler computed: a `!fac.list<f32>` or `!fac.list<i64>`
    from a 1-d f32 or i64 `value`, or a `!fac.tensor` from a 2-d f32
    `value` (its shape is the tensor's). `fac-make-weights` makes them
    from random draws and fractal codes; `fac-bufferize` puts a tensor in a
    constant global.

    ```mlir
    %w = fac.literal dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32> -> !fac.tensor
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs FAC_Value:$result);
  let assemblyFormat = "$value attr-dict `->` type($result)";
  let hasVerifier = 1;
}

def FAC_FractalDecodeOp : FAC_Op<"fractal_decode", [Pure]> {
  let summary = "the matrix a fractal (PIFS) code decodes to";
  let description = [{
    A `rows` x `cols` matrix coded as a partitioned iterated function
    system with `range` x `range` range blocks, in row-major block order.
    Block k maps the 2·range square of the image whose top-left corner is
    (`domains[2k]`, `domains[2k+1]`), averaged down 2x2 and turned by
    isometry `isometries[k]` (bit 2: transpose, bit 0: flip rows, bit 1:
    flip columns), to `scales[k]` · D + `offsets[k]`. Decoding applies the
    map `iterations` times to the zero matrix (libfacrt's
    `facrt_fractal_decode`, loop for loop).
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntPositive]>:$rows,
                       ConfinedAttr<I64Attr, [IntPositive]>:$cols,
                       ConfinedAttr<I64Attr, [IntPositive]>:$range,
                       ConfinedAttr<I64Attr, [IntPositive]>:$iterations,
                       DenseI64ArrayAttr:$domains,
                       DenseI32ArrayAttr:$isometries,
                       DenseF32ArrayAttr:$scales,
                       DenseF32ArrayAttr:$offsets);
  let results = (outs FAC_TensorType:$result);
  let assemblyFormat = "attr-dict";
  let hasVerifier = 1;
}

/// A key tile from 1 to fac::kMaxKeyTile keys.
def FAC_RequireOp : FAC_Op<"require"> {
  let summary = "a condition the kernel's arguments must meet";
  let description = [{
    Placed by fac-bufferize where an op needs its buffers' shapes to fit
    (a tree's width against another's, `out` against the result); the
    condition is computed from the kernel's arguments. fac-kernel-status
    checks every requirement before the kernel does any work, and returns
    `FACRT_ERR_ARG` when one does not hold (`FACRT_ERR_LIMIT` for a
    `memory` requirement, after the arguments' checks); it then erases the
    op.
  }];
  let arguments = (ins I1:$condition, StrAttr:$what, UnitAttr:$memory);
  let assemblyFormat = "$condition `,` $what attr-dict";
}

def FAC_MemoryFitsOp : FAC_Op<"memory_fits", [Pure]> {
  let summary = "whether every tensor of a run fits a byte limit";
  let description = [{
    The prelude's `MemoryConstraint(limit)` as the interpreter decides it:
    true (`Satisfy`) when each of `tensors`, the tensors the run has made
    or read so far, holds at most `limit` bytes (4 a value). A negative
    limit holds none.
  }];
  let arguments = (ins I64:$limit, Variadic<FAC_Value>:$tensors);
  let results = (outs I1:$result);
  let assemblyFormat = [{
    $limit (`,` $tensors^ `:` type($tensors))? attr-dict
  }];
}

//===----------------------------------------------------------------------===//
// Trees over token sequences (pyramids)
//===----------------------------------------------------------------------===//

// A TensorTree value (docs/Rationale.md, "Trees in kernels").
def FAC_Tree : Type<CPred<"::fac::isTensorTree($_self)">, "a TensorTree",
                    "::fac::DataType">,
               BuildableType<"::fac::DataType::get($_builder.getContext(), "
                             "\"TensorTree\", {})">;

def FAC_TreeBuildOp : FAC_Op<"tree_build", [Pure]> {
  let summary = "the pyramid over a sequence of token rows";
  let description = [{
    The tree the prelude's `Compress(tensor, ratio)` makes, and the tree a
    kernel's TensorTree parameter stands for: leaves are the rows of
    `tokens`; node j of level k > 0 stands for tokens
    [j 2^k, min((j + 1) 2^k, n)) and holds their mean; the root is the one
    node of the top level. Each node's tensor is one row that counts for
    the tokens it stands for.
  }];
  let arguments = (ins FAC_TensorType:$tokens);
  let results = (outs FAC_Tree:$tree);
  let assemblyFormat = "$tokens attr-dict";
}

def FAC_TreeCutOp : FAC_Op<"tree_cut", [SingleBlock]> {
  let summary = "a tree cut top-down by a predicate on each node's tensor";
  let description = [{
    The structural recursion `f(Node(t, cs)) = if p(t) then Node(t, [])
    else Node(t, map(f, cs))`: from the root down, a node whose tensor
    satisfies the predicate (the region: one `!fac.tensor` argument, the
    node's one-row tensor; it yields an i1) becomes a leaf; any other node
    keeps its tensor and its children are cut in turn. Leaves of the input
    stay leaves. The result stands for the same tokens.

    With `rules` (a `List<CompressionRule>`), the seed's rule step follows
    each kept node, children first: a kept node whose cut subtree the
    pattern of a rule matches (the prelude's `matches`: any of the
    pattern's three trees, each tensor within a relative 1e-5) becomes a
    leaf of that rule's substitute, the first such rule in the list:
    `if find(r => matches(n, r.pattern), rules) exists then
    Node(substitute, []) else n` with `n = Node(t, map(f, cs))`.
  }];
  let arguments = (ins FAC_Tree:$tree, Optional<FAC_Value>:$rules);
  let results = (outs FAC_Tree:$result);
  let regions = (region SizedRegion<1>:$predicate);
  let assemblyFormat = [{
    $tree (`rules` `(` $rules^ `:` type($rules) `)`)? $predicate attr-dict
  }];
  let hasVerifier = 1;
}

def FAC_TreeAttendOp : FAC_Op<"tree_attend", [Pure]> {
  let summary = "attention over the leaves of trees, with multiplicities";
  let description = [{
    The prelude's `Attend` on trees: one output row per leaf of `query`
    (that leaf's tensor attending), over the tokens `key` and `value`
    stand for, each leaf's row counting for every token it stands for
    (`key` and `value` may be cut differently: attention runs over their
    common refinement). Scores are `query . key / sqrt(d)`.
  }];
  let arguments = (ins FAC_Tree:$query, FAC_Tree:$key, FAC_Tree:$value);
  let results = (outs FAC_TensorType:$result);
  let assemblyFormat = "$query `,` $key `,` $value attr-dict";
}

def FAC_TreeExpandOp : FAC_Op<"tree_expand", [Pure]> {
  let summary = "one row per leaf of a tree, repeated for its tokens";
  let description = [{
    `rows` has one row per leaf of `tree`, in order; the result has one
    row per token the tree stands for: each leaf's row repeated for each
    of its tokens. `Decompress(tree)` is the expansion of the leaves' own
    tensors; a tree whose single node holds `Attend`'s rows over the
    leaves of a query tree expands along that query tree.
  }];
  let arguments = (ins FAC_TensorType:$rows, FAC_Tree:$tree);
  let results = (outs FAC_TensorType:$result);
  let assemblyFormat = "$rows `,` $tree attr-dict";
}

def FAC_TreeLeavesOp : FAC_Op<"tree_leaves", [Pure]> {
  let summary = "the tensors of a tree's leaves, one row each, in order";
  let arguments = (ins FAC_Tree:$tree);
  let results = (outs FAC_TensorType:$result);
  let assemblyFormat = "$tree attr-dict";
}

def FAC_TreeJoinOp : FAC_Op<"tree_join", [Pure]> {
  let summary = "a new root over two trees";
  let description = [{
    The prelude's `treeJoin` (the operators `⊚` and `⊙` on trees): a node
    whose children are `left` and `right` and whose tensor is the mean of
    their roots' tensors, each weighted by the tokens it stands for. The
    result stands for the tokens of `left`, then those of `right`; both
    trees must have the same width.
  }];
  let arguments = (ins FAC_Tree:$left, FAC_Tree:$right);
  let results = (outs FAC_Tree:$result);
  let assemblyFormat = "$left `,` $right attr-dict";
}

def FAC_TreeLimitOp : FAC_Op<"tree_limit", [Pure]> {
  let summary = "the finest breadth-first cut of a tree that fits in bytes";
  let description = [{
    The prelude's `treeLimit` (the operator `⊡`): the tree cut at the
    deepest depth D such that its nodes at depth D (and its leaves above
    it) hold at most `bytes` bytes of tensors (4 bytes a value; one row per
    node); leaves stay leaves. A budget below the root's own bytes cannot
    be met: a kernel returns FACRT_ERR_ARG. The result stands for the same
    tokens.
  }];
  let arguments = (ins FAC_Tree:$tree, I64:$bytes);
  let results = (outs FAC_Tree:$result);
  let assemblyFormat = "$tree `,` $bytes attr-dict";
}

def FAC_KeyTileAttr : ConfinedAttr<I64Attr, [IntPositive,
    AttrConstraint<CPred<"::llvm::cast<::mlir::IntegerAttr>($_self).getInt()"
                         " <= ::fac::kMaxKeyTile">,
                   "whose value is at most 4096 (fac::kMaxKeyTile)">]>;

def FAC_AttentionOp : FAC_Op<"attention", [AttrSizedOperandSegments,
    DestinationStyleOpInterface]> {
  let summary = "fused (flash-style) attention on buffers";
  let description = [{
    The buffer form of `fac.attend`, in destination-passing style: reads
    `query`, `key` and `value`, writes `out`. Either every buffer is 2-d,
    one head (`query` n x d, `key` m x d, `value` m x dv, `out` n x dv),
    or every buffer is 3-d, a whole layer with the head first (`query`
    H x n x d, `key` Hkv x m x d, `value` Hkv x m x dv, `out` H x n x dv;
    query head h reads key/value head h / (H / Hkv): grouped-query
    attention, which needs Hkv to divide H; when it does not, head h reads
    min(h / floor(H / Hkv), Hkv - 1), never outside the buffers, and with
    Hkv = 0 there are no keys). Any strides: the model's
    `[tokens][heads * d]` layout is the 3-d view with strides
    `[d, heads * d, 1]`.

    Row i of `out` is `sum_j softmax_j(s_ij) value_j` with
    `s_ij = scale * query_i . key_j (+ bias_j)`; `scale` is the operand
    when present (else 1), times `1/sqrt(d)` with `rsqrt_d`.
    The optional hooks:
    - `causal_offset`: causal masking, query row i sees the keys
      j <= i + causal_offset (decoding past a prefix of that many
      positions). A negative offset, or one of m or more, masks nothing.
    - `bias`: m additive score terms, one per key (the `log c` of a key
      that stands for c tokens), shared by every head.
    - `key_indices`: m row numbers; key j is row `key_indices[j]` of
      `key` and of `value` (a gathered key set). The causal mask applies
      to positions j in this list.
    - `threads`: the number of threads the kernel runs on (an OpenMP
      team; less than 1 counts as 1). The result does not depend on it.
    - `score` and `mask` regions, as `fac.attend`'s: query row i is at
      position `m - n + i`, key j at j (its place in `key_indices` when
      given); the head is `head` (one head) or the query head (a layer).
      They are applied after `bias` and the causal mask.
    `key_tile`, when set, is how many keys are scored between two
    rescalings of the running softmax; otherwise the lowering sizes the
    block to the target's caches. A row with no keys is 0.
  }];
  let arguments = (ins
      Arg<FAC_AttentionBuffer, "queries", [MemRead]>:$query,
      Arg<FAC_AttentionBuffer, "keys", [MemRead]>:$key,
      Arg<FAC_AttentionBuffer, "values", [MemRead]>:$value,
      Arg<FAC_AttentionBuffer, "the result", [MemWrite]>:$out,
      Optional<F32>:$scale,
      Optional<Index>:$causal_offset,
      Arg<Optional<MemRefRankOf<[F32], [1]>>, "score bias per key",
          [MemRead]>:$bias,
      Arg<Optional<MemRefRankOf<[I64], [1]>>, "rows of the keys",
          [MemRead]>:$key_indices,
      Optional<I32>:$threads,
      Optional<I64>:$head,
      UnitAttr:$rsqrt_d,
      OptionalAttr<FAC_KeyTileAttr>:$key_tile);
  let regions = (region MaxSizedRegion<1>:$score, MaxSizedRegion<1>:$mask);
  let assemblyFormat = [{
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,`
    type($value) `)` `outs` `(` $out `:` type($out) `)`
    (`scale` $scale^)? (`causal` $causal_offset^)?
    (`bias` $bias^ `:` type($bias))?
    (`indices` $key_indices^ `:` type($key_indices))?
    (`threads` $threads^)? (`head` $head^)? (`score` $score^)?
    (`mask` $mask^)? attr-dict
  }];
  let extraClassDeclaration = [{
    /// 3 for a whole layer, 2 for one head.
    int64_t getRank() {
      return ::llvm::cast<::mlir::MemRefType>(getQuery().getType()).getRank();
    }
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutMutable();
    }
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Ops for the rest of the language
//===----------------------------------------------------------------------===//

// A value with constructors and fields: declared data, or a Tensor, which
// is the prelude's record (shape: List<Int>, values: List<Float>).
def FAC_Structured : AnyTypeOf<[FAC_DataType, FAC_TensorType,
                                  FAC_Int8TensorType]>;

def FAC_YieldOp : FAC_Op<"yield", [Pure, Terminator, ReturnLike,
    ParentOneOf<["IfOp", "HandleOp", "ComprehensionOp", "TheoremOp",
                 "TreeCutOp", "AttendOp", "AttentionOp"]>]> {
  let summary = "the value of a region of if, handle, a comprehension, a "
                "theorem, a tree cut's predicate or an attention hook";
  let arguments = (ins Variadic<FAC_Value>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

def FAC_IfOp : FAC_Op<"if"> {
  let summary = "`if c then a else b`";
  let arguments = (ins I1:$condition);
  let results = (outs FAC_Value:$result);
  let regions = (region SizedRegion<1>:$thenRegion,
                        SizedRegion<1>:$elseRegion);
  let assemblyFormat = [{
    $condition `->` type($result) $thenRegion `else` $elseRegion attr-dict
  }];
  let hasVerifier = 1;
}

def FAC_HandleOp : FAC_Op<"handle"> {
  let summary = "`handle e with | pattern => value | ...`";
  let description = [{
    Runs `body` (the scrutinee `e`, which yields its value) and matches the
    value against the arms in order. Each arm has a kind: `value` (a data
    pattern), `return` (the value clause, `Return(x)`) or `effect` (an
    effect clause `E(args)`, which handles every `fac.perform "E"` inside
    `body`; its region yields what the perform returns). `patterns` gives
    each arm's pattern as written, with `%N` for the N-th argument of the
    arm's region: `Node(%0, _)`, `Sample(%0)`.
  }];
  let arguments = (ins StrArrayAttr:$kinds, StrArrayAttr:$patterns);
  let results = (outs FAC_Value:$result);
  let regions = (region SizedRegion<1>:$body,
                        VariadicRegion<SizedRegion<1>>:$arms);
  let assemblyFormat = [{
    `->` type($result) attr-dict-with-keyword $body `with` $arms
  }];
  let hasVerifier = 1;
}

def FAC_DestructureOp : FAC_Op<"destructure", [Pure]> {
  let summary = "`let Ctor(a, b) = value`: an irrefutable pattern";
  let arguments = (ins FAC_Value:$value, StrAttr:$pattern);
  let results = (outs Variadic<FAC_Value>:$bindings);
  let assemblyFormat = [{
    $value $pattern attr-dict `:` type($value) `->` `(` type($bindings) `)`
  }];
  let hasVerifier = 1;
}

def FAC_ConstructOp : FAC_Op<"construct", [Pure]> {
  let summary = "builds a record or a constructor's value: `Node(t, cs)`";
  let arguments = (ins StrAttr:$ctor, Variadic<FAC_Value>:$fields);
  let results = (outs FAC_Structured:$result);
  let assemblyFormat = [{
    $ctor `(` $fields `)` attr-dict `:` functional-type($fields, $result)
  }];
}

def FAC_FieldOp : FAC_Op<"field", [Pure]> {
  let summary = "reads a field: `rule.pattern`";
  let description = [{
    `index`, when present, is the field's position among its record's or
    constructor's fields (`fac.construct` operands), as Sema resolved it.
  }];
  let arguments = (ins FAC_Structured:$value, StrAttr:$field,
                       OptionalAttr<I64Attr>:$index);
  let results = (outs FAC_Value:$result);
  let assemblyFormat = [{
    $value `[` $field `]` attr-dict `:` type($value) `->` type($result)
  }];
}

def FAC_ExistsOp : FAC_Op<"exists", [Pure]> {
  let summary = "`x exists`: whether an Option holds a value";
  let arguments = (ins FAC_DataType:$option);
  let results = (outs I1:$result);
  let assemblyFormat = "$option attr-dict `:` type($option)";
  let hasVerifier = 1;
}

def FAC_UnwrapOp : FAC_Op<"unwrap", [Pure]> {
  let summary = "the value inside an Option known to hold one";
  let arguments = (ins FAC_DataType:$option);
  let results = (outs FAC_Value:$result);
  let assemblyFormat = [{
    $option attr-dict `:` type($option) `->` type($result)
  }];
  let hasVerifier = 1;
}

def FAC_ListOp : FAC_Op<"list", [Pure]> {
  let summary = "a list literal `[a, b, c]`";
  let arguments = (ins Variadic<FAC_Value>:$elements);
  let results = (outs FAC_ListType:$result);
  let assemblyFormat = [{
    `(` $elements `)` attr-dict `:` functional-type($elements, $result)
  }];
  let hasVerifier = 1;
}

def FAC_TupleOp : FAC_Op<"tuple", [Pure]> {
  let summary = "a tuple `(a, b)`";
  let arguments = (ins Variadic<FAC_Value>:$elements);
  let results = (outs AnyTuple:$result);
  let assemblyFormat = [{
    `(` $elements `)` attr-dict `:` functional-type($elements, $result)
  }];
  let hasVerifier = 1;
}

def FAC_UnitOp : FAC_Op<"unit", [Pure]> {
  let summary = "the value `()`";
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

def FAC_IndexOp : FAC_Op<"index", [Pure,
    TypesMatchWith<"result is the list's element type", "list", "result",
        "::llvm::cast<::fac::ListType>($_self).getElementType()">]> {
  let summary = "`xs[i]`";
  let arguments = (ins FAC_ListType:$list, I64:$index);
  let results = (outs FAC_Value:$result);
  let assemblyFormat = "$list `[` $index `]` attr-dict `:` type($list)";
}

def FAC_SliceOp : FAC_Op<"slice", [Pure, AttrSizedOperandSegments,
    AllTypesMatch<["list", "result"]>]> {
  let summary = "`xs[lo:hi]`, either bound optional";
  let arguments = (ins FAC_ListType:$list, Optional<I64>:$lo,
                       Optional<I64>:$hi);
  let results = (outs FAC_ListType:$result);
  let assemblyFormat = [{
    $list `[` ($lo^)? `:` ($hi^)? `]` attr-dict `:` type($list)
  }];
}

def FAC_ComprehensionOp : FAC_Op<"comprehension"> {
  let summary = "`[elem | x in source, cond]`";
  let description = [{
    The region runs once per element of `source`, its argument; it yields
    the new element and, when the comprehension has a condition, an i1
    that keeps or drops it.
  }];
  let arguments = (ins FAC_ListType:$source);
  let results = (outs FAC_ListType:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $source `:` type($source) `->` type($result) $body attr-dict
  }];
  let hasVerifier = 1;
}

def FAC_ArithOp : FAC_Op<"arith", [Pure]> {
  let summary = "`+ - /` involving tensors (elementwise, or by a scalar)";
  let arguments = (ins StrAttr:$kind, FAC_Value:$lhs, FAC_Value:$rhs);
  let results = (outs FAC_TensorType:$result);
  let assemblyFormat = [{
    $kind $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)
  }];
  let hasVerifier = 1;
}

def FAC_NegOp : FAC_Op<"neg", [Pure]> {
  let summary = "`-t` for a tensor";
  let arguments = (ins FAC_TensorType:$operand);
  let results = (outs FAC_TensorType:$result);
  let assemblyFormat = "$operand attr-dict `:` type($result)";
}

def FAC_IntrinsicOp : FAC_Op<"intrinsic"> {
  let summary = "calls a function of the prelude that the compiler implements";
  let arguments = (ins StrAttr:$callee, Variadic<FAC_Value>:$args);
  let results = (outs FAC_Value:$result);
  let assemblyFormat = [{
    $callee `(` $args `)` attr-dict `:` functional-type($args, $result)
  }];
}

def FAC_OperatorOp : FAC_Op<"operator", [Symbol, SingleBlock,
    IsolatedFromAbove, AutomaticAllocationScope]> {
  let summary = "the definition of a Unicode operator overload";
  let description = [{
    `operator ⊗ (a: A, b: B) -> R = body` from the spec or the prelude, as a
    symbol that `fac.call` names. `symbol` is the operator as written.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$symbol,
                       TypeAttrOf<FunctionType>:$function_type);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
}

def FAC_CallOp : FAC_Op<"call", [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "calls an operator definition";
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<FAC_Value>:$args);
  let results = (outs FAC_Value:$result);
  let assemblyFormat = [{
    $callee `(` $args `)` attr-dict `:` functional-type($args, $result)
  }];
}

def FAC_SelfOp : FAC_Op<"self", [Pure]> {
  let summary = "the enclosing lambda, for a recursive call";
  let description = [{
    A lambda bound by `let f = ...` may call itself; inside its body `f` is
    `fac.self`, the nearest enclosing `fac.lambda` whose `name` is `f`.
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs FunctionType:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The lambda this names: the nearest enclosing one of that name, or
    /// null.
    LambdaOp getTarget();
  }];
}

def FAC_TheoremOp : FAC_Op<"theorem", [HasParent<"ConceptOp">]> {
  let summary = "`Theorem Name: ∀ binders, statement`";
  let description = [{
    The region's arguments are the binders; it yields the statement, an
    i1. The theorem sits at the end of the concept it is stated about, so
    that it can use that concept's values.
  }];
  let arguments = (ins StrAttr:$theorem_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$theorem_name $body attr-dict";
  let hasVerifier = 1;
}

#endif // FAC_OPS
