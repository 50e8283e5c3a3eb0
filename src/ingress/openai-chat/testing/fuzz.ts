/**
 * Seeded generator of hostile request bodies for the fuzz test: valid chat and embedding requests with
 * the values of known fields replaced, removed or nested absurdly deep, plus raw-byte damage (invalid
 * UTF-8, truncation, non-objects). Deterministic for a seed, so a failure names a reproducible case.
 */
import { seededRandom } from '../../../core/random.js';

export interface FuzzCase {
  /** Reproduces the case: seed, index and the mutations applied. */
  label: string;
  body: Buffer;
}

type Path = ReadonlyArray<string | number>;
type Rng = () => number;

const PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const PDF = 'data:application/pdf;base64,JVBERi0xLjQK';
const TOOL = { type: 'function', function: { name: 'lookup', description: 'Looks a query up.', parameters: { type: 'object', properties: { q: { type: 'string' } } } } };

function chatTemplates(model: string): Array<Record<string, unknown>> {
  return [
    { model, messages: [{ role: 'user', content: 'Hi' }] },
    {
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: PIXEL, detail: 'low' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'found' },
      ],
      tools: [TOOL],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      temperature: 0.5,
      max_tokens: 50,
    },
    {
      model,
      messages: [{ role: 'developer', content: 'JSON only.' }, { role: 'user', content: 'Give me JSON' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: true } },
      stop: ['END'],
      top_p: 0.9,
      seed: 7,
    },
    {
      model,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Long instructions.', cache_control: { type: 'ephemeral', ttl: '5m' } }] },
        { role: 'user', content: [{ type: 'text', text: 'Summarise.' }, { type: 'file', file: { file_data: PDF, filename: 'a.pdf' } }] },
        { role: 'assistant', content: 'Earlier answer.', reasoning_content: 'Thought about it.' },
        { role: 'user', content: 'And now?' },
        { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
        { role: 'user', content: 'Please.' },
      ],
      reasoning_effort: 'low',
      max_completion_tokens: 64,
    },
  ];
}

const CHAT_PATHS: Path[] = [
  ['model'], ['messages'], ['messages', 0], ['messages', 0, 'role'], ['messages', 0, 'content'], ['messages', 0, 'name'],
  ['messages', 1], ['messages', 1, 'role'], ['messages', 1, 'content'], ['messages', 1, 'content', 0], ['messages', 1, 'content', 0, 'type'],
  ['messages', 1, 'content', 0, 'text'], ['messages', 1, 'content', 1, 'image_url'], ['messages', 1, 'content', 1, 'image_url', 'url'],
  ['messages', 1, 'content', 1, 'image_url', 'detail'], ['messages', 2, 'content'], ['messages', 2, 'tool_calls'], ['messages', 2, 'tool_calls', 0],
  ['messages', 2, 'tool_calls', 0, 'id'], ['messages', 2, 'tool_calls', 0, 'type'], ['messages', 2, 'tool_calls', 0, 'function', 'name'],
  ['messages', 2, 'tool_calls', 0, 'function', 'arguments'], ['messages', 3, 'tool_call_id'], ['messages', 3, 'content'], ['messages', 3, 'role'],
  ['tools'], ['tools', 0], ['tools', 0, 'type'], ['tools', 0, 'function'], ['tools', 0, 'function', 'name'], ['tools', 0, 'function', 'description'],
  ['tools', 0, 'function', 'parameters'], ['tools', 0, 'function', 'strict'], ['tool_choice'], ['tool_choice', 'type'], ['tool_choice', 'function'],
  ['tool_choice', 'function', 'name'], ['response_format'], ['response_format', 'type'], ['response_format', 'json_schema'],
  ['response_format', 'json_schema', 'name'], ['response_format', 'json_schema', 'schema'], ['response_format', 'json_schema', 'strict'],
  ['temperature'], ['top_p'], ['max_tokens'], ['max_completion_tokens'], ['stop'], ['stop', 0], ['seed'], ['n'], ['stream'],
  ['stream_options'], ['stream_options', 'include_usage'], ['user'], ['parallel_tool_calls'], ['presence_penalty'], ['frequency_penalty'],
  ['switchyard'], ['switchyard', 'deployment'], ['switchyard', 'task'],
  ['reasoning_effort'], ['messages', 0, 'content', 0, 'cache_control'], ['messages', 0, 'content', 0, 'cache_control', 'ttl'],
  ['messages', 1, 'content', 1, 'file'], ['messages', 1, 'content', 1, 'file', 'file_data'], ['messages', 1, 'content', 1, 'file', 'file_id'],
  ['messages', 1, 'content', 1, 'file', 'filename'], ['messages', 2, 'reasoning_content'], ['messages', 4, 'refusal'],
];

const EMBED_PATHS: Path[] = [['model'], ['input'], ['input', 0], ['input', 1], ['dimensions'], ['encoding_format'], ['user'], ['switchyard']];

