//===- fac-interp.cpp - Run a spec with the reference interpreter ---------===//
//
// fac-interp runs each concept of a spec on values:
//   - parameters come from `-p name=value` (Float, Int); List parameters
//     default to the empty list, a LanguageModel parameter to the model;
//   - an exported `model.attention` over tensors runs on the real layer-0
//     Q/K/V of stories260K (or a labelled synthetic workload), head by
//     head, as the model host calls it (one query against the cache at
//     each position), and is compared with causal fp64 attention; its
//     errors as one whole prompt are reported beside (over trees: the
//     whole sequence's pyramids against attention over every key);
//   - each theorem after a concept is checked as a property on random
//     inputs; a premise `f(x) = y` binds y to f(x).
//
//===----------------------------------------------------------------------===//

#include "fac/AST/ASTBuilder.h"
#include "fac/Interp/Interpreter.h"
#include "fac/Interp/RuleTable.h"
#include "fac/Sema/Sema.h"
#include "fac/Support/ParseNumber.h"
#include "fac/Support/StackGuard.h"

#include "facrt/host.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <climits>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <set>

namespace cl = llvm::cl;
using namespace fac;
using namespace fac::interp;

namespace {

enum ExitCode : int {
  kExitSuccess = 0,
  kExitFailure = 1, ///< The spec has errors, a run failed, or a check failed.
  kExitUsageError = 2,
  kExitIOError = 3
};

cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<spec.fac>"),
                                   cl::Required);
cl::list<std::string> paramValues("p", cl::desc("Concept parameter"),
                                  cl::value_desc("name=value"), cl::Prefix);
cl::opt<std::string>
    dataDir("data",
            cl::desc("Real data directory (must hold the model when given), or "
                     "'none' for the built-in synthetic workload"),
            cl::init(FAC_DATA_DIR));

/// --data=none: the labelled synthetic workload, even when data is there.
bool noRealData() { return dataDir == "none"; }
// Integers are taken as text and parsed strictly (ParseNumber.h) by
// checkOptions().
cl::opt<std::string> tokensText("tokens",
                                cl::desc("Tokens of real text (1-512)"),
                                cl::value_desc("N"), cl::init("64"));
cl::opt<std::string> trialsText("trials", cl::desc("Random inputs per theorem"),
                                cl::value_desc("N"), cl::init("20"));
cl::opt<std::string> maxStepsText(
    "max-steps",
    cl::desc("Stop a run after this many evaluation steps (0: no limit)"),
    cl::value_desc("N"), cl::init("0"));
int tokenCount = 64, trials = 20;
uint64_t maxSteps = 0;
cl::opt<std::string> toleranceText(
    "tolerance",
    cl::desc("Largest relative error of model.attention vs dense attention "
             "(raise it for lossy compression: the error is reported)"),
    cl::value_desc("X"), cl::init("1e-4"));
double tolerance = 1e-4;

ValuePtr tensorFromView(const fac_memref2d_f32 &v) {
  std::vector<float> data;
  for (int64_t i = 0; i < v.sizes[0]; ++i)
    for (int64_t j = 0; j < v.sizes[1]; ++j)
      data.push_back(v.aligned[v.offset + i * v.strides[0] + j]);
  return Value::tensor({v.sizes[0], v.sizes[1]}, std::move(data));
}

/// Layer-0 Q/K/V of real text, or Gaussian ones, per head.
struct Heads {
  std::string label;
  int n = 0, heads = 0, kvHeads = 0, d = 0;
  std::vector<float> q, k, v;
};

