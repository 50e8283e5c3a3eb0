import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { GatewayConfig } from '../../config/schema.js';
import { buildReport } from '../../ledger/report/build.js';
import { formatCsv, formatTable, toJson } from '../../ledger/report/formats.js';
import { formatHtml, htmlData } from '../../ledger/report/html.js';
import { advise, formatAdvice } from '../../ledger/report/advise.js';
import { parseReportOptions } from '../../ledger/report/options.js';
import { namedErrors, outFileFlag, readFlag, UsageError, type Command } from '../command.js';
import { configLedgerPath, LEDGER_ONLY, LEDGER_SOURCE_OPTIONS, loadSourceConfig, openSourceStore, severalSources, type ConfigNeeds } from '../ledger-source.js';

const DEFAULT_CONFIG = 'switchyard.yaml';
const DEMO_LEDGER = '.switchyard/demo-ledger.sqlite';
/** The advice prices the provisioned deployments and their peers: their models and prices, never their keys' values. */
const ADVISE_NEEDS: ConfigNeeds = { command: 'report --advise', whole: ['ledger'], withoutSecrets: ['deployments', 'groups', 'pricing'] };

/** With no source named: the config in the working directory, else the ledger `switchyard demo` writes there. */
function defaultSource(cwd: string): { config?: string; sqlite?: string } | undefined {
  if (existsSync(join(cwd, DEFAULT_CONFIG))) return { config: join(cwd, DEFAULT_CONFIG) };
  if (existsSync(join(cwd, DEMO_LEDGER))) return { sqlite: join(cwd, DEMO_LEDGER) };
  return undefined;
}

export const reportCommand: Command = {
  name: 'report',
  usage: 'switchyard report [-c FILE | --sqlite PATH | --postgres URL] [--from D] [--to D] [--group-by a,b] [--format table|csv|json|html] [--wide] [--out FILE] [--advise]',
  summary: 'usage and cost from the ledger; --advise: provisioned-throughput break-even',
  help: [
    'source (one of; default: ./switchyard.yaml, else the demo\'s ledger .switchyard/demo-ledger.sqlite):',
    '  -c, --config FILE      the ledger the config names',
    '      --sqlite PATH      a SQLite ledger file',
    '      --postgres URL     a PostgreSQL ledger (--pg-schema NAME, default public)',
    'options:',
    '      --from D, --to D   YYYY-MM-DD (to includes its day) or ISO 8601 times with Z or an offset; default: the last 30 days',
    '  -g, --group-by a,b     provider, model, deployment, region, key, team, user, group, day, hour, status, error,',
    '                         operation, role, tag:NAME (hour: UTC hours, earliest first; error: the error kind, ok if none)',
    '  -f, --format F         table (default), csv, json or html',
    '      --wide             the table with every column (by default the main ones; on a terminal, fitted to its',
    '                         width: model and deployment ids stay whole, rows wrap; to a pipe or file, unclipped)',
    '  -o, --out FILE         write to FILE instead of stdout',
    '      --advise           provisioned-throughput break-even per deployment (needs -c; text or --format json)',
    'example: switchyard report --from 2025-06-01 --group-by day,provider --format html --out usage.html',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        ...LEDGER_SOURCE_OPTIONS,
        from: { type: 'string' },
        to: { type: 'string' },
        'group-by': { type: 'string', short: 'g' },
        format: { type: 'string', short: 'f' },
        out: { type: 'string', short: 'o' },
        advise: { type: 'boolean' },
        wide: { type: 'boolean' },
      },
      allowPositionals: false,
    });
    // The advice is a few paragraphs, not rows: it has no CSV or HTML form, and silently printing text
    // to a file named .csv is worse than saying so.
    if (values.advise && values.format !== undefined && values.format !== 'table' && values.format !== 'json') {
      throw new UsageError(`--advise prints text (the default) or --format json; "${values.format}" is not supported with it`);
    }
    // Bad --from, --to, --group-by or --format values are usage errors, told before any ledger is opened.
    outFileFlag('--out', values.out);
    const opts = readFlag(() => parseReportOptions({ from: values.from, to: values.to, groupBy: values['group-by'], format: values.format }, Date.now()));
    const several = severalSources(values);
    if (several) throw new UsageError(several);
    const implicit = !values.config && !values.sqlite && !values.postgres;
    const found = implicit ? defaultSource(io.cwd ?? process.cwd()) : undefined;
    if (implicit && !found) throw new UsageError(`no ledger found: no ${DEFAULT_CONFIG} and no ${DEMO_LEDGER} here; name one (-c FILE, --sqlite PATH or --postgres URL)`);
    // Before the config is read, and before announcing a ledger it would not read: a missing -c is a
    // usage error whatever the file would say (the demo's ledger comes without a config).
    if (values.advise && !(values.config ?? found?.config)) throw new UsageError('--advise needs the config (-c FILE): it reads the provisioned deployments from it');
    if (found) {
      io.err(`reading ${found.config ? `the ledger of ${found.config}` : `the demo's ledger ${found.sqlite}`}`);
      Object.assign(values, found);
    }
    const said = namedErrors(io, 'report');
    const config = loadSourceConfig(values, said, values.advise ? ADVISE_NEEDS : LEDGER_ONLY('report'));
    if (config === null) return 1;
    const store = await openSourceStore(values, config, said, 'read');
    if (!store) return 1;
    // A relative ledger.path is read from the working directory, not the config's: say which file, on
    // stderr, so stdout stays the report (`--format csv > usage.csv`).
    const named = !found && config ? configLedgerPath(config, io) : undefined;
    if (named !== undefined) io.err(`reading ${named}`);
    const progress = io.progress ?? (() => undefined);
    try {
      let text: string;
      if (values.advise) {
        progress('reading the ledger for advice...');
        const advice = await advise(store, config as GatewayConfig, opts.from, opts.to);
        text = opts.format === 'json' ? JSON.stringify({ object: 'switchyard.advice', data: advice }, null, 2) : formatAdvice(advice);
      } else {
        const steps = opts.format === 'html' ? 2 : 1;
        progress(`summarizing usage ${opts.groupBy.length > 0 ? `by ${opts.groupBy.join(', ')} ` : ''}(1/${steps})...`);
        const report = await buildReport(store, opts);
        if (opts.format === 'csv') text = formatCsv(report);
        else if (opts.format === 'json') text = JSON.stringify(toJson(report), null, 2);
        else if (opts.format === 'html') {
          progress(`daily costs and top spenders (2/${steps})...`);
          text = formatHtml(await htmlData(store, report, opts.from, opts.to));
        } else text = formatTable(report, { wide: values.wide === true, width: values.out === undefined ? io.terminalColumns?.() : undefined });
      }
      progress('');
      if (values.out) {
        writeFileSync(values.out, text);
        io.out(`wrote ${values.out}`);
      } else io.out(text.replace(/\r?\n$/, ''));
      return 0;
    } finally {
      await store.close();
    }
  },
};
