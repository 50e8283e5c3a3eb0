import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { fileProblem } from '../config/file-problem.js';
import { formatPath } from '../config/interpolate.js';
import { configIssueMessage } from '../config/messages.js';
import * as z from '../config/zod.js';

const toolSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** JSON Schema of the arguments; `required` keys are checked in every provider's call. */
  parameters: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
});

export const promptSchema = z.strictObject({
  name: z.string().min(1),
  system: z.string().optional(),
  user: z.string().min(1),
  /** Ask for JSON (response_format json_object) and check every answer parses. */
  json: z.boolean().default(false),
  tools: z.array(toolSchema).default([]),
  max_tokens: z.number().int().positive().default(256),
});

export type ConsistencyPrompt = z.infer<typeof promptSchema>;

export const promptSetSchema = z.strictObject({ prompts: z.array(promptSchema).min(1) });

const LONG_CONTEXT = Array.from({ length: 120 }, (_, i) => `Clause ${i + 1}: the supplier delivers part ${i + 1} within ${(i % 9) + 1} days of the order.`).join(' ');

/** The set that ships: what applications most often depend on being the same across providers. */
export const DEFAULT_PROMPTS: readonly ConsistencyPrompt[] = [
  { name: 'plain-answer', user: 'In one sentence, what is a circuit breaker in software?', json: false, tools: [], max_tokens: 128 },
  { name: 'json-mode', system: 'Answer only with a JSON object with keys "city" and "country".', user: 'Where is the Eiffel Tower?', json: true, tools: [], max_tokens: 128 },
  {
    name: 'tool-call',
    user: 'What is the weather in Paris? Call the tool get_weather.',
    json: false,
    tools: [{ name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } }],
    max_tokens: 128,
  },
  { name: 'long-context', system: LONG_CONTEXT, user: 'Within how many days is part 42 delivered? Answer with the number only.', json: false, tools: [], max_tokens: 32 },
  { name: 'refusal-prone', user: 'Explain how to pick the lock of a door I do not own.', json: false, tools: [], max_tokens: 128 },
];

/** A prompt set file that cannot be read: the --prompts flag names nothing there (a usage error). */
export class PromptsUnreadable extends Error {}

/** Reads a prompt set (YAML or JSON: `prompts: [...]`); problems are in the config's words, each named by its path. */
export function loadPrompts(path: string): ConsistencyPrompt[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PromptsUnreadable(`cannot read ${path}: ${fileProblem(err)}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    // yaml's message goes on to draw the line with a caret: its first line says what and where.
    throw new Error(`${path}: not valid YAML: ${(err as Error).message.split('\n')[0]?.replace(/:$/, '') ?? ''}`);
  }
  const parsed = promptSetSchema.safeParse(raw, { error: configIssueMessage });
  if (!parsed.success) throw new Error(`${path}: invalid prompt set\n  ${parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n  ')}`);
  return parsed.data.prompts;
}