Heads loadHeads() {
  Heads h;
  facrt_llama_model model;
  facrt_tokenizer *tok = nullptr;
  if (!noRealData() &&
      facrt_stories260k_load(dataDir.c_str(), &model, &tok) == FACRT_OK) {
    std::vector<int32_t> tokens(tokenCount);
    // The book's first tokens (its opening sentence when the text file is
    // not there), so that --tokens gets as many as it asks.
    std::string text = "Call me Ishmael. Some years ago, never mind how long "
                       "precisely, having little or no money in my purse, "
                       "and nothing particular to interest me on shore, I "
                       "thought I would sail about a little and see the "
                       "watery part of the world.";
    auto book =
        llvm::MemoryBuffer::getFile(dataDir + "/text/moby-dick-ch1-3.txt",
                                    /*IsText=*/true);
    if (book)
      text = (*book)->getBuffer().str();
    int32_t n = facrt_tokenizer_encode(tok, text.c_str(), 1, 0, tokens.data(),
                                       tokenCount);
    h.n = std::min<int32_t>(n, tokenCount);
    h.heads = model.config.n_heads;
    h.kvHeads = model.config.n_kv_heads;
    h.d = model.config.dim / h.heads;
    std::vector<float> x(size_t(h.n) * model.config.dim);
    h.q.resize(x.size());
    h.k.resize(size_t(h.n) * h.kvHeads * h.d);
    h.v.resize(h.k.size());
    facrt_llama_embed(&model, tokens.data(), h.n, x.data());
    facrt_llama_qkv(&model, 0, x.data(), h.n, h.q.data(), h.k.data(),
                    h.v.data());
    h.label =
        "stories260K layer 0, " + std::to_string(h.n) + " tokens of Moby Dick";
    facrt_tokenizer_free(tok);
    facrt_llama_free(&model);
    return h;
  }
  h.label = "BUILT-IN WORKLOAD (synthetic Gaussian Q/K/V)";
  h.n = tokenCount;
  h.heads = 8;
  h.kvHeads = 4;
  h.d = 8;
  std::mt19937 gen(7);
  std::normal_distribution<float> dist;
  for (auto *m : {&h.q, &h.k, &h.v}) {
    m->resize(size_t(h.n) * (m == &h.q ? h.heads : h.kvHeads) * h.d);
    for (float &x : *m)
      x = dist(gen);
  }
  return h;
}

