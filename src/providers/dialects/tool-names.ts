import { GatewayError } from '../../core/errors.js';
import type { ToolDefinition, Warning } from '../../core/types.js';

/**
 * Refuses, before anything is sent, two tools of one name, which OpenAI's APIs take and Claude
 * ("tools: Tool names must be unique."), Gemini ("Duplicate function declaration found") and Bedrock
 * Converse refuse. As a fallbackable, unsent 400 naming `tools`, a group's next deployment whose
 * upstream takes them serves the request, and otherwise the client reads the upstream's rule in its
 * own API's terms instead of an upstream 400 it may not be shown. Neither tool is dropped: the model
 * would lose one the client offered.
 */
export function checkToolNames(tools: readonly ToolDefinition[], upstream: string): void {
  const seen = new Set<string>();
  for (const { name } of tools) {
    if (seen.has(name)) {
      const message = `Invalid 'tools': ${upstream} requires tool names to be unique, and '${name.slice(0, 64)}' is given more than once.`;
      throw new GatewayError({ kind: 'invalid_request', message, param: 'tools', code: 'invalid_request', fallbackable: true, unsent: true });
    }
    seen.add(name);
  }
}

/**
 * The warning for tools whose `strict: true` an upstream has no place for (Gemini; Converse but for
 * Claude): they are sent without it, and the client should know its arguments are not enforced.
 */
export function strictDropped(tools: readonly ToolDefinition[], upstream: string): Warning | undefined {
  const names = tools.filter((t) => t.strict === true).map((t) => `'${t.name.slice(0, 64)}'`);
  if (names.length === 0) return undefined;
  const listed = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
  return { type: 'unsupported-setting', setting: 'strict', message: `${upstream} takes no strict flag on a tool: ${listed} went without it, so the arguments are not held to the schema.` };
}
