import type { AssistantMessage, AssistantPart, StreamPart, ToolCallPart } from '../../core/types.js';

/**
 * The assistant turn a stored conversation keeps for an answer; never empty, as canonical turns are not.
 * A refusal is kept as the turn's text, as a refusal part handed back as input is read.
 */
export function answerTurn(content: readonly AssistantPart[], refusal?: string): AssistantMessage {
  const parts: AssistantPart[] = [...content];
  if (refusal !== undefined) parts.push({ type: 'text', text: refusal });
  return { role: 'assistant', content: parts.length > 0 ? parts : [{ type: 'text', text: '' }] };
}

/**
 * Collects a streamed answer's parts into the canonical parts of the whole answer (reasoning with its
 * signature and provider, text, tool calls) and its refusal, so a stored streamed response keeps what a
 * whole one keeps.
 */
export class AnswerParts {
  readonly parts: AssistantPart[] = [];
  refusal: string | undefined;
  private readonly calls = new Map<number, ToolCallPart>();

  add(part: StreamPart): void {
    const last = this.parts.at(-1);
    switch (part.type) {
      case 'text':
        if (last?.type === 'text') last.text += part.delta;
        else this.parts.push({ type: 'text', text: part.delta });
        return;
      case 'reasoning': {
        // A signature seals its reasoning: what follows is another part.
        if (last?.type === 'reasoning' && last.signature === undefined && last.provider === part.provider) last.text += part.delta;
        else this.parts.push(part.provider === undefined ? { type: 'reasoning', text: part.delta } : { type: 'reasoning', text: part.delta, provider: part.provider });
        if (part.signature !== undefined) (this.parts.at(-1) as Extract<AssistantPart, { type: 'reasoning' }>).signature = part.signature;
        return;
      }
      case 'refusal':
        this.refusal = (this.refusal ?? '') + part.delta;
        return;
      case 'redacted-reasoning':
        this.parts.push(part.provider === undefined ? { type: 'redacted-reasoning', data: part.data } : { type: 'redacted-reasoning', data: part.data, provider: part.provider });
        return;
      case 'tool-call': {
        const call = this.calls.get(part.index);
        if (call) {
          if (part.name !== undefined) call.name += part.name;
          call.arguments += part.argumentsDelta;
          return;
        }
        const started: ToolCallPart = { type: 'tool-call', id: part.id ?? '', name: part.name ?? '', arguments: part.argumentsDelta };
        this.calls.set(part.index, started);
        this.parts.push(started);
        return;
      }
      default:
        return;
    }
  }
}