/// Runs the exported attention on every head against the fp64 reference.
/// On tensors, as the model host calls it: one query against the cache
/// (keys 0..p) at each position p, against causal attention, which
/// decides the check; then as one whole prompt, reported beside it
/// (against causal attention and attention over every key, and against
/// the decoded rows). On trees (\p trees), on pyramids of the Q/K/V rows,
/// flattening the resulting tree back into tokens, against attention over
/// every key.
bool checkAttention(Interpreter &interp, const ValuePtr &attend,
                    const ast::ConceptDecl &c, bool trees) {
  Heads h = loadHeads();
  double worst = 0;
  // Tensors: the prompt's errors against causal and full attention, and
  // its rows against the decoded ones.
  double promptCausal = 0, promptFull = 0, promptDecoded = 0;
  for (int head = 0; head < h.heads; ++head) {
    int kvHead = head / (h.heads / h.kvHeads);
    fac_memref2d_f32 q =
        facrt_view2d(h.q.data(), h.n, h.d, h.heads * h.d, head * h.d);
    fac_memref2d_f32 k =
        facrt_view2d(h.k.data(), h.n, h.d, h.kvHeads * h.d, kvHead * h.d);
    fac_memref2d_f32 v =
        facrt_view2d(h.v.data(), h.n, h.d, h.kvHeads * h.d, kvHead * h.d);
    double scale = 1.0 / std::sqrt(double(h.d));
    interp.setAttentionHead(head);
    // The whole sequence at once: a prompt, or the pyramids of a tree
    // attention.
    std::vector<ValuePtr> args = {tensorFromView(q), tensorFromView(k),
                                  tensorFromView(v)};
    if (trees)
      for (ValuePtr &a : args)
        a = buildPyramid(a->data.data(), h.n, h.d);
    ValuePtr out = interp.call(attend, args, c.getLoc());
    if (!out)
      return false;
    std::vector<float> got;
    if (trees)
      for (const std::vector<float> &row : flattenTree(out))
        got.insert(got.end(), row.begin(), row.end());
    else
      got = out->data;
    if (got.size() != size_t(h.n) * size_t(h.d)) {
      llvm::outs() << "  model.attention returned " << got.size() / h.d
                   << " tokens for " << h.n << ": FAILED\n";
      return false;
    }
    fac_memref2d_f32 gv = facrt_view2d(got.data(), h.n, h.d, h.d, 0);
    std::vector<double> full(size_t(h.n) * h.d), causal(full.size());
    facrt_attention_ref_f64(&q, &k, &v, scale, 0, full.data());
    if (trees) {
      worst = std::max(worst, facrt_max_rel_error(&gv, full.data()));
      continue;
    }
    facrt_attention_ref_f64(&q, &k, &v, scale, 1, causal.data());
    promptCausal =
        std::max(promptCausal, facrt_max_rel_error(&gv, causal.data()));
    promptFull = std::max(promptFull, facrt_max_rel_error(&gv, full.data()));
    // Decoding: the query at p against keys 0..p, row p of causal.
    std::vector<float> decoded(got.size());
    for (int64_t p = 0; p < h.n; ++p) {
      fac_memref2d_f32 qp = facrt_view2d(h.q.data() + p * h.heads * h.d, 1, h.d,
                                         h.heads * h.d, head * h.d);
      fac_memref2d_f32 kp =
          facrt_view2d(h.k.data(), p + 1, h.d, h.kvHeads * h.d, kvHead * h.d);
      fac_memref2d_f32 vp =
          facrt_view2d(h.v.data(), p + 1, h.d, h.kvHeads * h.d, kvHead * h.d);
      ValuePtr row = interp.call(
          attend, {tensorFromView(qp), tensorFromView(kp), tensorFromView(vp)},
          c.getLoc());
      if (!row)
        return false;
      if (row->data.size() != size_t(h.d)) {
        llvm::outs() << "  model.attention returned " << row->data.size() / h.d
                     << " rows for one query: FAILED\n";
        return false;
      }
      std::copy(row->data.begin(), row->data.end(), decoded.begin() + p * h.d);
    }
    fac_memref2d_f32 dv = facrt_view2d(decoded.data(), h.n, h.d, h.d, 0);
    worst = std::max(worst, facrt_max_rel_error(&dv, causal.data()));
    std::vector<double> decodedRef(decoded.begin(), decoded.end());
    promptDecoded =
        std::max(promptDecoded, facrt_max_rel_error(&gv, decodedRef.data()));
  }
  bool ok = worst <= tolerance;
  llvm::outs() << "  model.attention" << (trees ? " (over pyramids)" : "")
               << " on " << h.label << ", " << h.heads << " heads"
               << (trees ? ""
                         : ", one query against the cache at each of " +
                               std::to_string(h.n) +
                               " positions (as the model host calls it)")
               << ": max relative error " << llvm::format("%.2e", worst)
               << " vs the fp64 reference" << (trees ? "" : " (causal)") << ": "
               << (ok ? "ok" : "FAILED") << "\n";
  if (!trees)
    llvm::outs() << "  as one prompt of " << h.n
                 << " queries: max relative error "
                 << llvm::format("%.2e", promptCausal) << " vs causal, "
                 << llvm::format("%.2e", promptFull)
                 << " vs every key; vs the rows decoded one by one "
                 << llvm::format("%.2e", promptDecoded) << "\n";
  return ok;
}

/// Rows [start, start + count) of one head of real Q, K or V (chosen by the
/// binder's name), row-major, 8 wide.
std::vector<float> realRows(const Heads &h, llvm::StringRef binder,
                            std::mt19937 &gen, int count) {
  const std::vector<float> &m = binder == "query"   ? h.q
                                : binder == "value" ? h.v
                                                    : h.k;
  int64_t width = int64_t(m.size()) / h.n;
  int64_t heads = width / h.d;
  int64_t head = std::uniform_int_distribution<int64_t>(0, heads - 1)(gen);
  int64_t start = std::uniform_int_distribution<int64_t>(0, h.n - count)(gen);
  std::vector<float> rows;
  for (int64_t i = start; i < start + count; ++i)
    rows.insert(rows.end(), m.begin() + i * width + head * h.d,
                m.begin() + i * width + (head + 1) * h.d);
  return rows;
}

