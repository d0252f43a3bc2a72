//===- fac-lsp-server.cpp - The language server for .fac files -----------===//
//
// A Language Server Protocol server for FAC specs, on MLIR's
// lsp-server-support library (its JSON-RPC transport, message handler and
// protocol types), as mlir-pdll-lsp-server is for PDLL: diagnostics as you
// type, hover with the inferred type, go to definition and document
// symbols. The language side is FACServer.
//
//===----------------------------------------------------------------------===//

#include "FACServer.h"

#include "fac/Support/CommandLine.h"

#include "mlir/Tools/lsp-server-support/Logging.h"
#include "mlir/Tools/lsp-server-support/Transport.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Program.h"

namespace cl = llvm::cl;
namespace lsp = mlir::lsp;

namespace {

/// The protocol's side: requests and notifications to FACServer, and
/// diagnostics back.
class LSPServer {
public:
  LSPServer(fac::editor::FACServer &server, lsp::JSONTransport &transport)
      : server(server), transport(transport) {}

  llvm::LogicalResult run();

private:
  void onInitialize(const lsp::InitializeParams &params,
                    lsp::Callback<llvm::json::Value> reply);
  void onInitialized(const lsp::InitializedParams &params) {}
  void onShutdown(const lsp::NoParams &params,
                  lsp::Callback<std::nullptr_t> reply);
  void onDocumentDidOpen(const lsp::DidOpenTextDocumentParams &params);
  void onDocumentDidClose(const lsp::DidCloseTextDocumentParams &params);
  void onDocumentDidChange(const lsp::DidChangeTextDocumentParams &params);
  void onGoToDefinition(const lsp::TextDocumentPositionParams &params,
                        lsp::Callback<std::vector<lsp::Location>> reply);
  void onHover(const lsp::TextDocumentPositionParams &params,
               lsp::Callback<std::optional<lsp::Hover>> reply);
  void onDocumentSymbol(const lsp::DocumentSymbolParams &params,
                        lsp::Callback<std::vector<lsp::DocumentSymbol>> reply);

  /// Checks \p text as the document and publishes its diagnostics.
  void update(const lsp::URIForFile &uri, llvm::StringRef text,
              int64_t version);

