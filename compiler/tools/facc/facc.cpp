//===- facc.cpp - The FAC compiler driver ---------------------------------===//
//
// facc compiles a spec through every stage and stops at the one -emit names:
//   parse    the AST as parsed, before any checking
//   ast      the checked AST, with types and locations
//   mlir     the fac dialect as MLIRGen emits it
//   lowered  loops over buffers (after fac-lower-to-loops)
//   llvm     optimized LLVM IR for --target
//   asm/obj  assembly or an object file for --target
//   cpp      portable C++ source
//   header   the C header declaring the kernels' entry points
//
// Every pass from the fac dialect down to what the target writes runs in
// one pass manager, so that --mlir-print-ir-* and --mlir-timing see all
// of them. Without -o, a file (obj, asm, llvm, cpp, header) is written in
// the current directory under the input's name (spec.fac -> spec.o), and
// text for reading (parse, ast, mlir, lowered) goes to standard output.
//
//===----------------------------------------------------------------------===//

#include "fac/AST/ASTBuilder.h"
#include "fac/MLIRGen/MLIRGen.h"
#include "fac/Sema/Sema.h"
#include "fac/Support/CommandLine.h"
#include "fac/Support/ParseNumber.h"
#include "fac/Support/StackGuard.h"
#include "fac/Support/ToolOutput.h"
#include "fac/Target/SpecContext.h"
#include "fac/Target/TargetInfo.h"
#include "fac/Transforms/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"

namespace cl = llvm::cl;
using namespace fac;

namespace {

/// facc's exit codes.
enum ExitCode : int {
  kExitSuccess = 0,
  kExitCompileError = 1, ///< The spec has errors; they were reported.
  kExitUsageError = 2,   ///< Bad command line.
  kExitIOError = 3       ///< An input or output file failed.
};

/// The stages -emit can stop at, in pipeline order.
enum class Emit { Parse, AST, MLIR, Lowered, LLVM, Asm, Obj, Cpp, Header };

cl::OptionCategory faccCategory("facc options");

cl::opt<std::string> inputFilename(cl::Positional,
                                   cl::desc("<spec.fac | kernels.mlir>"),
                                   cl::Required, cl::cat(faccCategory));
cl::opt<std::string> outputFilename(
    "o",
    cl::desc("Output file ('-' for standard output; default: the input's "
             "name with the -emit's extension, or standard output for "
             "parse, ast, mlir and lowered)"),
    cl::value_desc("file"), cl::cat(faccCategory));
cl::opt<Emit> emitAction(
    "emit", cl::desc("The stage to stop at and write"), cl::init(Emit::Obj),
    cl::values(clEnumValN(Emit::Parse, "parse", "AST before checking"),
               clEnumValN(Emit::AST, "ast", "checked AST"),
               clEnumValN(Emit::MLIR, "mlir", "fac dialect"),
               clEnumValN(Emit::Lowered, "lowered", "loops over buffers"),
               clEnumValN(Emit::LLVM, "llvm", "optimized LLVM IR (.ll)"),
               clEnumValN(Emit::Asm, "asm", "assembly (.s)"),
               clEnumValN(Emit::Obj, "obj", "object file (.o, the default)"),
               clEnumValN(Emit::Cpp, "cpp", "portable C++ source (.cpp)"),
               clEnumValN(Emit::Header, "header", "C header (.h)")),
    cl::cat(faccCategory));
cl::opt<std::string> targetName(
    "target",
    cl::desc("native, x86-64, x86-64-avx2 (default), x86-64-avx512 or "
             "aarch64, for -emit=lowered|llvm|asm|obj; native is the widest "
             "this machine runs"),
    cl::init("x86-64-avx2"), cl::cat(faccCategory));
// Integers are taken as text and parsed strictly (ParseNumber.h).
cl::opt<std::string>
    optLevelText("O", cl::desc("LLVM optimization level 0-3 (default 3)"),
                 cl::value_desc("N"), cl::Prefix, cl::init("3"),
                 cl::cat(faccCategory));
cl::opt<std::string> keyTileText(
    "key-tile",
    cl::desc("Keys per online-softmax step (1-4096; default: as many as "
             "fit half the target's L1 cache)"),
    cl::value_desc("N"), cl::cat(faccCategory));
cl::list<std::string> defines(
    "D",
    cl::desc("Bind a concept parameter at compile time (an Int, a Float, "
             "true/false, or a comma-separated list of them)"),
    cl::value_desc("name=value"), cl::Prefix, cl::cat(faccCategory));
cl::list<std::string> entries(
    "entry",
    cl::desc("Compile this function of a concept as a kernel too (besides "
             "its exports)"),
    cl::value_desc("name"), cl::CommaSeparated, cl::cat(faccCategory));
cl::opt<std::string> memoryLimitText(
    "memory-limit",
    cl::desc("Bytes each kernel's workspace may hold: a call that needs more "
             "returns FACRT_ERR_LIMIT, and with --bound for every parameter "
             "a plan over it is a compile error"),
    cl::value_desc("BYTES"), cl::cat(faccCategory));
cl::opt<bool> printMemoryPlan(
    "print-memory-plan",
    cl::desc("Print each kernel's buffers, their sizes as formulas of the "
             "parameters, and the workspace total to stdout"),
    cl::cat(faccCategory));
cl::list<std::string> bounds(
    "bound",
    cl::desc("The largest shape a kernel parameter takes (name=RxC for a "
             "matrix, name=N for an Int): the memory plan is evaluated there"),
    cl::value_desc("name=RxC"), cl::cat(faccCategory));
cl::opt<std::string> depfileName(
    "depfile",
    cl::desc("Also write a Makefile rule: the output depends on the spec "
             "and every file it imports (for build systems)"),
    cl::value_desc("file"), cl::cat(faccCategory));
unsigned optLevel = 3;
int64_t keyTile = 0;
int64_t memoryLimit = 0;

/// The files the output depends on: the input and what it imports.
std::vector<std::string> dependencies;

/// A path as a Makefile rule writes it: spaces, `#` and `$` escaped.
std::string makeEscaped(llvm::StringRef path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '#')
      out += '\\';
    if (c == '$')
      out += '$';
    out += c;
  }
  return out;
}