/// A value of a binder's type for one trial, or null when there is no
/// generator for it: random, or (with \p real) tensors and trees made of
/// real activations. Trees in one trial all stand for \p tokens tokens, and
/// tensors are \p rows rows (8 wide, or a head's width on real data); an
/// Int8Tensor's codes are drawn from -128 to 127.
ValuePtr trialValue(const ast::Field &binder, std::mt19937 &gen, int tokens,
                    int rows, const Heads *real) {
  sema::TypePtr t = sema::prune(binder.resolved);
  if (real && t->isCon("Tensor"))
    return Value::tensor({rows, real->d},
                         realRows(*real, binder.name, gen, rows));
  if (real && t->isCon("TensorTree")) {
    std::vector<float> rows = realRows(*real, binder.name, gen, tokens);
    return buildPyramid(rows.data(), tokens, real->d);
  }
  std::normal_distribution<double> dist;
  if (t->isCon("Float"))
    return Value::real(dist(gen));
  if (t->isCon("Int"))
    return Value::integer(std::uniform_int_distribution<int>(-5, 5)(gen));
  if (t->isCon("Bool"))
    return Value::boolean(gen() & 1);
  if (t->isCon("Tensor")) {
    std::vector<float> data(size_t(rows) * 8);
    for (float &x : data)
      x = float(dist(gen));
    return Value::tensor({rows, 8}, std::move(data));
  }
  if (t->isCon("Int8Tensor")) {
    std::uniform_int_distribution<int> code(-128, 127);
    std::vector<ValuePtr> codes(size_t(rows) * 8);
    for (ValuePtr &c : codes)
      c = Value::integer(code(gen));
    return Value::record(
        "Int8Tensor", {Value::list({Value::integer(rows), Value::integer(8)}),
                       Value::list(std::move(codes))});
  }
  if (t->isCon("TensorTree")) {
    std::vector<float> data(size_t(tokens) * 8);
    for (float &x : data)
      x = float(dist(gen));
    return buildPyramid(data.data(), tokens, 8);
  }
  return nullptr;
}

bool checkTheorem(Interpreter &interp, const ast::TheoremDecl &t,
                  const ConceptResult &scope, const Heads &real) {
  std::mt19937 gen(42);
  // A premise `lhs = name` (or `lhs == name`) defines the binder `name`.
  const ast::Expr *definition = nullptr;
  std::string defined;
  if (auto *implies = llvm::dyn_cast<ast::BinaryExpr>(&t.getBody());
      implies && implies->getOp() == "\u2192")
    if (auto *eq = llvm::dyn_cast<ast::BinaryExpr>(&implies->getLHS());
        eq && (eq->getOp() == "=" || eq->getOp() == "=="))
      if (auto *n = llvm::dyn_cast<ast::NameExpr>(&eq->getRHS())) {
        definition = &eq->getLHS();
        defined = n->getName().str();
      }
  // Random inputs first, then windows of real activations.
  for (int trial = 0; trial < 2 * trials; ++trial) {
    const Heads *source = trial < trials ? nullptr : &real;
    std::map<std::string, ValuePtr> binders;
    int tokens =
        std::uniform_int_distribution<int>(1, std::min(16, real.n))(gen);
    // The tensors of one trial share a shape, rows x 8 (rows x the head
    // width on real data), its rows drawn per trial.
    int rows = std::uniform_int_distribution<int>(1, std::min(6, real.n))(gen);
    for (const ast::Field &b : t.getBinders()) {
      if (b.name == defined)
        continue;
      ValuePtr v = trialValue(b, gen, tokens, rows, source);
      if (!v) {
        llvm::outs() << "  theorem " << t.getName()
                     << ": not checked (no random "
                     << sema::prune(b.resolved)->str() << " values yet)\n";
        return true;
      }
      binders[b.name] = v;
    }
    auto stopped = [&] {
      llvm::outs() << "  theorem " << t.getName() << ": runtime error on "
                   << (source ? "real" : "random") << " trial " << trial
                   << "\n";
      return false;
    };
    if (definition) {
      ValuePtr v = interp.evaluate(*definition, scope.scope, binders);
      if (!v)
        return stopped();
      binders[defined] = v;
    }
    ValuePtr holds = interp.evaluate(t.getBody(), scope.scope, binders);
    if (!holds)
      return stopped();
    if (!holds->b) {
      llvm::outs() << "  theorem " << t.getName() << ": FAILS on "
                   << (source ? "real" : "random") << " trial " << trial
                   << "\n";
      return false;
    }
  }
  llvm::outs() << "  theorem " << t.getName() << ": holds on " << trials
               << " random inputs and " << trials << " inputs from "
               << real.label << "\n";
  return true;
}