  fac::editor::FACServer &server;
  lsp::JSONTransport &transport;
  lsp::OutgoingNotification<lsp::PublishDiagnosticsParams> publishDiagnostics;
  bool shutdownRequested = false;
};

void LSPServer::onInitialize(const lsp::InitializeParams &params,
                             lsp::Callback<llvm::json::Value> reply) {
  llvm::json::Object capabilities{
      {"textDocumentSync",
       llvm::json::Object{
           {"openClose", true},
           {"change", int(lsp::TextDocumentSyncKind::Incremental)},
           {"save", true},
       }},
      {"definitionProvider", true},
      {"hoverProvider", true},
      {"documentSymbolProvider", true},
  };
  reply(llvm::json::Object{
      {"serverInfo", llvm::json::Object{{"name", "fac-lsp-server"},
                                        {"version", FAC_VERSION}}},
      {"capabilities", std::move(capabilities)},
  });
}

void LSPServer::onShutdown(const lsp::NoParams &,
                           lsp::Callback<std::nullptr_t> reply) {
  shutdownRequested = true;
  reply(nullptr);
}

void LSPServer::update(const lsp::URIForFile &uri, llvm::StringRef text,
                       int64_t version) {
  lsp::PublishDiagnosticsParams diagnostics(uri, version);
  server.addOrUpdateDocument(uri, text, version, diagnostics.diagnostics);
  publishDiagnostics(diagnostics);
}

void LSPServer::onDocumentDidOpen(
    const lsp::DidOpenTextDocumentParams &params) {
  update(params.textDocument.uri, params.textDocument.text,
         params.textDocument.version);
}

void LSPServer::onDocumentDidClose(
    const lsp::DidCloseTextDocumentParams &params) {
  std::optional<int64_t> version =
      server.removeDocument(params.textDocument.uri);
  if (!version)
    return;
  // A closed document shows no diagnostics.
  publishDiagnostics(
      lsp::PublishDiagnosticsParams(params.textDocument.uri, *version));
}

void LSPServer::onDocumentDidChange(
    const lsp::DidChangeTextDocumentParams &params) {
  // The editor sends changes to the text the server checked last.
  std::optional<std::string> text =
      server.getDocumentText(params.textDocument.uri);
  if (!text)
    return;
  if (failed(lsp::TextDocumentContentChangeEvent::applyTo(params.contentChanges,
                                                          *text))) {
    lsp::Logger::error("cannot apply the changes to {0}",
                       params.textDocument.uri.file());
    return;
  }
  update(params.textDocument.uri, *text, params.textDocument.version);
}

void LSPServer::onGoToDefinition(
    const lsp::TextDocumentPositionParams &params,
    lsp::Callback<std::vector<lsp::Location>> reply) {
  std::vector<lsp::Location> locations;
  server.getLocationsOf(params.textDocument.uri, params.position, locations);
  reply(std::move(locations));
}

void LSPServer::onHover(const lsp::TextDocumentPositionParams &params,
                        lsp::Callback<std::optional<lsp::Hover>> reply) {
  reply(server.findHover(params.textDocument.uri, params.position));
}

void LSPServer::onDocumentSymbol(
    const lsp::DocumentSymbolParams &params,
    lsp::Callback<std::vector<lsp::DocumentSymbol>> reply) {
  std::vector<lsp::DocumentSymbol> symbols;
  server.findDocumentSymbols(params.textDocument.uri, symbols);
  reply(std::move(symbols));
}

llvm::LogicalResult LSPServer::run() {
  lsp::MessageHandler handler(transport);
  handler.method("initialize", this, &LSPServer::onInitialize);
  handler.notification("initialized", this, &LSPServer::onInitialized);
  handler.method("shutdown", this, &LSPServer::onShutdown);
  handler.notification("textDocument/didOpen", this,
                       &LSPServer::onDocumentDidOpen);
  handler.notification("textDocument/didClose", this,
                       &LSPServer::onDocumentDidClose);
  handler.notification("textDocument/didChange", this,
                       &LSPServer::onDocumentDidChange);
  handler.method("textDocument/definition", this, &LSPServer::onGoToDefinition);
  handler.method("textDocument/hover", this, &LSPServer::onHover);
  handler.method("textDocument/documentSymbol", this,
                 &LSPServer::onDocumentSymbol);
  publishDiagnostics =
      handler.outgoingNotification<lsp::PublishDiagnosticsParams>(
          "textDocument/publishDiagnostics");

  // The transport runs until the client closes the stream or sends `exit`.
  llvm::LogicalResult result = llvm::success();
  if (llvm::Error error = transport.run(handler)) {
    lsp::Logger::error("Transport error: {0}", error);
    llvm::consumeError(std::move(error));
    result = llvm::failure();
  }
  return llvm::success(succeeded(result) && shutdownRequested);
}

cl::OptionCategory serverCategory("fac-lsp-server options");
cl::opt<bool> litTest(
    "lit-test",
    cl::desc("Messages delimited by '// -----' lines, pretty output, and "
             "the test:// URI scheme (for lit tests)"),
    cl::cat(serverCategory));
cl::opt<lsp::Logger::Level> logLevel(
    "log", cl::desc("Verbosity of the log on stderr"),
    cl::init(lsp::Logger::Level::Info),
    cl::values(clEnumValN(lsp::Logger::Level::Debug, "verbose", "everything"),
               clEnumValN(lsp::Logger::Level::Info, "info", "the messages"),
               clEnumValN(lsp::Logger::Level::Error, "error", "errors only")),
    cl::cat(serverCategory));

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  fac::showOnlyToolOptions(serverCategory, "fac-lsp-server");
  if (!cl::ParseCommandLineOptions(
          argc, argv, "fac-lsp-server: the language server for FAC specs\n",
          &llvm::errs()))
    return 2;
  lsp::Logger::setLogLevel(logLevel);
  if (litTest)
    lsp::URIForFile::registerSupportedScheme("test");
  llvm::sys::ChangeStdinToBinary();
  lsp::JSONTransport transport(stdin, llvm::outs(),
                               litTest ? lsp::JSONStreamStyle::Delimited
                                       : lsp::JSONStreamStyle::Standard,
                               /*prettyOutput=*/litTest);
  fac::editor::FACServer server;
  LSPServer lspServer(server, transport);
  return failed(lspServer.run()) ? 1 : 0;
}
