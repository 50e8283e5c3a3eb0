import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { actionArgs, namedErrors, outFileFlag, UsageError, type Command } from '../command.js';
import { LEDGER_ONLY } from '../ledger-source.js';
import { openGovernanceDb } from './governance-db.js';

export const auditCommand: Command = {
  name: 'audit',
  usage: 'switchyard audit verify|export -c FILE [--out FILE]',
  summary: 'verify the audit log hash chain, or export it as JSON lines (for a SIEM)',
  help: [
    'verify   recomputes the hash chain of the audit log in the ledger database of FILE and names the first',
    '         altered, removed or reordered entry (exit 1), or says the chain is intact (exit 0).',
    'export   writes every entry as one JSON line to stdout, or to --out FILE.',
    '',
    'example: switchyard audit verify -c switchyard.yaml',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' } }, allowPositionals: true });
    const { action } = actionArgs(positionals, { verify: [], export: [] }, this.usage);
    if (!values.config) throw new UsageError('name the config file (-c FILE)');
    if (action === 'export') outFileFlag('--out', values.out);
    // Both only read: a config whose SQLite ledger is not there yet is refused, not given an empty, intact chain.
    const db = await openGovernanceDb(values.config, namedErrors(io, 'audit'), 'read', LEDGER_ONLY(`audit ${action}`));
    if (!db) return 1;
    try {
      if (action === 'verify') {
        const verdict = await db.audit.verify();
        if (verdict.broken) {
          io.err(`audit log broken at entry ${verdict.broken.seq} (${verdict.broken.problem}): ${verdict.broken.message}; ${verdict.checked} entries before it hold`);
          return 1;
        }
        io.out(`audit log ok: ${verdict.checked} entries, chain intact`);
        return 0;
      }
      const file = values.out ? createWriteStream(values.out) : undefined;
      let n = 0;
      for await (const page of db.audit.entries()) {
        for (const entry of page) {
          const line = JSON.stringify({ ...entry, time: new Date(entry.ts).toISOString() });
          if (file) {
            if (!file.write(`${line}\n`)) await once(file, 'drain');
          } else io.out(line);
          n++;
        }
      }
      if (file) {
        file.end();
        await once(file, 'finish');
        io.out(`wrote ${n} entries to ${values.out}`);
      }
      return 0;
    } finally {
      await db.store.close();
    }
  },
};
