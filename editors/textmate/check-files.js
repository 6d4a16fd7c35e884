#!/usr/bin/env node
// Tokenizes .stress files with the TextMate grammar (vscode-textmate + vscode-oniguruma, the
// engine VS Code uses) and fails when
//   - a token is scoped `invalid.*`,
//   - a character other than whitespace gets no scope of its own (only `source.stress`
//     and `meta.*` scopes: text the grammar did not recognize),
//   - the file ends inside a begin/end region (an unclosed string, block or bracket).
// Usage: node check-files.js [--expect-problems] FILE...   Prints the problems, then a summary.
// With --expect-problems, a file fails when the grammar finds nothing wrong in it.

'use strict';

const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const GRAMMAR = path.join(__dirname, 'stress.tmLanguage.json');

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: sources => new oniguruma.OnigScanner(sources),
      createOnigString: s => new oniguruma.OnigString(s),
    }),
    loadGrammar: async scopeName => {
      if (scopeName !== 'source.stress') return null;
      return vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR);
    },
  });
  return registry.loadGrammar('source.stress');
}

function checkFile(grammar, file) {
  const problems = [];
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  let stack = vsctm.INITIAL;
  lines.forEach((line, i) => {
    const result = grammar.tokenizeLine(line, stack);
    for (const token of result.tokens) {
      const text = line.slice(token.startIndex, token.endIndex);
      const where = `${file}:${i + 1}:${token.startIndex + 1}`;
      const invalid = token.scopes.find(s => s.startsWith('invalid.'));
      if (invalid) problems.push(`${where}: ${invalid} on ${JSON.stringify(text)}`);
      const own = token.scopes.filter(s => s !== 'source.stress' && !s.startsWith('meta.'));
      if (own.length === 0 && text.trim() !== '') {
        problems.push(`${where}: no scope for ${JSON.stringify(text)}`);
      }
    }
    stack = result.ruleStack;
  });
  if (stack.depth > 1) {
    problems.push(`${file}: ends inside a region (${stack.depth - 1} open, innermost rule ${stack.ruleId})`);
  }
  return problems;
}

async function main() {
  let files = process.argv.slice(2);
  const expectProblems = files[0] === '--expect-problems';
  if (expectProblems) files = files.slice(1);
  const grammar = await loadGrammar();
  let failed = 0;
  for (const file of files) {
    const problems = checkFile(grammar, file);
    if (expectProblems) {
      if (!problems.length) {
        failed++;
        console.error(`${file}: no invalid token, unscoped text or open region`);
      }
    } else if (problems.length) {
      failed++;
      for (const p of problems.slice(0, 20)) console.error(p);
      if (problems.length > 20) console.error(`${file}: … ${problems.length - 20} more`);
    }
  }
  console.log(`textmate: ${files.length} files, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch(e => {
  console.error(e);
  process.exit(2);
});
