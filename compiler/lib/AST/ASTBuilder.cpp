//===- ASTBuilder.cpp - Parse a spec into the FAC AST ---------------------===//
//
// Runs the ANTLR-generated lexer and parser and converts the parse tree into
// the project's AST. ANTLR works in code points and throws exceptions; both
// stop here: locations become byte columns, exceptions become diagnostics.
//
//===----------------------------------------------------------------------===//

#include "fac/AST/ASTBuilder.h"

#include "FACLexer.h"
#include "FACParser.h"
#include "antlr4-runtime.h"

#include "llvm/Support/ConvertUTF.h"

using namespace fac;
using namespace fac::ast;
using facgrammar::FACLexer;
using facgrammar::FACParser;

namespace {

/// Maps ANTLR's code point indices to byte offsets of the UTF-8 text.
class CodePointMap {
public:
  explicit CodePointMap(llvm::StringRef text) {
    for (size_t i = 0; i < text.size(); ++i)
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
        offsets.push_back(i);
    offsets.push_back(text.size());
  }
  size_t byteOffset(size_t codePoint) const {
    return codePoint < offsets.size() ? offsets[codePoint] : offsets.back();
  }

private:
  std::vector<size_t> offsets;
};

/// Reports ANTLR syntax errors as clang-style diagnostics.
class ErrorListener : public antlr4::BaseErrorListener {
public:
  ErrorListener(SourceFile &source, const CodePointMap &map)
      : source(source), map(map) {}

  void syntaxError(antlr4::Recognizer *, antlr4::Token *offending, size_t line,
                   size_t charPositionInLine, const std::string &msg,
                   std::exception_ptr) override {
    Location loc;
    if (offending && offending->getStartIndex() != INVALID_INDEX)
      loc = source.locationOfOffset(map.byteOffset(offending->getStartIndex()));
    else
      loc = {static_cast<unsigned>(line),
             static_cast<unsigned>(charPositionInLine) + 1};
    source.error(loc, "syntax error: " + msg);
  }

private:
  SourceFile &source;
  const CodePointMap &map;
};

/// Converts parse-tree contexts into AST nodes.
class Builder {
public:
  Builder(SourceFile &source, const CodePointMap &map)
      : source(source), map(map) {}

  std::unique_ptr<Module> module(FACParser::ModuleContext *ctx) {
    std::vector<DeclPtr> decls;
    for (auto *d : ctx->decl())
      decls.push_back(decl(d));
    return std::make_unique<Module>(std::move(decls));
  }

private:
  Location loc(antlr4::Token *token) const {
    return source.locationOfOffset(map.byteOffset(token->getStartIndex()));
  }
  Location loc(antlr4::ParserRuleContext *ctx) const {
    return loc(ctx->getStart());
  }

  DeclPtr decl(FACParser::DeclContext *ctx) {
    if (auto *t = ctx->typeDecl())
      return std::make_unique<TypeDecl>(loc(t->name), t->name->getText(),
                                        typeParams(t->typeParams()),
                                        typeRef(t->typeExpr()));
    if (auto *e = ctx->effectDecl())
      return std::make_unique<SignatureDecl>(
          Decl::Kind::Effect, loc(e->name), e->name->getText(),
          typeParams(e->typeParams()), fields(e->fields()),
          typeRef(e->typeExpr()));
    if (auto *o = ctx->operatorDecl())
      return std::make_unique<SignatureDecl>(
          Decl::Kind::Operator, loc(o->op), o->op->getText(),
          typeParams(o->typeParams()), fields(o->fields()),
          typeRef(o->typeExpr()));
    auto *c = ctx->conceptDecl();
    return std::make_unique<ConceptDecl>(loc(c->name), c->name->getText(),
                                         fields(c->fields()),
                                         block(c->block()));
  }

  std::vector<std::string> typeParams(FACParser::TypeParamsContext *ctx) {
    std::vector<std::string> names;
    if (ctx)
      for (auto *id : ctx->IDENT())
        names.push_back(id->getText());
    return names;
  }

  std::vector<Field> fields(FACParser::FieldsContext *ctx) {
    std::vector<Field> result;
    if (ctx)
      for (auto *f : ctx->field())
        result.push_back(
            {loc(f), f->IDENT()->getText(), typeRef(f->typeExpr())});
    return result;
  }

  TypeRef typeRef(FACParser::TypeExprContext *ctx) {
    TypeRef ref{loc(ctx), ctx->IDENT()->getText(), {}};
    for (auto *arg : ctx->typeExpr())
      ref.args.push_back(typeRef(arg));
    return ref;
  }

  std::unique_ptr<Block> block(FACParser::BlockContext *ctx) {
    std::vector<StmtPtr> stmts;
    for (auto *s : ctx->stmt())
      stmts.push_back(stmt(s));
    return std::make_unique<Block>(loc(ctx), std::move(stmts));
  }

  StmtPtr stmt(FACParser::StmtContext *ctx) {
    if (auto *let = dynamic_cast<FACParser::LetStmtContext *>(ctx))
      return std::make_unique<LetStmt>(loc(ctx), let->IDENT()->getText(),
                                       expr(let->expr()));
    if (auto *assign = dynamic_cast<FACParser::AssignStmtContext *>(ctx))
      return std::make_unique<AssignStmt>(loc(ctx), expr(assign->target),
                                          expr(assign->value));
    auto *e = static_cast<FACParser::ExprStmtContext *>(ctx);
    return std::make_unique<ExprStmt>(loc(ctx), expr(e->expr()));
  }

