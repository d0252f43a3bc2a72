//===- ASTBuilder.cpp - Parse a spec into the FAC AST ---------------------===//
//
// Runs the ANTLR-generated lexer and parser and converts the parse tree into
// the project's AST. ANTLR works in code points and throws exceptions; both
// stop here: locations become byte columns, exceptions become diagnostics.
//
//===----------------------------------------------------------------------===//

#include "fac/AST/ASTBuilder.h"
#include "fac/Support/ParseNumber.h"
#include "fac/Support/StackGuard.h"

#include "FACLexer.h"
#include "FACParser.h"
#include "antlr4-runtime.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <functional>
#include <set>

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
  /// \p file: the imported file being built (null: the spec itself).
  Builder(SourceFile &source, const CodePointMap &map, SourceFile *file)
      : source(source), map(map), file(file) {}

  std::unique_ptr<Module> module(FACParser::ModuleContext *ctx) {
    std::vector<DeclPtr> decls;
    std::vector<StmtPtr> helpers;
    for (auto *d : ctx->decl()) {
      if (auto *h = d->helperDecl())
        helpers.push_back(std::make_unique<LetStmt>(
            loc(h), pattern(h->pattern()), expr(h->expr())));
      else if (auto *i = d->importDecl())
        imports.push_back(
            {loc(i->path),
             i->path->getText().substr(1, i->path->getText().size() - 2)});
      else
        decls.push_back(decl(d));
    }
    if (tooDeep || builderErrors)
      return nullptr;
    return std::make_unique<Module>(std::move(decls), std::move(helpers));
  }

  /// `import "path"`: where it is written, and the path.
  std::vector<std::pair<Location, std::string>> imports;

