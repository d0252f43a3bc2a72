//===- MLIRGen.cpp - AST to fac dialect -----------------------------------===//
//
// A direct walk over the checked AST in the style of Toy's MLIRGen: names
// live in a scoped table of SSA values and every construct of the language
// becomes the fac op that mirrors it (docs/LanguageReference.md, FACOps.td).
// Sema has already resolved names, overloads and types; this walk only
// reads what it recorded.
//
//===----------------------------------------------------------------------===//

#include "fac/MLIRGen/MLIRGen.h"

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/ScopedHashTable.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"

#include <cfloat>
#include <limits>
#include <map>

using namespace mlir;
using namespace fac;

namespace {

class Generator {
public:
  Generator(MLIRContext &context, llvm::StringRef filename)
      : builder(&context), filename(builder.getStringAttr(filename)) {}

  OwningOpRef<ModuleOp> run(const ast::Module &module) {
    OwningOpRef<ModuleOp> result = ModuleOp::create(builder.getUnknownLoc());
    this->module = *result;
    specModule = &module;
    builder.setInsertionPointToEnd(result->getBody());
    for (const ast::DeclPtr &d : module.getDecls()) {
      if (auto *c = llvm::dyn_cast<ast::ConceptDecl>(d.get())) {
        if (failed(concept(*c, module)))
          return nullptr;
      } else if (auto *t = llvm::dyn_cast<ast::TheoremDecl>(d.get());
                 t && !t->concept) {
        emitError(loc(t->getLoc()),
                  "a theorem must follow the concept it is about");
        return nullptr;
      }
    }
    if (failed(verify(*result)))
      return nullptr;
    return result;
  }

private:
  using ScopeTable = llvm::ScopedHashTable<llvm::StringRef, Value>;
  using Scope = llvm::ScopedHashTableScope<llvm::StringRef, Value>;

  //===--------------------------------------------------------------------===//
  // Locations and types
  //===--------------------------------------------------------------------===//

  mlir::Location loc(fac::Location l) {
    // An imported file's locations name it.
    if (l.file)
      return FileLineColLoc::get(builder.getStringAttr(l.file->getFilename()),
                                 l.line, l.col);
    return FileLineColLoc::get(filename, l.line, l.col);
  }

  /// The location of a parameter, which also carries its name.
  mlir::Location namedLoc(llvm::StringRef name, fac::Location l) {
    return NameLoc::get(builder.getStringAttr(name), loc(l));
  }

  /// The MLIR type of a language type.
  mlir::Type convert(const sema::TypePtr &type) {
    sema::TypePtr t = sema::prune(type);
    MLIRContext *ctx = builder.getContext();
    switch (t->getKind()) {
    case sema::Type::Kind::Con: {
      const std::string &name = t->getName();
      if (name == "Float")
        return builder.getF32Type();
      if (name == "Int")
        return builder.getI64Type();
      if (name == "Bool")
        return builder.getI1Type();
      if (name == "Unit")
        return builder.getNoneType();
      if (name == "Tensor")
        return fac::TensorType::get(ctx);
      if (name == "Int8Tensor")
        return fac::Int8TensorType::get(ctx);
      if (name == "LanguageModel")
        return ModelType::get(ctx);
      SmallVector<mlir::Type> args;
      for (const sema::TypePtr &a : t->getArgs())
        args.push_back(convert(a));
      if (name == "List")
        return ListType::get(ctx, args.front());
      return DataType::get(ctx, name, args);
    }
    case sema::Type::Kind::Var:
      // An integer literal nothing fixed is an Int; a value nothing
      // constrains at all carries no information: Unit.
      return t->numeric ? mlir::Type(builder.getI64Type())
                        : mlir::Type(builder.getNoneType());
    case sema::Type::Kind::Function: {
      SmallVector<mlir::Type> inputs;
      for (const sema::TypePtr &p : t->getParams())
        inputs.push_back(convert(p));
      return builder.getFunctionType(inputs, convert(t->getResult()));
    }
    case sema::Type::Kind::Tuple: {
      SmallVector<mlir::Type> elems;
      for (const sema::TypePtr &e : t->getArgs())
        elems.push_back(convert(e));
      return builder.getTupleType(elems);
    }
    case sema::Type::Kind::Error:
      break;
    }
    return builder.getNoneType();
  }

