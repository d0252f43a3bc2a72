//===- AST.cpp - The FAC abstract syntax tree and its dump ----------------===//

#include "fac/AST/AST.h"

using namespace fac;
using namespace fac::ast;

LambdaExpr::LambdaExpr(Location loc, std::vector<Param> params,
                       std::unique_ptr<Block> body)
    : Expr(Kind::Lambda, loc), params(std::move(params)),
      body(std::move(body)) {}

LambdaExpr::~LambdaExpr() = default;

namespace {

std::string typeRefStr(const TypeRef &ref) {
  std::string s = ref.name;
  if (!ref.args.empty()) {
    s += "<";
    for (size_t i = 0; i < ref.args.size(); ++i)
      s += (i ? ", " : "") + typeRefStr(ref.args[i]);
    s += ">";
  }
  return s;
}

/// Prints one node a line, indented by depth.
class Dumper {
public:
  Dumper(llvm::raw_ostream &os) : os(os) {}

  void module(const Module &m, llvm::StringRef filename) {
    os << "Module " << filename << "\n";
    for (const DeclPtr &d : m.getDecls())
      decl(*d, 1);
  }

private:
  llvm::raw_ostream &line(unsigned depth) { return os.indent(2 * depth); }
  void at(Location loc) { os << " <" << loc.line << ":" << loc.col << ">"; }
  void typed(const Expr &e) {
    if (e.type)
      os << " : " << e.type->str();
  }

  void fieldList(const std::vector<Field> &fields, unsigned depth) {
    for (const Field &f : fields) {
      line(depth) << "Param " << f.name << ": " << typeRefStr(f.type);
      at(f.loc);
      os << "\n";
    }
  }

  void decl(const Decl &d, unsigned depth) {
    if (auto *t = llvm::dyn_cast<TypeDecl>(&d)) {
      line(depth) << "TypeDecl " << t->getName() << " = "
                  << typeRefStr(t->getDefinition());
      at(d.getLoc());
      os << "\n";
      return;
    }
    if (auto *s = llvm::dyn_cast<SignatureDecl>(&d)) {
      line(depth) << (d.getKind() == Decl::Kind::Effect ? "EffectDecl "
                                                        : "OperatorDecl ")
                  << s->getName() << " -> " << typeRefStr(s->getResult());
      at(d.getLoc());
      os << "\n";
      fieldList(s->getParams(), depth + 1);
      return;
    }
    auto &c = llvm::cast<ConceptDecl>(d);
    line(depth) << "Concept " << c.getName();
    at(c.getLoc());
    os << "\n";
    fieldList(c.getParams(), depth + 1);
    block(c.getBody(), depth + 1);
  }

  void block(const Block &b, unsigned depth) {
    line(depth) << "Block";
    at(b.getLoc());
    os << "\n";
    for (const StmtPtr &s : b.getStmts())
      stmt(*s, depth + 1);
  }

  void stmt(const Stmt &s, unsigned depth) {
    if (auto *let = llvm::dyn_cast<LetStmt>(&s)) {
      line(depth) << "Let " << let->getName();
      at(s.getLoc());
      os << "\n";
      expr(let->getValue(), depth + 1);
    } else if (auto *assign = llvm::dyn_cast<AssignStmt>(&s)) {
      line(depth) << "Assign";
      at(s.getLoc());
      os << "\n";
      expr(assign->getTarget(), depth + 1);
      expr(assign->getValue(), depth + 1);
    } else {
      expr(llvm::cast<ExprStmt>(s).getExpr(), depth);
    }
  }

  void expr(const Expr &e, unsigned depth) {
    switch (e.getKind()) {
    case Expr::Kind::Number: {
      auto &n = llvm::cast<NumberExpr>(e);
      line(depth) << "Number " << n.getValue();
      break;
    }
    case Expr::Kind::Name:
      line(depth) << "Name " << llvm::cast<NameExpr>(e).getName();
      break;
    case Expr::Kind::Call:
      line(depth) << "Call";
      break;
    case Expr::Kind::Field:
      line(depth) << "Field " << llvm::cast<FieldExpr>(e).getField();
      break;
    case Expr::Kind::Binary:
      line(depth) << "Binary " << llvm::cast<BinaryExpr>(e).getOp();
      break;
    case Expr::Kind::Lambda: {
      line(depth) << "Lambda (";
      const auto &params = llvm::cast<LambdaExpr>(e).getParams();
      for (size_t i = 0; i < params.size(); ++i) {
        os << (i ? ", " : "") << params[i].name;
        if (params[i].type)
          os << ": " << typeRefStr(*params[i].type);
      }
      os << ")";
      break;
    }
    }
    typed(e);
    at(e.getLoc());
    os << "\n";
    if (auto *call = llvm::dyn_cast<CallExpr>(&e)) {
      expr(call->getCallee(), depth + 1);
      for (const ExprPtr &a : call->getArgs())
        expr(*a, depth + 1);
    } else if (auto *field = llvm::dyn_cast<FieldExpr>(&e)) {
      expr(field->getBase(), depth + 1);
    } else if (auto *bin = llvm::dyn_cast<BinaryExpr>(&e)) {
      expr(bin->getLHS(), depth + 1);
      expr(bin->getRHS(), depth + 1);
    } else if (auto *lambda = llvm::dyn_cast<LambdaExpr>(&e)) {
      block(lambda->getBody(), depth + 1);
    }
  }

  llvm::raw_ostream &os;
};

} // namespace

void fac::ast::dump(const Module &module, llvm::StringRef filename,
                    llvm::raw_ostream &os) {
  Dumper(os).module(module, filename);
}
