//===- fac-check.cpp - Compiled kernels against the interpreter -----------===//
//
// fac-check compiles a spec's kernels for this machine, in process (MLIR's
// ExecutionEngine), exactly as facc does (the same pipeline, -D and
// --entry), and runs each on random inputs of several shapes and, when the
// data is there, on stories260K's real Q/K/V, against the reference
// interpreter running the same function of the same concept on the same
// values: what ggml's test-backend-ops does for its backends. A kernel's
// tensor parameters get matrices; a TensorTree parameter gets the pyramid
// of its matrix on the interpreter's side, as the kernel builds it. It
// prints one line per case and exits 1 when any case differs by more than
// the tolerance (max |kernel - interpreter| over max |interpreter|).
//
// Usage: fac-check spec.fac [-D name=value ...] [-p name=value ...]
//                  [--entry=name,...] [--shape=RxC,...] [--tolerance=1e-4]
//                  [--data DIR|none]
//
//===----------------------------------------------------------------------===//

#include "fac/AST/ASTBuilder.h"
#include "fac/Interp/Interpreter.h"
#include "fac/Interp/RuleTable.h"
#include "fac/MLIRGen/MLIRGen.h"
#include "fac/Sema/Sema.h"
#include "fac/Support/ParseNumber.h"
#include "fac/Support/StackGuard.h"
#include "fac/Target/HostJIT.h"
#include "fac/Target/SpecContext.h"
#include "fac/Transforms/Passes.h"

#include "facrt/host.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cfloat>
#include <cmath>
#include <map>
#include <random>

using namespace fac;
using namespace fac::interp;
namespace cl = llvm::cl;

namespace {

enum ExitCode : int {
  kExitSuccess = 0,
  kExitMismatch = 1, ///< A kernel differs from the interpreter, or failed.
  kExitUsageError = 2,
  kExitIOError = 3
};

cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<spec.fac>"),
                                   cl::Required);
cl::list<std::string>
    defines("D",
            cl::desc("Bind a concept parameter at compile time (as facc -D)"),
            cl::value_desc("name=value"), cl::Prefix);
cl::list<std::string>
    runtimeValues("p",
                  cl::desc("A concept parameter's value for this run (a kernel "
                           "argument, and the interpreter's parameter)"),
                  cl::value_desc("name=value"));
cl::list<std::string>
    entries("entry",
            cl::desc("Check this function of a concept too (as facc --entry)"),
            cl::value_desc("name"), cl::CommaSeparated);
cl::opt<std::string>
    toleranceText("tolerance",
                  cl::desc("Largest relative difference allowed (default "
                           "1e-4)"),
                  cl::init("1e-4"));
cl::list<std::string>
    matrixShapes("shape",
                 cl::desc("A matrix shape for functions of one tensor "
                          "(default: 1x8, 7x8 and 64x64)"),
                 cl::value_desc("RxC"), cl::CommaSeparated);
cl::opt<std::string> casesDir(
    "write-cases",
    cl::desc("Also write each case the interpreter ran (inputs and expected "
             "output) to DIR, for checking kernels built for other targets"),
    cl::value_desc("DIR"));
/// Whether -D binds parameter \p name (it is then no kernel argument).
bool isDefined(llvm::StringRef name) {
  return llvm::any_of(defines, [&](const std::string &d) {
    return llvm::StringRef(d).split('=').first == name;
  });
}

/// --head, parsed.
int64_t attentionHead = 0;

cl::opt<std::string> headText(
    "head",
    cl::desc("The head index attention hooks see, in the interpreter and the "
             "kernel (default 0)"),
    cl::init("0"));
cl::opt<std::string>
    dataDir("data",
            cl::desc("Where stories260K is, for real activations ('none': "
                     "random inputs only)"),
            cl::init(FAC_DATA_DIR));

