//===- MLIRGen.cpp - AST to fac dialect
//------------------------------------===//
//
// A direct walk over the checked AST in the style of Toy's MLIRGen: names
// live in a scoped table of SSA values, concepts become fac.concept, lambdas
// fac.lambda, effect calls fac.perform and `model.slot := f` fac.export.
//
//===----------------------------------------------------------------------===//

#include "fac/MLIRGen/MLIRGen.h"

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopedHashTable.h"

using namespace mlir;
using namespace fac;

namespace {

class Generator {
public:
  Generator(MLIRContext &context, llvm::StringRef filename)
      : builder(&context), filename(builder.getStringAttr(filename)) {}

  OwningOpRef<ModuleOp> run(const ast::Module &module) {
    OwningOpRef<ModuleOp> result = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(result->getBody());
    for (const ast::DeclPtr &d : module.getDecls())
      if (auto *c = llvm::dyn_cast<ast::ConceptDecl>(d.get()))
        if (failed(concept(*c)))
          return nullptr;
    if (failed(verify(*result)))
      return nullptr;
    return result;
  }

private:
  using ScopeTable = llvm::ScopedHashTable<llvm::StringRef, Value>;
  using Scope = llvm::ScopedHashTableScope<llvm::StringRef, Value>;

  mlir::Location loc(fac::Location l) {
    return FileLineColLoc::get(filename, l.line, l.col);
  }

  /// The location of a parameter, which also carries its name.
  mlir::Location namedLoc(llvm::StringRef name, fac::Location l) {
    return NameLoc::get(builder.getStringAttr(name), loc(l));
  }

  /// The MLIR type of a language type; null (after an error) for the types
  /// MLIRGen does not lower yet.
  mlir::Type convert(const sema::TypePtr &type, mlir::Location loc) {
    sema::TypePtr t = sema::prune(type);
    switch (t->getKind()) {
    case sema::Type::Kind::Con:
      if (t->isCon("Float"))
        return builder.getF32Type();
      if (t->isCon("Int"))
        return builder.getI64Type();
      if (t->isCon("Bool"))
        return builder.getI1Type();
      if (t->isCon("Tensor"))
        return fac::TensorType::get(builder.getContext());
      break;
    case sema::Type::Kind::Var:
      // An integer literal whose type nothing fixed is an Int.
      if (t->numeric)
        return builder.getI64Type();
      break;
    case sema::Type::Kind::Function: {
      SmallVector<mlir::Type> inputs;
      for (const sema::TypePtr &p : t->getParams()) {
        inputs.push_back(convert(p, loc));
        if (!inputs.back())
          return nullptr;
      }
      mlir::Type result = convert(t->getResult(), loc);
      return result ? builder.getFunctionType(inputs, result) : nullptr;
    }
    case sema::Type::Kind::Tuple:
    case sema::Type::Kind::Error:
      break;
    }
    emitError(loc, "MLIR generation does not support values of type '")
        << t->str() << "' yet";
    return nullptr;
  }

  LogicalResult concept(const ast::ConceptDecl &c) {
    auto op = builder.create<ConceptOp>(loc(c.getLoc()), c.getName());
    OpBuilder::InsertionGuard guard(builder);
    mlir::Block *body = builder.createBlock(&op.getBody());
    Scope scope(symbols);
    for (const ast::Field &p : c.getParams()) {
      // Sema resolved every parameter type; convert the written name again.
      mlir::Type type = paramType(p.type);
      if (!type)
        return emitError(loc(p.loc), "unsupported parameter type '")
               << p.type.name << "'";
      symbols.insert(p.name, body->addArgument(type, namedLoc(p.name, p.loc)));
    }
    builder.setInsertionPointToEnd(body);
    return block(c.getBody());
  }

  mlir::Type paramType(const ast::TypeRef &ref) {
    if (ref.name == "Float")
      return builder.getF32Type();
    if (ref.name == "Int")
      return builder.getI64Type();
    if (ref.name == "Bool")
      return builder.getI1Type();
    if (ref.name == "Tensor")
      return fac::TensorType::get(builder.getContext());
    return nullptr;
  }

  /// Emits the statements of \p b; the block's value, if it has one, is in
  /// \p value.
  LogicalResult block(const ast::Block &b, Value *value = nullptr) {
    Scope scope(symbols);
    Value last;
    for (const ast::StmtPtr &s : b.getStmts()) {
      last = nullptr;
      if (auto *let = llvm::dyn_cast<ast::LetStmt>(s.get())) {
        const ast::Pattern &pattern = let->getPattern();
        if (pattern.kind != ast::Pattern::Kind::Name &&
            pattern.kind != ast::Pattern::Kind::Wildcard)
          return emitError(loc(pattern.loc),
                           "MLIR generation does not support destructuring "
                           "'let' yet");
        Value v = expr(let->getValue());
        if (!v)
          return failure();
        if (pattern.kind == ast::Pattern::Kind::Name)
          symbols.insert(pattern.name, v);
      } else if (auto *assign = llvm::dyn_cast<ast::AssignStmt>(s.get())) {
        auto &field = llvm::cast<ast::FieldExpr>(assign->getTarget());
        Value v = expr(assign->getValue());
        if (!v)
          return failure();
        builder.create<ExportOp>(loc(s->getLoc()), field.getField(), v);
      } else {
        last = expr(llvm::cast<ast::ExprStmt>(*s).getExpr());
        if (!last)
          return failure();
      }
    }
    if (value)
      *value = last;
    return success();
  }