/// The most values a forward function's input may have (as the
/// interpreter's longest list).
constexpr int64_t kMaxForwardValues = int64_t(1) << 24;

cl::opt<std::string> forwardRowsText(
    "forward-rows",
    cl::desc("Rows of the input a forward function gets (its width is its "
             "concept's inputSize, or the model's dim)"),
    cl::value_desc("N"), cl::init("8"));
int forwardRows = 8;

/// Runs a concept's forward function on a Gaussian input of \p width
/// columns, and reports the output's shape.
bool runForward(Interpreter &interp, const ValuePtr &forward,
                const ast::ConceptDecl &c, int64_t width) {
  if (width < 1 || width > kMaxForwardValues / forwardRows) {
    llvm::outs() << "  forward not run: a " << forwardRows << " x " << width
                 << " input is not a tensor the interpreter makes (width 1 to "
                 << kMaxForwardValues / forwardRows << ")\n";
    return false;
  }
  std::mt19937 gen(3);
  std::normal_distribution<float> dist;
  std::vector<float> data(size_t(forwardRows) * width);
  for (float &x : data)
    x = dist(gen);
  ValuePtr out = interp.call(
      forward, {Value::tensor({forwardRows, width}, std::move(data))},
      c.getLoc());
  if (!out)
    return false;
  llvm::outs() << "  forward on a " << forwardRows << " x " << width
               << " input gives " << out->str() << "\n";
  return true;
}

/// Parses the numeric options strictly and checks their ranges.
bool checkOptions() {
  std::optional<double> tol =
      parseReal(toleranceText, 0, std::numeric_limits<double>::max());
  if (!tol) {
    llvm::errs() << "fac-interp: error: --tolerance=" << toleranceText
                 << " is not a finite relative error >= 0\n";
    return false;
  }
  tolerance = *tol;
  const char *tool = "fac-interp";
  // Real text comes from a model with a 512-token context.
  std::optional<int64_t> tokens =
      parseIntegerOption(tool, "--tokens", tokensText, 1, 512);
  std::optional<int64_t> trialCount =
      parseIntegerOption(tool, "--trials", trialsText, 1, 1000000);
  std::optional<int64_t> rows =
      parseIntegerOption(tool, "--forward-rows", forwardRowsText, 1, 65536);
  std::optional<int64_t> steps =
      parseIntegerOption(tool, "--max-steps", maxStepsText, 0, INT64_MAX);
  if (!tokens || !trialCount || !rows || !steps)
    return false;
  tokenCount = int(*tokens);
  trials = int(*trialCount);
  forwardRows = int(*rows);
  maxSteps = uint64_t(*steps);
  return true;
}

/// Every -p name must be a parameter of a concept of the spec.
bool checkParameterNames(const ast::Module &module,
                         const std::map<std::string, std::string> &given) {
  std::set<std::string> names;
  for (const ast::DeclPtr &d : module.getDecls())
    if (auto *c = llvm::dyn_cast<ast::ConceptDecl>(d.get()))
      for (const ast::Field &p : c->getParams())
        names.insert(p.name);
  for (const auto &entry : given) {
    if (names.count(entry.first))
      continue;
    llvm::errs() << "fac-interp: error: -p " << entry.first
                 << ": no concept of '" << inputFilename
                 << "' has a parameter of that name";
    if (!names.empty()) {
      llvm::errs() << " (parameters:";
      for (const std::string &n : names)
        llvm::errs() << " " << n;
      llvm::errs() << ")";
    }
    llvm::errs() << "\n";
    return false;
  }
  return true;
}