private:
  Location loc(antlr4::Token *token) const {
    Location l =
        source.locationOfOffset(map.byteOffset(token->getStartIndex()));
    l.file = file;
    return l;
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
                                           fields(t->fields()), expr(t->body));
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
            {loc(f), f->IDENT()->getText(), typeRef(f->typeExpr()), nullptr});
    return result;
  }

  TypeRef typeRef(FACParser::TypeExprContext *ctx) {
    TypeRef ref;
    ref.loc = loc(ctx);
    if (auto *named = dynamic_cast<FACParser::NamedTypeContext *>(ctx)) {
      ref.name = named->IDENT()->getText();
      for (auto *arg : named->typeExpr())
        ref.args.push_back(typeRef(arg));
      return ref;
    }
    auto *paren = static_cast<FACParser::ParenTypeContext *>(ctx);
    size_t named = 0;
    for (auto *elem : paren->typeElem()) {
      ref.names.push_back(elem->IDENT() ? elem->IDENT()->getText() : "");
      named += elem->IDENT() ? 1 : 0;
      ref.args.push_back(typeRef(elem->typeExpr()));
    }
    size_t count = ref.args.size();
    if (named != 0 && named != count) {
      source.error(ref.loc, "either every element of a parenthesised type "
                            "has a name or none has");
      ++builderErrors;
    }
    if (paren->result) {
      // `(A, B) -> R` or `(a: A, b: B) -> R`: parameters, then the result.
      ref.kind = TypeRef::Kind::Function;
      ref.args.push_back(typeRef(paren->result));
      if (named == 0)
        ref.names.clear();
      return ref;
    }
    if (named == count && count > 0) {
      ref.kind = TypeRef::Kind::Record;
      return ref;
    }
    ref.names.clear();
    if (count == 0) {
      ref.name = "Unit";
      return ref;
    }
    if (count == 1)
      return std::move(ref.args.front());
    ref.kind = TypeRef::Kind::Tuple;
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
    auto *e = static_cast<FACParser::ExprStmtContext *>(ctx);
    if (e->value)
      return std::make_unique<AssignStmt>(loc(ctx), expr(e->target),
                                          expr(e->value));
    return std::make_unique<ExprStmt>(loc(ctx), expr(e->target));
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
      int64_t exact = 0;
      numberLiteral(text, loc(num), p.isInteger, p.number, exact);
      // A pattern compares as a double: integers beyond 2^53 would match
      // their neighbours.
      if (p.isInteger && exact > (int64_t(1) << 53)) {
        source.error(loc(num), "integer pattern " + text +
                                   " is beyond 2^53, where patterns compare "
                                   "exactly");
        ++builderErrors;
      }
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
      return std::make_unique<SliceExpr>(loc(ctx), expr(e->expr(0)),
                                         e->lo ? expr(e->lo) : nullptr,
                                         e->hi ? expr(e->hi) : nullptr);
    if (auto *e = dynamic_cast<FACParser::IndexExprContext *>(ctx))
      return std::make_unique<IndexExpr>(loc(ctx), expr(e->expr(0)),
                                         expr(e->index));
    if (auto *e = dynamic_cast<FACParser::ExistsExprContext *>(ctx))
      return std::make_unique<UnaryExpr>(Expr::Kind::Exists, loc(e->EXISTS()),
                                         expr(e->expr()));
    if (auto *e = dynamic_cast<FACParser::NotExprContext *>(ctx))
      return std::make_unique<UnaryExpr>(Expr::Kind::Not, loc(ctx),
                                         expr(e->expr()));
    if (auto *e = dynamic_cast<FACParser::BoolExprContext *>(ctx))
      return std::make_unique<BoolExpr>(loc(ctx),
                                        e->value->getText() == "true");
    if (auto *e = dynamic_cast<FACParser::NegExprContext *>(ctx))
      return std::make_unique<UnaryExpr>(Expr::Kind::Neg, loc(ctx),
                                         expr(e->expr()));
    if (auto *e = dynamic_cast<FACParser::BinaryExprContext *>(ctx))
      return std::make_unique<BinaryExpr>(loc(e->op), e->op->getText(),
                                          expr(e->expr(0)), expr(e->expr(1)));
    if (auto *e = dynamic_cast<FACParser::LambdaExprContext *>(ctx)) {
      std::vector<Param> params;
      params.push_back({loc(e->IDENT()), e->IDENT()->getText(), std::nullopt});
      return std::make_unique<LambdaExpr>(loc(ctx), std::move(params),
                                          lambdaBody(e->lambdaBody()));
    }
    if (auto *e = dynamic_cast<FACParser::IfExprContext *>(ctx))
      return std::make_unique<IfExpr>(loc(ctx), expr(e->cond), seq(e->thenBody),
                                      seq(e->elseBody));
    if (auto *e = dynamic_cast<FACParser::HandleExprContext *>(ctx)) {
      std::vector<Arm> arms;
      for (auto *a : e->arm())
        arms.push_back({loc(a), pattern(a->pattern()), seq(a->seq())});
      return std::make_unique<HandleExpr>(loc(ctx), expr(e->expr()),
                                          std::move(arms));
    }
    if (auto *e = dynamic_cast<FACParser::ParenExprContext *>(ctx))
      return parenExpr(e);
    if (auto *e = dynamic_cast<FACParser::ListExprContext *>(ctx)) {
      if (!e->first)
        return std::make_unique<ListExpr>(Expr::Kind::List, loc(ctx),
                                          std::vector<ExprPtr>());
      if (auto *c = e->comprehension())
        return comprehension(loc(ctx), expr(e->first), c);
      std::vector<ExprPtr> elems;
      for (auto *x : e->expr())
        elems.push_back(expr(x));
      return std::make_unique<ListExpr>(Expr::Kind::List, loc(ctx),
                                        std::move(elems));
    }
    if (auto *e = dynamic_cast<FACParser::NameExprContext *>(ctx))
      return std::make_unique<NameExpr>(loc(ctx), e->getText());
    auto *num = static_cast<FACParser::NumberExprContext *>(ctx);
    std::string text = num->getText();
    bool isInteger = text.find_first_of(".eE") == std::string::npos;
    double value = 0;
    int64_t intValue = 0;
    if (!numberLiteral(text, loc(ctx), isInteger, value, intValue))
      return std::make_unique<UnitExpr>(loc(ctx));
    return std::make_unique<NumberExpr>(loc(ctx), value, isInteger, intValue);
  }

  /// `[elem | g1, c1, g2, ...]`: one generator and at most one condition
  /// after it is a ComprehensionExpr; more nest, from the left, as
  /// `List.flatten([[... | g2, ...] | g1])`, a condition before the next
  /// generator as `if c then [...] else []`.
  ExprPtr comprehension(Location at, ExprPtr elem,
                        FACParser::ComprehensionContext *ctx) {
    std::vector<antlr4::tree::ParseTree *> items(ctx->children.begin() + 1,
                                                 ctx->children.end());
    // The generators and conditions, without the commas.
    llvm::erase_if(items, [](antlr4::tree::ParseTree *t) {
      return dynamic_cast<antlr4::tree::TerminalNode *>(t) != nullptr;
    });
    std::function<ExprPtr(size_t, ExprPtr)> nest = [&](size_t i,
                                                       ExprPtr inner) {
      if (i == items.size()) {
        std::vector<ExprPtr> one;
        one.push_back(std::move(inner));
        return ExprPtr(
            std::make_unique<ListExpr>(Expr::Kind::List, at, std::move(one)));
      }
      if (auto *cond = dynamic_cast<FACParser::ExprContext *>(items[i])) {
        ExprPtr c = expr(cond);
        Location l = c->getLoc();
        return ExprPtr(std::make_unique<IfExpr>(
            l, std::move(c), nest(i + 1, std::move(inner)),
            std::make_unique<ListExpr>(Expr::Kind::List, l,
                                       std::vector<ExprPtr>())));
      }
      auto *g = static_cast<FACParser::GeneratorContext *>(items[i]);
      bool last = i + 1 == items.size() ||
                  (i + 2 == items.size() &&
                   dynamic_cast<FACParser::ExprContext *>(items[i + 1]));
      if (last) {
        ExprPtr cond =
            i + 1 < items.size()
                ? expr(static_cast<FACParser::ExprContext *>(items[i + 1]))
                : nullptr;
        return ExprPtr(std::make_unique<ComprehensionExpr>(
            at, std::move(inner), g->IDENT()->getText(), loc(g->IDENT()),
            expr(g->source), std::move(cond)));
      }
      ExprPtr lists = std::make_unique<ComprehensionExpr>(
          at, nest(i + 1, std::move(inner)), g->IDENT()->getText(),
          loc(g->IDENT()), expr(g->source), nullptr);
      std::vector<ExprPtr> args;
      args.push_back(std::move(lists));
      auto flatten = std::make_unique<FieldExpr>(
          at, std::make_unique<NameExpr>(at, "List"), "flatten");
      flatten->qualifiedName = "List.flatten";
      return ExprPtr(
          std::make_unique<CallExpr>(at, std::move(flatten), std::move(args)));
    };
    return nest(0, std::move(elem));
  }

  /// Reads literal \p text: an integer must fit Int (64 bits), a number
  /// with a fraction or exponent must be a finite Float. Reports and
  /// returns false otherwise.
  bool numberLiteral(const std::string &text, Location at, bool isInteger,
                     double &value, int64_t &intValue) {
    if (isInteger) {
      std::optional<int64_t> i = parseInteger(text, 0, INT64_MAX);
      if (!i) {
        source.error(at, "integer literal " + text +
                             " does not fit in Int (at most " +
                             llvm::Twine(INT64_MAX) + ")");
        ++builderErrors;
        return false;
      }
      intValue = *i;
      value = double(*i);
      return true;
    }
    value = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(value)) {
      source.error(at, "number literal " + text + " is out of Float's range");
      ++builderErrors;
      return false;
    }
    return true;
  }

  ExprPtr lambdaBody(FACParser::LambdaBodyContext *ctx) {
    if (auto *b = ctx->block())
      return std::make_unique<BlockExpr>(loc(b), block(b));
    return seq(ctx->seq());
  }

  /// `()`, `(e)`, `(a, b)`, or with `=>` the parameters of a lambda.
  ExprPtr parenExpr(FACParser::ParenExprContext *ctx) {
    auto elems = ctx->parenElem();
    if (ctx->lambdaBody()) {
      std::vector<Param> params;
      for (auto *elem : elems) {
        auto *name = dynamic_cast<FACParser::NameExprContext *>(elem->expr());
        if (!name) {
          source.error(loc(elem), "a lambda parameter must be a name, "
                                  "optionally with a type: 'x' or 'x: T'");
          ++builderErrors;
          continue;
        }
        Param p{loc(elem), name->getText(), std::nullopt};
        if (elem->typeExpr())
          p.type = typeRef(elem->typeExpr());
        params.push_back(std::move(p));
      }
      return std::make_unique<LambdaExpr>(loc(ctx), std::move(params),
                                          lambdaBody(ctx->lambdaBody()));
    }
    std::vector<ExprPtr> values;
    for (auto *elem : elems) {
      if (elem->typeExpr()) {
        source.error(loc(elem->typeExpr()),
                     "a type annotation is only allowed on the parameters of "
                     "a lambda");
        ++builderErrors;
      }
      values.push_back(expr(elem->expr()));
    }
    if (values.empty())
      return std::make_unique<UnitExpr>(loc(ctx));
    if (values.size() == 1)
      return std::move(values.front());
    return std::make_unique<ListExpr>(Expr::Kind::Tuple, loc(ctx),
                                      std::move(values));
  }

  SourceFile &source;
  const CodePointMap &map;
  SourceFile *file;
  unsigned depth = 0;
  bool tooDeep = false;
  unsigned builderErrors = 0;
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

