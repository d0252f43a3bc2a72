//===- FrontendTarget.cpp - Fuzz target over the front end ----------------===//
//
// Feeds arbitrary bytes to the parser, then to Sema when they parse, then
// to MLIRGen and the fac verifiers and to the reference interpreter when
// they check: no input may crash, hang or leak. Run by `tools/fac-fuzz
// frontend`.
//
//===----------------------------------------------------------------------===//

#include "fac/AST/ASTBuilder.h"
#include "fac/Dialect/FAC/FACDialect.h"
#include "fac/Interp/Interpreter.h"
#include "fac/MLIRGen/MLIRGen.h"
#include "fac/Sema/Sema.h"
#include "fac/Support/StackGuard.h"

#include "FuzzTargets.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>

static int runFrontend(const uint8_t *data, size_t size);

int fac::fuzz::frontend(const uint8_t *data, size_t size) {
  // On the stack the tools give the front end (facc, fac-interp).
  return fac::runOnLargeStack([&] { return runFrontend(data, size); });
}

static int runFrontend(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    auto *ctx = new mlir::MLIRContext();
    ctx->loadDialect<fac::FACDialect>();
    return ctx;
  }();
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.fac");
  fac::SourceFile source(std::move(buffer));
  source.setQuiet(true);
  std::unique_ptr<fac::ast::Module> module = fac::parseModule(source);
  if (!module || !fac::checkModule(*module, source))
    return 0;
  // Errors of MLIRGen and of the verifiers are expected; crashes are not.
  {
    mlir::ScopedDiagnosticHandler silence(
        context, [](mlir::Diagnostic &) { return mlir::success(); });
    fac::mlirGen(*context, *module, "fuzz.fac");
  }
  // Run each concept whose parameters are numbers (set to 2), within a
  // step budget: runtime errors are expected, crashes and hangs are not.
  fac::interp::Interpreter interp(*module, source);
  interp.setStepLimit(20000);
  for (const fac::ast::DeclPtr &d : module->getDecls()) {
    auto *c = llvm::dyn_cast<fac::ast::ConceptDecl>(d.get());
    if (!c)
      continue;
    std::map<std::string, fac::interp::ValuePtr> params;
    for (const fac::ast::Field &p : c->getParams()) {
      fac::sema::TypePtr t = fac::sema::prune(p.resolved);
      if (t->isCon("Int"))
        params[p.name] = fac::interp::Value::integer(2);
      else if (t->isCon("Float"))
        params[p.name] = fac::interp::Value::real(2.0);
      else
        break;
    }
    if (params.size() == c->getParams().size())
      interp.runConcept(*c, params);
  }
  return 0;
}
