//===- ASTBuilder.h - Parse a spec into the FAC AST -----------------------===//
//
// The one place where the ANTLR parse tree is seen: parseModule() runs the
// generated lexer and parser over a SourceFile and builds the AST.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_AST_ASTBUILDER_H
#define FAC_AST_ASTBUILDER_H

#include "fac/AST/AST.h"

namespace fac {

/// The deepest bracket nesting the parser accepts: deeper input is reported
/// as an error instead of exhausting the stack.
inline constexpr unsigned kMaxNestingDepth = 256;

/// The deepest expression tree the AST builder builds, for the same reason:
/// `a + a + ... + a` nests without brackets.
inline constexpr unsigned kMaxExprDepth = 1000;

/// The deepest the parser's grammar rules may nest: every bracket level and
/// every prefix operator or keyword (`-`, `if`, `let`, `=>`) is a few rules
/// deep, and ANTLR's recursive descent takes a frame for each.
inline constexpr unsigned kMaxRuleDepth = 3000;

/// Files imported within each other (`import "lib.fac"`) at most.
inline constexpr unsigned kMaxImportDepth = 64;

/// Parses \p source and the files it imports (relative to its folder;
/// each once), whose helpers and declarations it adds, imported ones
/// first. Syntax errors are reported through \p source (an imported
/// file's name its own file); the result is null when there was any.
std::unique_ptr<ast::Module> parseModule(SourceFile &source);

} // namespace fac

#endif // FAC_AST_ASTBUILDER_H