  ExprPtr expr(FACParser::ExprContext *ctx) {
    if (auto *lambda = dynamic_cast<FACParser::LambdaExprContext *>(ctx))
      return lambdaExpr(lambda);
    if (auto *field = dynamic_cast<FACParser::FieldExprContext *>(ctx))
      return std::make_unique<FieldExpr>(loc(field->IDENT()->getSymbol()),
                                         expr(field->expr()),
                                         field->IDENT()->getText());
    if (auto *call = dynamic_cast<FACParser::CallExprContext *>(ctx)) {
      std::vector<ExprPtr> args;
      if (call->args())
        for (auto *a : call->args()->expr())
          args.push_back(expr(a));
      return std::make_unique<CallExpr>(loc(ctx), expr(call->expr()),
                                        std::move(args));
    }
    if (auto *bin = dynamic_cast<FACParser::BinaryExprContext *>(ctx))
      return std::make_unique<BinaryExpr>(loc(bin->op), bin->op->getText(),
                                          expr(bin->expr(0)),
                                          expr(bin->expr(1)));
    if (auto *paren = dynamic_cast<FACParser::ParenExprContext *>(ctx))
      return expr(paren->expr());
    if (auto *name = dynamic_cast<FACParser::NameExprContext *>(ctx))
      return std::make_unique<NameExpr>(loc(ctx), name->getText());
    auto *num = static_cast<FACParser::NumberExprContext *>(ctx);
    std::string text = num->getText();
    bool isInteger = text.find_first_of(".eE") == std::string::npos;
    return std::make_unique<NumberExpr>(
        loc(ctx), std::strtod(text.c_str(), nullptr), isInteger);
  }

  ExprPtr lambdaExpr(FACParser::LambdaExprContext *ctx) {
    std::vector<Param> params;
    auto *p = ctx->lambdaParams();
    if (p->IDENT())
      params.push_back({loc(p), p->IDENT()->getText(), std::nullopt});
    for (auto *lp : p->lambdaParam()) {
      Param param{loc(lp), lp->IDENT()->getText(), std::nullopt};
      if (lp->typeExpr())
        param.type = typeRef(lp->typeExpr());
      params.push_back(std::move(param));
    }
    std::unique_ptr<Block> body;
    if (ctx->block()) {
      body = block(ctx->block());
    } else {
      // An expression body is a block of one expression statement.
      std::vector<StmtPtr> stmts;
      Location at = loc(ctx->expr());
      stmts.push_back(std::make_unique<ExprStmt>(at, expr(ctx->expr())));
      body = std::make_unique<Block>(at, std::move(stmts));
    }
    return std::make_unique<LambdaExpr>(loc(ctx), std::move(params),
                                        std::move(body));
  }

  SourceFile &source;
  const CodePointMap &map;
};

/// Reports the first byte that is not valid UTF-8, if any.
bool checkUTF8(SourceFile &source) {
  llvm::StringRef text = source.getText();
  const auto *begin = reinterpret_cast<const llvm::UTF8 *>(text.begin());
  const auto *end = reinterpret_cast<const llvm::UTF8 *>(text.end());
  const llvm::UTF8 *bad = nullptr;
  if (llvm::isLegalUTF8String(&begin, end) &&
      text.find('\0') == llvm::StringRef::npos)
    return true;
  bad = begin;
  size_t offset = reinterpret_cast<const char *>(bad) - text.begin();
  size_t nul = text.find('\0');
  if (nul < offset)
    offset = nul;
  source.error(source.locationOfOffset(offset),
               "invalid byte in source: the input is not UTF-8 text");
  return false;
}

/// Rejects bracket nesting deeper than kMaxNestingDepth before parsing, so
/// that the recursive-descent parser cannot exhaust the stack.
bool checkNesting(SourceFile &source, const CodePointMap &map,
                  antlr4::CommonTokenStream &tokens) {
  unsigned depth = 0;
  for (antlr4::Token *t : tokens.getTokens()) {
    std::string text = t->getText();
    if (text == "(" || text == "[" || text == "{") {
      if (++depth > kMaxNestingDepth) {
        source.error(
            source.locationOfOffset(map.byteOffset(t->getStartIndex())),
            "brackets nested deeper than " + llvm::Twine(kMaxNestingDepth) +
                " levels");
        return false;
      }
    } else if ((text == ")" || text == "]" || text == "}") && depth > 0) {
      --depth;
    }
  }
  return true;
}

} // namespace

std::unique_ptr<Module> fac::parseModule(SourceFile &source) {
  if (!checkUTF8(source))
    return nullptr;
  CodePointMap map(source.getText());
  try {
    antlr4::ANTLRInputStream input(source.getText().str());
    FACLexer lexer(&input);
    ErrorListener listener(source, map);
    lexer.removeErrorListeners();
    lexer.addErrorListener(&listener);
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    if (!checkNesting(source, map, tokens))
      return nullptr;
    FACParser parser(&tokens);
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
    FACParser::ModuleContext *tree = parser.module();
    if (source.getNumErrors() > 0)
      return nullptr;
    return Builder(source, map).module(tree);
  } catch (const std::exception &e) {
    source.error({1, 1}, llvm::Twine("cannot parse input: ") + e.what());
    return nullptr;
  }
}
