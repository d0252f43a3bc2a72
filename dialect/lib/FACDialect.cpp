//===- FACDialect.cpp - The fac dialect and its types ---------------------===//

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace fac;

#include "fac/Dialect/FAC/FACDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "fac/Dialect/FAC/FACTypes.cpp.inc"

void FACDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "fac/Dialect/FAC/FACTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "fac/Dialect/FAC/FACOps.cpp.inc"
      >();
}
