import { StringSlots } from '../../string-slot.js';

type Json = Record<string, unknown>;

/** The deltas that come token after token, and the field each carries its string in. */
const FIELDS = { text_delta: 'text', thinking_delta: 'thinking', input_json_delta: 'partial_json' } as const;
type DeltaType = keyof typeof FIELDS;

/** Text, thinking and a tool's input cover a stream; a block per shape (its index is in the shape). */
const MAX_SHAPES = 4;

interface Shape {
  readonly type: DeltaType;
  readonly index: number;
}

const sameShape = (a: Shape, b: Shape): boolean => a.type === b.type && a.index === b.index;

const isDeltaType = (type: unknown): type is DeltaType => type === 'text_delta' || type === 'thinking_delta' || type === 'input_json_delta';

/**
 * The content_block_delta events of a stream, read without JSON.parse once two of one shape (block
 * index and delta type) have been parsed (see StringSlot): `read` rebuilds the event with the fields
 * the decoder reads (type, index, the delta's type and string), so what follows is the decoder's own
 * code, with the block's state as it is then.
 */
export class DeltaShapes {
  private readonly slots = new StringSlots<Shape>(MAX_SHAPES, sameShape);

  /** The event `data` stands for when it has a learned shape; undefined: parse it. */
  read(data: string): Json | undefined {
    const hit = this.slots.read(data);
    return hit === undefined ? undefined : { type: 'content_block_delta', index: hit.sample.index, delta: deltaOf(hit.sample.type, hit.value) };
  }

  /** Told of every event parsed the usual way (`event` is the parse of `data`). */
  learn(data: string, event: Json): void {
    if (event.type !== 'content_block_delta' || typeof event.index !== 'number') return;
    const delta = event.delta as Json | null | undefined;
    if (delta === null || typeof delta !== 'object' || !isDeltaType(delta.type)) return;
    const type = delta.type;
    const value = delta[FIELDS[type]];
    if (typeof value === 'string') this.slots.learn(data, { type, index: event.index }, value);
  }
}

/** One literal per type: the rebuilt deltas keep a few steady hidden classes. */
function deltaOf(type: DeltaType, value: string): Json {
  if (type === 'text_delta') return { type, text: value };
  if (type === 'thinking_delta') return { type, thinking: value };
  return { type, partial_json: value };
}
