//===- KernelABI.cpp - The C entry point of a kernel ----------------------===//

#include "KernelABI.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

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
  if (type.isInteger(8))
    return "int8_t";
  return "";
}

std::string fac::getBufferCType(MemRefType type) {
  int64_t rank = type.getRank();
  if (type.getElementType().isF32() && rank >= 1 && rank <= 3)
    return "fac_memref" + std::to_string(rank) + "d_f32 *";
  if (type.getElementType().isInteger(64) && rank == 1)
    return "fac_memref1d_i64 *";
  if (type.getElementType().isInteger(8) && rank == 1)
    return "fac_memref1d_i8 *";
  return "";
}

/// Names a spec may use that C or C++ reserve, or that the header's own
/// types take: a parameter so named gets a trailing '_' in the C interface.
static bool isReservedInC(llvm::StringRef name) {
  static const llvm::StringSet<> reserved = {
      // C11 and C++17 keywords.
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor",
      "bool", "break", "case", "catch", "char", "char16_t", "char32_t", "class",
      "compl", "const", "constexpr", "const_cast", "continue", "decltype",
      "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
      "explicit", "export", "extern", "false", "float", "for", "friend", "goto",
      "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept",
      "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private",
      "protected", "public", "register", "reinterpret_cast", "restrict",
      "return", "short", "signed", "sizeof", "static", "static_assert",
      "static_cast", "struct", "switch", "template", "this", "thread_local",
      "throw", "true", "try", "typedef", "typeid", "typename", "union",
      "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while",
      "xor", "xor_eq", "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex",
      "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
      // Types and macros the header and its includes define.
      "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t",
      "uint32_t", "uint64_t", "size_t", "ptrdiff_t", "intptr_t", "uintptr_t",
      "NULL", "fac_memref1d_f32", "fac_memref1d_i64", "fac_memref1d_i8",
      "fac_memref2d_f32", "fac_memref3d_f32", "facrt_status", "facrt_tensor"};
  // The emitted C++ names its values v0, v1, ...
  bool emitterLocal = name.size() > 1 && name[0] == 'v' &&
                      llvm::all_of(name.drop_front(), llvm::isDigit);
  return emitterLocal || reserved.contains(name);
}

FailureOr<KernelABI> fac::getKernelABI(func::FuncOp func) {
  KernelABI abi;
  // The names taken so far; the trailing `out` buffer and the workspace
  // keep their names.
  llvm::StringSet<> taken;
  unsigned count = func.getNumArguments();
  auto isWorkspace = [&](unsigned i) {
    auto name = func.getArgAttrOfType<StringAttr>(i, "fac.name");
    auto type = dyn_cast<MemRefType>(func.getArgumentTypes()[i]);
    return i + 1 == count && name && name.getValue() == "workspace" && type &&
           type.getRank() == 1 && type.getElementType().isInteger(8);
  };
  bool hasWorkspace = count && isWorkspace(count - 1);
  unsigned last = count ? count - 1 - (hasWorkspace && count > 1) : 0;
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
    // A spec's names may be C keywords, repeat (a concept parameter and a
    // lambda parameter of one name) or be `out`: renamed, never reused.
    param.isWorkspace = hasWorkspace && i + 1 == count;
    while (isReservedInC(param.name) || taken.contains(param.name) ||
           (i != last && param.name == "out") ||
           (!param.isWorkspace &&
            (param.name == "workspace" || param.name == "workspace_bytes" ||
             param.name == "workspace_view")))
      param.name += "_";
    taken.insert(param.name);
    auto memref = dyn_cast<MemRefType>(type);
    if (memref) {
      param.cType = getBufferCType(memref);
      param.isBuffer = true;
      param.rank = memref.getRank();
      if (param.cType.empty())
        return func.emitError("kernel parameter '")
               << param.name << "' of type " << type << " has no C type";
    } else {
      param.cType = getScalarCType(type);
      param.isBuffer = false;
      if (param.cType.empty())
        return func.emitError("kernel parameter '")
               << param.name << "' of type " << type << " has no C type";
    }
    abi.params.push_back(std::move(param));
  }
  if (func->hasAttr("fac.workspace_size") && func.getNumResults() == 1 &&
      func.getResultTypes()[0].isInteger(64))
    abi.returnsSize = true;
  else if (func.getNumResults() == 1 && func.getResultTypes()[0].isInteger(32))
    abi.returnsStatus = true;
  else if (func.getNumResults() != 0)
    return func.emitError("kernel must return its results through buffers "
                          "and a status; run fac-bufferize and "
                          "fac-kernel-status first");
  return abi;
}
