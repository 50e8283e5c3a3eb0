import { closeSync, createReadStream, openSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { errorMessage } from '../../core/error-trace.js';
import { fileProblem } from '../../config/file-problem.js';
import { freeTags, keyTagsSchema, servedTagValue } from '../../governance/config.js';
import type { UsageEvent } from '../../ledger/event.js';
import { readUsageLine } from '../../ledger/import/read-lines.js';
import type { LedgerStore } from '../../ledger/store/sql-store.js';
import { namedErrors, UsageError, type Command, type CommandIO } from '../command.js';
import { LEDGER_ONLY, LEDGER_SOURCE_OPTIONS, loadSourceConfig, openSourceStore, severalSources } from '../ledger-source.js';

const BATCH = 500;
/** Malformed lines named one by one, before only their count is given. */
const NAMED = 5;

interface Tally {
  read: number;
  stored: number;
  other: number;
  malformed: number;
  /** Events imported with their tags brought within the gateway's bounds. */
  cut: number;
}

export const importUsageCommand: Command = {
  name: 'import-usage',
  usage: 'switchyard import-usage FILE... (-c FILE | --sqlite PATH | --postgres URL)',
  summary: 'store usage events from log exports, spill files or journal segments in the ledger',
  help: [
    'Reads usage events from each FILE and inserts the ones the ledger lacks (event ids make it safe to',
    'import a file twice, or events the store already has). Other lines are skipped and counted. An event',
    'whose tags are past what the gateway writes (a key\'s 32 tags, names of 1-64 A-Z a-z 0-9 _ . -, values',
    'of at most 256 characters without control characters) is imported with its tags cut to them, named by its line.',
    'FILE holds, one per line:',
    '  {"switchyard_unstored_usage": {...}}  what a serverless instance copied to its log while the store was down',
    '  {"switchyard_usage": {...}}           the stdout ledger (ledger.store: stdout)',
    '                                        either one also after a prefix (CloudWatch), under jsonPayload (Cloud',
    '                                        Logging) or as the text of textPayload / message',
    '  a spill file or journal segment       ledger.spill_path, ledger.journal_dir (from a node that is gone)',
    'target (one of):',
    '  -c, --config FILE      the ledger the config names (sqlite or postgres)',
    '      --sqlite PATH      a SQLite ledger file',
    '      --postgres URL     a PostgreSQL ledger (--pg-schema NAME, default public)',
    'example: switchyard import-usage -c switchyard.yaml cloudwatch-export.log',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals: files } = parseArgs({ args, options: LEDGER_SOURCE_OPTIONS, allowPositionals: true });
    if (files.length === 0) throw new UsageError('name at least one FILE to import (a log export, spill file or journal segment)');
    if (!values.config && !values.sqlite && !values.postgres) throw new UsageError('name the ledger to import into: -c FILE, --sqlite PATH or --postgres URL');
    const several = severalSources(values);
    if (several) throw new UsageError(several);
    // Every file before any is imported: a misspelt name must not leave the import half done.
    for (const file of files) {
      const why = unreadable(file);
      if (why !== undefined) throw new UsageError(`cannot read ${file}: ${why}`);
    }
    const said = namedErrors(io, 'import-usage');
    const config = loadSourceConfig(values, said, LEDGER_ONLY('import-usage'));
    if (config === null) return 1;
    if (config && (!config.ledger.enabled || config.ledger.store === 'stdout')) {
      said.err(`${values.config} has no ledger database to import into (ledger.enabled with store sqlite or postgres)`);
      return 1;
    }
    const store = await openSourceStore(values, config, said, 'write');
    if (!store) return 1;
    const tally: Tally = { read: 0, stored: 0, other: 0, malformed: 0, cut: 0 };
    try {
      for (const file of files) await importFile(file, store, tally, io);
    } catch (err) {
      // Unreadable file or failing ledger: what was stored stays (a rerun skips it), the rest is named.
      said.err(`import stopped: ${errorMessage(err)}; ${tally.stored} new events were stored before it (running the import again is safe)`);
      return 1;
    } finally {
      await store.close();
    }
    io.out(`${tally.read} usage events read, ${tally.stored} new in the ledger (${tally.read - tally.stored} it had); ${tally.other} other lines skipped${tally.malformed > 0 ? `, ${tally.malformed} malformed` : ''}${tally.cut > 0 ? `, ${tally.cut} with tags cut to the gateway's bounds` : ''}`);
    return tally.malformed > 0 ? 1 : 0;
  },
};

/** Why `file` cannot be read, in words; undefined when it can. */
function unreadable(file: string): string | undefined {
  try {
    if (statSync(file).isDirectory()) return 'it is a directory, not a file';
    closeSync(openSync(file, 'r'));
    return undefined;
  } catch (err) {
    return fileProblem(err);
  }
}

/** An event read, and where: named if the store refuses it. */
interface Read {
  event: UsageEvent;
  at: string;
}

/**
 * The lines of `file`. One that became unreadable since the up-front check (removed, a disk error) is
 * named as that check names it; the store's own failures, thrown in the caller's loop, are not caught here.
 */
async function* linesOf(file: string): AsyncGenerator<string> {
  try {
    yield* createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  } catch (err) {
    throw new Error(`cannot read ${file}: ${fileProblem(err)}`);
  }
}

async function importFile(file: string, store: LedgerStore, tally: Tally, io: CommandIO): Promise<void> {
  let batch: Read[] = [];
  let n = 0;
  for await (const line of linesOf(file)) {
    n += 1;
    if (line.trim() === '') continue;
    const read = readUsageLine(line);
    if (read.kind === 'other') tally.other += 1;
    else if (read.kind === 'malformed') malformed(tally, io, `${file}:${n}`, read.reason);
    else {
      const problem = tagsProblem(read.event.tags);
      if (problem !== undefined) {
        read.event = { ...read.event, tags: servedTags(read.event.tags) };
        tally.cut += 1;
        if (tally.cut <= NAMED) io.err(`${file}:${n}: imported with its tags cut to the gateway's bounds, as it now serves such a key: ${problem}`);
      }
      batch.push({ event: read.event, at: `${file}:${n}` });
      if (batch.length >= BATCH) {
        await insert(store, batch, tally, io);
        batch = [];
      }
    }
  }
  await insert(store, batch, tally, io);
}

/**
 * Why a row's tags are past what the gateway writes, or undefined. The gateway writes its own tags (`key`,
 * `team`, `user`, `ingress`: the names `freeTags` sets aside) besides a key's, which `keyTagsSchema` bounds
 * (count, names, values); its own values are bounded as tag values too. A row a gateway wrote before the
 * bounds (a key's tags, team or owner past them) is still spend: imported with its tags as `servedTags`
 * serves them, never dropped, and never unbounded (one line could put megabytes in every report).
 */
function tagsProblem(tags: Readonly<Record<string, string>>): string | undefined {
  const gateways = new Set(freeTags(tags).dropped);
  const keys = keyTagsSchema.safeParse(Object.fromEntries(Object.entries(tags).filter(([name]) => !gateways.has(name))));
  const issue = keys.success ? undefined : keys.error.issues[0];
  if (issue) return `tags${issue.path.length > 0 ? `.${String(issue.path[0])}` : ''}: ${issue.message}`;
  // The gateway's values as free tags named `team_` and so on, in one check: the value rule is the same.
  const own = keyTagsSchema.safeParse(Object.fromEntries([...gateways].map((name) => [`${name}_`, tags[name]])));
  const ownIssue = own.success ? undefined : own.error.issues[0];
  return ownIssue ? `tags.${String(ownIssue.path[0]).slice(0, -1)}: ${ownIssue.message}` : undefined;
}

/** `tags` as the gateway serves a key stored with them (`freeTags`), its own values (`team`, `user`...) as `servedTagValue` does. */
function servedTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const { free, dropped } = freeTags(tags);
  const served: Record<string, string> = { ...free };
  for (const name of dropped) served[name] = servedTagValue(tags[name] as string);
  return served;
}

function malformed(tally: Tally, io: CommandIO, at: string, reason: string): void {
  tally.malformed += 1;
  if (tally.malformed <= NAMED) io.err(`${at}: not imported: ${reason}`);
}

/** One batch; should the store refuse it, event by event, so one bad row costs only itself and is named. */
async function insert(store: LedgerStore, batch: readonly Read[], tally: Tally, io: CommandIO): Promise<void> {
  if (batch.length === 0) return;
  try {
    tally.stored += await store.insert(batch.map((r) => r.event));
    tally.read += batch.length;
    return;
  } catch (err) {
    if (!refusesRow(err)) throw err;
    // One row the database refuses fails its whole transaction: find it.
  }
  for (const r of batch) {
    try {
      tally.stored += await store.insert([r.event]);
      tally.read += 1;
    } catch (err) {
      if (!refusesRow(err)) throw err;
      malformed(tally, io, r.at, `the ledger refused it (${errorMessage(err)})`);
    }
  }
}

/** Whether the database refused a row's values (PostgreSQL's data and integrity errors, SQLite's), not the ledger failing. */
function refusesRow(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (/^2[23]/.test(code) || /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code));
}