/// Keeps the output when every byte reached it, and writes --depfile; an
/// I/O error when either fails.
int finish(llvm::ToolOutputFile &output) {
  if (!keepToolOutput(output, "facc", outputFilename))
    return kExitIOError;
  if (depfileName.empty())
    return kExitSuccess;
  std::string error;
  auto depfile = mlir::openOutputFile(depfileName, &error);
  if (!depfile) {
    llvm::errs() << "facc: error: " << error << "\n";
    return kExitIOError;
  }
  depfile->os() << makeEscaped(outputFilename) << ":";
  for (const std::string &path : dependencies)
    depfile->os() << " " << makeEscaped(path);
  depfile->os() << "\n";
  return keepToolOutput(*depfile, "facc", depfileName) ? kExitSuccess
                                                       : kExitIOError;
}

/// What -emit=<emit> is called on the command line.
llvm::StringRef getEmitName(Emit emit) {
  switch (emit) {
  case Emit::Parse:
    return "parse";
  case Emit::AST:
    return "ast";
  case Emit::MLIR:
    return "mlir";
  case Emit::Lowered:
    return "lowered";
  case Emit::LLVM:
    return "llvm";
  case Emit::Asm:
    return "asm";
  case Emit::Obj:
    return "obj";
  case Emit::Cpp:
    return "cpp";
  case Emit::Header:
    return "header";
  }
  llvm_unreachable("every Emit has a name");
}

/// The extension of the file -emit=<emit> writes by default, or "" when
/// it writes to standard output by default.
llvm::StringRef getDefaultExtension(Emit emit) {
  switch (emit) {
  case Emit::Parse:
  case Emit::AST:
  case Emit::MLIR:
  case Emit::Lowered:
    return "";
  case Emit::LLVM:
    return ".ll";
  case Emit::Asm:
    return ".s";
  case Emit::Obj:
    return ".o";
  case Emit::Cpp:
    return ".cpp";
  case Emit::Header:
    return ".h";
  }
  llvm_unreachable("every Emit has an extension");
}

bool isNative(Emit emit) {
  return emit == Emit::LLVM || emit == Emit::Asm || emit == Emit::Obj;
}

/// Whether -emit=<emit> runs the lowering pipeline (and has a memory plan).
bool lowers(Emit emit) {
  return emit != Emit::Parse && emit != Emit::AST && emit != Emit::MLIR;
}

