//===- AST.cpp - The FAC abstract syntax tree and its dump ----------------===//

#include "fac/AST/AST.h"

#include "llvm/Support/Format.h"

using namespace fac;
using namespace fac::ast;

Expr::~Expr() = default;
Stmt::~Stmt() = default;
Decl::~Decl() = default;

BlockExpr::BlockExpr(Location loc, std::unique_ptr<Block> block)
    : Expr(Kind::Block, loc), block(std::move(block)) {}
BlockExpr::~BlockExpr() = default;

const std::vector<StmtPtr> &ConceptDecl::getHelpers() const {
  static const std::vector<StmtPtr> none;
  return helpers ? *helpers : none;
}

void Module::linkHelpers() {
  for (DeclPtr &d : decls)
    if (auto *c = llvm::dyn_cast<ConceptDecl>(d.get()))
      c->setHelpers(&helpers);
}

void Module::import(Module &&other) {
  for (DeclPtr &d : other.decls)
    decls.push_back(std::move(d));
  // After the helpers of the files imported before, before this file's.
  size_t count = other.helpers.size();
  helpers.insert(helpers.begin() + importedHelpers,
                 std::make_move_iterator(other.helpers.begin()),
                 std::make_move_iterator(other.helpers.end()));
  importedHelpers += count;
  linkHelpers();
}

void fac::ast::forEachChild(const Expr &e,
                            llvm::function_ref<void(Expr &)> fn) {
  switch (e.getKind()) {
  case Expr::Kind::Number:
  case Expr::Kind::Name:
  case Expr::Kind::Bool:
  case Expr::Kind::Unit:
    return;
  case Expr::Kind::Call: {
    auto &c = llvm::cast<CallExpr>(e);
    fn(c.getCallee());
    for (const ExprPtr &arg : c.getArgs())
      fn(*arg);
    return;
  }
  case Expr::Kind::Field:
    return fn(llvm::cast<FieldExpr>(e).getBase());
  case Expr::Kind::Index:
    fn(llvm::cast<IndexExpr>(e).getBase());
    return fn(llvm::cast<IndexExpr>(e).getIndex());
  case Expr::Kind::Slice: {
    auto &s = llvm::cast<SliceExpr>(e);
    fn(s.getBase());
    if (s.getLo())
      fn(*s.getLo());
    if (s.getHi())
      fn(*s.getHi());
    return;
  }
  case Expr::Kind::Binary:
    fn(llvm::cast<BinaryExpr>(e).getLHS());
    return fn(llvm::cast<BinaryExpr>(e).getRHS());
  case Expr::Kind::Neg:
  case Expr::Kind::Exists:
  case Expr::Kind::Not:
    return fn(llvm::cast<UnaryExpr>(e).getOperand());
  case Expr::Kind::Lambda:
    return fn(llvm::cast<LambdaExpr>(e).getBody());
  case Expr::Kind::If: {
    auto &i = llvm::cast<IfExpr>(e);
    fn(i.getCond());
    fn(i.getThen());
    return fn(i.getElse());
  }
  case Expr::Kind::Handle: {
    auto &h = llvm::cast<HandleExpr>(e);
    fn(h.getScrutinee());
    for (const Arm &arm : h.getArms())
      fn(*arm.body);
    return;
  }
  case Expr::Kind::Let:
    fn(llvm::cast<LetExpr>(e).getValue());
    return fn(llvm::cast<LetExpr>(e).getBody());
  case Expr::Kind::Block:
    for (const StmtPtr &stmt : llvm::cast<BlockExpr>(e).getBlock().getStmts())
      forEachChild(*stmt, fn);
    return;
  case Expr::Kind::List:
  case Expr::Kind::Tuple:
    for (const ExprPtr &elem : llvm::cast<ListExpr>(e).getElems())
      fn(*elem);
    return;
  case Expr::Kind::Comprehension: {
    auto &c = llvm::cast<ComprehensionExpr>(e);
    fn(c.getSource());
    if (c.getCond())
      fn(*c.getCond());
    return fn(c.getElem());
  }
  }
}