/// A number of type \p t (Int or Float) parsed strictly from \p text.
ValuePtr parseScalar(const sema::TypePtr &t, llvm::StringRef text) {
  if (t->isCon("Int")) {
    if (auto i = parseInteger(text, INT64_MIN, INT64_MAX))
      return Value::integer(*i);
  } else if (t->isCon("Float")) {
    double max = std::numeric_limits<double>::max();
    if (auto x = parseReal(text, -max, max))
      return Value::real(*x);
  }
  return nullptr;
}

/// The value `-p name=text` gives parameter \p p, or null after reporting
/// at the parameter why \p text is not one.
ValuePtr parameterValue(const ast::Field &p, const std::string &text,
                        SourceFile &source) {
  sema::TypePtr t = sema::prune(p.resolved);
  auto bad = [&](const llvm::Twine &why) -> ValuePtr {
    source.error(p.loc, "-p " + p.name + "=" + text + ": " + why);
    return nullptr;
  };
  // \p part is not a number of type \p scalar.
  auto notNumber = [&](llvm::StringRef part, const sema::TypePtr &scalar) {
    return bad("'" + part + "' is not " +
               (scalar->isCon("Int") ? "an integer" : "a finite number") +
               ", and parameter '" + p.name + "' is " + t->str());
  };
  if (t->isCon("Int") || t->isCon("Float")) {
    if (ValuePtr v = parseScalar(t, text))
      return v;
    return notNumber(text, t);
  }
  if (isRuleListType(t)) {
    // A rule table from a file (RuleTable.h); `-p rules=` is empty.
    if (text.empty())
      return Value::list({});
    llvm::Expected<RuleTable> table = readRuleTable(text);
    if (!table)
      return bad(llvm::toString(table.takeError()));
    return ruleListValue(*table);
  }
  if (t->isCon("List")) {
    // `-p xs=1,2,3` for a List<Int> or List<Float>; `-p xs=` is empty.
    sema::TypePtr elem = sema::prune(t->getArgs()[0]);
    if (!elem->isCon("Int") && !elem->isCon("Float"))
      return bad("-p gives lists of numbers, and parameter '" + p.name +
                 "' is " + t->str());
    std::vector<ValuePtr> elems;
    llvm::SmallVector<llvm::StringRef> parts;
    if (!text.empty())
      llvm::StringRef(text).split(parts, ',');
    for (llvm::StringRef part : parts) {
      ValuePtr v = parseScalar(elem, part);
      if (!v)
        return notNumber(part, elem);
      elems.push_back(v);
    }
    return Value::list(std::move(elems));
  }
  if (t->isCon("FractalCode")) {
    // The code's level; its integers come from the library handler.
    if (auto level = parseInteger(text, 0, 64))
      return Value::record("FractalCode",
                           {Value::integer(*level), Value::list({})});
    return bad("a FractalCode is given by its level, " + describeRange(0, 64));
  }
  return bad("-p gives numbers, lists of numbers and rule tables, and "
             "parameter '" +
             p.name + "' is " + t->str());
}

/// The value of a parameter no -p names (defaultParameter), or null after
/// reporting that it needs one.
ValuePtr defaultValue(const ast::Field &p, SourceFile &source) {
  if (ValuePtr v = defaultParameter(p.resolved))
    return v;
  source.error(p.loc, "give parameter '" + p.name + "' (" +
                          sema::prune(p.resolved)->str() +
                          ") a value with -p " + p.name + "=...");
  return nullptr;
}

} // namespace

