/**
 * What the upstream fuzz spec asks of a front door, one table row per door (`reply-doors.ts`): the
 * request it sends, and what is wrong with the door's error body, its whole answer and its stream, by
 * that door's own wire format; and the usage a served answer told the client, in the ledger's terms.
 * Adding a door to the fuzz run is one more row.
 */
import { UPSTREAM_CANARY } from './upstream-seeds.js';

/** An upstream's count above this is not believed (core/types.ts `tokenCount`): the usage is estimated. */
export const MAX_COUNT = 1e8;

/** The counts a client was told, as the ledger's row holds them (prompt with cache tokens included). */
export interface ToldUsage {
  prompt: unknown;
  completion: unknown;
  /** Absent where the door's wire format states no total. */
  total?: unknown;
}

/** Whether a 200 answer reached the client whole, and the usage it was told. */
export interface Served {
  served: boolean;
  usage: ToldUsage | undefined;
}

export interface ReplyDoor {
  name: string;
  path: string;
  /** The 5xx statuses the door answers a bad upstream reply with (the gateway's fault never). */
  serverStatuses: readonly number[];
  /**
   * The request: `model`, a short user turn, one tool offered, streamed (with usage) or not; `rich` asks
   * for what takes the door's other paths where it has any (thinking blocks, reasoning items' encrypted content).
   */
  request(model: string, stream: boolean, rich: boolean): Record<string, unknown>;
  /** What is wrong with an error answer's JSON body, or undefined. */
  errorProblem(json: unknown): string | undefined;
  /** What is wrong with a whole (200, JSON) answer, or undefined. */
  answerProblem(answer: Record<string, unknown>): string | undefined;
  /** What is wrong with a 200 event stream's whole text, or undefined. */
  streamProblem(text: string): string | undefined;
  /** Whether a 200 body is an answer the client got, and the usage it was told. */
  served(body: string, stream: boolean): Served;
}

/** A bad upstream reply is a bad gateway, an unavailable upstream or a timeout: never our own 500. */
export const UPSTREAM_STATUSES: readonly number[] = [502, 503, 504];

/** What a client must never read in an error: the upstream's words, or an internal failure of ours. */
export function errorTextProblem(json: unknown): string | undefined {
  const text = JSON.stringify(json);
  if (text.includes(UPSTREAM_CANARY)) return 'upstream text in the error';
  if (text.includes('Internal gateway error.') || text.includes('"code":"internal"')) return 'an internal error';
  return undefined;
}

/** Whether `v` is a count an answer may state: whole, finite, not negative, believable. */
export const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_COUNT;

/** What is wrong with the counts of `usage` named by `keys`, or undefined. */
export function countsProblem(usage: unknown, keys: readonly string[]): string | undefined {
  if (typeof usage !== 'object' || usage === null) return `usage ${JSON.stringify(usage)}`;
  for (const k of keys) {
    const v = (usage as Record<string, unknown>)[k];
    if (!isCount(v)) return `usage.${k} ${JSON.stringify(v)}`;
  }
  return undefined;
}

/** One named SSE event: its `event:` line and its parsed `data:`. */
export interface NamedEvent {
  event: string | undefined;
  data: Record<string, unknown>;
}

/** The named events of a stream's text, or what is wrong with its framing. */
export function namedEvents(text: string): NamedEvent[] | string {
  const events: NamedEvent[] = [];
  for (const frame of text.split('\n\n')) {
    if (frame === '') continue;
    let event: string | undefined;
    let data: string | undefined;
    for (const line of frame.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data = line.slice(6);
      else return `a line neither event nor data: ${line.slice(0, 80)}`;
    }
    if (data === undefined) return `a frame without data: ${frame.slice(0, 80)}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return `a frame that is not JSON: ${data.slice(0, 80)}`;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return `a frame that is no object: ${data.slice(0, 80)}`;
    const record = parsed as Record<string, unknown>;
    if (event !== record.type) return `event ${JSON.stringify(event)} with data of type ${JSON.stringify(record.type)}`;
    events.push({ event, data: record });
  }
  return events;
}