void fac::ast::forEachChild(const Stmt &s,
                            llvm::function_ref<void(Expr &)> fn) {
  if (auto *let = llvm::dyn_cast<LetStmt>(&s))
    return fn(let->getValue());
  if (auto *assign = llvm::dyn_cast<AssignStmt>(&s)) {
    fn(assign->getTarget());
    return fn(assign->getValue());
  }
  fn(llvm::cast<ExprStmt>(s).getExpr());
}

std::string fac::ast::str(const TypeRef &ref) {
  auto list = [](const std::vector<TypeRef> &types, size_t count,
                 const std::vector<std::string> &names) {
    std::string s;
    for (size_t i = 0; i < count; ++i) {
      s += i ? ", " : "";
      if (i < names.size() && !names[i].empty())
        s += names[i] + ": ";
      s += str(types[i]);
    }
    return s;
  };
  switch (ref.kind) {
  case TypeRef::Kind::Named:
    return ref.args.empty()
               ? ref.name
               : ref.name + "<" + list(ref.args, ref.args.size(), {}) + ">";
  case TypeRef::Kind::Function:
    return "(" + list(ref.args, ref.args.size() - 1, ref.names) + ") -> " +
           str(ref.args.back());
  case TypeRef::Kind::Record:
    return "(" + list(ref.args, ref.args.size(), ref.names) + ")";
  case TypeRef::Kind::Tuple:
    return "(" + list(ref.args, ref.args.size(), {}) + ")";
  }
  return "?";
}

namespace {

std::string patternStr(const Pattern &p) {
  switch (p.kind) {
  case Pattern::Kind::Wildcard:
    return "_";
  case Pattern::Kind::Name:
    return p.name;
  case Pattern::Kind::Number: {
    std::string s;
    llvm::raw_string_ostream(s) << p.number;
    return s;
  }
  case Pattern::Kind::Ctor:
  case Pattern::Kind::Tuple: {
    std::string s = p.kind == Pattern::Kind::Ctor ? p.name + "(" : "(";
    for (size_t i = 0; i < p.subs.size(); ++i)
      s += (i ? ", " : "") + patternStr(p.subs[i]);
    return s + ")";
  }
  }
  return "?";
}

/// Prints one node a line, indented by depth.
class Dumper {
public:
  explicit Dumper(llvm::raw_ostream &os) : os(os) {}

  void module(const Module &m, llvm::StringRef filename) {
    os << "Module " << filename << "\n";
    for (const DeclPtr &d : m.getDecls())
      decl(*d, 1);
  }

private:
  llvm::raw_ostream &line(unsigned depth) { return os.indent(2 * depth); }
  void at(Location loc) { os << " <" << loc.line << ":" << loc.col << ">\n"; }

  void fieldList(llvm::StringRef what, const std::vector<Field> &fields,
                 unsigned depth) {
    for (const Field &f : fields) {
      line(depth) << what << " " << f.name << ": " << str(f.type);
      at(f.loc);
    }
  }

