#!/usr/bin/env node
// The CLI runs the bundled build (dist/bundle/, scripts/bundle.mjs); `npm install` builds it (the
// `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bundle/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('switchyard: dist/ is missing. Run `npm install` (or `npm run build`) in the package folder first.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
