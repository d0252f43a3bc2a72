// Starts fac-lsp-server for .fac files (and fac-mlir-lsp-server for .mlir
// files, when configured) over stdio with the standard language client.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

const clients = [];

function start(context, id, name, command, selector) {
  if (!command)
    return;
  const server = { command, args: [] };
  const client = new LanguageClient(id, name, { run: server, debug: server },
                                    { documentSelector: selector });
  clients.push(client);
  context.subscriptions.push(client);
  client.start();
}

function activate(context) {
  const config = vscode.workspace.getConfiguration('fac');
  start(context, 'fac', 'FAC', config.get('server.path'),
        [{ scheme: 'file', language: 'fac' }]);
  start(context, 'fac-mlir', 'FAC MLIR', config.get('mlirServer.path'),
        [{ scheme: 'file', language: 'mlir' }]);
}

function deactivate() {
  return Promise.all(clients.map((client) => client.stop()));
}

module.exports = { activate, deactivate };