  void decl(const Decl &d, unsigned depth) {
    switch (d.getKind()) {
    case Decl::Kind::Type: {
      auto &t = llvm::cast<TypeDecl>(d);
      line(depth) << "TypeDecl " << t.getName();
      for (const std::string &p : t.getTypeParams())
        os << " <" << p << ">";
      if (t.getAlias())
        os << " = " << str(*t.getAlias());
      at(d.getLoc());
      for (const Ctor &c : t.getCtors()) {
        line(depth + 1) << "Ctor " << c.name;
        at(c.loc);
        fieldList("Field", c.fields, depth + 2);
      }
      return;
    }
    case Decl::Kind::Effect:
    case Decl::Kind::Operator:
    case Decl::Kind::Intrinsic: {
      auto &s = llvm::cast<SignatureDecl>(d);
      line(depth) << (d.getKind() == Decl::Kind::Effect     ? "EffectDecl "
                      : d.getKind() == Decl::Kind::Operator ? "OperatorDecl "
                                                            : "IntrinsicDecl ")
                  << s.getName();
      for (const std::string &p : s.getTypeParams())
        os << " <" << p << ">";
      os << " -> " << str(s.getResult());
      at(d.getLoc());
      fieldList("Param", s.getParams(), depth + 1);
      if (s.getBody())
        expr(*s.getBody(), depth + 1);
      return;
    }
    case Decl::Kind::Concept: {
      auto &c = llvm::cast<ConceptDecl>(d);
      line(depth) << "Concept " << c.getName();
      at(c.getLoc());
      fieldList("Param", c.getParams(), depth + 1);
      for (const StmtPtr &h : c.getHelpers()) {
        line(depth + 1) << "Helper";
        at(h->getLoc());
        stmt(*h, depth + 2);
      }
      block(c.getBody(), depth + 1);
      return;
    }
    case Decl::Kind::Theorem: {
      auto &t = llvm::cast<TheoremDecl>(d);
      line(depth) << "Theorem " << t.getName();
      at(t.getLoc());
      fieldList("ForAll", t.getBinders(), depth + 1);
      expr(t.getBody(), depth + 1);
      return;
    }
    }
  }

  void block(const Block &b, unsigned depth) {
    line(depth) << "Block";
    at(b.getLoc());
    for (const StmtPtr &s : b.getStmts())
      stmt(*s, depth + 1);
  }

  void stmt(const Stmt &s, unsigned depth) {
    if (auto *let = llvm::dyn_cast<LetStmt>(&s)) {
      line(depth) << "Let " << patternStr(let->getPattern());
      at(s.getLoc());
      expr(let->getValue(), depth + 1);
    } else if (auto *assign = llvm::dyn_cast<AssignStmt>(&s)) {
      line(depth) << "Assign";
      at(s.getLoc());
      expr(assign->getTarget(), depth + 1);
      expr(assign->getValue(), depth + 1);
    } else {
      expr(llvm::cast<ExprStmt>(s).getExpr(), depth);
    }
  }

  void header(const Expr &e, unsigned depth, llvm::StringRef text) {
    line(depth) << text;
    if (e.type)
      os << " : " << e.type->str();
    at(e.getLoc());
  }