/// A value given on the command line for a parameter of type \p t: an Int,
/// a Float, true/false, or a comma-separated list of numbers.
ValuePtr parseValue(const sema::TypePtr &type, llvm::StringRef text) {
  sema::TypePtr t = sema::prune(type);
  auto scalar = [](const sema::TypePtr &s, llvm::StringRef item) -> ValuePtr {
    if (s->isCon("Int"))
      if (auto i = parseInteger(item, INT64_MIN, INT64_MAX))
        return Value::integer(*i);
    if (s->isCon("Float"))
      if (auto x = parseReal(item, -FLT_MAX, FLT_MAX))
        return Value::real(*x);
    if (s->isCon("Bool") && (item == "true" || item == "false"))
      return Value::boolean(item == "true");
    return nullptr;
  };
  if (t->isCon("List")) {
    std::vector<ValuePtr> elems;
    llvm::SmallVector<llvm::StringRef> items;
    if (!text.empty())
      text.split(items, ',');
    for (llvm::StringRef item : items) {
      ValuePtr v = scalar(sema::prune(t->getArgs()[0]), item);
      if (!v)
        return nullptr;
      elems.push_back(v);
    }
    return Value::list(std::move(elems));
  }
  if (t->isCon("FractalCode")) {
    // As fac-interp's -p and facc's -D: the code's level.
    if (auto level = parseInteger(text, 0, 64))
      return Value::record("FractalCode",
                           {Value::integer(*level), Value::list({})});
    return nullptr;
  }
  return scalar(t, text);
}

/// One argument of a compiled kernel.
struct KernelArg {
  std::string name;
  mlir::Type type;
  /// The head index attention hooks read (`--head`).
  bool isHead = false;
};

/// A compiled kernel and the function of the spec it comes from.
struct Kernel {
  std::string name; ///< `<Concept>_<slot or entry>`.
  std::vector<KernelArg> args;
  const ast::ConceptDecl *spec = nullptr;
  std::string function; ///< The slot (`attention`, `forward`) or entry.
};

/// Matrices of the shapes a case gives, random or real.
struct Inputs {
  std::string label;
  std::vector<std::vector<float>> tensors; ///< Row-major.
  std::vector<std::pair<int64_t, int64_t>> shapes;
};

/// A row-major matrix as a descriptor.
fac_memref2d_f32 descriptor(std::vector<float> &data, int64_t rows,
                            int64_t cols) {
  return facrt_view2d(data.data(), rows, cols, cols > 0 ? cols : 1, 0);
}

/// stories260K's layer-0 Q, K, V of one head on real text, or nothing.
std::optional<Inputs> realInputs(int64_t tokens) {
  if (dataDir == "none")
    return std::nullopt;
  facrt_llama_model model;
  facrt_tokenizer *tok = nullptr;
  if (facrt_stories260k_load(dataDir.c_str(), &model, &tok) != FACRT_OK)
    return std::nullopt;
  auto book = llvm::MemoryBuffer::getFile(dataDir + "/text/moby-dick-ch1-3.txt",
                                          /*IsText=*/true);
  std::string text = book ? (*book)->getBuffer().str() : "Call me Ishmael.";
  std::vector<int32_t> ids(static_cast<size_t>(tokens));
  int32_t n = std::min<int32_t>(
      int32_t(tokens), facrt_tokenizer_encode(tok, text.c_str(), 1, 0,
                                              ids.data(), int32_t(tokens)));
  const facrt_llama_config &c = model.config;
  int64_t d = c.dim / c.n_heads;
  std::vector<float> x(size_t(n) * c.dim), q(x.size()),
      k(size_t(n) * c.n_kv_heads * d), v(k.size());
  facrt_llama_embed(&model, ids.data(), n, x.data());
  facrt_llama_qkv(&model, 0, x.data(), n, q.data(), k.data(), v.data());
  Inputs in;
  in.label = "stories260K layer 0 head 0, " + std::to_string(n) +
             " tokens of Moby Dick";
  // Head 0 of each, row-major n x d.
  for (auto [all, width] : {std::pair{&q, int64_t(c.dim)},
                            {&k, int64_t(c.n_kv_heads * d)},
                            {&v, int64_t(c.n_kv_heads * d)}}) {
    std::vector<float> head(size_t(n * d));
    for (int64_t i = 0; i < n; ++i)
      std::copy_n(all->begin() + i * width, d, head.begin() + i * d);
    in.tensors.push_back(std::move(head));
    in.shapes.push_back({n, d});
  }
  facrt_tokenizer_free(tok);
  facrt_llama_free(&model);
  return in;
}

