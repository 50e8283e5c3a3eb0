#!/usr/bin/env node
// The CLI runs the bundled build (dist/bundle/, scripts/bundle.mjs); `npm install` builds it (the
// `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Node's default action for SIGHUP and SIGTERM ends the process (129, 143). `serve` listens for them from
// its first line, but Node first loads the bundle (~0.1 s, seconds on a cold disk): a reload or a stop
// then (a pod deleted as it starts) would end it before it drains. Until serve takes them over
// (src/cli/signals.ts, `takeEarlySignals`) they are only remembered; a second SIGINT (Ctrl-C pressed
// twice) exits at once. Other commands keep Node's defaults: a signal stops them.
if (process.argv[2] === 'serve') {
  const heard = [];
  const signals = ['SIGHUP', 'SIGTERM', 'SIGINT'];
  const remember = (signal) => {
    if (signal === 'SIGINT' && heard.includes('SIGINT')) process.exit(130);
    heard.push(signal);
  };
  for (const signal of signals) process.on(signal, remember);
  globalThis[Symbol.for('switchyard.earlySignals')] = {
    heard,
    release: () => {
      for (const signal of signals) process.off(signal, remember);
    },
  };
}

const entry = new URL('../dist/bundle/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('switchyard: dist/ is missing. Run `npm install` (or `npm run build`) in the package folder first.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
