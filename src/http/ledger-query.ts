import { DEFAULT_CLIENT_RETRY_AFTER_MS, GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { isDatabaseUnavailable } from '../ledger/store/unavailable.js';
import { errorMessage } from '../core/error-trace.js';

/** How a route says the ledger's database failed it: its error code and its words to the client. */
export interface LedgerRefusal {
  code: string;
  message: string;
}

export const LEDGER_UNAVAILABLE: LedgerRefusal = { code: 'ledger_unavailable', message: 'The usage ledger cannot be read right now; try again shortly.' };

/**
 * A route's query of the ledger's SQL database (usage, virtual keys, stored responses). A database that
 * cannot be reached (down, or past `query_timeout_ms`) is an operations fact, not a bug: a 503
 * (`ledger_unavailable` unless `refusal` says otherwise) with retry-after, and a warning naming
 * `failed` and the cause, never an internal error with a stack (`isDatabaseUnavailable` tells). A
 * GatewayError the query throws (a 400, a 404) stands, and anything else (a TypeError, a bad statement)
 * is passed on as the internal error it is: a 500 logged with its stack.
 */
export async function fromLedger<T>(query: () => Promise<T>, logger: Logger, failed: string, refusal: LedgerRefusal = LEDGER_UNAVAILABLE): Promise<T> {
  try {
    return await query();
  } catch (err) {
    if (GatewayError.isInstance(err) || !isDatabaseUnavailable(err)) throw err;
    logger.warn({ err: errorMessage(err) }, `${failed}: the ledger database cannot be reached`);
    throw new GatewayError({ kind: 'unavailable', code: refusal.code, message: refusal.message, retryAfterMs: DEFAULT_CLIENT_RETRY_AFTER_MS, cause: err });
  }
}