/// Everything after the command line: parse, check and run the spec.
static int run() {
  if (!checkOptions())
    return kExitUsageError;
  // Data named on the command line must be there: the built-in workload
  // stands in only when --data is not given.
  if (dataDir.getNumOccurrences() > 0 && !noRealData()) {
    facrt_llama_model model;
    facrt_tokenizer *tok = nullptr;
    if (facrt_status s =
            facrt_stories260k_load(dataDir.c_str(), &model, &tok)) {
      llvm::errs() << "fac-interp: error: --data " << dataDir
                   << ": the model or its tokenizer: " << facrt_status_str(s)
                   << "\n";
      return kExitIOError;
    }
    facrt_tokenizer_free(tok);
    facrt_llama_free(&model);
  }
  auto file = llvm::MemoryBuffer::getFileOrSTDIN(inputFilename, true);
  if (!file) {
    llvm::errs() << "fac-interp: error: cannot read '" << inputFilename
                 << "': " << file.getError().message() << "\n";
    return kExitIOError;
  }
  SourceFile source(std::move(*file));
  std::unique_ptr<ast::Module> module = parseModule(source);
  if (!module || !checkModule(*module, source))
    return kExitFailure;
  std::map<std::string, std::string> given;
  for (const std::string &p : paramValues) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      llvm::errs() << "fac-interp: error: -p takes name=value, got '" << p
                   << "'\n";
      return kExitUsageError;
    }
    if (!given.emplace(p.substr(0, eq), p.substr(eq + 1)).second) {
      llvm::errs() << "fac-interp: error: -p " << p.substr(0, eq)
                   << " is given twice\n";
      return kExitUsageError;
    }
  }
  if (!checkParameterNames(*module, given))
    return kExitUsageError;

  Interpreter interp(*module, source);
  interp.setStepLimit(maxSteps);
  bool ok = true;
  std::unique_ptr<ConceptResult> last;
  for (const ast::DeclPtr &d : module->getDecls()) {
    if (auto *c = llvm::dyn_cast<ast::ConceptDecl>(d.get())) {
      llvm::outs() << "concept " << c->getName() << "\n";
      std::map<std::string, ValuePtr> params;
      for (const ast::Field &p : c->getParams()) {
        auto it = given.find(p.name);
        ValuePtr v = it != given.end() ? parameterValue(p, it->second, source)
                                       : defaultValue(p, source);
        if (!v)
          return kExitUsageError;
        params[p.name] = v;
      }
      last = interp.runConcept(*c, params);
      if (!last)
        return kExitFailure;
      llvm::outs() << "  ran; its value is " << last->value->str() << "\n";
      // A forward function, the concept's value or bound as `forward`.
      ValuePtr forward = last->value->kind == Value::Kind::Closure
                             ? last->value
                             : last->scope->lookup("forward");
      if (forward && forward->kind == Value::Kind::Closure &&
          forward->lambda->getParams().size() == 1)
        ok &=
            runForward(interp, forward, *c,
                       params.count("inputSize") ? params["inputSize"]->i : 64);
      if (last->attention) {
        sema::TypePtr t = nullptr;
        const ast::LambdaExpr *l = last->attention->lambda;
        t = l ? sema::prune(l->type) : nullptr;
        bool trees = t && t->getKind() == sema::Type::Kind::Function &&
                     sema::prune(t->getParams()[0])->isCon("TensorTree");
        ok &= checkAttention(interp, last->attention, *c, trees);
      }
    } else if (auto *t = llvm::dyn_cast<ast::TheoremDecl>(d.get())) {
      if (last) {
        static const Heads real = loadHeads();
        ok &= checkTheorem(interp, *t, *last, real);
      }
    }
  }
  return ok ? kExitSuccess : kExitFailure;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (!cl::ParseCommandLineOptions(argc, argv,
                                   "fac-interp: run a spec with the "
                                   "reference interpreter\n",
                                   &llvm::errs()))
    return kExitUsageError;
  // Sema and the interpreter recurse over the AST: give them the stack the
  // front end's and the interpreter's limits are sized for.
  return runOnLargeStack(run);
}
