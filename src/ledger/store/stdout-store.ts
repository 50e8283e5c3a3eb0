import type { Writable } from 'node:stream';
import { GatewayError } from '../../core/errors.js';
import type { UsageEvent } from '../event.js';
import type { UsageQuery, UsageRow } from './query.js';
import type { LedgerStore } from './sql-store.js';

/**
 * The serverless ledger sink: one JSON line per usage event on stdout, which CloudWatch Logs, Cloud
 * Logging and Application Insights ingest as they are. Nothing on the instance's disk, so a frozen or
 * recycled instance loses nothing once a flush returned; queries belong to the log platform.
 */
export class JsonLinesLedgerStore implements LedgerStore {
  readonly dialect = 'jsonl' as const;

  constructor(private readonly out: Writable = process.stdout) {}

  /** One write a batch; resolves once the stream took it (for stdout, handed to the OS). */
  insert(events: readonly UsageEvent[]): Promise<number> {
    if (events.length === 0) return Promise.resolve(0);
    let text = '';
    for (const event of events) text += `${JSON.stringify({ switchyard_usage: event })}\n`;
    return new Promise((resolve, reject) => this.out.write(text, (err) => (err ? reject(err) : resolve(events.length))));
  }

  summarize(_query: UsageQuery): Promise<UsageRow[]> {
    return Promise.reject(
      new GatewayError({ kind: 'not_found', code: 'ledger_not_queryable', message: 'The ledger writes JSON lines to stdout (ledger.store: stdout); query usage in your log platform.' }),
    );
  }

  async close(): Promise<void> {}
}