  void expr(const Expr &e, unsigned depth) {
    switch (e.getKind()) {
    case Expr::Kind::Number: {
      auto &n = llvm::cast<NumberExpr>(e);
      std::string text;
      llvm::raw_string_ostream os(text);
      os << "Number ";
      if (n.isInteger())
        os << static_cast<int64_t>(n.getValue());
      else
        os << llvm::format("%g", n.getValue());
      return header(e, depth, os.str());
    }
    case Expr::Kind::Name:
      return header(e, depth,
                    ("Name " + llvm::cast<NameExpr>(e).getName()).str());
    case Expr::Kind::Call: {
      auto &call = llvm::cast<CallExpr>(e);
      // After the location: the library's overload a perform resolved to
      // (LibraryEffects.def).
      line(depth) << "Call";
      if (e.type)
        os << " : " << e.type->str();
      os << " <" << e.getLoc().line << ":" << e.getLoc().col << ">";
      if (call.libraryEffect)
        os << " library " << getLibraryEffect(*call.libraryEffect).id;
      os << "\n";
      expr(call.getCallee(), depth + 1);
      for (const ExprPtr &a : call.getArgs())
        expr(*a, depth + 1);
      return;
    }
    case Expr::Kind::Field: {
      auto &f = llvm::cast<FieldExpr>(e);
      header(e, depth, ("Field " + f.getField()).str());
      expr(f.getBase(), depth + 1);
      return;
    }
    case Expr::Kind::Index: {
      auto &i = llvm::cast<IndexExpr>(e);
      header(e, depth, "Index");
      expr(i.getBase(), depth + 1);
      expr(i.getIndex(), depth + 1);
      return;
    }
    case Expr::Kind::Slice: {
      auto &s = llvm::cast<SliceExpr>(e);
      header(e, depth,
             std::string("Slice") + (s.getLo() ? " lo" : "") +
                 (s.getHi() ? " hi" : ""));
      expr(s.getBase(), depth + 1);
      if (s.getLo())
        expr(*s.getLo(), depth + 1);
      if (s.getHi())
        expr(*s.getHi(), depth + 1);
      return;
    }
    case Expr::Kind::Binary: {
      auto &b = llvm::cast<BinaryExpr>(e);
      header(e, depth, ("Binary " + b.getOp()).str());
      expr(b.getLHS(), depth + 1);
      expr(b.getRHS(), depth + 1);
      return;
    }
    case Expr::Kind::Neg:
    case Expr::Kind::Exists:
    case Expr::Kind::Not:
      header(e, depth,
             e.getKind() == Expr::Kind::Neg   ? "Neg"
             : e.getKind() == Expr::Kind::Not ? "Not"
                                              : "Exists");
      expr(llvm::cast<UnaryExpr>(e).getOperand(), depth + 1);
      return;
    case Expr::Kind::Bool:
      header(e, depth,
             llvm::cast<BoolExpr>(e).getValue() ? "Bool true" : "Bool false");
      return;
    case Expr::Kind::Lambda: {
      auto &l = llvm::cast<LambdaExpr>(e);
      std::string text = "Lambda (";
      for (size_t i = 0; i < l.getParams().size(); ++i) {
        const Param &p = l.getParams()[i];
        text += (i ? ", " : "") + p.name;
        if (p.type)
          text += ": " + str(*p.type);
      }
      header(e, depth, text + ")");
      expr(l.getBody(), depth + 1);
      return;
    }
    case Expr::Kind::If: {
      auto &i = llvm::cast<IfExpr>(e);
      header(e, depth, "If");
      expr(i.getCond(), depth + 1);
      expr(i.getThen(), depth + 1);
      expr(i.getElse(), depth + 1);
      return;
    }
    case Expr::Kind::Handle: {
      auto &h = llvm::cast<HandleExpr>(e);
      header(e, depth, "Handle");
      expr(h.getScrutinee(), depth + 1);
      for (const Arm &a : h.getArms()) {
        line(depth + 1) << "Arm " << patternStr(a.pattern);
        at(a.loc);
        expr(*a.body, depth + 2);
      }
      return;
    }
    case Expr::Kind::Let: {
      auto &l = llvm::cast<LetExpr>(e);
      header(e, depth, "LetIn " + patternStr(l.getPattern()));
      expr(l.getValue(), depth + 1);
      expr(l.getBody(), depth + 1);
      return;
    }
    case Expr::Kind::Block:
      header(e, depth, "BlockExpr");
      for (const StmtPtr &s : llvm::cast<BlockExpr>(e).getBlock().getStmts())
        stmt(*s, depth + 1);
      return;
    case Expr::Kind::List:
    case Expr::Kind::Tuple:
      header(e, depth, e.getKind() == Expr::Kind::List ? "List" : "Tuple");
      for (const ExprPtr &x : llvm::cast<ListExpr>(e).getElems())
        expr(*x, depth + 1);
      return;
    case Expr::Kind::Comprehension: {
      auto &c = llvm::cast<ComprehensionExpr>(e);
      header(e, depth, ("Comprehension " + c.getVar()).str());
      expr(c.getElem(), depth + 1);
      expr(c.getSource(), depth + 1);
      if (c.getCond())
        expr(*c.getCond(), depth + 1);
      return;
    }
    case Expr::Kind::Unit:
      header(e, depth, "Unit");
      return;
    }
  }

  llvm::raw_ostream &os;
};

} // namespace

void fac::ast::dump(const Module &module, llvm::StringRef filename,
                    llvm::raw_ostream &os) {
  Dumper(os).module(module, filename);
}
