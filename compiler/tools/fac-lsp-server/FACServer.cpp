//===- FACServer.cpp - What the language server knows of .fac files ------===//

#include "FACServer.h"

#include "fac/AST/ASTBuilder.h"
#include "fac/Sema/Sema.h"
#include "fac/Support/StackGuard.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace fac;
using namespace fac::ast;
namespace lsp = mlir::lsp;

namespace fac::editor {

/// A name the editor can ask about: where it is written, what to show on
/// hover, and where it is bound.
struct NameEntry {
  fac::Location loc;
  unsigned length = 0; ///< Bytes.
  std::string hover;
  fac::Location definition; ///< line 0: none known (the prelude).
};

struct Document {
  int64_t version = 0;
  std::unique_ptr<SourceFile> source;
  std::unique_ptr<Module> module;
  std::vector<NameEntry> names;
};

} // namespace fac::editor

using fac::editor::Document;
using fac::editor::FACServer;
using fac::editor::NameEntry;

namespace {

/// The UTF-16 code units of \p bytes, as LSP counts columns.
int utf16Length(llvm::StringRef bytes) {
  int units = 0;
  for (size_t i = 0; i < bytes.size();) {
    unsigned char c = bytes[i];
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return units;
}

/// Line \p line (1-based) of \p text.
llvm::StringRef lineOf(llvm::StringRef text, unsigned line) {
  for (unsigned i = 1; i < line && !text.empty(); ++i)
    text = text.split('\n').second;
  return text.split('\n').first;
}

/// The LSP position of byte column \p col (1-based) of \p line.
lsp::Position toPosition(llvm::StringRef text, unsigned line, unsigned col) {
  llvm::StringRef l = lineOf(text, line);
  return lsp::Position(int(line) - 1,
                       utf16Length(l.take_front(col ? col - 1 : 0)));
}

/// The byte column (1-based) of an LSP position's character.
unsigned toByteColumn(llvm::StringRef text, const lsp::Position &pos) {
  llvm::StringRef l = lineOf(text, unsigned(pos.line) + 1);
  size_t i = 0;
  for (int units = 0; i < l.size() && units < pos.character;) {
    unsigned char c = l[i];
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return unsigned(i) + 1;
}

/// The bytes of the identifier at \p loc, or 1 when none starts there (an
/// operator, a bracket): what a diagnostic or a definition underlines.
unsigned tokenLength(llvm::StringRef text, fac::Location loc) {
  llvm::StringRef rest =
      lineOf(text, loc.line).drop_front(loc.col ? loc.col - 1 : 0);
  // A string: up to its closing quote.
  if (rest.starts_with("\"")) {
    size_t close = rest.find('"', 1);
    return close == llvm::StringRef::npos ? unsigned(rest.size())
                                          : unsigned(close + 1);
  }
  // An identifier: letters (any non-ASCII byte is part of one), digits, _.
  unsigned length = 0;
  for (char c : rest) {
    auto byte = static_cast<unsigned char>(c);
    if (!(std::isalnum(byte) || c == '_' || byte >= 0x80))
      break;
    ++length;
  }
  return std::max(length, 1u);
}

lsp::Range toRange(llvm::StringRef text, fac::Location loc, unsigned length) {
  return lsp::Range(toPosition(text, loc.line, loc.col),
                    toPosition(text, loc.line, loc.col + length));
}

/// The location of the `import` in \p root that reads \p file: the one
/// naming it, else the first (it imports \p file through other files);
/// line 0 when there is none.
fac::Location importLocation(const SourceFile &root, const SourceFile &file) {
  llvm::SmallString<128> target(file.getFilename());
  llvm::sys::path::remove_dots(target, /*remove_dot_dot=*/true);
  fac::Location first;
  llvm::StringRef text = root.getText();
  for (unsigned line = 1; !text.empty(); ++line) {
    auto [current, rest] = text.split('\n');
    text = rest;
    llvm::StringRef trimmed = current.ltrim();
    if (!trimmed.consume_front("import"))
      continue;
    trimmed = trimmed.ltrim();
    if (!trimmed.starts_with("\""))
      continue;
    unsigned col = unsigned(current.size() - trimmed.size()) + 1;
    llvm::StringRef path = trimmed.drop_front().split('"').first;
    llvm::SmallString<128> full(
        llvm::sys::path::parent_path(root.getFilename()));
    llvm::sys::path::append(full, path);
    llvm::sys::path::remove_dots(full, /*remove_dot_dot=*/true);
    if (full == target)
      return {line, col};
    if (first.line == 0)
      first = {line, col};
  }
  return first;
}

std::string typeText(const sema::TypePtr &type) {
  return type ? sema::prune(type)->str() : std::string();
}

/// Collects the names of one document's own declarations (not those it
/// imports).
class NameCollector {
public:
  explicit NameCollector(std::vector<NameEntry> &names) : names(names) {}

  void add(fac::Location loc, llvm::StringRef name, const std::string &type,
           fac::Location definition) {
    if (loc.file || loc.line == 0 || name.empty())
      return;
    std::string hover = "`" + name.str() + "`";
    if (!type.empty())
      hover = "```fac\n" + name.str() + ": " + type + "\n```";
    names.push_back({loc, unsigned(name.size()), hover, definition});
  }

  void pattern(const Pattern &p) {
    if (p.kind == Pattern::Kind::Name && !p.isConstructor)
      add(p.loc, p.name, typeText(p.type), p.loc);
    for (const Pattern &sub : p.subs)
      pattern(sub);
  }

  void stmt(const Stmt &s) {
    if (auto *let = llvm::dyn_cast<LetStmt>(&s))
      pattern(let->getPattern());
    forEachChild(s, [&](Expr &e) { expr(e); });
  }

  void expr(const Expr &e) {
    if (auto *name = llvm::dyn_cast<NameExpr>(&e))
      add(name->getLoc(), name->getName(), typeText(name->type),
          name->definition);
    if (auto *lambda = llvm::dyn_cast<LambdaExpr>(&e)) {
      sema::TypePtr fn = lambda->type ? sema::prune(lambda->type) : nullptr;
      std::vector<sema::TypePtr> params;
      if (fn && fn->getKind() == sema::Type::Kind::Function)
        params = fn->getParams();
      for (size_t i = 0; i < lambda->getParams().size(); ++i) {
        const Param &p = lambda->getParams()[i];
        add(p.loc, p.name, i < params.size() ? typeText(params[i]) : "", p.loc);
      }
    }
    if (auto *let = llvm::dyn_cast<LetExpr>(&e))
      pattern(let->getPattern());
    if (auto *handle = llvm::dyn_cast<HandleExpr>(&e))
      for (const Arm &arm : handle->getArms())
        pattern(arm.pattern);
    if (auto *c = llvm::dyn_cast<ComprehensionExpr>(&e))
      add(c->getVarLoc(), c->getVar(), "", c->getVarLoc());
    forEachChild(e, [&](Expr &child) { expr(child); });
  }

  void module(const Module &m) {
    for (const StmtPtr &helper : m.getHelpers())
      if (!helper->getLoc().file)
        stmt(*helper);
    for (const DeclPtr &d : m.getDecls()) {
      if (d->getLoc().file)
        continue;
      if (auto *c = llvm::dyn_cast<ConceptDecl>(d.get())) {
        for (const Field &f : c->getParams())
          add(f.loc, f.name, typeText(f.resolved), f.loc);
        for (const StmtPtr &s : c->getBody().getStmts())
          stmt(*s);
      } else if (auto *t = llvm::dyn_cast<TheoremDecl>(d.get())) {
        for (const Field &f : t->getBinders())
          add(f.loc, f.name, typeText(f.resolved), f.loc);
        expr(t->getBody());
      } else if (auto *s = llvm::dyn_cast<SignatureDecl>(d.get())) {
        if (s->getBody())
          expr(*s->getBody());
      }
    }
  }

private:
  std::vector<NameEntry> &names;
};

lsp::DiagnosticSeverity severityOf(llvm::SourceMgr::DiagKind kind) {
  switch (kind) {
  case llvm::SourceMgr::DK_Error:
    return lsp::DiagnosticSeverity::Error;
  case llvm::SourceMgr::DK_Warning:
    return lsp::DiagnosticSeverity::Warning;
  case llvm::SourceMgr::DK_Remark:
  case llvm::SourceMgr::DK_Note:
    return lsp::DiagnosticSeverity::Information;
  }
  llvm_unreachable("every diagnostic kind has a severity");
}

/// The URI of \p file, a document or a file it imports.
std::optional<lsp::URIForFile> uriOf(const SourceFile &file,
                                     const lsp::URIForFile &document,
                                     const SourceFile &root) {
  if (&file == &root)
    return document;
  llvm::SmallString<128> path(file.getFilename());
  llvm::sys::fs::make_absolute(path);
  auto uri = lsp::URIForFile::fromFile(path);
  if (!uri) {
    llvm::consumeError(uri.takeError());
    return std::nullopt;
  }
  return *uri;
}

} // namespace

FACServer::FACServer() = default;
FACServer::~FACServer() = default;

void FACServer::addOrUpdateDocument(const lsp::URIForFile &uri,
                                    llvm::StringRef text, int64_t version,
                                    std::vector<lsp::Diagnostic> &diagnostics) {
  auto doc = std::make_unique<Document>();
  doc->version = version;
  // The buffer is named after the file, so that imports resolve beside it.
  doc->source = std::make_unique<SourceFile>(
      llvm::MemoryBuffer::getMemBufferCopy(text, uri.file()));
  SourceFile &root = *doc->source;
  root.setHandler([&](const SourceFile &file, fac::Location loc,
                      llvm::SourceMgr::DiagKind kind, const std::string &msg) {
    lsp::Range range =
        toRange(file.getText(), loc, tokenLength(file.getText(), loc));
    if (kind == llvm::SourceMgr::DK_Note && !diagnostics.empty()) {
      // A note belongs to the diagnostic before it.
      std::optional<lsp::URIForFile> at = uriOf(file, uri, root);
      if (!at)
        return;
      lsp::Diagnostic &last = diagnostics.back();
      if (!last.relatedInformation)
        last.relatedInformation.emplace();
      last.relatedInformation->emplace_back(lsp::Location(*at, range), msg);
      return;
    }
    lsp::Diagnostic diag;
    diag.source = "fac";
    diag.severity = severityOf(kind);
    diag.message = msg;
    if (&file == &root) {
      diag.range = range;
    } else {
      // In a file this one imports: shown on the `import`, naming the file,
      // with the place in it as related information.
      diag.message = file.getFilename().str() + ":" + std::to_string(loc.line) +
                     ":" + std::to_string(loc.col) + ": " + msg;
      fac::Location at = importLocation(root, file);
      if (at.line)
        diag.range =
            toRange(root.getText(), at, tokenLength(root.getText(), at));
      if (std::optional<lsp::URIForFile> there = uriOf(file, uri, root))
        diag.relatedInformation.emplace(
            1, lsp::DiagnosticRelatedInformation(lsp::Location(*there, range),
                                                 msg));
    }
    diagnostics.push_back(std::move(diag));
  });
  // The front end recurses over the AST: give it the stack its limits are
  // sized for, as facc does.
  runOnLargeStack([&] {
    doc->module = parseModule(root);
    if (doc->module)
      checkModule(*doc->module, root);
    return 0;
  });
  root.setHandler(nullptr);
  if (doc->module)
    NameCollector(doc->names).module(*doc->module);
  documents[uri.file().str()] = std::move(doc);
}

std::optional<std::string>
FACServer::getDocumentText(const lsp::URIForFile &uri) {
  auto it = documents.find(uri.file().str());
  if (it == documents.end())
    return std::nullopt;
  return it->second->source->getText().str();
}

std::optional<int64_t> FACServer::removeDocument(const lsp::URIForFile &uri) {
  auto it = documents.find(uri.file().str());
  if (it == documents.end())
    return std::nullopt;
  int64_t version = it->second->version;
  documents.erase(it);
  return version;
}

namespace {
/// The name entry at \p pos in \p doc, or null.
const NameEntry *entryAt(const Document &doc, const lsp::Position &pos) {
  llvm::StringRef text = doc.source->getText();
  unsigned line = unsigned(pos.line) + 1, col = toByteColumn(text, pos);
  for (const NameEntry &entry : doc.names)
    if (entry.loc.line == line && entry.loc.col <= col &&
        col < entry.loc.col + std::max(entry.length, 1u))
      return &entry;
  // Just after a name (the cursor at its end) counts too.
  for (const NameEntry &entry : doc.names)
    if (entry.loc.line == line && col == entry.loc.col + entry.length)
      return &entry;
  return nullptr;
}
} // namespace

void FACServer::getLocationsOf(const lsp::URIForFile &uri,
                               const lsp::Position &pos,
                               std::vector<lsp::Location> &locations) {
  auto it = documents.find(uri.file().str());
  if (it == documents.end())
    return;
  const Document &doc = *it->second;
  const NameEntry *entry = entryAt(doc, pos);
  if (!entry || entry->definition.line == 0)
    return;
  const SourceFile &file =
      entry->definition.file ? *entry->definition.file : *doc.source;
  std::optional<lsp::URIForFile> at = uriOf(file, uri, *doc.source);
  if (!at)
    return;
  locations.emplace_back(
      *at, toRange(file.getText(), entry->definition,
                   tokenLength(file.getText(), entry->definition)));
}

std::optional<lsp::Hover> FACServer::findHover(const lsp::URIForFile &uri,
                                               const lsp::Position &pos) {
  auto it = documents.find(uri.file().str());
  if (it == documents.end())
    return std::nullopt;
  const Document &doc = *it->second;
  const NameEntry *entry = entryAt(doc, pos);
  if (!entry)
    return std::nullopt;
  lsp::Hover hover(toRange(doc.source->getText(), entry->loc, entry->length));
  hover.contents.value = entry->hover;
  return hover;
}

namespace {
/// The symbols of a concept's body: its `let`s and `model.attention :=`.
void bodySymbols(const ConceptDecl &c, llvm::StringRef text,
                 std::vector<lsp::DocumentSymbol> &out) {
  for (const Field &f : c.getParams())
    out.emplace_back(f.name, lsp::SymbolKind::Field,
                     toRange(text, f.loc, unsigned(f.name.size())),
                     toRange(text, f.loc, unsigned(f.name.size())))
        .detail = typeText(f.resolved);
  for (const StmtPtr &s : c.getBody().getStmts()) {
    if (auto *let = llvm::dyn_cast<LetStmt>(s.get())) {
      const Pattern &p = let->getPattern();
      if (p.kind != Pattern::Kind::Name)
        continue;
      bool function = llvm::isa<LambdaExpr>(let->getValue());
      lsp::Range range = toRange(text, p.loc, unsigned(p.name.size()));
      out.emplace_back(p.name,
                       function ? lsp::SymbolKind::Function
                                : lsp::SymbolKind::Variable,
                       range, range)
          .detail = typeText(p.type);
    } else if (auto *assign = llvm::dyn_cast<AssignStmt>(s.get())) {
      if (auto *field = llvm::dyn_cast<FieldExpr>(&assign->getTarget())) {
        std::string name = field->getField().str();
        if (auto *base = llvm::dyn_cast<NameExpr>(&field->getBase()))
          name = base->getName().str() + "." + name;
        lsp::Range range =
            toRange(text, assign->getLoc(), unsigned(name.size()));
        out.emplace_back(name, lsp::SymbolKind::Property, range, range);
      }
    }
  }
}
} // namespace

void FACServer::findDocumentSymbols(const lsp::URIForFile &uri,
                                    std::vector<lsp::DocumentSymbol> &symbols) {
  auto it = documents.find(uri.file().str());
  if (it == documents.end() || !it->second->module)
    return;
  const Document &doc = *it->second;
  llvm::StringRef text = doc.source->getText();
  for (const StmtPtr &helper : doc.module->getHelpers()) {
    auto *let = llvm::dyn_cast<LetStmt>(helper.get());
    if (!let || helper->getLoc().file ||
        let->getPattern().kind != Pattern::Kind::Name)
      continue;
    const Pattern &p = let->getPattern();
    lsp::Range range = toRange(text, p.loc, unsigned(p.name.size()));
    symbols
        .emplace_back(p.name,
                      llvm::isa<LambdaExpr>(let->getValue())
                          ? lsp::SymbolKind::Function
                          : lsp::SymbolKind::Variable,
                      range, range)
        .detail = typeText(p.type);
  }
  for (const DeclPtr &d : doc.module->getDecls()) {
    if (d->getLoc().file)
      continue;
    lsp::SymbolKind kind = lsp::SymbolKind::Class;
    switch (d->getKind()) {
    case Decl::Kind::Concept:
      kind = lsp::SymbolKind::Class;
      break;
    case Decl::Kind::Type:
      kind = llvm::cast<TypeDecl>(*d).getCtors().empty()
                 ? lsp::SymbolKind::Struct
                 : lsp::SymbolKind::Enum;
      break;
    case Decl::Kind::Effect:
      kind = lsp::SymbolKind::Event;
      break;
    case Decl::Kind::Operator:
      kind = lsp::SymbolKind::Operator;
      break;
    case Decl::Kind::Intrinsic:
      kind = lsp::SymbolKind::Function;
      break;
    case Decl::Kind::Theorem:
      kind = lsp::SymbolKind::Interface;
      break;
    }
    lsp::Range range =
        toRange(text, d->getLoc(), unsigned(d->getName().size()));
    lsp::DocumentSymbol &symbol =
        symbols.emplace_back(d->getName(), kind, range, range);
    if (auto *c = llvm::dyn_cast<ConceptDecl>(d.get()))
      bodySymbols(*c, text, symbol.children);
    if (auto *t = llvm::dyn_cast<TypeDecl>(d.get()))
      for (const Ctor &ctor : t->getCtors()) {
        lsp::Range at = toRange(text, ctor.loc, unsigned(ctor.name.size()));
        symbol.children.emplace_back(ctor.name, lsp::SymbolKind::EnumMember, at,
                                     at);
      }
  }
  // In the order they are written (the module keeps helpers apart from
  // declarations). DocumentSymbol moves but does not assign.
  std::vector<size_t> order(symbols.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return symbols[a].range.start < symbols[b].range.start;
  });
  std::vector<lsp::DocumentSymbol> sorted;
  for (size_t i : order)
    sorted.push_back(std::move(symbols[i]));
  symbols.swap(sorted);
}