/// Thrown by GuardedParser at the token where rules nest too deep.
struct NestingTooDeep {
  antlr4::Token *token;
};

/// The generated parser, stopped before its recursive descent nests more
/// than kMaxRuleDepth rules or nears the end of the stack: operators and
/// keywords nest without brackets (`- - - x`, `if a then if b ...`), so
/// the bracket pre-check alone cannot bound the recursion.
class GuardedParser : public FACParser {
public:
  using FACParser::FACParser;

  void enterRule(antlr4::ParserRuleContext *ctx, size_t state,
                 size_t rule) override {
    checkDepth();
    FACParser::enterRule(ctx, state, rule);
  }
  void enterRecursionRule(antlr4::ParserRuleContext *ctx, size_t state,
                          size_t rule, int precedence) override {
    checkDepth();
    FACParser::enterRecursionRule(ctx, state, rule, precedence);
  }

private:
  void checkDepth() {
    antlr4::ParserRuleContext *ctx = getContext();
    if ((ctx && unsigned(ctx->depth()) >= kMaxRuleDepth) ||
        isStackNearlyExhausted())
      throw NestingTooDeep{getCurrentToken()};
  }
};

/// The files of one parse: the spec's, which owns the imported ones, and
/// the real paths of those read so far.
struct ImportState {
  SourceFile &root;
  std::set<std::string> seen;
  unsigned depth = 0;
};

