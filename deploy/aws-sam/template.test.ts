import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Evaluator, parseTemplate } from '../../src/adapters/aws-lambda/testing/cloudformation.js';

const template = parseTemplate(readFileSync(new URL('template.yaml', import.meta.url), 'utf8'));
const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Serverless::Function')!.Properties;
const reservedFor = (values: Record<string, string> = {}): number => Number(new Evaluator(template, values).value(fn.ReservedConcurrentExecutions));

/** The PostgreSQL ledger's pool per instance (ledger.pool_size, which a serverless function sets to 1: src/adapters/serverless-entry.ts). */
const POOL_SIZE = 1;
/** What other clients of the database (migrations, the CLI's reports, an admin) may hold. */
const OTHER_CLIENTS = 10;
/** PostgreSQL's default max_connections, less its 3 superuser_reserved_connections. */
const PG_CONNECTIONS = 100 - 3;

describe('deploy/aws-sam/template.yaml: concurrency', () => {
  it("caps the function's concurrency by default so every instance's PostgreSQL pool fits in PostgreSQL's default max_connections", () => {
    const reserved = reservedFor();
    expect(reserved).toBeGreaterThan(0);
    expect(reserved * POOL_SIZE).toBeLessThanOrEqual(PG_CONNECTIONS - OTHER_CLIENTS);
  });

  it('takes the cap from the MaxConcurrentRequests parameter, which refuses 0 (a reserved concurrency of 0 throttles every request)', () => {
    expect(reservedFor({ MaxConcurrentRequests: '200' })).toBe(200);
    expect((template.Parameters.MaxConcurrentRequests as { MinValue?: number } | undefined)?.MinValue).toBe(1);
  });
});