class Checker {
public:
  Checker(ast::Module &module, SourceFile &source, double tolerance)
      : module(module), source(source), interp(module, source),
        tolerance(tolerance) {
    interp.setAttentionHead(attentionHead);
  }

  /// Runs every concept in the interpreter with the command line's values.
  bool runConcepts(const std::map<std::string, std::string> &given) {
    for (const ast::DeclPtr &d : module.getDecls()) {
      auto *c = llvm::dyn_cast<ast::ConceptDecl>(d.get());
      if (!c)
        continue;
      std::map<std::string, ValuePtr> params;
      for (const ast::Field &p : c->getParams()) {
        auto it = given.find(p.name);
        if (isRuleListType(p.resolved) && !isDefined(p.name)) {
          // A rule table, for the interpreter and the kernel alike; none
          // given is the empty one, as the interpreter's default.
          RuleTable &table = tables[p.name];
          if (it != given.end() && !it->second.empty()) {
            llvm::Expected<RuleTable> read = readRuleTable(it->second);
            if (!read) {
              source.error(p.loc, "-p " + p.name + ": " +
                                      llvm::toString(read.takeError()));
              return false;
            }
            table = std::move(*read);
          }
          params[p.name] = ruleListValue(table);
          continue;
        }
        ValuePtr v = it != given.end() ? parseValue(p.resolved, it->second)
                                       : defaultParameter(p.resolved);
        if (!v) {
          source.error(
              p.loc, it != given.end()
                         ? "'" + it->second + "' is not a value of type " +
                               sema::prune(p.resolved)->str() +
                               (sema::prune(p.resolved)->isCon("FractalCode")
                                    ? " (given by its level, an Int in 0-64)"
                                    : "")
                         : "give parameter '" + p.name + "' a value with -p " +
                               p.name + "=... (or -D)");
          return false;
        }
        params[p.name] = v;
      }
      std::unique_ptr<ConceptResult> r = interp.runConcept(*c, params);
      if (!r)
        return false;
      results[c->getName().str()] = std::move(r);
    }
    return true;
  }

  /// The interpreter's function a kernel compiles.
  ValuePtr function(const Kernel &k) {
    const ConceptResult &r = *results.at(k.spec->getName().str());
    if (k.function == "attention")
      return r.attention;
    if (k.function == "forward" && r.value &&
        r.value->kind == Value::Kind::Closure)
      return r.value;
    return r.scope->lookup(k.function);
  }

