//===- FACOps.td - Operations of the fac dialect ------------*- tablegen -*-===//

#ifndef FAC_OPS
#define FAC_OPS

include "fac/Dialect/FAC/FACDialect.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def FAC_AnyScalar : AnyTypeOf<[F32, I64, I1]>;
def FAC_Value : AnyTypeOf<[F32, I64, I1, FAC_TensorType, FunctionType]>;
def FAC_Buffer2D : MemRefRankOf<[F32], [2]>;

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

def FAC_ReturnOp : FAC_Op<"return", [Pure, Terminator, HasParent<"LambdaOp">,
                                     ReturnLike]> {
  let summary = "the value of a lambda's body";
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
    Plugs a function value into a slot of the model; `attention` is the
    only slot so far. Every export becomes one kernel entry point.
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
}

//===----------------------------------------------------------------------===//
// Algorithm ops
//===----------------------------------------------------------------------===//

def FAC_AttendOp : FAC_Op<"attend", [Pure]> {
  let summary = "scaled dot-product attention on tensors";
  let description = [{
    `softmax(s * query . key^T) . value`, row by row, where `s` is the
    `scale` operand when present (else 1), multiplied by `1/sqrt(d)` when
    `rsqrt_d` is set (d: the query width). The prelude's `Attend` is
    `fac.attend` with `rsqrt_d` and no `scale`.
  }];
  let arguments = (ins FAC_TensorType:$query, FAC_TensorType:$key,
                       FAC_TensorType:$value, Optional<F32>:$scale,
                       UnitAttr:$rsqrt_d);
  let results = (outs FAC_TensorType:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`scale` $scale^)? attr-dict `:` type($result)
  }];
  let hasCanonicalizer = 1;
}

def FAC_AttentionOp : FAC_Op<"attention"> {
  let summary = "tiled online-softmax attention on buffers";
  let description = [{
    The buffer form of `fac.attend`, in destination-passing style: reads
    `query` (n x d), `key` (m x d) and `value` (m x dv), writes `out`
    (n x dv). `key_tile` is how many keys are scored at once between two
    rescalings of the running softmax (flash-attention style); the scratch
    it needs is `key_tile` floats.
  }];
  let arguments = (ins FAC_Buffer2D:$query, FAC_Buffer2D:$key,
                       FAC_Buffer2D:$value, FAC_Buffer2D:$out,
                       Optional<F32>:$scale, UnitAttr:$rsqrt_d,
                       DefaultValuedAttr<ConfinedAttr<I64Attr,
                           [IntPositive]>, "64">:$key_tile);
  let assemblyFormat = [{
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,`
    type($value) `)` `outs` `(` $out `:` type($out) `)`
    (`scale` $scale^)? attr-dict
  }];
  let hasVerifier = 1;
}

#endif // FAC_OPS
