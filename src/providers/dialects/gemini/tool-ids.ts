/**
 * Gemini v1 function calls carry no id, but OpenAI clients must echo one back in tool messages. The
 * id is derived from the response id, the call's position, its name and arguments, so a streamed and
 * a non-streamed answer name the same call alike; tool results are matched back by function name.
 */
export function toolCallId(responseId: string | undefined, index: number, name: string, args: string): string {
  let h = 2166136261;
  const text = `${responseId ?? ''}\u0000${index}\u0000${name}\u0000${args}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return `call_${(h >>> 0).toString(16).padStart(8, '0')}${index.toString(16)}`;
}