/// An option given with an -emit it does not change is a usage error: a
/// user who passes --target with -emit=cpp expects the C++ to depend on it.
/// Returns false after reporting the first such option.
bool checkOptionsApply() {
  struct Rule {
    const cl::Option &option;
    const char *flag;
    bool applies;
    const char *stages; ///< The -emits it applies to.
  };
  Emit emit = emitAction;
  bool planOptions = printMemoryPlan.getNumOccurrences() ||
                     memoryLimitText.getNumOccurrences() || !bounds.empty();
  const Rule rules[] = {
      {targetName, "--target", emit == Emit::Lowered || isNative(emit),
       "lowered, llvm, asm and obj (C++ source and the header are the same "
       "for every target)"},
      {optLevelText, "-O", isNative(emit), "llvm, asm and obj"},
      {keyTileText, "--key-tile", lowers(emit) && emit != Emit::Header,
       "lowered, llvm, asm, obj and cpp"},
      {defines, "-D", lowers(emit), "lowered, llvm, asm, obj, cpp and header"},
      {entries, "--entry", emit != Emit::Parse,
       "ast, mlir, lowered, llvm, asm, obj, cpp and header"},
  };
  for (const Rule &rule : rules)
    if (rule.option.getNumOccurrences() && !rule.applies) {
      llvm::errs() << "facc: error: " << rule.flag
                   << " does not apply to -emit=" << getEmitName(emit)
                   << "; it applies to -emit=" << rule.stages << "\n";
      return false;
    }
  // The memory plan exists from -emit=lowered on.
  if (planOptions && !lowers(emit)) {
    llvm::errs() << "facc: error: --print-memory-plan, --memory-limit and "
                    "--bound do not apply to -emit="
                 << getEmitName(emit)
                 << "; they apply to -emit=lowered or a later stage\n";
    return false;
  }
  return true;
}

/// The functions (`let`s of lambdas in its body) of concept \p spec: what
/// --entry names.
std::vector<llvm::StringRef> getConceptFunctions(const ast::ConceptDecl &spec) {
  std::vector<llvm::StringRef> names;
  for (const ast::StmtPtr &stmt : spec.getBody().getStmts())
    if (auto *let = llvm::dyn_cast<ast::LetStmt>(stmt.get()))
      if (let->getPattern().kind == ast::Pattern::Kind::Name &&
          llvm::isa<ast::LambdaExpr>(let->getValue()))
        names.push_back(let->getPattern().name);
  return names;
}

/// Reports an --entry that names no concept's function, with the functions
/// there are, as lowering would.
bool checkEntries(const ast::Module &module,
                  const std::vector<std::string> &entryNames) {
  for (const std::string &entry : entryNames) {
    bool found = false;
    std::string known;
    for (const ast::DeclPtr &decl : module.getDecls())
      if (auto *spec = llvm::dyn_cast<ast::ConceptDecl>(decl.get())) {
        std::vector<llvm::StringRef> names = getConceptFunctions(*spec);
        found |= llvm::is_contained(names, entry);
        known +=
            (known.empty() ? "" : "; ") +
            ("'" + spec->getName() + "': " + llvm::join(names, ", ")).str();
      }
    if (!found) {
      llvm::errs() << "facc: error: --entry=" << entry
                   << ": no concept has a function of that name (the "
                      "functions of "
                   << (known.empty() ? "no concept" : known) << ")\n";
      return false;
    }
  }
  return true;
}

/// Picks the output file when -o is not given; false (reported) when
/// there is none to pick.
bool chooseOutputFile() {
  if (outputFilename.getNumOccurrences())
    return true;
  llvm::StringRef extension = getDefaultExtension(emitAction);
  if (extension.empty()) {
    outputFilename = "-";
    return true;
  }
  if (inputFilename == "-") {
    llvm::errs() << "facc: error: -emit=" << getEmitName(emitAction)
                 << " from standard input needs an output file: give -o\n";
    return false;
  }
  // As clang does: in the current directory, under the input's stem.
  outputFilename = (llvm::sys::path::stem(inputFilename) + extension).str();
  return true;
}

