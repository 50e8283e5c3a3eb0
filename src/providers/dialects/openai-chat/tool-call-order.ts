import type { StreamPart } from '../../../core/types.js';

type ToolCallPart = Extract<StreamPart, { type: 'tool-call' }>;

/** Where a call's arguments stand: nesting depth, inside a string, after a backslash, whether a value opened. */
class JsonEnd {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private opened = false;

  /** Reads more of the arguments; true once they hold a whole JSON object or array. */
  read(text: string): boolean {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 92 /* \ */) this.escaped = true;
        else if (c === 34 /* " */) this.inString = false;
      } else if (c === 34) this.inString = true;
      else if (c === 123 /* { */ || c === 91 /* [ */) {
        this.depth += 1;
        this.opened = true;
      } else if (c === 125 /* } */ || c === 93 /* ] */) this.depth -= 1;
    }
    return this.complete;
  }

  get complete(): boolean {
    return this.opened && this.depth <= 0 && !this.inString;
  }
}

/**
 * Puts the parts of parallel tool calls one call after another. Chat Completions streams name each
 * fragment's call by `index`, and a server may interleave them (`a`'s first arguments, `b`'s, `a`'s
 * rest); the canonical stream promises each call's parts in one run, since the Messages and Responses
 * APIs stream one block or item at a time and cannot return to one they closed. The call streaming now
 * goes on live; another call's fragments are held while it is unfinished and passed on whole once its
 * arguments close their JSON (a call that begins after that streams live), or before any other part
 * (text, the finish) arrives.
 */
export class ToolCallOrder {
  private current: number | undefined;
  private currentEnd = new JsonEnd();
  /** Calls held back, by index, in the order they began. */
  private readonly held = new Map<number, ToolCallPart>();

  /** Rearranges the parts `out` gained from `from` on. */
  arrange(out: StreamPart[], from: number): void {
    if (from === out.length) return;
    const fresh = out.splice(from);
    for (const part of fresh) {
      if (part.type === 'tool-call') this.toolCall(part, out);
      else {
        this.release(out);
        out.push(part);
      }
    }
  }

  private toolCall(part: ToolCallPart, out: StreamPart[]): void {
    // The call streaming is done: the calls held meanwhile go first, then this one may stream live.
    if (this.current !== undefined && part.index !== this.current && this.currentEnd.complete) this.next(out);
    if (this.current === undefined || (part.index !== this.current && this.currentEnd.complete)) {
      this.current = part.index;
      this.currentEnd = new JsonEnd();
    }
    if (part.index !== this.current) {
      this.hold(part);
      return;
    }
    out.push(part);
    if (this.currentEnd.read(part.argumentsDelta) && this.held.size > 0) this.next(out);
  }

  private hold(part: ToolCallPart): void {
    const held = this.held.get(part.index);
    if (held === undefined) this.held.set(part.index, { ...part });
    else {
      held.id ??= part.id;
      held.name ??= part.name;
      held.argumentsDelta += part.argumentsDelta;
    }
  }

  /** The current call is done: the first held call goes out whole and streams on live (and so on, while each is done). */
  private next(out: StreamPart[]): void {
    for (const [index, part] of this.held) {
      this.held.delete(index);
      this.current = index;
      this.currentEnd = new JsonEnd();
      out.push(part);
      if (!this.currentEnd.read(part.argumentsDelta)) return;
    }
  }

  /** Another kind of part: every held call goes out whole first, in the order they began. */
  private release(out: StreamPart[]): void {
    for (const part of this.held.values()) out.push(part);
    this.held.clear();
    this.current = undefined;
  }
}
