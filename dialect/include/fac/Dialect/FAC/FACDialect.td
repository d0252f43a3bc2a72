//===- FACDialect.td - The fac dialect and its types -------*- tablegen -*-===//
//
// The dialect that mirrors the FAC spec language (concepts, lambdas,
// effects) and carries the algorithm ops the compression passes produce.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_DIALECT
#define FAC_DIALECT

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/OpBase.td"

def FAC_Dialect : Dialect {
  let name = "fac";
  let cppNamespace = "::fac";
  let summary = "The FAC attention-compression spec language";
  let description = [{
    High-level ops mirror the spec language one to one (`fac.concept`,
    `fac.lambda`, `fac.perform`, `fac.export`); algorithm ops
    (`fac.attend`, `fac.attention`) are what the prelude binding and the
    compression passes produce, and what the conversion to loops consumes.
  }];
  let useDefaultTypePrinterParser = 1;
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

class FAC_Type<string name, string typeMnemonic> : TypeDef<FAC_Dialect, name> {
  let mnemonic = typeMnemonic;
}

def FAC_TensorType : FAC_Type<"Tensor", "tensor"> {
  let summary = "the spec language's Tensor: an f32 array of unknown shape";
  let description = [{
    A value-semantics tensor whose rank and sizes are known only at run
    time. `fac-bufferize` turns values of this type into strided 2-d
    memrefs passed by the caller.
  }];
}

def FAC_Int8TensorType : FAC_Type<"Int8Tensor", "i8tensor"> {
  let summary = "the spec language's Int8Tensor: int8 codes of unknown shape";
  let description = [{
    The codes `quantize(t, scales)` makes: integers from -127 to 127 (an
    Int8Tensor built from lists may also hold -128), one byte each. Their
    scales are another tensor, which `dequantize(codes, scales)` multiplies
    back in. `fac-bufferize` holds them in i8 buffers of the memory plan.
  }];
}

def FAC_ListType : FAC_Type<"List", "list"> {
  let summary = "the spec language's List<T>";
  let parameters = (ins "::mlir::Type":$elementType);
  let assemblyFormat = "`<` $elementType `>`";
}

def FAC_DataType : FAC_Type<"Data", "data"> {
  let summary = "a declared record or algebraic data type";
  let description = [{
    A value of the data type `name`, applied to `args` when the type has
    type parameters: `!fac.data<"TensorTree">`,
    `!fac.data<"Option", [!fac.data<"CompressionRule">]>`. The declaration
    (constructors and fields) is the spec's or the prelude's; the ops that
    build and take apart such values name the constructor.
  }];
  let parameters = (ins StringRefParameter<"type name">:$name,
                        OptionalArrayRefParameter<"::mlir::Type">:$args);
  let assemblyFormat = "`<` $name (`,` `[` $args^ `]`)? `>`";
}

def FAC_ModelType : FAC_Type<"Model", "model"> {
  let summary = "the language model a concept plugs into";
}

class FAC_Op<string mnemonic, list<Trait> traits = []>
    : Op<FAC_Dialect, mnemonic, traits>;

#endif // FAC_DIALECT