  //===--------------------------------------------------------------------===//
  // Concepts, theorems and operators
  //===--------------------------------------------------------------------===//

  LogicalResult concept(const ast::ConceptDecl &c, const ast::Module &m) {
    auto op = builder.create<ConceptOp>(loc(c.getLoc()), c.getName());
    OpBuilder::InsertionGuard guard(builder);
    mlir::Block *body = builder.createBlock(&op.getBody());
    builder.setInsertionPointToEnd(body);
    // The spec's top-level lets, in a scope around the parameters'.
    Scope helpers(symbols);
    if (failed(statements(c.getHelpers(), nullptr)))
      return failure();
    Scope scope(symbols);
    for (const ast::Field &p : c.getParams())
      symbols.insert(p.name, body->addArgument(convert(p.resolved),
                                               namedLoc(p.name, p.loc)));
    Value value;
    if (failed(statements(c.getBody().getStmts(), &value)))
      return failure();
    // A concept whose value is a function is the model's forward pass.
    if (value && isa<FunctionType>(value.getType()))
      builder.create<ExportOp>(value.getLoc(), "forward", value);
    // The theorems about this concept see its bindings.
    for (const ast::DeclPtr &d : m.getDecls())
      if (auto *t = llvm::dyn_cast<ast::TheoremDecl>(d.get());
          t && t->concept == &c && failed(theorem(*t)))
        return failure();
    return success();
  }

  LogicalResult theorem(const ast::TheoremDecl &t) {
    auto op = builder.create<TheoremOp>(loc(t.getLoc()), t.getName());
    OpBuilder::InsertionGuard guard(builder);
    mlir::Block *body = builder.createBlock(&op.getBody());
    Scope scope(symbols);
    for (const ast::Field &b : t.getBinders())
      symbols.insert(b.name, body->addArgument(convert(b.resolved),
                                               namedLoc(b.name, b.loc)));
    builder.setInsertionPointToEnd(body);
    Value statement = expr(t.getBody());
    if (!statement)
      return failure();
    builder.create<YieldOp>(loc(t.getBody().getLoc()), statement);
    return success();
  }

  /// The fac.operator for an operator declaration, created on first use.
  FailureOr<OperatorOp> operatorFor(const ast::SignatureDecl &decl,
                                    const sema::TypePtr &type,
                                    mlir::Location useLoc) {
    // One fac.operator per declaration and operand types: a generic
    // operator is generated for each type it is used at.
    auto fnType = cast<FunctionType>(convert(type));
    auto it = operators.find({&decl, fnType});
    if (it != operators.end())
      return it->second;
    if (!decl.getBody())
      return emitError(useLoc, "operator '")
                 << decl.getName() << "' has no body to generate",
             failure();
    // A declaration that is not the spec's is the prelude's.
    bool fromPrelude =
        llvm::none_of(specModule->getDecls(),
                      [&](const ast::DeclPtr &d) { return d.get() == &decl; });
    StringAttr savedFilename = filename;
    if (fromPrelude)
      filename = builder.getStringAttr("<prelude>");
    auto restore = llvm::make_scope_exit([&] { filename = savedFilename; });
    // An ASCII symbol: MLIR prints non-ASCII bytes of names as escapes.
    std::string name = "op";
    llvm::StringRef text = decl.getName();
    for (size_t i = 0; i < text.size();) {
      llvm::UTF32 c;
      const auto *src = reinterpret_cast<const llvm::UTF8 *>(text.data() + i);
      const llvm::UTF8 *next = src;
      auto *dst = &c;
      if (llvm::ConvertUTF8toUTF32(&next, src + (text.size() - i), &dst,
                                   dst + 1, llvm::strictConversion) !=
              llvm::conversionOK &&
          dst == &c)
        break;
      name += "_u" + llvm::utohexstr(c);
      i += next - src;
    }
    name += "_" + std::to_string(operators.size());
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(module.getBody());
    auto op = builder.create<OperatorOp>(loc(decl.getLoc()), name,
                                         decl.getName(), fnType);
    operators[{&decl, fnType}] = op;
    mlir::Block *body = builder.createBlock(&op.getBody());
    // Sema checked that operator bodies use only their parameters and, in
    // the spec, its helpers: those are generated first in the body (what
    // it does not use goes with the first canonicalisation).
    for (auto [param, t] : llvm::zip(decl.getParams(), fnType.getInputs()))
      body->addArgument(t, namedLoc(param.name, param.loc));
    builder.setInsertionPointToEnd(body);
    Scope helpers(symbols);
    if (!fromPrelude && failed(statements(specModule->getHelpers(), nullptr)))
      return failure();
    Scope scope(symbols);
    for (auto [param, arg] : llvm::zip(decl.getParams(), body->getArguments()))
      symbols.insert(param.name, arg);
    Value value = expr(*decl.getBody());
    if (!value)
      return failure();
    builder.create<ReturnOp>(value.getLoc(), value);
    return op;
  }