int compile() {
  if (!checkOptionsApply() || !chooseOutputFile())
    return kExitUsageError;
  std::optional<int64_t> level =
      parseIntegerOption("facc", "-O", optLevelText, 0, 3);
  std::optional<int64_t> tile =
      keyTileText.getNumOccurrences()
          ? parseIntegerOption("facc", "--key-tile", keyTileText, 1,
                               kMaxKeyTile)
          : std::optional<int64_t>(0);
  std::optional<int64_t> limit =
      memoryLimitText.getNumOccurrences()
          ? parseIntegerOption("facc", "--memory-limit", memoryLimitText, 1,
                               std::numeric_limits<int64_t>::max())
          : std::optional<int64_t>(0);
  if (!level || !tile || !limit)
    return kExitUsageError;
  for (const std::string &bound : bounds) {
    std::string name, problem;
    llvm::SmallVector<int64_t> sizes;
    if (!parseBound(bound, name, sizes, problem)) {
      llvm::errs() << "facc: error: --bound=" << bound << ": " << problem
                   << "\n";
      return kExitUsageError;
    }
  }
  if (!depfileName.empty() && outputFilename == "-") {
    llvm::errs() << "facc: error: --depfile needs an output file (-o)\n";
    return kExitUsageError;
  }
  if (printMemoryPlan && outputFilename == "-") {
    llvm::errs() << "facc: error: --print-memory-plan writes to stdout: give "
                    "the output a file with -o\n";
    return kExitUsageError;
  }
  if (emitAction == Emit::Obj && outputFilename == "-" &&
      llvm::sys::Process::StandardOutIsDisplayed()) {
    llvm::errs() << "facc: error: not writing an object file to a terminal: "
                    "give -o, or redirect standard output\n";
    return kExitUsageError;
  }
  optLevel = unsigned(*level);
  keyTile = *tile;
  memoryLimit = *limit;
  auto fileOrErr = llvm::MemoryBuffer::getFileOrSTDIN(inputFilename,
                                                      /*IsText=*/true);
  if (std::error_code ec = fileOrErr.getError()) {
    llvm::errs() << "facc: error: cannot read '" << inputFilename
                 << "': " << ec.message() << "\n";
    return kExitIOError;
  }
  SourceFile source(std::move(*fileOrErr));
  dependencies.push_back(inputFilename);

  // The target also decides the kernels' tiles (lanes, registers, caches),
  // so it is known before lowering; C++ source has a target of its own.
  bool native = isNative(emitAction);
  std::unique_ptr<TargetInfo> target =
      createTarget(emitAction == Emit::Cpp ? "cpp" : targetName.getValue());
  if (lowers(emitAction) &&
      (!target ||
       (emitAction != Emit::Cpp && !target->supports(EmitKind::Object)))) {
    llvm::errs() << "facc: error: unknown target '" << targetName
                 << "' (C++ source is -emit=cpp); use one of:";
    for (const std::string &name : getTargetNames())
      if (name != "cpp")
        llvm::errs() << " " << name;
    llvm::errs() << "\n";
    return kExitUsageError;
  }

  std::string error;
  auto output = mlir::openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << "facc: error: " << error << "\n";
    return kExitIOError;
  }

  SpecContext specContext(source);
  mlir::MLIRContext &context = specContext.get();

  // A .mlir input is fac IR at any level (what -emit=mlir writes, or
  // kernels on buffers using fac.attention's hooks directly): it skips
  // the front end and goes through the same pipeline.
  mlir::OwningOpRef<mlir::ModuleOp> ir;
  if (llvm::StringRef(inputFilename).ends_with(".mlir")) {
    if (emitAction == Emit::Parse || emitAction == Emit::AST) {
      llvm::errs() << "facc: error: -emit=parse and -emit=ast need a .fac "
                      "spec, not MLIR\n";
      return kExitUsageError;
    }
    ir = mlir::parseSourceFile<mlir::ModuleOp>(source.getSourceMgr(), &context);
  } else {
    std::unique_ptr<ast::Module> module = parseModule(source);
    if (!module)
      return kExitCompileError;
    for (const std::string &path : source.getImportedFilenames())
      dependencies.push_back(path);
    if (emitAction == Emit::Parse) {
      ast::dump(*module, source.getFilename(), output->os());
      return finish(*output);
    }
    std::vector<std::string> entryNames(entries.begin(), entries.end());
    if (!checkModule(*module, source, entryNames))
      return kExitCompileError;
    // At every stage, not only when lowering.
    if (!checkEntries(*module, entryNames))
      return kExitUsageError;
    if (emitAction == Emit::AST) {
      ast::dump(*module, source.getFilename(), output->os());
      return finish(*output);
    }
    ir = mlirGen(context, *module, source.getFilename());
  }
  if (!ir)
    return kExitCompileError;
  if (emitAction == Emit::MLIR) {
    ir->print(output->os());
    return finish(*output);
  }

  auto options = [&](int64_t tile, bool print) {
    return LoweringOptions{tile,
                           target->getKernelTarget(),
                           {defines.begin(), defines.end()},
                           {entries.begin(), entries.end()},
                           memoryLimit,
                           print,
                           {bounds.begin(), bounds.end()}};
  };
  // Under a memory limit, with bounds and no --key-tile: a plan over the
  // limit at the bounds is tried again with smaller key tiles (the
  // attention core's score block shrinks with it), on copies of the IR.
  int64_t chosenTile = keyTile;
  bool fits = false;
  if (memoryLimit > 0 && keyTile == 0 && !bounds.empty()) {
    for (int64_t t :
         {int64_t(0), int64_t(128), int64_t(64), int64_t(32), int64_t(16),
          int64_t(8), int64_t(4), int64_t(2), int64_t(1)}) {
      chosenTile = t;
      mlir::OwningOpRef<mlir::ModuleOp> trial(ir->clone());
      bool overLimit = false, otherError = false;
      mlir::ScopedDiagnosticHandler quiet(&context, [&](mlir::Diagnostic &d) {
        if (d.getSeverity() == mlir::DiagnosticSeverity::Error)
          (llvm::StringRef(d.str()).contains("over the memory limit")
               ? overLimit
               : otherError) = true;
        return mlir::success();
      });
      mlir::PassManager trialPm(&context);
      buildLowerToLoopsPipeline(trialPm, options(t, false));
      fits = mlir::succeeded(trialPm.run(*trial));
      if (fits || otherError || !overLimit)
        break; // It fits, or the run below reports what is wrong.
    }
    if (fits && chosenTile != 0)
      llvm::errs() << "facc: note: the attention core takes " << chosenTile
                   << (chosenTile == 1 ? " key" : " keys")
                   << " per step so that the workspace fits --memory-limit="
                   << memoryLimit << " at the bounds given\n";
    else if (!fits && chosenTile == 1)
      llvm::errs() << "facc: note: no key tile fits --memory-limit="
                   << memoryLimit
                   << " at the bounds given; the plan below takes 1 key per "
                      "step, the smallest\n";
  }
  // One pass manager from the fac dialect to what the target writes.
  mlir::PassManager pm(&context);
  if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
    return kExitUsageError;
  mlir::DefaultTimingManager timing;
  mlir::applyDefaultTimingManagerCLOptions(timing);
  mlir::TimingScope timingScope = timing.getRootScope();
  pm.enableTiming(timingScope);
  buildLowerToLoopsPipeline(pm, options(chosenTile, printMemoryPlan));
  if (native)
    target->buildCodegenPipeline(pm);
  if (mlir::failed(pm.run(*ir)))
    return kExitCompileError;

  mlir::LogicalResult written = mlir::success();
  switch (emitAction) {
  case Emit::Parse:
  case Emit::AST:
  case Emit::MLIR:
    llvm_unreachable("written before lowering");
  case Emit::Lowered:
    ir->print(output->os());
    break;
  case Emit::Header: {
    llvm::StringRef stem = llvm::sys::path::stem(
        outputFilename == "-" ? inputFilename : outputFilename);
    written = emitCHeader(*ir, stem, output->os());
    break;
  }
  case Emit::Cpp:
    written = target->emit(*ir, EmitKind::CppSource, optLevel, output->os());
    break;
  case Emit::LLVM:
    written = target->emit(*ir, EmitKind::LLVMIR, optLevel, output->os());
    break;
  case Emit::Asm:
    written = target->emit(*ir, EmitKind::Assembly, optLevel, output->os());
    break;
  case Emit::Obj:
    written = target->emit(*ir, EmitKind::Object, optLevel, output->os());
    break;
  }
  if (mlir::failed(written))
    return kExitCompileError;
  return finish(*output);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  showOnlyToolOptions(faccCategory, "facc");
  if (!cl::ParseCommandLineOptions(argc, argv, "facc: the FAC spec compiler\n",
                                   &llvm::errs()))
    return kExitUsageError;
  // Sema and MLIRGen recurse over the AST: give them the stack the
  // front end's limits are sized for.
  return runOnLargeStack(compile);
}