  /// One case as text: the kernel, its inputs and the interpreter's output
  /// (hexadecimal floats, exact), as test/Integration/Inputs/cases_check.cpp
  /// reads them.
  void writeCase(const Kernel &kernel, const Inputs &in,
                 const std::vector<float> &want, int64_t rows, int64_t cols) {
    std::string path = casesDir + "/" + kernel.name + "-" +
                       std::to_string(++casesWritten) + ".case";
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec) {
      llvm::errs() << "fac-check: error: cannot write '" << path
                   << "': " << ec.message() << "\n";
      return;
    }
    auto values = [&](const std::vector<float> &xs) {
      for (size_t i = 0; i < xs.size(); ++i)
        os << llvm::format("%a", double(xs[i]))
           << ((i + 1) % 8 && i + 1 < xs.size() ? " " : "\n");
    };
    os << "kernel " << kernel.name << "\ninputs " << in.tensors.size() << "\n";
    for (size_t i = 0; i < in.tensors.size(); ++i) {
      os << "matrix " << in.shapes[i].first << " " << in.shapes[i].second
         << "\n";
      values(in.tensors[i]);
    }
    os << "expected " << rows << " " << cols << "\n";
    values(want);
  }

  /// Runs \p kernel and its function on \p in and reports one line; none
  /// when the function does not take that many tensors.
  std::optional<bool> check(mlir::ExecutionEngine &engine, const Kernel &kernel,
                            Inputs in,
                            const std::map<std::string, std::string> &given) {
    ValuePtr fn = function(kernel);
    if (!fn || fn->kind != Value::Kind::Closure) {
      llvm::outs() << "FAIL " << kernel.name
                   << ": the interpreter has no function '" << kernel.function
                   << "'\n";
      return false;
    }
    sema::TypePtr type = sema::prune(fn->lambda->type);
    if (type->getKind() != sema::Type::Kind::Function ||
        type->getParams().size() != in.tensors.size())
      return std::nullopt;
    const std::vector<sema::TypePtr> &params = type->getParams();
    // The interpreter, on the same values: trees are the pyramids.
    std::vector<ValuePtr> values;
    for (size_t i = 0; i < params.size(); ++i) {
      auto [rows, cols] = in.shapes[i];
      sema::TypePtr t = sema::prune(params[i]);
      if (t->isCon("TensorTree"))
        values.push_back(buildPyramid(in.tensors[i].data(), rows, cols));
      else
        values.push_back(Value::tensor({rows, cols}, in.tensors[i]));
    }
    // The draws of a first call after the concept ran, as the kernel's.
    interp.resumeDraws(*results.at(kernel.spec->getName().str()));
    ValuePtr expected = interp.call(fn, values, kernel.spec->getLoc());
    if (!expected) {
      llvm::outs() << "FAIL " << kernel.name << " on " << in.label
                   << ": the interpreter stopped (the error above); a kernel "
                      "is checked only where the spec runs\n";
      return false;
    }
    std::vector<float> want;
    int64_t wantCols = 0;
    if (expected->kind == Value::Kind::Tensor) {
      want = expected->data;
      // Rows that stand for several tokens count for each.
      std::vector<float> expanded;
      wantCols = expected->shape.empty() ? 1 : expected->shape.back();
      for (int64_t r = 0; r < expected->rows(); ++r)
        for (int64_t w = 0; w < expected->weight(r); ++w)
          expanded.insert(expanded.end(), want.begin() + r * wantCols,
                          want.begin() + (r + 1) * wantCols);
      want = std::move(expanded);
    } else {
      for (const std::vector<float> &row : flattenTree(expected)) {
        wantCols = int64_t(row.size());
        want.insert(want.end(), row.begin(), row.end());
      }
    }
    int64_t wantRows = wantCols ? int64_t(want.size()) / wantCols : 0;
    if (!casesDir.empty())
      writeCase(kernel, in, want, wantRows, wantCols);

    // The kernel: scalars from -p, then the tensors, then `out`.
    std::vector<float> floats;
    std::vector<int64_t> ints;
    floats.reserve(kernel.args.size());
    ints.reserve(kernel.args.size());
    std::vector<fac_memref2d_f32> views;
    views.reserve(kernel.args.size());
    std::vector<fac_memref3d_f32> tableViews;
    tableViews.reserve(kernel.args.size());
    std::vector<void *> pointers;
    pointers.reserve(kernel.args.size());
    std::vector<void *> packed;
    std::vector<float> out(size_t(wantRows * wantCols) + 1, NAN);
    size_t tensor = 0;
    // The workspace, sized by the kernel's own function (after the other
    // arguments are packed).
    std::vector<int8_t> workspace;
    fac_memref1d_i8 workspaceView{};
    void *workspacePointer = &workspaceView;
    bool hasWorkspace = false;
    for (const KernelArg &a : kernel.args) {
      if (a.name == "workspace") {
        hasWorkspace = true;
        continue;
      }
      auto memref = llvm::dyn_cast<mlir::MemRefType>(a.type);
      if (memref && memref.getRank() == 3 && tables.count(a.name)) {
        // A rule table: R x 4 x d.
        RuleTable &t = tables[a.name];
        float *data = t.rows.empty() ? &emptyTable : t.rows.data();
        tableViews.push_back(
            {data, data, 0, {t.rules, 4, t.width}, {4 * t.width, t.width, 1}});
        pointers.push_back(&tableViews.back());
        packed.push_back(&pointers.back());
        continue;
      }
      if (memref) {
        if (memref.getRank() != 2 || !memref.getElementType().isF32()) {
          llvm::outs() << "FAIL " << kernel.name << ": parameter '" << a.name
                       << "' is not a matrix\n";
          return false;
        }
        if (a.name == "out")
          views.push_back(descriptor(out, wantRows, wantCols));
        else if (tensor < in.tensors.size()) {
          auto [rows, cols] = in.shapes[tensor];
          views.push_back(descriptor(in.tensors[tensor++], rows, cols));
        } else
          return false;
        pointers.push_back(&views.back());
        packed.push_back(&pointers.back());
        continue;
      }
      if (a.isHead) {
        ints.push_back(attentionHead);
        packed.push_back(&ints.back());
        continue;
      }
      auto it = given.find(a.name);
      if (it == given.end()) {
        llvm::outs() << "FAIL " << kernel.name << ": give its parameter '"
                     << a.name << "' a value with -p " << a.name << "=...\n";
        return false;
      }
      if (a.type.isF32()) {
        auto x = parseReal(it->second, -FLT_MAX, FLT_MAX);
        floats.push_back(x ? float(*x) : 0.0f);
        packed.push_back(&floats.back());
      } else {
        auto i = parseInteger(it->second, INT64_MIN, INT64_MAX);
        ints.push_back(i ? *i : 0);
        packed.push_back(&ints.back());
      }
    }
    if (hasWorkspace) {
      int64_t need = -1;
      std::vector<void *> sizeArgs = packed;
      sizeArgs.push_back(&need);
      if (llvm::Error e = engine.invokePacked(
              "_mlir_ciface_" + kernel.name + "_workspace_size", sizeArgs)) {
        llvm::outs() << "FAIL " << kernel.name << ": "
                     << llvm::toString(std::move(e)) << "\n";
        return false;
      }
      workspace.assign(size_t(std::max<int64_t>(need, 0)), 0);
      workspaceView = {workspace.data(), workspace.data(), 0, {need}, {1}};
      packed.push_back(&workspacePointer);
    }
    int32_t status = -1;
    packed.push_back(&status);
    if (llvm::Error e =
            engine.invokePacked("_mlir_ciface_" + kernel.name, packed)) {
      llvm::outs() << "FAIL " << kernel.name << ": "
                   << llvm::toString(std::move(e)) << "\n";
      return false;
    }
    double worst = 0, scale = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      worst = std::max(worst, double(std::fabs(out[i] - want[i])));
      scale = std::max(scale, double(std::fabs(want[i])));
      if (std::isnan(out[i]) != std::isnan(want[i]))
        worst = INFINITY;
    }
    double err = scale > 0 ? worst / scale : worst;
    bool ok = status == FACRT_OK && err <= tolerance;
    llvm::outs() << (ok ? "ok   " : "FAIL ") << kernel.name << " on "
                 << in.label << ": " << wantRows << " x " << wantCols
                 << " out, relative difference " << llvm::format("%.2e", err);
    if (status != FACRT_OK)
      llvm::outs() << ", status " << facrt_status_str(facrt_status(status));
    llvm::outs() << "\n";
    return ok;
  }

  /// For each rule table with rules of the matrices' width: \p in with
  /// every third row (1, 4, 7, ...) of its first three matrices set to the
  /// query, key or value pattern row of a rule of that table, in turn, so
  /// that its rules match.
  std::vector<Inputs> planted(const Inputs &in) const {
    std::vector<Inputs> cases;
    for (const auto &[name, table] : tables) {
      if (table.rules == 0)
        continue;
      Inputs out = in;
      bool any = false;
      for (size_t i = 0; i < out.tensors.size() && i < 3; ++i) {
        auto [rows, cols] = out.shapes[i];
        if (cols != table.width)
          continue;
        for (int64_t j = 1; j < rows; j += 3) {
          int64_t rule = (j / 3) % table.rules;
          auto first = table.rows.begin() + (rule * 4 + int64_t(i)) * cols;
          std::copy(first, first + cols, out.tensors[i].begin() + j * cols);
          any = true;
        }
      }
      if (!any)
        continue;
      out.label += ", rule patterns of " + name + " in every third row";
      cases.push_back(std::move(out));
    }
    return cases;
  }

