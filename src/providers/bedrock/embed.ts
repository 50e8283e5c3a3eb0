import type { BufferedResponse } from '../http.js';
import { tokenCount } from '../../core/types.js';

/**
 * Runs `fn` over `items` with at most `limit` in flight, keeping order. After the first failure no
 * new item starts and `onFail` runs (to abort the ones in flight); the first error is thrown.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, onFail: () => void): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
          onFail();
        }
        return;
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, items.length) }, worker);
  await Promise.all(workers);
  if (failed) throw firstError;
  return out;
}

/** Bedrock reports InvokeModel input tokens in a header for every model family. */
export function headerTokens(res: Pick<BufferedResponse, 'headers'>): number | undefined {
  const v = res.headers['x-amzn-bedrock-input-token-count'];
  return v === undefined ? undefined : tokenCount(Number(Array.isArray(v) ? v[0] : v));
}
