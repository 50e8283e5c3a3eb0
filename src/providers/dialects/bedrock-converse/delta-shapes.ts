import { StringSlots, withoutPadding } from '../../string-slot.js';

type Json = Record<string, unknown>;

/** The deltas that come token after token: text, reasoning text, a tool's input. */
type DeltaKind = 'text' | 'reasoning' | 'tool';

interface Shape {
  readonly kind: DeltaKind;
  readonly contentBlockIndex: number;
}

/** Text, reasoning and a tool's input cover a stream; a shape per block (its index is in the shape). */
const MAX_SHAPES = 4;

/** Bedrock pads each event with `"p"`, random characters against length side channels (aws/aws-sdk-js-v3#6919). */
const PADDING = ',"p":"';

const sameShape = (a: Shape, b: Shape): boolean => a.kind === b.kind && a.contentBlockIndex === b.contentBlockIndex;

/**
 * The contentBlockDelta payloads of a stream, read without JSON.parse once two of one shape have been
 * parsed (see StringSlot), the `p` padding left out. `read` rebuilds the event with the fields the
 * decoder reads, so what follows is the decoder's own code, with the stream's state as it is then.
 * Only deltas of one member (the text, or one inner string) are learned: a rebuilt event has that
 * member alone.
 */
export class ConverseDeltaShapes {
  private readonly slots = new StringSlots<Shape>(MAX_SHAPES, sameShape);

  /** The payload without its padding: what `read` and `learn` take. */
  shapeOf(payload: string): string {
    return withoutPadding(payload, PADDING);
  }

  /** The event `shaped` stands for when it has a learned shape; undefined: parse it. */
  read(shaped: string): Json | undefined {
    const hit = this.slots.read(shaped);
    return hit === undefined ? undefined : { contentBlockIndex: hit.sample.contentBlockIndex, delta: deltaOf(hit.sample.kind, hit.value) };
  }

  /** Told of every contentBlockDelta event parsed the usual way (`event` is the parse of the payload `shaped` came from). */
  learn(shaped: string, event: Json): void {
    const contentBlockIndex = event.contentBlockIndex;
    const delta = event.delta;
    if (typeof contentBlockIndex !== 'number' || delta === null || typeof delta !== 'object') return;
    const only = soleMember(delta as Json);
    if (only === undefined) return;
    if (only.key === 'text' && typeof only.value === 'string') {
      this.slots.learn(shaped, { kind: 'text', contentBlockIndex }, only.value);
      return;
    }
    const inner = only.value !== null && typeof only.value === 'object' ? soleMember(only.value as Json) : undefined;
    if (only.key === 'reasoningContent' && inner?.key === 'text' && typeof inner.value === 'string') this.slots.learn(shaped, { kind: 'reasoning', contentBlockIndex }, inner.value);
    else if (only.key === 'toolUse' && inner?.key === 'input' && typeof inner.value === 'string') this.slots.learn(shaped, { kind: 'tool', contentBlockIndex }, inner.value);
  }
}

function soleMember(obj: Json): { key: string; value: unknown } | undefined {
  let found: { key: string; value: unknown } | undefined;
  for (const key in obj) {
    if (found !== undefined) return undefined;
    found = { key, value: obj[key] };
  }
  return found;
}

/** One literal per kind: the rebuilt deltas keep a few steady hidden classes. */
function deltaOf(kind: DeltaKind, value: string): Json {
  if (kind === 'text') return { text: value };
  if (kind === 'reasoning') return { reasoningContent: { text: value } };
  return { toolUse: { input: value } };
}