std::unique_ptr<Module> parseOnThisThread(SourceFile &source, SourceFile *file,
                                          ImportState &state);

/// The module of `import "path"` written at \p at in \p from: empty when
/// the file was read already (imported twice, or a cycle).
std::unique_ptr<Module> importFile(const SourceFile &from, Location at,
                                   llvm::StringRef path, ImportState &state) {
  llvm::SmallString<256> full(path);
  if (!llvm::sys::path::is_absolute(path)) {
    full = llvm::sys::path::parent_path(from.getFilename());
    llvm::sys::path::append(full, path);
  }
  auto fail = [&](const llvm::Twine &why) -> std::unique_ptr<Module> {
    state.root.error(at, "cannot import '" + path + "': " + why);
    return nullptr;
  };
  llvm::SmallString<256> real;
  if (std::error_code ec = llvm::sys::fs::real_path(full, real))
    return fail(ec.message());
  if (!llvm::sys::fs::is_regular_file(real))
    return fail("not a regular file");
  if (!state.seen.insert(real.str().str()).second)
    return std::make_unique<Module>(std::vector<DeclPtr>{});
  if (state.depth >= kMaxImportDepth)
    return fail("imports nest deeper than " + llvm::Twine(kMaxImportDepth) +
                " files");
  auto buffer = llvm::MemoryBuffer::getFile(full, /*IsText=*/true);
  if (!buffer)
    return fail(buffer.getError().message());
  SourceFile &imported = state.root.addImport(std::move(*buffer));
  ++state.depth;
  std::unique_ptr<Module> module =
      parseOnThisThread(imported, &imported, state);
  --state.depth;
  if (!module) {
    state.root.note(at, "imported here");
    return nullptr;
  }
  // A library: what a spec's concepts use, not concepts of its own.
  for (const DeclPtr &d : module->getDecls())
    if (llvm::isa<ConceptDecl, TheoremDecl>(d.get())) {
      state.root.error(
          d->getLoc(),
          llvm::Twine("an imported file holds helpers, types, "
                      "effects and operators; '") +
              d->getName() + "' is a " +
              (llvm::isa<ConceptDecl>(d.get()) ? "concept" : "theorem"));
      state.root.note(at, "imported here");
      return nullptr;
    }
  return module;
}

