import { vi } from 'vitest';

/**
 * What `run` resolves to, and how many times `JSON.parse` ran meanwhile: the specs of the stream
 * decoders that read token chunks by shape (StringSlot) count it.
 */
export async function countingJsonParse<T>(run: () => Promise<T>): Promise<{ result: T; parses: number }> {
  const parse = vi.spyOn(JSON, 'parse');
  try {
    const result = await run();
    return { result, parses: parse.mock.calls.length };
  } finally {
    parse.mockRestore();
  }
}