/** Values of every JSON type and edge, including the ones that break naive code. */
const WEIRD: Array<(rng: Rng) => unknown> = [
  () => null,
  () => true,
  () => false,
  () => 0,
  () => -1,
  () => 1e308,
  () => -1e308,
  () => 2 ** 53 + 2,
  () => 0.5,
  () => 3.7,
  () => '',
  () => 'x',
  () => 'auto',
  () => 'none',
  () => 'required',
  () => 'function',
  () => 'text',
  () => 'json_schema',
  () => 'tool',
  () => 'assistant',
  () => 'image_url',
  () => 'constructor',
  () => '__proto__',
  () => 'nul\u0000 and lone surrogate \ud800 and emoji \u{1f600}',
  () => 'x'.repeat(5_000),
  () => [],
  () => [null],
  () => ['a', 1, {}],
  () => ({}),
  // String() of this throws: an error message must never call it on a client's value.
  () => ({ toString: 1, valueOf: 1 }),
  () => ({ type: 'function' }),
  () => ({ type: 'function', function: {} }),
  () => ({ type: 'function', function: { name: 7 } }),
  () => ({ type: 'text', text: 'x' }),
  () => ({ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }),
  () => ({ type: 'image_url', image_url: { url: 'data:image/png;base64,!!!' } }),
  () => ({ type: 'file', file: { file_data: 'data:application/pdf;base64,!!!' } }),
  () => ({ type: 'file', file: { file_id: 'file-abc' } }),
  () => ({ type: 'ephemeral', ttl: '1h' }),
  () => ({ type: 'json_schema', json_schema: {} }),
  () => ({ type: 'json_schema' }),
  () => ({ name: 'x', schema: 'not a schema' }),
  () => JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{}}}') as unknown,
  () => ({ role: 'user', content: 'x' }),
  () => ({ role: 'wizard', content: 'x' }),
  () => ({ role: 'tool', content: 'x' }),
  () => ({ role: 'assistant', tool_calls: [{}] }),
  (rng) => nested(1 + Math.floor(rng() * 200)),
  (rng) => Array.from({ length: 1 + Math.floor(rng() * 50) }, () => 'y'),
];

function nested(depth: number): unknown {
  let v: unknown = 'deep';
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)] as T;
}

/** Sets (or with `remove`, deletes) the value at `path`, creating containers on the way. */
function mutate(root: Record<string, unknown>, path: Path, value: unknown, remove: boolean): void {
  let node: Record<string | number, unknown> = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string | number;
    let next = node[key];
    if (typeof next !== 'object' || next === null) {
      next = typeof path[i + 1] === 'number' ? [] : {};
      node[key] = next;
    }
    node = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1] as string | number;
  if (remove) delete node[last];
  else node[last] = value;
}

/** Damage done to the serialized body instead of a value. */
function rawDamage(rng: Rng, text: string): { body: Buffer; label: string } {
  const bytes = Buffer.from(text, 'utf8');
  switch (Math.floor(rng() * 7)) {
    case 0: {
      const at = text.indexOf('"', text.indexOf('content') + 10);
      const cut = at > 0 ? at + 1 : 2;
      return { body: Buffer.concat([bytes.subarray(0, cut), Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]), bytes.subarray(cut)]), label: 'invalid utf-8' };
    }
    case 1:
      return { body: bytes.subarray(0, Math.floor(rng() * bytes.length)), label: 'truncated' };
    case 2:
      return { body: Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), label: 'deep array' };
    case 3: {
      // Deep nesting where the schema allows any object, which code downstream walks recursively.
      const depth = pick(rng, [65, 5_000, 50_000]);
      const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const at = pick(rng, ['"tools":[{"type":"function","function":{"name":"f","parameters":', '"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":', '"switchyard":{"x":']);
      const close = at.startsWith('"switchyard"') ? '}' : at.startsWith('"tools"') ? '}}]' : '}}';
      return { body: Buffer.from(`{${at}${deep}${close},${text.slice(1)}`), label: `depth ${depth} in ${at.slice(1, at.indexOf('"', 1))}` };
    }
    case 4:
      return { body: Buffer.from(pick(rng, ['[]', '1', '"x"', 'null', 'true', '', ' ', '{}'])), label: 'not an object' };
    case 5:
      return { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]), label: 'utf-8 bom' };
    default:
      return { body: Buffer.from(text.replace(/"model"/, '"model":1,"model"')), label: 'duplicate key' };
  }
}

/** `count` hostile bodies for one endpoint of one model, reproducible from `seed`. */
export function fuzzCases(seed: number, count: number, kind: 'chat' | 'embeddings', model: string): FuzzCase[] {
  const rng = seededRandom(seed);
  const templates = kind === 'chat' ? chatTemplates(model) : [{ model, input: 'hello' }, { model, input: ['a', 'b'], dimensions: 8, encoding_format: 'float' }];
  const paths = kind === 'chat' ? CHAT_PATHS : EMBED_PATHS;
  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const body = structuredClone(pick(rng, templates));
    const steps: string[] = [];
    if (kind === 'chat' && rng() < 0.3) body.stream = true;
    const mutations = 1 + Math.floor(rng() * 3);
    for (let m = 0; m < mutations; m++) {
      const path = pick(rng, paths);
      if (rng() < 0.15) {
        mutate(body, path, undefined, true);
        steps.push(`delete ${path.join('.')}`);
      } else {
        const w = Math.floor(rng() * WEIRD.length);
        mutate(body, path, (WEIRD[w] as (r: Rng) => unknown)(rng), false);
        steps.push(`${path.join('.')}=weird#${w}`);
      }
    }
    const text = JSON.stringify(body);
    if (rng() < 0.08) {
      const damaged = rawDamage(rng, text);
      cases.push({ label: `seed ${seed} #${i} ${damaged.label}`, body: damaged.body });
    } else cases.push({ label: `seed ${seed} #${i} ${steps.join(', ')}`, body: Buffer.from(text) });
  }
  return cases;
}