  Value expr(const ast::Expr &e) {
    switch (e.getKind()) {
    case ast::Expr::Kind::Number: {
      auto &n = llvm::cast<ast::NumberExpr>(e);
      mlir::Location l = loc(e.getLoc());
      mlir::Type type = convert(e.type, l);
      if (!type)
        return nullptr;
      if (type.isF32())
        return builder.create<arith::ConstantOp>(
            l, builder.getF32FloatAttr(n.getValue()));
      return builder.create<arith::ConstantOp>(
          l, builder.getI64IntegerAttr(static_cast<int64_t>(n.getValue())));
    }
    case ast::Expr::Kind::Name: {
      auto &name = llvm::cast<ast::NameExpr>(e);
      if (name.resolved == ast::NameKind::Local)
        if (Value v = symbols.lookup(name.getName()))
          return v;
      emitError(loc(e.getLoc()), "unknown name '") << name.getName() << "'";
      return nullptr;
    }
    case ast::Expr::Kind::Call:
      return call(llvm::cast<ast::CallExpr>(e));
    case ast::Expr::Kind::Field:
      emitError(loc(e.getLoc()), "reading a model slot is not supported");
      return nullptr;
    case ast::Expr::Kind::Binary:
      return binary(llvm::cast<ast::BinaryExpr>(e));
    case ast::Expr::Kind::Lambda:
      return lambda(llvm::cast<ast::LambdaExpr>(e));
    case ast::Expr::Kind::Block: {
      Value value;
      if (failed(block(llvm::cast<ast::BlockExpr>(e).getBlock(), &value)))
        return nullptr;
      if (!value)
        emitError(loc(e.getLoc()), "block has no value");
      return value;
    }
    default:
      emitError(loc(e.getLoc()),
                "MLIR generation does not support this construct yet");
      return nullptr;
    }
    return nullptr;
  }

  Value call(const ast::CallExpr &e) {
    SmallVector<Value> args;
    for (const ast::ExprPtr &a : e.getArgs()) {
      args.push_back(expr(*a));
      if (!args.back())
        return nullptr;
    }
    mlir::Type result = convert(e.type, loc(e.getLoc()));
    if (!result)
      return nullptr;
    if (!e.performedEffect.empty())
      return builder.create<PerformOp>(loc(e.getLoc()), result,
                                       e.performedEffect, args);
    Value callee = expr(e.getCallee());
    if (!callee)
      return nullptr;
    return builder.create<ApplyOp>(loc(e.getLoc()), result, callee, args);
  }

  Value binary(const ast::BinaryExpr &e) {
    Value lhs = expr(e.getLHS());
    Value rhs = lhs ? expr(e.getRHS()) : nullptr;
    if (!rhs)
      return nullptr;
    mlir::Location l = loc(e.getLoc());
    llvm::StringRef op = e.getOp();
    mlir::Type result = convert(e.type, l);
    if (!result)
      return nullptr;
    bool lhsTensor = isa<fac::TensorType>(lhs.getType());
    bool rhsTensor = isa<fac::TensorType>(rhs.getType());
    if (op == "*" && !(lhsTensor && rhsTensor))
      return builder.create<MulOp>(l, result, lhs, rhs);
    if (lhsTensor || rhsTensor) {
      emitError(l, "MLIR generation does not support '")
          << op << "' on tensors yet";
      return nullptr;
    }
    bool isFloat = lhs.getType().isF32();
    if (op == "+")
      return isFloat ? Value(builder.create<arith::AddFOp>(l, lhs, rhs))
                     : Value(builder.create<arith::AddIOp>(l, lhs, rhs));
    if (op == "-")
      return isFloat ? Value(builder.create<arith::SubFOp>(l, lhs, rhs))
                     : Value(builder.create<arith::SubIOp>(l, lhs, rhs));
    if (op == "/")
      return isFloat ? Value(builder.create<arith::DivFOp>(l, lhs, rhs))
                     : Value(builder.create<arith::DivSIOp>(l, lhs, rhs));
    static const std::pair<
        const char *, std::pair<arith::CmpFPredicate, arith::CmpIPredicate>>
        compares[] = {
            {"<", {arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt}},
            {">", {arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt}},
            {"<=", {arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle}},
            {">=", {arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge}},
            {"==", {arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq}},
            {"!=", {arith::CmpFPredicate::UNE, arith::CmpIPredicate::ne}}};
    for (auto &[name, preds] : compares)
      if (op == name)
        return isFloat ? Value(builder.create<arith::CmpFOp>(l, preds.first,
                                                             lhs, rhs))
                       : Value(builder.create<arith::CmpIOp>(l, preds.second,
                                                             lhs, rhs));
    emitError(l, "operator '") << op << "' has no lowering yet";
    return nullptr;
  }

  Value lambda(const ast::LambdaExpr &e) {
    mlir::Location l = loc(e.getLoc());
    auto type = llvm::dyn_cast_or_null<FunctionType>(convert(e.type, l));
    if (!type)
      return nullptr;
    auto op = builder.create<LambdaOp>(l, type);
    OpBuilder::InsertionGuard guard(builder);
    mlir::Block *body = builder.createBlock(&op.getBody());
    Scope scope(symbols);
    for (auto [param, t] : llvm::zip(e.getParams(), type.getInputs()))
      symbols.insert(param.name,
                     body->addArgument(t, namedLoc(param.name, param.loc)));
    builder.setInsertionPointToEnd(body);
    Value result = expr(e.getBody());
    if (!result)
      return nullptr;
    builder.create<ReturnOp>(l, result);
    return op;
  }

  OpBuilder builder;
  StringAttr filename;
  ScopeTable symbols;
};

} // namespace

OwningOpRef<ModuleOp> fac::mlirGen(MLIRContext &context,
                                   const ast::Module &module,
                                   llvm::StringRef filename) {
  context.getOrLoadDialect<FACDialect>();
  return Generator(context, filename).run(module);
}
