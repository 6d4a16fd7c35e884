// The stress extension: the language and its grammar are contributed by package.json; this
// starts `stress lsp` (stdio) for .stress files through vscode-languageclient.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

function createClient() {
  const command = vscode.workspace.getConfiguration('stress').get('path') || 'stress';
  const serverOptions = {
    run: { command, args: ['lsp'], transport: TransportKind.stdio },
    debug: { command, args: ['lsp'], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'stress' },
      { scheme: 'untitled', language: 'stress' },
    ],
  };
  return new LanguageClient('stress', 'stress', serverOptions, clientOptions);
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  client = createClient();
  context.subscriptions.push(
    vscode.commands.registerCommand('stress.restartServer', async () => {
      if (client) await client.stop();
      client = createClient();
      await client.start();
    }),
    vscode.workspace.onDidChangeConfiguration(async event => {
      if (event.affectsConfiguration('stress.path')) {
        await vscode.commands.executeCommand('stress.restartServer');
      }
    }),
  );
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `stress: could not start \`stress lsp\` (${error.message}). Install stress or set "stress.path".`,
    );
  }
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