private:
  ast::Module &module;
  /// The rule tables -p gave, by parameter.
  std::map<std::string, RuleTable> tables;
  /// The data of an empty table.
  float emptyTable = 0;
  SourceFile &source;
  Interpreter interp;
  double tolerance;
  std::map<std::string, std::unique_ptr<ConceptResult>> results;
  unsigned casesWritten = 0;
};

/// Random N(0, 1) inputs of the given shapes.
Inputs randomInputs(const std::vector<std::pair<int64_t, int64_t>> &shapes,
                    unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist;
  Inputs in;
  in.shapes = shapes;
  in.label = "random";
  for (auto [rows, cols] : shapes) {
    std::vector<float> t(size_t(rows * cols));
    for (float &x : t)
      x = dist(gen);
    in.tensors.push_back(std::move(t));
    in.label += " " + std::to_string(rows) + "x" + std::to_string(cols);
  }
  return in;
}

int run() {
  std::optional<double> tolerance = parseReal(toleranceText, 0, 1e30);
  if (!tolerance) {
    llvm::errs() << "fac-check: error: --tolerance=" << toleranceText
                 << " is not a number >= 0\n";
    return kExitUsageError;
  }
  std::map<std::string, std::string> given;
  for (const std::string &list : {std::string("D"), std::string("p")})
    for (const std::string &d : list == "D" ? defines : runtimeValues) {
      size_t eq = d.find('=');
      if (eq == std::string::npos || eq == 0) {
        llvm::errs() << "fac-check: error: -" << list << " " << d
                     << ": expected name=value\n";
        return kExitUsageError;
      }
      if (!given.emplace(d.substr(0, eq), d.substr(eq + 1)).second) {
        llvm::errs() << "fac-check: error: parameter '" << d.substr(0, eq)
                     << "' is given twice (-D and -p, or repeated)\n";
        return kExitUsageError;
      }
    }
  // Real data named on the command line must be there.
  if (dataDir.getNumOccurrences() && dataDir != "none" &&
      !llvm::sys::fs::exists(dataDir + "/stories260K/stories260K.bin")) {
    llvm::errs() << "fac-check: error: --data " << dataDir
                 << ": no stories260K there ('none' for random inputs only)\n";
    return kExitIOError;
  }

  auto file = llvm::MemoryBuffer::getFileOrSTDIN(inputFilename, true);
  if (!file) {
    llvm::errs() << "fac-check: error: cannot read '" << inputFilename
                 << "': " << file.getError().message() << "\n";
    return kExitIOError;
  }
  SourceFile source(std::move(*file));
  std::unique_ptr<ast::Module> module = parseModule(source);
  std::vector<std::string> entryNames(entries.begin(), entries.end());
  if (!module || !checkModule(*module, source, entryNames))
    return kExitMismatch;
  for (const auto &entry : given) {
    bool known = false;
    for (const ast::DeclPtr &d : module->getDecls())
      if (auto *c = llvm::dyn_cast<ast::ConceptDecl>(d.get()))
        for (const ast::Field &p : c->getParams())
          known |= p.name == entry.first;
    if (!known) {
      llvm::errs() << "fac-check: error: no concept of '" << inputFilename
                   << "' has a parameter '" << entry.first << "'\n";
      return kExitUsageError;
    }
  }

  std::optional<int64_t> head = parseInteger(headText, 0, 1 << 20);
  if (!head) {
    llvm::errs() << "fac-check: error: --head=" << headText
                 << " is not an integer from 0 to 1048576\n";
    return kExitUsageError;
  }
  attentionHead = *head;
  Checker checker(*module, source, *tolerance);
  if (!checker.runConcepts(given))
    return kExitMismatch;

  // The kernels, compiled for this machine as facc would.
  SpecContext context(source);
  mlir::OwningOpRef<mlir::ModuleOp> ir =
      mlirGen(context.get(), *module, source.getFilename());
  if (!ir)
    return kExitMismatch;
  if (mlir::failed(lowerToLoopsForHost(
          *ir, std::vector<std::string>(defines.begin(), defines.end()),
          std::vector<std::string>(entries.begin(), entries.end()))))
    return kExitMismatch;
  std::vector<Kernel> kernels;
  for (auto func : ir->getOps<mlir::func::FuncOp>()) {
    if (!func->hasAttr("fac.kernel") || func.getSymName().ends_with("_layer"))
      continue;
    Kernel k;
    k.name = func.getSymName().str();
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "fac.name");
      k.args.push_back({name ? name.str() : "", func.getArgumentTypes()[i],
                        bool(func.getArgAttr(i, "fac.head"))});
    }
    // `<Concept>_<function>`: the longest concept name that prefixes it.
    for (const ast::DeclPtr &d : module->getDecls())
      if (auto *c = llvm::dyn_cast<ast::ConceptDecl>(d.get()))
        if (k.name.rfind(c->getName().str() + "_", 0) == 0 &&
            (!k.spec || c->getName().size() > k.spec->getName().size())) {
          k.spec = c;
          k.function = k.name.substr(c->getName().size() + 1);
        }
    if (k.spec)
      kernels.push_back(std::move(k));
  }
  if (kernels.empty()) {
    llvm::errs() << "fac-check: error: '" << inputFilename
                 << "' has no kernel to check (export one, or name a "
                    "function with --entry)\n";
    return kExitUsageError;
  }
  std::unique_ptr<mlir::ExecutionEngine> engine =
      compileForHost(*ir, "fac-check");
  if (!engine)
    return kExitMismatch;

  // Shapes: one query and many keys (decoding), a few, a block and more,
  // head sizes 8 and 64; one-tensor functions get matrices.
  const std::pair<int64_t, int64_t> attentionShapes[][2] = {
      {{1, 8}, {40, 8}},
      {{5, 16}, {5, 16}},
      {{64, 64}, {64, 64}},
      {{100, 8}, {100, 8}},
      {{37, 64}, {200, 64}}};
  std::vector<std::pair<int64_t, int64_t>> oneTensorShapes = {
      {1, 8}, {7, 8}, {64, 64}};
  if (!matrixShapes.empty()) {
    oneTensorShapes.clear();
    for (llvm::StringRef text : matrixShapes) {
      auto [r, c] = text.split('x');
      std::optional<int64_t> rows = parseInteger(r, 0, 1 << 16),
                             cols = parseInteger(c, 0, 1 << 16);
      if (!rows || !cols) {
        llvm::errs() << "fac-check: error: --shape=" << text
                     << ": give rows x columns, as 8x8 (each 0 to 65536)\n";
        return kExitUsageError;
      }
      oneTensorShapes.push_back({*rows, *cols});
    }
  }
  std::optional<Inputs> real = realInputs(256);
  int passed = 0, failed = 0;
  auto tally = [&](std::optional<bool> ok) {
    if (ok)
      (*ok ? passed : failed)++;
  };
  unsigned seed = 1;
  for (const Kernel &k : kernels) {
    int before = passed + failed;
    // Each case, and the same with rule patterns in it when -p gave rules.
    auto checkCase = [&](const Inputs &in) {
      tally(checker.check(*engine, k, in, given));
      for (const Inputs &withRules : checker.planted(in))
        tally(checker.check(*engine, k, withRules, given));
    };
    for (auto [q, kv] : attentionShapes)
      checkCase(randomInputs({q, kv, kv}, seed++));
    for (auto shape : oneTensorShapes) {
      checkCase(randomInputs({shape}, seed++));
      // The same shape cut from the real queries, where they have it.
      if (!real || shape.second != real->shapes[0].second ||
          shape.first > real->shapes[0].first)
        continue;
      Inputs rows;
      rows.label = real->label + ", the first " + std::to_string(shape.first) +
                   " query rows";
      rows.tensors.push_back(std::vector<float>(
          real->tensors[0].begin(),
          real->tensors[0].begin() + shape.first * shape.second));
      rows.shapes.push_back(shape);
      checkCase(rows);
    }
    if (real)
      checkCase(*real);
    if (passed + failed == before) {
      // Checked nothing: that is not a pass.
      llvm::outs() << "FAIL " << k.name
                   << ": fac-check has no inputs for it (it takes one tensor "
                      "or three, or trees of them)\n";
      ++failed;
    }
  }
  llvm::outs() << passed << " passed, " << failed << " failed"
               << (real ? "" : " (random inputs only: no real data)") << "\n";
  return failed ? kExitMismatch : kExitSuccess;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (!cl::ParseCommandLineOptions(argc, argv,
                                   "fac-check: compiled kernels against the "
                                   "reference interpreter\n",
                                   &llvm::errs()))
    return kExitUsageError;
  return runOnLargeStack(run);
}