  //===--------------------------------------------------------------------===//
  // Statements and patterns
  //===--------------------------------------------------------------------===//

  /// Emits \p stmts in the current scope; \p value is the last one's value
  /// when it is an expression.
  LogicalResult statements(const std::vector<ast::StmtPtr> &stmts,
                           Value *value) {
    Value last;
    for (const ast::StmtPtr &s : stmts) {
      last = nullptr;
      if (auto *let = llvm::dyn_cast<ast::LetStmt>(s.get())) {
        if (failed(bindLet(let->getPattern(), let->getValue())))
          return failure();
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

  /// `let pattern = value` into the current scope.
  LogicalResult bindLet(const ast::Pattern &pattern, const ast::Expr &value) {
    Value v = expr(value);
    if (!v)
      return failure();
    switch (pattern.kind) {
    case ast::Pattern::Kind::Wildcard:
      return success();
    case ast::Pattern::Kind::Name:
      if (!pattern.isConstructor) {
        symbols.insert(pattern.name, v);
        return success();
      }
      [[fallthrough]];
    default: {
      std::string text;
      SmallVector<const ast::Pattern *> binders;
      describe(pattern, text, binders);
      SmallVector<mlir::Type> types;
      for (const ast::Pattern *b : binders)
        types.push_back(convert(b->type));
      auto op = builder.create<DestructureOp>(loc(pattern.loc), types, v, text);
      for (auto [b, result] : llvm::zip(binders, op.getBindings()))
        symbols.insert(b->name, result);
      return success();
    }
    }
  }

  /// Writes \p p as the text fac.handle and fac.destructure carry, with
  /// `%N` for the N-th name it binds, and collects those names.
  void describe(const ast::Pattern &p, std::string &text,
                SmallVectorImpl<const ast::Pattern *> &binders) {
    switch (p.kind) {
    case ast::Pattern::Kind::Wildcard:
      text += "_";
      return;
    case ast::Pattern::Kind::Number: {
      llvm::raw_string_ostream os(text);
      if (p.isInteger)
        os << static_cast<int64_t>(p.number);
      else
        os << p.number;
      return;
    }
    case ast::Pattern::Kind::Name:
      if (p.isConstructor) {
        text += p.name;
        return;
      }
      text += "%" + std::to_string(binders.size());
      binders.push_back(&p);
      return;
    case ast::Pattern::Kind::Ctor:
    case ast::Pattern::Kind::Tuple:
      text += p.kind == ast::Pattern::Kind::Ctor ? p.name + "(" : "(";
      for (size_t i = 0; i < p.subs.size(); ++i) {
        text += i ? ", " : "";
        describe(p.subs[i], text, binders);
      }
      text += ")";
      return;
    }
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  Value expr(const ast::Expr &e) {
    mlir::Location l = loc(e.getLoc());
    switch (e.getKind()) {
    case ast::Expr::Kind::Number: {
      auto &n = llvm::cast<ast::NumberExpr>(e);
      mlir::Type type = convert(e.type);
      if (type.isF32()) {
        // Kernels compute in f32: a literal outside it would become inf.
        if (std::fabs(n.getValue()) > double(FLT_MAX)) {
          emitError(l, "the number ")
              << n.getValue()
              << " is out of f32's range (at most 3.4e38), the Float of "
                 "compiled kernels";
          return nullptr;
        }
        return builder.create<arith::ConstantOp>(
            l, builder.getF32FloatAttr(n.getValue()));
      }
      return builder.create<arith::ConstantOp>(
          l, builder.getI64IntegerAttr(n.getIntValue()));
    }
    case ast::Expr::Kind::Name:
      return name(llvm::cast<ast::NameExpr>(e));
    case ast::Expr::Kind::Call:
      return call(llvm::cast<ast::CallExpr>(e));
    case ast::Expr::Kind::Field: {
      auto &f = llvm::cast<ast::FieldExpr>(e);
      if (!f.qualifiedName.empty() || isa<ModelType>(convert(f.getBase().type)))
        return unsupported(l, "using a model slot or a qualified prelude "
                              "function as a value");
      Value base = expr(f.getBase());
      if (!base)
        return nullptr;
      IntegerAttr index;
      if (f.fieldIndex >= 0)
        index = builder.getI64IntegerAttr(f.fieldIndex);
      return builder.create<FieldOp>(l, convert(e.type), base, f.getField(),
                                     index);
    }
    case ast::Expr::Kind::Index: {
      auto &i = llvm::cast<ast::IndexExpr>(e);
      Value base = expr(i.getBase());
      Value index = base ? expr(i.getIndex()) : nullptr;
      if (!index)
        return nullptr;
      return builder.create<IndexOp>(l, convert(e.type), base, index);
    }
    case ast::Expr::Kind::Slice: {
      auto &s = llvm::cast<ast::SliceExpr>(e);
      Value base = expr(s.getBase());
      if (!base)
        return nullptr;
      Value lo, hi;
      if (s.getLo() && !(lo = expr(*s.getLo())))
        return nullptr;
      if (s.getHi() && !(hi = expr(*s.getHi())))
        return nullptr;
      if (isa<fac::TensorType>(base.getType())) {
        // Rows lo to hi, clamped: an absent bound is 0 or the last row.
        if (!lo)
          lo = builder.create<arith::ConstantIntOp>(l, 0, 64);
        if (!hi)
          hi = builder.create<arith::ConstantIntOp>(
              l, std::numeric_limits<int64_t>::max(), 64);
        return builder.create<IntrinsicOp>(l, base.getType(), "rows",
                                           ValueRange{base, lo, hi});
      }
      return builder.create<SliceOp>(l, base.getType(), base, lo, hi);
    }
    case ast::Expr::Kind::Binary:
      return binary(llvm::cast<ast::BinaryExpr>(e));
    case ast::Expr::Kind::Neg: {
      Value v = expr(llvm::cast<ast::UnaryExpr>(e).getOperand());
      if (!v)
        return nullptr;
      if (isa<fac::TensorType>(v.getType()))
        return builder.create<NegOp>(l, v.getType(), v);
      if (v.getType().isF32())
        return builder.create<arith::NegFOp>(l, v);
      Value zero = builder.create<arith::ConstantOp>(
          l, builder.getIntegerAttr(v.getType(), 0));
      return builder.create<arith::SubIOp>(l, zero, v);
    }
    case ast::Expr::Kind::Bool:
      return builder.create<arith::ConstantOp>(
          l, builder.getBoolAttr(llvm::cast<ast::BoolExpr>(e).getValue()));
    case ast::Expr::Kind::Not: {
      Value v = expr(llvm::cast<ast::UnaryExpr>(e).getOperand());
      if (!v)
        return nullptr;
      Value one =
          builder.create<arith::ConstantOp>(l, builder.getBoolAttr(true));
      return builder.create<arith::XOrIOp>(l, v, one);
    }
    case ast::Expr::Kind::Exists: {
      Value v = expr(llvm::cast<ast::UnaryExpr>(e).getOperand());
      return v ? Value(builder.create<ExistsOp>(l, builder.getI1Type(), v))
               : nullptr;
    }
    case ast::Expr::Kind::Lambda:
      return lambda(llvm::cast<ast::LambdaExpr>(e));
    case ast::Expr::Kind::If:
      return ifExpr(llvm::cast<ast::IfExpr>(e));
    case ast::Expr::Kind::Handle:
      return handle(llvm::cast<ast::HandleExpr>(e));
    case ast::Expr::Kind::Let: {
      auto &let = llvm::cast<ast::LetExpr>(e);
      Scope scope(symbols);
      if (failed(bindLet(let.getPattern(), let.getValue())))
        return nullptr;
      return expr(let.getBody());
    }
    case ast::Expr::Kind::Block: {
      Scope scope(symbols);
      Value value;
      if (failed(statements(llvm::cast<ast::BlockExpr>(e).getBlock().getStmts(),
                            &value)))
        return nullptr;
      if (!value)
        emitError(l, "block has no value");
      return value;
    }
    case ast::Expr::Kind::List:
    case ast::Expr::Kind::Tuple: {
      SmallVector<Value> elems;
      for (const ast::ExprPtr &x : llvm::cast<ast::ListExpr>(e).getElems()) {
        elems.push_back(expr(*x));
        if (!elems.back())
          return nullptr;
      }
      if (e.getKind() == ast::Expr::Kind::List)
        return builder.create<ListOp>(l, convert(e.type), elems);
      return builder.create<TupleOp>(l, convert(e.type), elems);
    }
    case ast::Expr::Kind::Comprehension:
      return comprehension(llvm::cast<ast::ComprehensionExpr>(e));
    case ast::Expr::Kind::Unit:
      return builder.create<UnitOp>(l, builder.getNoneType());
    }
    return nullptr;
  }

  Value unsupported(mlir::Location l, llvm::StringRef what) {
    emitError(l, "MLIR generation does not support ") << what << " yet";
    return nullptr;
  }

  Value name(const ast::NameExpr &e) {
    mlir::Location l = loc(e.getLoc());
    switch (e.resolved) {
    case ast::NameKind::Local: {
      Value v = symbols.lookup(e.getName());
      if (!v) {
        // The name of the let-bound lambda being generated: a recursive
        // reference.
        if (llvm::is_contained(recursiveNames, e.getName()))
          return builder.create<SelfOp>(l, cast<FunctionType>(convert(e.type)),
                                        e.getName());
        emitError(l, "unknown name '") << e.getName() << "'";
        return nullptr;
      }
      if (e.unwrapsOption)
        return builder.create<UnwrapOp>(l, convert(e.type), v);
      return v;
    }
    case ast::NameKind::Constructor: {
      mlir::Type type = convert(e.type);
      if (isa<FunctionType>(type))
        return unsupported(l, "constructors as function values");
      return builder.create<ConstructOp>(l, type, e.getName(), ValueRange{});
    }
    case ast::NameKind::Prelude:
      return unsupported(l, "prelude functions as values");
    default:
      emitError(l, "unresolved name '") << e.getName() << "'";
      return nullptr;
    }
  }

  Value call(const ast::CallExpr &e) {
    mlir::Location l = loc(e.getLoc());
    SmallVector<Value> args;
    for (const ast::ExprPtr &a : e.getArgs()) {
      args.push_back(expr(*a));
      if (!args.back())
        return nullptr;
    }
    mlir::Type result = convert(e.type);
    if (!e.performedEffect.empty())
      return builder.create<PerformOp>(l, result, e.performedEffect, args);
    if (auto *callee = llvm::dyn_cast<ast::NameExpr>(&e.getCallee())) {
      if (callee->resolved == ast::NameKind::Constructor)
        return builder.create<ConstructOp>(l, result, callee->getName(), args);
      if (callee->resolved == ast::NameKind::Prelude)
        return builder.create<IntrinsicOp>(l, result, callee->getName(), args);
    }
    if (auto *field = llvm::dyn_cast<ast::FieldExpr>(&e.getCallee());
        field && !field->qualifiedName.empty())
      return builder.create<IntrinsicOp>(l, result, field->qualifiedName, args);
    Value callee = expr(e.getCallee());
    if (!callee)
      return nullptr;
    auto fnType = dyn_cast<FunctionType>(callee.getType());
    if (!fnType ||
        !llvm::equal(fnType.getInputs(), ValueRange(args).getTypes()))
      return unsupported(l, "calling a generic function at a type of its "
                            "own");
    return builder.create<ApplyOp>(l, fnType.getResult(0), callee, args);
  }

  Value binary(const ast::BinaryExpr &e) {
    mlir::Location l = loc(e.getLoc());
    if (e.getOp() == "and" || e.getOp() == "or")
      return shortCircuit(e);
    Value lhs = expr(e.getLHS());
    Value rhs = lhs ? expr(e.getRHS()) : nullptr;
    if (!rhs)
      return nullptr;
    llvm::StringRef op = e.getOp();
    if (e.operatorDecl) {
      // Sema typed the operands with the overload's parameter types.
      sema::TypePtr fn =
          sema::Type::function({e.getLHS().type, e.getRHS().type}, e.type);
      FailureOr<OperatorOp> def = operatorFor(*e.operatorDecl, fn, l);
      if (failed(def))
        return nullptr;
      return builder.create<CallOp>(l, convert(e.type), def->getSymName(),
                                    ValueRange{lhs, rhs});
    }
    mlir::Type lt = lhs.getType(), rt = rhs.getType();
    if (op == "++")
      return builder.create<IntrinsicOp>(l, lt, "concat", ValueRange{lhs, rhs});
    bool tensors = isa<fac::TensorType>(lt) || isa<fac::TensorType>(rt);
    if (tensors) {
      if (op == "*" && !(isa<fac::TensorType>(lt) && isa<fac::TensorType>(rt)))
        return builder.create<MulOp>(l, convert(e.type), lhs, rhs);
      static const std::pair<const char *, const char *> kinds[] = {
          {"+", "add"}, {"-", "sub"}, {"*", "mul"}, {"/", "div"}};
      for (auto [symbol, kind] : kinds)
        if (op == symbol)
          return builder.create<ArithOp>(l, convert(e.type), kind, lhs, rhs);
    }
    if (op == "\u2192") {
      // a → b is ¬a ∨ b.
      Value one =
          builder.create<arith::ConstantOp>(l, builder.getBoolAttr(true));
      Value notA = builder.create<arith::XOrIOp>(l, lhs, one);
      return builder.create<arith::OrIOp>(l, notA, rhs);
    }
    bool isFloat = lt.isF32();
    bool isInt = lt.isInteger(64);
    if (op == "*" || op == "+" || op == "-" || op == "/" || op == "%") {
      if (!isFloat && !isInt)
        return unsupported(l, "this arithmetic");
      if (op == "+")
        return isFloat ? Value(builder.create<arith::AddFOp>(l, lhs, rhs))
                       : Value(builder.create<arith::AddIOp>(l, lhs, rhs));
      if (op == "-")
        return isFloat ? Value(builder.create<arith::SubFOp>(l, lhs, rhs))
                       : Value(builder.create<arith::SubIOp>(l, lhs, rhs));
      if (op == "*")
        return builder.create<MulOp>(l, lt, lhs, rhs);
      if (op == "/")
        return isFloat ? Value(builder.create<arith::DivFOp>(l, lhs, rhs))
                       : Value(builder.create<arith::DivSIOp>(l, lhs, rhs));
      return isFloat ? Value(builder.create<arith::RemFOp>(l, lhs, rhs))
                     : Value(builder.create<arith::RemSIOp>(l, lhs, rhs));
    }
    static const std::tuple<const char *, arith::CmpFPredicate,
                            arith::CmpIPredicate>
        compares[] = {
            {"<", arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt},
            {">", arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt},
            {"<=", arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle},
            {"\u2264", arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle},
            {">=", arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge},
            {"\u2265", arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge},
            {"==", arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq},
            {"=", arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq},
            {"!=", arith::CmpFPredicate::UNE, arith::CmpIPredicate::ne},
            {"\u2260", arith::CmpFPredicate::UNE, arith::CmpIPredicate::ne}};
    for (auto [name, fpred, ipred] : compares) {
      if (op != name)
        continue;
      if (isFloat)
        return builder.create<arith::CmpFOp>(l, fpred, lhs, rhs);
      if (lt.isSignlessInteger())
        return builder.create<arith::CmpIOp>(l, ipred, lhs, rhs);
      // Equality of structured values is the prelude's.
      Value equal = builder.create<IntrinsicOp>(l, builder.getI1Type(), "equal",
                                                ValueRange{lhs, rhs});
      if (ipred == arith::CmpIPredicate::eq)
        return equal;
      Value one =
          builder.create<arith::ConstantOp>(l, builder.getBoolAttr(true));
      return builder.create<arith::XOrIOp>(l, equal, one);
    }
    return unsupported(l, ("operator '" + op + "'").str());
  }

  Value lambda(const ast::LambdaExpr &e) {
    mlir::Location l = loc(e.getLoc());
    auto type = cast<FunctionType>(convert(e.type));
    auto op = builder.create<LambdaOp>(l, type);
    if (!e.boundName.empty())
      op->setAttr("name", builder.getStringAttr(e.boundName));
    OpBuilder::InsertionGuard guard(builder);
    mlir::Block *body = builder.createBlock(&op.getBody());
    Scope scope(symbols);
    // Inside its body, the lambda's own name is the lambda (fac.self).
    if (!e.boundName.empty()) {
      recursiveNames.push_back(e.boundName);
      symbols.insert(e.boundName, Value());
    }
    for (auto [param, t] : llvm::zip(e.getParams(), type.getInputs()))
      symbols.insert(param.name,
                     body->addArgument(t, namedLoc(param.name, param.loc)));
    builder.setInsertionPointToEnd(body);
    Value result = expr(e.getBody());
    if (!e.boundName.empty())
      recursiveNames.pop_back();
    if (!result)
      return nullptr;
    builder.create<ReturnOp>(l, result);
    return op;
  }

  /// Emits \p body into a new block of \p region (with \p args bound to
  /// \p names) ending in fac.yield of its value.
  LogicalResult yieldRegion(Region &region, const ast::Expr &body,
                            ArrayRef<std::pair<std::string, mlir::Type>> args,
                            ArrayRef<mlir::Location> argLocs) {
    OpBuilder::InsertionGuard guard(builder);
    mlir::Block *block = builder.createBlock(&region);
    Scope scope(symbols);
    for (auto [arg, argLoc] : llvm::zip(args, argLocs))
      symbols.insert(arg.first, block->addArgument(arg.second, argLoc));
    builder.setInsertionPointToEnd(block);
    Value value = expr(body);
    if (!value)
      return failure();
    builder.create<YieldOp>(loc(body.getLoc()), value);
    return success();
  }

  /// `a and b` is `if a then b else false`, `a or b` `if a then true else
  /// b`: the right side runs only when it decides, as in the interpreter.
  Value shortCircuit(const ast::BinaryExpr &e) {
    Value lhs = expr(e.getLHS());
    if (!lhs)
      return nullptr;
    bool isAnd = e.getOp() == "and";
    mlir::Location l = loc(e.getLoc());
    auto op = builder.create<IfOp>(l, builder.getI1Type(), lhs);
    Region &decides = isAnd ? op.getThenRegion() : op.getElseRegion();
    Region &known = isAnd ? op.getElseRegion() : op.getThenRegion();
    if (failed(yieldRegion(decides, e.getRHS(), {}, {})))
      return nullptr;
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(builder.createBlock(&known));
    Value constant =
        builder.create<arith::ConstantOp>(l, builder.getBoolAttr(!isAnd));
    builder.create<YieldOp>(l, constant);
    return op;
  }

  Value ifExpr(const ast::IfExpr &e) {
    Value cond = expr(e.getCond());
    if (!cond)
      return nullptr;
    auto op = builder.create<IfOp>(loc(e.getLoc()), convert(e.type), cond);
    if (failed(yieldRegion(op.getThenRegion(), e.getThen(), {}, {})) ||
        failed(yieldRegion(op.getElseRegion(), e.getElse(), {}, {})))
      return nullptr;
    return op;
  }

  Value handle(const ast::HandleExpr &e) {
    SmallVector<Attribute> kinds, patterns;
    for (const ast::Arm &a : e.getArms()) {
      kinds.push_back(
          builder.getStringAttr(a.kind == ast::Arm::Kind::Effect   ? "effect"
                                : a.kind == ast::Arm::Kind::Return ? "return"
                                                                   : "value"));
      std::string text;
      SmallVector<const ast::Pattern *> binders;
      describe(a.pattern, text, binders);
      patterns.push_back(builder.getStringAttr(text));
    }
    auto op = builder.create<HandleOp>(
        loc(e.getLoc()), convert(e.type), builder.getArrayAttr(kinds),
        builder.getArrayAttr(patterns), e.getArms().size());
    if (failed(yieldRegion(op.getBody(), e.getScrutinee(), {}, {})))
      return nullptr;
    for (auto [arm, region] : llvm::zip(e.getArms(), op.getArms())) {
      std::string text;
      SmallVector<const ast::Pattern *> binders;
      describe(arm.pattern, text, binders);
      SmallVector<std::pair<std::string, mlir::Type>> args;
      SmallVector<mlir::Location> locs;
      for (const ast::Pattern *b : binders) {
        args.push_back({b->name, convert(b->type)});
        locs.push_back(namedLoc(b->name, b->loc));
      }
      if (failed(yieldRegion(region, *arm.body, args, locs)))
        return nullptr;
    }
    return op;
  }

  Value comprehension(const ast::ComprehensionExpr &e) {
    Value source = expr(e.getSource());
    if (!source)
      return nullptr;
    auto op = builder.create<ComprehensionOp>(loc(e.getLoc()), convert(e.type),
                                              source);
    OpBuilder::InsertionGuard guard(builder);
    mlir::Block *block = builder.createBlock(&op.getBody());
    Scope scope(symbols);
    symbols.insert(
        e.getVar(),
        block->addArgument(cast<ListType>(source.getType()).getElementType(),
                           namedLoc(e.getVar(), e.getVarLoc())));
    builder.setInsertionPointToEnd(block);
    SmallVector<Value> yields;
    yields.push_back(expr(e.getElem()));
    if (!yields.back())
      return nullptr;
    if (e.getCond()) {
      yields.push_back(expr(*e.getCond()));
      if (!yields.back())
        return nullptr;
    }
    builder.create<YieldOp>(loc(e.getLoc()), yields);
    return op;
  }

  OpBuilder builder;
  StringAttr filename;
  ModuleOp module;
  const ast::Module *specModule = nullptr;
  ScopeTable symbols;
  SmallVector<std::string> recursiveNames;
  llvm::DenseMap<std::pair<const ast::SignatureDecl *, mlir::Type>, OperatorOp>
      operators;
};

} // namespace

OwningOpRef<ModuleOp> fac::mlirGen(MLIRContext &context,
                                   const ast::Module &module,
                                   llvm::StringRef filename) {
  context.getOrLoadDialect<FACDialect>();
  Generator generator(context, filename);
  return generator.run(module);
}
