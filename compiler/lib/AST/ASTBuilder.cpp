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
    if (tooDeep)
      return nullptr;
    return std::make_unique<Module>(std::move(decls));
  }

private:
  Location loc(antlr4::Token *token) const {
    return source.locationOfOffset(map.byteOffset(token->getStartIndex()));
  }
  Location loc(antlr4::ParserRuleContext *ctx) const {
    return loc(ctx->getStart());
  }
  Location loc(antlr4::tree::TerminalNode *node) const {
    return loc(node->getSymbol());
  }

  //===--------------------------------------------------------------------===//
  // Declarations
  //===--------------------------------------------------------------------===//

  DeclPtr decl(FACParser::DeclContext *ctx) {
    if (auto *t = ctx->typeDecl())
      return typeDecl(t);
    if (auto *e = ctx->effectDecl())
      return std::make_unique<SignatureDecl>(
          Decl::Kind::Effect, loc(e->name), e->name->getText(),
          typeParams(e->typeParams()), fields(e->fields()),
          typeRef(e->typeExpr()), nullptr);
    if (auto *o = ctx->operatorDecl())
      return std::make_unique<SignatureDecl>(
          Decl::Kind::Operator, loc(o->op), o->op->getText(),
          typeParams(o->typeParams()), fields(o->fields()),
          typeRef(o->typeExpr()), o->body ? seq(o->body) : nullptr);
    if (auto *i = ctx->intrinsicDecl())
      return std::make_unique<SignatureDecl>(
          Decl::Kind::Intrinsic, loc(i->name), i->name->getText(),
          typeParams(i->typeParams()), fields(i->fields()),
          typeRef(i->typeExpr()), nullptr);
    if (auto *t = ctx->theoremDecl())
      return std::make_unique<TheoremDecl>(loc(t->name), t->name->getText(),
                                           fields(t->fields()),
                                           expr(t->body));
    auto *c = ctx->conceptDecl();
    return std::make_unique<ConceptDecl>(loc(c->name), c->name->getText(),
                                         fields(c->fields()),
                                         block(c->block()));
  }

  DeclPtr typeDecl(FACParser::TypeDeclContext *ctx) {
    std::optional<TypeRef> alias;
    std::vector<Ctor> ctors;
    if (auto *a = dynamic_cast<FACParser::AliasDefContext *>(ctx->typeDef())) {
      alias = typeRef(a->typeExpr());
    } else {
      auto *adt = static_cast<FACParser::AdtDefContext *>(ctx->typeDef());
      for (auto *c : adt->ctorDef())
        ctors.push_back({loc(c), c->IDENT()->getText(), fields(c->fields())});
    }
    return std::make_unique<TypeDecl>(loc(ctx->name), ctx->name->getText(),
                                      typeParams(ctx->typeParams()),
                                      std::move(alias), std::move(ctors));
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
    TypeRef ref;
    ref.loc = loc(ctx);
    if (auto *named = dynamic_cast<FACParser::NamedTypeContext *>(ctx)) {
      ref.name = named->IDENT()->getText();
      for (auto *arg : named->typeExpr())
        ref.args.push_back(typeRef(arg));
    } else if (auto *fn =
                   dynamic_cast<FACParser::NamedFnTypeContext *>(ctx)) {
      ref.kind = TypeRef::Kind::Function;
      for (Field &f : fields(fn->fields())) {
        ref.names.push_back(f.name);
        ref.args.push_back(std::move(f.type));
      }
      ref.args.push_back(typeRef(fn->typeExpr()));
    } else if (auto *fn = dynamic_cast<FACParser::FnTypeContext *>(ctx)) {
      ref.kind = TypeRef::Kind::Function;
      for (auto *t : fn->typeExpr())
        ref.args.push_back(typeRef(t)); // The last is the result.
    } else if (auto *rec = dynamic_cast<FACParser::RecordTypeContext *>(ctx)) {
      ref.kind = TypeRef::Kind::Record;
      for (Field &f : fields(rec->fields())) {
        ref.names.push_back(f.name);
        ref.args.push_back(std::move(f.type));
      }
    } else {
      auto *tuple = static_cast<FACParser::TupleTypeContext *>(ctx);
      ref.kind = TypeRef::Kind::Tuple;
      for (auto *t : tuple->typeExpr())
        ref.args.push_back(typeRef(t));
    }
    return ref;
  }

  //===--------------------------------------------------------------------===//
  // Statements and patterns
  //===--------------------------------------------------------------------===//

  std::unique_ptr<Block> block(FACParser::BlockContext *ctx) {
    std::vector<StmtPtr> stmts;
    for (auto *s : ctx->stmt())
      stmts.push_back(stmt(s));
    return std::make_unique<Block>(loc(ctx), std::move(stmts));
  }

  StmtPtr stmt(FACParser::StmtContext *ctx) {
    if (auto *let = dynamic_cast<FACParser::LetStmtContext *>(ctx))
      return std::make_unique<LetStmt>(loc(ctx), pattern(let->pattern()),
                                       expr(let->expr()));
    if (auto *assign = dynamic_cast<FACParser::AssignStmtContext *>(ctx))
      return std::make_unique<AssignStmt>(loc(ctx), expr(assign->target),
                                          expr(assign->value));
    auto *e = static_cast<FACParser::ExprStmtContext *>(ctx);
    return std::make_unique<ExprStmt>(loc(ctx), expr(e->expr()));
  }

  /// `let p = e ... body` becomes nested LetExprs around the body.
  ExprPtr seq(FACParser::SeqContext *ctx) {
    auto lets = ctx->LET();
    auto patterns = ctx->pattern();
    auto exprs = ctx->expr();
    ExprPtr body = expr(exprs.back());
    for (size_t i = lets.size(); i-- > 0;)
      body = std::make_unique<LetExpr>(loc(lets[i]), pattern(patterns[i]),
                                       expr(exprs[i]), std::move(body));
    return body;
  }

  Pattern pattern(FACParser::PatternContext *ctx) {
    Pattern p;
    p.loc = loc(ctx);
    if (auto *c = dynamic_cast<FACParser::CtorPatternContext *>(ctx)) {
      p.kind = Pattern::Kind::Ctor;
      p.name = c->IDENT()->getText();
      for (auto *sub : c->pattern())
        p.subs.push_back(pattern(sub));
    } else if (auto *t = dynamic_cast<FACParser::TuplePatternContext *>(ctx)) {
      p.kind = Pattern::Kind::Tuple;
      for (auto *sub : t->pattern())
        p.subs.push_back(pattern(sub));
    } else if (auto *n = dynamic_cast<FACParser::NamePatternContext *>(ctx)) {
      p.name = n->IDENT()->getText();
      p.kind = p.name == "_" ? Pattern::Kind::Wildcard : Pattern::Kind::Name;
    } else {
      auto *num = static_cast<FACParser::NumberPatternContext *>(ctx);
      p.kind = Pattern::Kind::Number;
      std::string text = num->NUMBER()->getText();
      p.isInteger = text.find_first_of(".eE") == std::string::npos;
      p.number = std::strtod(text.c_str(), nullptr);
      if (num->getStart()->getText() == "-")
        p.number = -p.number;
    }
    return p;
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  std::vector<ExprPtr> args(FACParser::ArgsContext *ctx) {
    std::vector<ExprPtr> result;
    if (ctx)
      for (auto *a : ctx->expr())
        result.push_back(expr(a));
    return result;
  }

  /// Guards the recursion: a chain like `a+a+...+a` parses without
  /// recursion but is as deep as it is long.
  ExprPtr expr(FACParser::ExprContext *ctx) {
    if (tooDeep)
      return std::make_unique<UnitExpr>(loc(ctx));
    if (++depth > kMaxExprDepth) {
      tooDeep = true;
      source.error(loc(ctx), "expression nested deeper than " +
                                 llvm::Twine(kMaxExprDepth) + " levels");
      --depth;
      return std::make_unique<UnitExpr>(loc(ctx));
    }
    ExprPtr result = exprImpl(ctx);
    --depth;
    return result;
  }

  ExprPtr exprImpl(FACParser::ExprContext *ctx) {
    if (auto *e = dynamic_cast<FACParser::FieldExprContext *>(ctx))
      return std::make_unique<FieldExpr>(loc(e->IDENT()), expr(e->expr()),
                                         e->IDENT()->getText());
    if (auto *e = dynamic_cast<FACParser::CallExprContext *>(ctx))
      return std::make_unique<CallExpr>(loc(ctx), expr(e->expr()),
                                        args(e->args()));
    if (auto *e = dynamic_cast<FACParser::SliceExprContext *>(ctx))
      return std::make_unique<SliceExpr>(
          loc(ctx), expr(e->expr(0)), e->lo ? expr(e->lo) : nullptr,
          e->hi ? expr(e->hi) : nullptr);
    if (auto *e = dynamic_cast<FACParser::IndexExprContext *>(ctx))
      return std::make_unique<IndexExpr>(loc(ctx), expr(e->expr(0)),
                                         expr(e->index));
    if (auto *e = dynamic_cast<FACParser::ExistsExprContext *>(ctx))
      return std::make_unique<UnaryExpr>(Expr::Kind::Exists, loc(e->EXISTS()),
                                         expr(e->expr()));
    if (auto *e = dynamic_cast<FACParser::NegExprContext *>(ctx))
      return std::make_unique<UnaryExpr>(Expr::Kind::Neg, loc(ctx),
                                         expr(e->expr()));
    if (auto *e = dynamic_cast<FACParser::BinaryExprContext *>(ctx))
      return std::make_unique<BinaryExpr>(loc(e->op), e->op->getText(),
                                          expr(e->expr(0)), expr(e->expr(1)));
    if (auto *e = dynamic_cast<FACParser::LambdaExprContext *>(ctx))
      return lambdaExpr(e);
    if (auto *e = dynamic_cast<FACParser::IfExprContext *>(ctx))
      return std::make_unique<IfExpr>(loc(ctx), expr(e->cond),
                                      seq(e->thenBody), seq(e->elseBody));
    if (auto *e = dynamic_cast<FACParser::HandleExprContext *>(ctx)) {
      std::vector<Arm> arms;
      for (auto *a : e->arm())
        arms.push_back({loc(a), pattern(a->pattern()), seq(a->seq())});
      return std::make_unique<HandleExpr>(loc(ctx), expr(e->expr()),
                                          std::move(arms));
    }
    if (auto *e = dynamic_cast<FACParser::ComprehensionExprContext *>(ctx))
      return std::make_unique<ComprehensionExpr>(
          loc(ctx), expr(e->elem), e->IDENT()->getText(), loc(e->IDENT()),
          expr(e->source), e->cond ? expr(e->cond) : nullptr);
    if (auto *e = dynamic_cast<FACParser::ListExprContext *>(ctx))
      return std::make_unique<ListExpr>(Expr::Kind::List, loc(ctx),
                                        args(e->args()));
    if (auto *e = dynamic_cast<FACParser::TupleExprContext *>(ctx)) {
      std::vector<ExprPtr> elems;
      elems.push_back(expr(e->expr()));
      for (ExprPtr &rest : args(e->args()))
        elems.push_back(std::move(rest));
      return std::make_unique<ListExpr>(Expr::Kind::Tuple, loc(ctx),
                                        std::move(elems));
    }
    if (auto *e = dynamic_cast<FACParser::ParenExprContext *>(ctx))
      return expr(e->expr());
    if (dynamic_cast<FACParser::UnitExprContext *>(ctx))
      return std::make_unique<UnitExpr>(loc(ctx));
    if (auto *e = dynamic_cast<FACParser::NameExprContext *>(ctx))
      return std::make_unique<NameExpr>(loc(ctx), e->getText());
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
    ExprPtr body;
    if (auto *b = ctx->block())
      body = std::make_unique<BlockExpr>(loc(b), block(b));
    else
      body = seq(ctx->seq());
    return std::make_unique<LambdaExpr>(loc(ctx), std::move(params),
                                        std::move(body));
  }

  SourceFile &source;
  const CodePointMap &map;
  unsigned depth = 0;
  bool tooDeep = false;
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
