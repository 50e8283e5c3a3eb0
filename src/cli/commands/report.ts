import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../../config/load.js';
import type { GatewayConfig } from '../../config/schema.js';
import { silentLogger } from '../../core/logger.js';
import { openPostgres } from '../../ledger/store/postgres-driver.js';
import { openSqlite } from '../../ledger/store/sqlite-driver.js';
import { openStore } from '../../ledger/store/open.js';
import { SqlLedgerStore } from '../../ledger/store/sql-store.js';
import { buildReport } from '../../ledger/report/build.js';
import { formatCsv, formatTable, toJson } from '../../ledger/report/formats.js';
import { formatHtml, htmlData } from '../../ledger/report/html.js';
import { advise, formatAdvice } from '../../ledger/report/advise.js';
import { parseReportOptions } from '../../ledger/report/options.js';
import type { Command } from '../command.js';

export const reportCommand: Command = {
  name: 'report',
  usage: 'switchyard report (-c FILE | --sqlite PATH | --postgres URL) [--from D] [--to D] [--group-by a,b] [--format table|csv|json|html] [--out FILE] [--advise]',
  summary: 'usage and cost from the ledger; --advise: provisioned-throughput break-even',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        sqlite: { type: 'string' },
        postgres: { type: 'string' },
        'pg-schema': { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'group-by': { type: 'string', short: 'g' },
        format: { type: 'string', short: 'f' },
        out: { type: 'string', short: 'o' },
        advise: { type: 'boolean' },
      },
      allowPositionals: false,
    });
    if (!values.config && !values.sqlite && !values.postgres) {
      io.err(`usage: ${this.usage}`);
      return 2;
    }
    let config: GatewayConfig | undefined;
    if (values.config) {
      try {
        config = loadConfigFile(values.config, io.env);
      } catch (err) {
        if (err instanceof ConfigError) {
          io.err(err.message);
          return 1;
        }
        throw err;
      }
    }
    if (values.advise && !config) {
      io.err('--advise needs the config (-c FILE): it reads the provisioned deployments from it');
      return 2;
    }
    const opts = parseReportOptions({ from: values.from, to: values.to, groupBy: values['group-by'], format: values.format }, Date.now());
    const store = values.sqlite
      ? await SqlLedgerStore.open(openSqlite(values.sqlite))
      : values.postgres
        ? await SqlLedgerStore.open(openPostgres(values.postgres, values['pg-schema'] ?? 'public', silentLogger))
        : await openStore((config as GatewayConfig).ledger, silentLogger);
    try {
      let text: string;
      if (values.advise) {
        const advice = await advise(store, config as GatewayConfig, opts.from, opts.to);
        text = opts.format === 'json' ? JSON.stringify({ object: 'switchyard.advice', data: advice }, null, 2) : formatAdvice(advice);
      } else {
        const report = await buildReport(store, opts);
        if (opts.format === 'csv') text = formatCsv(report);
        else if (opts.format === 'json') text = JSON.stringify(toJson(report), null, 2);
        else if (opts.format === 'html') text = formatHtml(await htmlData(store, report, opts.from, opts.to));
        else text = formatTable(report);
      }
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
