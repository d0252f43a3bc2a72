//===- fac-run.cpp - A spec as the attention of a llama2.c model ----------===//
//
// fac-run compiles a spec's `model.attention` in process, as facc would for
// this machine (the same pipeline, -D), JIT-compiles it with MLIR's
// ExecutionEngine, and plugs its whole-layer entry into the forward pass
// of any llama2.c checkpoint (libfacrt_host):
//   --prompt TEXT   greedy generation from the prompt
//   --text FILE     perplexity on the file's first tokens
//   --compare       the same with dense attention beside: next-token
//                   agreement, perplexity, tokens per second
// with --json for a machine-readable report and a progress bar on stderr
// when it is a terminal.
//
//===----------------------------------------------------------------------===//

#include "fac/AST/ASTBuilder.h"
#include "fac/MLIRGen/MLIRGen.h"
#include "fac/Sema/Sema.h"
#include "fac/Support/CommandLine.h"
#include "fac/Support/ParseNumber.h"
#include "fac/Support/StackGuard.h"
#include "fac/Target/HostJIT.h"
#include "fac/Target/SpecContext.h"
#include "fac/Transforms/Passes.h"

#include "facrt/host.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"

#include <algorithm>
#include <cmath>

namespace cl = llvm::cl;
using namespace fac;

namespace {

/// fac-run's exit codes.
enum ExitCode : int {
  kExitSuccess = 0,
  kExitCompileError = 1, ///< The spec has errors, or does not compile.
  kExitUsageError = 2,   ///< Bad command line, prompt or text.
  kExitIOError = 3       ///< A model, tokenizer or text file failed.
};

cl::OptionCategory runCategory("fac-run options");

cl::opt<std::string> specFilename(cl::Positional, cl::desc("<spec.fac>"),
                                  cl::Required, cl::cat(runCategory));
cl::opt<std::string> modelPath("model",
                               cl::desc("A llama2.c checkpoint (.bin)"),
                               cl::value_desc("file"), cl::Required,
                               cl::cat(runCategory));
cl::opt<std::string>
    tokenizerPath("tokenizer",
                  cl::desc("The checkpoint's llama2.c tokenizer (.bin)"),
                  cl::value_desc("file"), cl::Required, cl::cat(runCategory));
cl::opt<std::string> promptText(
    "prompt",
    cl::desc("Generate greedily from this text (BOS first; \"\" for BOS "
             "only)"),
    cl::value_desc("text"), cl::cat(runCategory));
cl::opt<std::string> stepsText(
    "steps",
    cl::desc("Tokens in all, prompt included, when generating (default: 64, "
             "at most the model's context)"),
    cl::value_desc("N"), cl::cat(runCategory));
cl::opt<std::string>
    textPath("text",
             cl::desc("Perplexity on this UTF-8 text file's first tokens"),
             cl::value_desc("file"), cl::cat(runCategory));
cl::opt<std::string> maxTokensText(
    "max-tokens",
    cl::desc("Tokens of --text to score (default: the model's context)"),
    cl::value_desc("N"), cl::cat(runCategory));
cl::opt<bool> compare("compare",
                      cl::desc("Run dense attention beside the spec: "
                               "next-token agreement, perplexity, tokens/s"),
                      cl::cat(runCategory));
cl::list<std::string> defines(
    "D",
    cl::desc("Bind a concept parameter at compile time; every parameter "
             "must be bound"),
    cl::value_desc("name=value"), cl::Prefix, cl::cat(runCategory));
cl::opt<std::string> conceptName(
    "concept",
    cl::desc("The concept whose model.attention runs (when several have one)"),
    cl::value_desc("name"), cl::cat(runCategory));
cl::opt<std::string> threadsText("num-threads",
                                 cl::desc("OpenMP threads per layer call "
                                          "(default 1)"),
                                 cl::value_desc("N"), cl::cat(runCategory));
cl::opt<bool> json("json", cl::desc("Write the report as JSON to stdout"),
                   cl::cat(runCategory));
cl::opt<bool> noProgress("no-progress",
                         cl::desc("No progress bar, even on a terminal"),
                         cl::cat(runCategory));

/// The JIT-compiled whole-layer entry of a spec's model.attention with
/// every parameter bound: (causal_offset, threads, q, k, v, out, workspace).
using LayerKernel = int32_t (*)(int64_t, int32_t, fac_memref3d_f32 *,
                                fac_memref3d_f32 *, fac_memref3d_f32 *,
                                fac_memref3d_f32 *, fac_memref1d_i8 *);
using LayerSize = int64_t (*)(int64_t, int32_t, fac_memref3d_f32 *,
                              fac_memref3d_f32 *, fac_memref3d_f32 *,
                              fac_memref3d_f32 *);

/// The per-head entry (q, k, v, out, workspace), for an attention that has
/// no whole-layer entry.
using HeadKernel = int32_t (*)(fac_memref2d_f32 *, fac_memref2d_f32 *,
                               fac_memref2d_f32 *, fac_memref2d_f32 *,
                               fac_memref1d_i8 *);
using HeadSize = int64_t (*)(fac_memref2d_f32 *, fac_memref2d_f32 *,
                             fac_memref2d_f32 *, fac_memref2d_f32 *);

/// What the forward pass calls for every layer (or head) and position.
struct CompiledAttention {
  LayerKernel kernel = nullptr;
  LayerSize size = nullptr;
  HeadKernel headKernel = nullptr;
  HeadSize headSize = nullptr;
  int32_t threads = 1;
  facrt_workspace workspace = {nullptr, 0};
  int32_t status = 0; ///< The first failing call's status.

