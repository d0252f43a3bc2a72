//===- KernelABI.cpp - The C entry point of a kernel ----------------------===//

#include "KernelABI.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace fac;

std::string fac::getScalarCType(Type type) {
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (type.isIndex() || type.isInteger(64))
    return "int64_t";
  if (type.isInteger(32))
    return "int32_t";
  return "";
}

FailureOr<KernelABI> fac::getKernelABI(func::FuncOp func) {
  KernelABI abi;
  abi.name = func.getSymName().str();
  // The wrapper MLIR's func-to-llvm makes for llvm.emit_c_interface.
  abi.symbol = "_mlir_ciface_" + abi.name;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    Type type = func.getArgumentTypes()[i];
    KernelParam param;
    if (auto name = func.getArgAttrOfType<StringAttr>(i, "fac.name"))
      param.name = name.str();
    else
      param.name = "arg" + std::to_string(i);
    auto memref = dyn_cast<MemRefType>(type);
    if (memref && memref.getRank() == 2 && memref.getElementType().isF32()) {
      param.cType = "fac_memref2d_f32 *";
      param.isBuffer = true;
    } else {
      param.cType = getScalarCType(type);
      param.isBuffer = false;
      if (param.cType.empty())
        return func.emitError("kernel parameter '")
               << param.name << "' of type " << type << " has no C type";
    }
    abi.params.push_back(std::move(param));
  }
  if (func.getNumResults() != 0)
    return func.emitError("kernel must return its results through buffers; "
                          "run fac-bufferize first");
  return abi;
}