/// Lexes, parses and builds the AST of \p source on the calling thread,
/// then its imports. \p file is the imported file being read (null: the
/// spec).
std::unique_ptr<Module> parseOnThisThread(SourceFile &source, SourceFile *file,
                                          ImportState &state) {
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
    GuardedParser parser(&tokens);
    parser.removeErrorListeners();
    FACParser::ModuleContext *tree = nullptr;
    try {
      // Two stages, as ANTLR recommends: SLL prediction, which is linear
      // on the chains of prefix operators and nested `if`s that full LL
      // prediction takes quadratic time on; only a spec SLL cannot parse
      // is parsed again with LL, which reports the syntax errors.
      parser.getInterpreter<antlr4::atn::ParserATNSimulator>()
          ->setPredictionMode(antlr4::atn::PredictionMode::SLL);
      parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
      try {
        tree = parser.module();
      } catch (const antlr4::ParseCancellationException &) {
        tokens.seek(0);
        parser.reset();
        parser.addErrorListener(&listener);
        parser.setErrorHandler(
            std::make_shared<antlr4::DefaultErrorStrategy>());
        parser.getInterpreter<antlr4::atn::ParserATNSimulator>()
            ->setPredictionMode(antlr4::atn::PredictionMode::LL);
        tree = parser.module();
      }
    } catch (const NestingTooDeep &deep) {
      source.error(
          source.locationOfOffset(map.byteOffset(deep.token->getStartIndex())),
          "expression nested too deeply to parse (more than " +
              llvm::Twine(kMaxRuleDepth) + " grammar rules deep)");
      return nullptr;
    }
    if (source.getNumErrors() > 0)
      return nullptr;
    Builder builder(source, map, file);
    std::unique_ptr<Module> module = builder.module(tree);
    if (!module)
      return nullptr;
    for (auto &[at, path] : builder.imports) {
      std::unique_ptr<Module> imported = importFile(source, at, path, state);
      if (!imported)
        return nullptr;
      module->import(std::move(*imported));
    }
    return module;
  } catch (const std::exception &e) {
    source.error({1, 1}, llvm::Twine("cannot parse input: ") + e.what());
    return nullptr;
  }
}

} // namespace

std::unique_ptr<Module> fac::parseModule(SourceFile &source) {
  // ANTLR's prediction recurses once or more per open rule, below the
  // rules themselves: at kMaxRuleDepth rules a sanitizer build needs more
  // than a default 8 MB stack. So the parse gets a large stack of its own,
  // and neither the build nor the caller's stack decides what parses.
  std::unique_ptr<Module> result;
  runOnLargeStack([&] {
    ImportState state{source, {}, 0};
    llvm::SmallString<256> real;
    if (!llvm::sys::fs::real_path(source.getFilename(), real))
      state.seen.insert(real.str().str());
    result = parseOnThisThread(source, nullptr, state);
    return 0;
  });
  return result;
}
