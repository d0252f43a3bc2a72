//===- FACServer.h - What the language server knows of .fac files -*- C++
//-*-===//
//
// The language side of fac-lsp-server: each open document is parsed and
// checked by the front end (as facc -emit=ast would) on every change, and
// its diagnostics, the types Sema inferred, the definitions it resolved
// and its declarations answer the editor's requests. The JSON-RPC side is
// MLIR's lsp-server-support library (fac-lsp-server.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TOOLS_FACLSPSERVER_FACSERVER_H
#define FAC_TOOLS_FACLSPSERVER_FACSERVER_H

#include "mlir/Tools/lsp-server-support/Protocol.h"

#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace fac::editor {

struct Document;

class FACServer {
public:
  FACServer();
  ~FACServer();

  /// Parses and checks \p text as the document at \p uri; writes its
  /// diagnostics.
  void addOrUpdateDocument(const mlir::lsp::URIForFile &uri,
                           llvm::StringRef text, int64_t version,
                           std::vector<mlir::lsp::Diagnostic> &diagnostics);
  /// The text of the document as last checked, if it is open.
  std::optional<std::string> getDocumentText(const mlir::lsp::URIForFile &uri);

  /// Forgets the document; returns its version, if it was open.
  std::optional<int64_t> removeDocument(const mlir::lsp::URIForFile &uri);

  /// Where the name at \p pos is bound or declared.
  void getLocationsOf(const mlir::lsp::URIForFile &uri,
                      const mlir::lsp::Position &pos,
                      std::vector<mlir::lsp::Location> &locations);

  /// The type Sema inferred for the name at \p pos.
  std::optional<mlir::lsp::Hover> findHover(const mlir::lsp::URIForFile &uri,
                                            const mlir::lsp::Position &pos);

  /// The document's declarations: concepts (with their parameters and
  /// bindings), types, effects, operators, theorems and helpers.
  void findDocumentSymbols(const mlir::lsp::URIForFile &uri,
                           std::vector<mlir::lsp::DocumentSymbol> &symbols);

private:
  std::map<std::string, std::unique_ptr<Document>> documents;
};

} // namespace fac::editor

#endif // FAC_TOOLS_FACLSPSERVER_FACSERVER_H