  static int call(void *user, const fac_memref3d_f32 *q,
                  const fac_memref3d_f32 *k, const fac_memref3d_f32 *v,
                  fac_memref3d_f32 *out, int64_t causalOffset) {
    auto *self = static_cast<CompiledAttention *>(user);
    auto *qm = const_cast<fac_memref3d_f32 *>(q);
    auto *km = const_cast<fac_memref3d_f32 *>(k);
    auto *vm = const_cast<fac_memref3d_f32 *>(v);
    fac_memref1d_i8 ws;
    if (int32_t s = self->reserve(
            self->size(causalOffset, self->threads, qm, km, vm, out), ws))
      return s;
    return self->fail(
        self->kernel(causalOffset, self->threads, qm, km, vm, out, &ws));
  }
  static int callHead(void *user, const fac_memref2d_f32 *q,
                      const fac_memref2d_f32 *k, const fac_memref2d_f32 *v,
                      fac_memref2d_f32 *out) {
    auto *self = static_cast<CompiledAttention *>(user);
    auto *qm = const_cast<fac_memref2d_f32 *>(q);
    auto *km = const_cast<fac_memref2d_f32 *>(k);
    auto *vm = const_cast<fac_memref2d_f32 *>(v);
    fac_memref1d_i8 ws;
    if (int32_t s = self->reserve(self->headSize(qm, km, vm, out), ws))
      return s;
    return self->fail(self->headKernel(qm, km, vm, out, &ws));
  }
  /// Grows the workspace to \p need bytes and views it as \p ws.
  int32_t reserve(int64_t need, fac_memref1d_i8 &ws) {
    if (need < 0)
      return fail(FACRT_ERR_LIMIT);
    if (facrt_status s = facrt_workspace_reserve(&workspace, need))
      return fail(s);
    auto *data = static_cast<int8_t *>(workspace.data);
    ws = {data, data, 0, {workspace.bytes}, {1}};
    return 0;
  }
  int fail(int32_t s) {
    if (s && !status)
      status = s;
    return s;
  }
};

/// Compiles the spec \p text's model.attention for this machine and finds
/// its whole-layer entry; reports and returns null on failure.
std::unique_ptr<mlir::ExecutionEngine>
compileSpec(std::unique_ptr<llvm::MemoryBuffer> text, CompiledAttention &out) {
  SourceFile source(std::move(text));
  std::unique_ptr<ast::Module> module = parseModule(source);
  if (!module || !checkModule(*module, source))
    return nullptr;

  SpecContext context(source);
  mlir::OwningOpRef<mlir::ModuleOp> ir =
      mlirGen(context.get(), *module, source.getFilename());
  if (!ir)
    return nullptr;
  if (mlir::failed(lowerToLoopsForHost(
          *ir, std::vector<std::string>(defines.begin(), defines.end()), {})))
    return nullptr;

  // The kernels of the concepts' model.attention: the whole-layer entry
  // when fac-layer-entry made one, else the per-head kernel.
  std::vector<mlir::func::FuncOp> layers;
  for (auto func : ir->getOps<mlir::func::FuncOp>()) {
    llvm::StringRef name = func.getSymName();
    if (!func->hasAttr("fac.kernel") ||
        !(conceptName.empty() ? name.ends_with("_attention")
                              : name == conceptName + "_attention"))
      continue;
    auto layer = ir->lookupSymbol<mlir::func::FuncOp>((name + "_layer").str());
    layers.push_back(layer ? layer : func);
  }
  if (layers.empty()) {
    llvm::errs() << "fac-run: error: " << specFilename << ": no concept"
                 << (conceptName.empty() ? "" : " '" + conceptName + "'")
                 << " sets model.attention := f, the attention a model "
                    "runs\n";
    return nullptr;
  }
  if (layers.size() > 1) {
    llvm::errs() << "fac-run: error: " << specFilename
                 << ": several concepts set model.attention; name one with "
                    "--concept:";
    for (auto func : layers)
      llvm::errs() << " "
                   << func.getSymName().substr(
                          0, func.getSymName().rfind("_attention"));
    llvm::errs() << "\n";
    return nullptr;
  }
  mlir::func::FuncOp layer = layers.front();
  bool wholeLayer = layer.getSymName().ends_with("_layer");
  // Parameters left are concept parameters without a value.
  std::string unbound;
  for (unsigned i = 0, e = layer.getNumArguments(); i < e; ++i) {
    auto name = layer.getArgAttrOfType<mlir::StringAttr>(i, "fac.name");
    if (wholeLayer ? name && name.getValue() == "causal_offset"
                   : mlir::isa<mlir::MemRefType>(layer.getArgumentTypes()[i]))
      break;
    unbound += (unbound.empty() ? "-D " : ", -D ") +
               (name ? name.str() : "arg" + std::to_string(i)) + "=...";
  }
  if (!unbound.empty()) {
    llvm::errs() << "fac-run: error: the attention's parameters need values "
                    "(a model gives it only q, k and v): "
                 << unbound << "\n";
    return nullptr;
  }
  std::string name = layer.getSymName().str();
  std::unique_ptr<mlir::ExecutionEngine> engine =
      compileForHost(*ir, "fac-run");
  if (!engine)
    return nullptr;
  auto kernel = engine->lookup("_mlir_ciface_" + name);
  auto size = engine->lookup("_mlir_ciface_" + name + "_workspace_size");
  if (!kernel || !size) {
    llvm::consumeError(kernel.takeError());
    llvm::consumeError(size.takeError());
    llvm::errs() << "fac-run: error: the JIT has no entry '" << name << "'\n";
    return nullptr;
  }
  if (wholeLayer) {
    out.kernel = reinterpret_cast<LayerKernel>(*kernel);
    out.size = reinterpret_cast<LayerSize>(*size);
  } else {
    out.headKernel = reinterpret_cast<HeadKernel>(*kernel);
    out.headSize = reinterpret_cast<HeadSize>(*size);
  }
  return engine;
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
class Progress {
public:
  Progress(llvm::StringRef label, int64_t total)
      : label(label.str()), total(total),
        shown(!noProgress && !json &&
              llvm::sys::Process::StandardErrIsDisplayed()) {}
  ~Progress() {
    if (shown)
      llvm::errs() << "\r\033[K";
  }
  void update(int64_t done) {
    if (!shown || total <= 0)
      return;
    int width = 30, filled = int(width * done / total);
    llvm::errs() << "\r" << label << " [" << std::string(filled, '#')
                 << std::string(width - filled, '.') << "] " << done << "/"
                 << total;
    llvm::errs().flush();
  }

private:
  std::string label;
  int64_t total;
  bool shown;
};

/// One attention's run over a text: the argmax at each position, the
/// perplexity, and the speed.
struct TextRun {
  std::vector<int32_t> predictions;
  double perplexity = 0;
  double tokensPerSecond = 0;
};

/// Runs \p state over \p tokens: each position's argmax and exp of the mean
/// negative log-likelihood of tokens[1..n), as facrt_llama_perplexity does
/// (but from the same forward pass).
std::optional<TextRun> runText(facrt_llama_state *state,
                               const facrt_llama_model &model,
                               const std::vector<int32_t> &tokens,
                               llvm::StringRef label) {
  TextRun run;
  std::vector<float> logits(size_t(model.config.vocab_size));
  double nll = 0;
  Progress progress(label, int64_t(tokens.size()));
  double start = facrt_now_seconds();
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    if (facrt_llama_forward(state, tokens[pos], int32_t(pos), logits.data()))
      return std::nullopt;
    run.predictions.push_back(int32_t(
        std::max_element(logits.begin(), logits.end()) - logits.begin()));
    if (pos + 1 < tokens.size())
      nll += facrt_token_nll(logits.data(), int32_t(logits.size()),
                             tokens[pos + 1]);
    progress.update(int64_t(pos + 1));
  }
  double seconds = facrt_now_seconds() - start;
  run.perplexity =
      std::exp(nll / double(std::max<size_t>(1, tokens.size() - 1)));
  run.tokensPerSecond = seconds > 0 ? double(tokens.size()) / seconds : 0;
  return run;
}

/// The text of \p tokens after the first (BOS).
std::string decode(facrt_tokenizer *tok, const std::vector<int32_t> &tokens) {
  std::string text;
  for (size_t i = 1; i < tokens.size(); ++i)
    if (const char *piece =
            facrt_tokenizer_decode(tok, tokens[i - 1], tokens[i]))
      text += piece;
  return text;
}

int run() {
  auto spec = llvm::MemoryBuffer::getFile(specFilename, /*IsText=*/true);
  if (std::error_code ec = spec.getError()) {
    llvm::errs() << "fac-run: error: cannot read '" << specFilename
                 << "': " << ec.message() << "\n";
    return kExitIOError;
  }
  if (stepsText.getNumOccurrences() && stepsText.empty()) {
    llvm::errs() << "fac-run: error: --steps needs a number\n";
    return kExitUsageError;
  }
  std::optional<int64_t> threads = parseIntegerOption(
      "fac-run", "--num-threads",
      threadsText.empty() ? "1" : threadsText.getValue(), 1, 1024);
  if (!threads)
    return kExitUsageError;
  if (!promptText.getNumOccurrences() && textPath.empty()) {
    llvm::errs() << "fac-run: error: nothing to run: give --prompt TEXT "
                    "(generation) or --text FILE (perplexity)\n";
    return kExitUsageError;
  }
  if (stepsText.getNumOccurrences() && !promptText.getNumOccurrences()) {
    llvm::errs() << "fac-run: error: --steps applies to --prompt\n";
    return kExitUsageError;
  }
  if (maxTokensText.getNumOccurrences() && textPath.empty()) {
    llvm::errs() << "fac-run: error: --max-tokens applies to --text\n";
    return kExitUsageError;
  }

  facrt_llama_model model;
  if (facrt_status s = facrt_llama_load(modelPath.c_str(), nullptr, &model)) {
    llvm::errs() << "fac-run: error: cannot load the model '" << modelPath
                 << "': " << facrt_status_str(s)
                 << (s == FACRT_ERR_FORMAT
                         ? " (not a llama2.c checkpoint, or truncated)"
                         : "")
                 << "\n";
    return kExitIOError;
  }
  std::unique_ptr<facrt_llama_model, void (*)(facrt_llama_model *)> modelGuard(
      &model, facrt_llama_free);
  const facrt_llama_config &config = model.config;
  facrt_tokenizer *tok = nullptr;
  if (facrt_status s = facrt_tokenizer_load(tokenizerPath.c_str(),
                                            config.vocab_size, nullptr, &tok)) {
    llvm::errs() << "fac-run: error: cannot load the tokenizer '"
                 << tokenizerPath << "' for " << config.vocab_size
                 << " tokens: " << facrt_status_str(s)
                 << (s == FACRT_ERR_FORMAT
                         ? " (not a llama2.c tokenizer, or not the model's: "
                           "the model has " +
                               std::to_string(config.vocab_size) + " tokens)"
                         : "")
                 << "\n";
    return kExitIOError;
  }
  std::unique_ptr<facrt_tokenizer, void (*)(facrt_tokenizer *)> tokGuard(
      tok, facrt_tokenizer_free);

  // The inputs, checked before the compile.
  auto encode = [&](const std::string &text, int32_t limit,
                    std::vector<int32_t> &tokens) {
    // At most a token per byte, the space llama2.c's encoder puts first,
    // and BOS.
    tokens.assign(text.size() + 2, 0);
    int32_t n = facrt_tokenizer_encode(tok, text.c_str(), 1, 0, tokens.data(),
                                       int32_t(tokens.size()));
    if (n < 0 || size_t(n) > tokens.size())
      return false;
    tokens.resize(size_t(n));
    if (limit > 0 && n > limit)
      tokens.resize(size_t(limit));
    return true;
  };
  std::vector<int32_t> prompt, text;
  int64_t steps = 0;
  if (promptText.getNumOccurrences()) {
    std::optional<int64_t> s = parseIntegerOption(
        "fac-run", "--steps", stepsText.empty() ? "64" : stepsText.getValue(),
        1, config.seq_len);
    if (!s)
      return kExitUsageError;
    steps = *s;
    if (!encode(promptText, 0, prompt)) {
      llvm::errs() << "fac-run: error: the prompt cannot be tokenized\n";
      return kExitUsageError;
    }
    if (int64_t(prompt.size()) > steps) {
      llvm::errs() << "fac-run: error: the prompt is " << prompt.size()
                   << " tokens with BOS, more than --steps=" << steps
                   << " (the model's context is " << config.seq_len << ")\n";
      return kExitUsageError;
    }
  }
  if (!textPath.empty()) {
    std::optional<int64_t> limit =
        maxTokensText.empty()
            ? std::optional<int64_t>(config.seq_len)
            : parseIntegerOption("fac-run", "--max-tokens", maxTokensText, 2,
                                 config.seq_len);
    if (!limit)
      return kExitUsageError;
    auto file = llvm::MemoryBuffer::getFile(textPath, /*IsText=*/true);
    if (std::error_code ec = file.getError()) {
      llvm::errs() << "fac-run: error: cannot read '" << textPath
                   << "': " << ec.message() << "\n";
      return kExitIOError;
    }
    llvm::StringRef contents = (*file)->getBuffer();
    if (size_t nul = contents.find('\0'); nul != llvm::StringRef::npos) {
      llvm::errs() << "fac-run: error: '" << textPath
                   << "' is not text: it has a NUL byte at offset " << nul
                   << "\n";
      return kExitUsageError;
    }
    if (!encode(contents.str(), int32_t(*limit), text) || text.size() < 2) {
      llvm::errs() << "fac-run: error: '" << textPath
                   << "' has no token to predict\n";
      return kExitUsageError;
    }
  }

  CompiledAttention attention;
  attention.threads = int32_t(*threads);
  std::unique_ptr<mlir::ExecutionEngine> engine =
      compileSpec(std::move(*spec), attention);
  if (!engine)
    return kExitCompileError;

  auto newState = [&](bool compiled) {
    facrt_llama_state *state = nullptr;
    if (facrt_llama_state_new(&model, config.seq_len, &state))
      return std::unique_ptr<facrt_llama_state, void (*)(facrt_llama_state *)>(
          nullptr, facrt_llama_state_free);
    if (compiled && attention.kernel)
      facrt_llama_set_layer_attention(state, &CompiledAttention::call,
                                      &attention);
    else if (compiled)
      facrt_llama_set_attention(state, &CompiledAttention::callHead,
                                &attention);
    return std::unique_ptr<facrt_llama_state, void (*)(facrt_llama_state *)>(
        state, facrt_llama_state_free);
  };
  auto kernelFailed = [&]() {
    llvm::errs() << "fac-run: error: the compiled attention returned "
                 << facrt_status_str(facrt_status(attention.status)) << "\n";
    facrt_workspace_free(&attention.workspace);
    return kExitCompileError;
  };

  llvm::json::Object report;
  report["spec"] = specFilename;
  report["model"] = llvm::json::Object{{"path", modelPath},
                                       {"dim", config.dim},
                                       {"layers", config.n_layers},
                                       {"heads", config.n_heads},
                                       {"kv_heads", config.n_kv_heads},
                                       {"vocab", config.vocab_size},
                                       {"context", config.seq_len}};
  llvm::raw_ostream &os = llvm::outs();
  if (!json)
    os << "model " << modelPath << ": dim " << config.dim << ", "
       << config.n_layers << " layers, " << config.n_heads << " heads ("
       << config.n_kv_heads << " K/V), vocabulary " << config.vocab_size
       << ", context " << config.seq_len << "\n";

  if (!prompt.empty()) {
    llvm::json::Object generation;
    for (bool compiled : {true, false}) {
      if (!compiled && !compare)
        break;
      auto state = newState(compiled);
      std::vector<int32_t> tokens(static_cast<size_t>(steps));
      double start = facrt_now_seconds();
      int32_t n = facrt_llama_generate_greedy(state.get(), prompt.data(),
                                              int32_t(prompt.size()),
                                              int32_t(steps), tokens.data());
      double seconds = facrt_now_seconds() - start;
      if (attention.status)
        return kernelFailed();
      if (n < 0) {
        llvm::errs() << "fac-run: error: generation failed\n";
        return kExitIOError;
      }
      tokens.resize(size_t(n));
      std::string story = decode(tok, tokens);
      double rate = seconds > 0 ? n / seconds : 0;
      const char *who = compiled ? "spec" : "dense";
      generation[who] = llvm::json::Object{
          {"text", story}, {"tokens", n}, {"tokens_per_second", rate}};
      if (!json)
        os << who << (compiled ? " " : "") << ": " << story << "\n"
           << llvm::format("      (%d tokens, %.0f tokens/s)\n", n, rate);
    }
    report["generation"] = std::move(generation);
  }

  if (!text.empty()) {
    auto spec = newState(true);
    std::optional<TextRun> specRun = runText(spec.get(), model, text, "spec");
    if (attention.status)
      return kernelFailed();
    if (!specRun) {
      llvm::errs() << "fac-run: error: the forward pass failed\n";
      return kExitIOError;
    }
    llvm::json::Object eval{{"path", textPath},
                            {"tokens", int64_t(text.size())},
                            {"perplexity", specRun->perplexity},
                            {"tokens_per_second", specRun->tokensPerSecond}};
    if (!json)
      os << llvm::format("spec : perplexity %.4f on %zu tokens of %s, "
                         "%.0f tokens/s\n",
                         specRun->perplexity, text.size(), textPath.c_str(),
                         specRun->tokensPerSecond);
    if (compare) {
      auto dense = newState(false);
      std::optional<TextRun> denseRun =
          runText(dense.get(), model, text, "dense");
      if (!denseRun)
        return kExitIOError;
      size_t agree = 0;
      for (size_t i = 0; i < text.size(); ++i)
        agree += specRun->predictions[i] == denseRun->predictions[i];
      double agreement = 100.0 * double(agree) / double(text.size());
      eval["dense"] =
          llvm::json::Object{{"perplexity", denseRun->perplexity},
                             {"tokens_per_second", denseRun->tokensPerSecond}};
      eval["agreement_percent"] = agreement;
      if (!json)
        os << llvm::format("dense: perplexity %.4f, %.0f tokens/s\n",
                           denseRun->perplexity, denseRun->tokensPerSecond)
           << llvm::format("next-token agreement with dense: %.1f%% "
                           "(%zu of %zu)\n",
                           agreement, agree, text.size());
    }
    report["text"] = std::move(eval);
  }
  facrt_workspace_free(&attention.workspace);
  if (json)
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
  return kExitSuccess;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  showOnlyToolOptions(runCategory, "fac-run");
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "fac-run: a spec's model.attention as the attention of a llama2.c "
          "model\n",
          &llvm::errs()))
    return kExitUsageError;
  return runOnLargeStack(run);
}
