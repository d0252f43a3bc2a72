//===- InterpreterTest.cpp - Tests of the reference interpreter -----------===//
//
// Lifetime properties of the reference interpreter, and how it behaves on
// a small stack: what lit cannot see.
//
//===----------------------------------------------------------------------===//

#include "fac/Interp/Interpreter.h"
#include "fac/AST/ASTBuilder.h"
#include "fac/Sema/Sema.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/thread.h"

#include <gtest/gtest.h>

using namespace fac;

namespace {

struct Checked {
  std::unique_ptr<SourceFile> source;
  std::unique_ptr<ast::Module> module;
};

Checked check(const char *text) {
  Checked c;
  c.source = std::make_unique<SourceFile>(
      llvm::MemoryBuffer::getMemBufferCopy(text, "test.fac"));
  c.module = parseModule(*c.source);
  if (c.module && !checkModule(*c.module, *c.source))
    c.module.reset();
  return c;
}

const ast::ConceptDecl *firstConcept(const ast::Module &module) {
  for (const ast::DeclPtr &d : module.getDecls())
    if (auto *c = llvm::dyn_cast<ast::ConceptDecl>(d.get()))
      return c;
  return nullptr;
}

// A closure bound in the scope it captures is a reference cycle
// (scope -> closure -> scope). The run must still free that scope once the
// interpreter and its results are gone (the fuzzer's LeakSanitizer found
// this leak).
TEST(InterpreterTest, FreesScopesCapturedByClosures) {
  Checked c = check("Scaled := (scale: Float) :: {\n"
                    "  let f = (x: Float) => x * scale\n"
                    "  let g = (x: Float) => f(x) + 1.0\n"
                    "  g(2.0)\n"
                    "}\n");
  ASSERT_TRUE(c.module);
  const ast::ConceptDecl *concept = firstConcept(*c.module);
  ASSERT_NE(concept, nullptr);

  std::weak_ptr<interp::Env> scope;
  std::weak_ptr<const interp::Value> closure;
  {
    interp::Interpreter interp(*c.module, *c.source);
    std::unique_ptr<interp::ConceptResult> result =
        interp.runConcept(*concept, {{"scale", interp::Value::real(3.0)}});
    ASSERT_TRUE(result);
    ASSERT_TRUE(result->value);
    EXPECT_DOUBLE_EQ(result->value->f, 7.0);
    scope = result->scope;
    closure = result->scope->lookup("f");
    ASSERT_FALSE(closure.expired());
  }
  EXPECT_TRUE(scope.expired());
  EXPECT_TRUE(closure.expired());
}

// Scopes stay whole while the interpreter lives: a closure made by the run
// can be called after runConcept returns.
TEST(InterpreterTest, ClosuresOutliveTheRunThatMadeThem) {
  Checked c = check("Adder := (k: Int) :: {\n"
                    "  let add = (x: Int) => x + k\n"
                    "  add(0)\n"
                    "}\n");
  ASSERT_TRUE(c.module);
  interp::Interpreter interp(*c.module, *c.source);
  auto result = interp.runConcept(*firstConcept(*c.module),
                                  {{"k", interp::Value::integer(5)}});
  ASSERT_TRUE(result);
  interp::ValuePtr add = result->scope->lookup("add");
  ASSERT_TRUE(add);
  interp::ValuePtr v = interp.call(add, {interp::Value::integer(37)}, {});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->i, 42);
}

} // namespace

// The tools run the interpreter on a large stack, where a deep recursion
// meets the limit of 5000 evaluations first. On a thread with a small
// stack (or in a build with large frames) the stack would run out first:
// evaluation stops with a located error before it does, never a crash.
TEST(InterpreterTest, StopsBeforeASmallStackRunsOut) {
  Checked c = check("Deep := (n: Int) :: {\n"
                    "  let count = (k: Int) => if k == 0 then 0 else 1 + "
                    "count(k - 1)\n"
                    "  count(n)\n"
                    "}\n");
  ASSERT_TRUE(c.module);
  const ast::ConceptDecl *concept = firstConcept(*c.module);
  ASSERT_NE(concept, nullptr);
  std::string errors;
  bool ran = true;
  llvm::thread small(std::optional<unsigned>(1u << 20), [&] {
    // Diagnostics go to stderr; count them through the source file.
    interp::Interpreter interp(*c.module, *c.source);
    ran = bool(
        interp.runConcept(*concept, {{"n", interp::Value::integer(100000)}}));
  });
  small.join();
  EXPECT_FALSE(ran);
  EXPECT_EQ(c.source->getNumErrors(), 1u);
}
