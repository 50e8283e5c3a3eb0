import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compareAll, DEFAULT_THRESHOLDS, type Thresholds } from '../../consistency/compare.js';
import { DEFAULT_PROMPTS, loadPrompts, PromptsUnreadable, type ConsistencyPrompt } from '../../consistency/prompts.js';
import { formatHtml, formatTable, toJson } from '../../consistency/report.js';
import { maxCost, observe } from '../../consistency/run.js';
import { loadConfigTree } from '../../config/load.js';
import { findGroup } from '../../drill/targets.js';
import { groupMembers } from '../../routing/config.js';
import { outFileFlag, readFlag, UsageError, type Command } from '../command.js';

/** --prompts: a file that cannot be read is a bad value (exit 2); one that is no valid prompt set is a problem in that file (exit 1). */
function promptsFlag(path: string): ConsistencyPrompt[] {
  try {
    return loadPrompts(path);
  } catch (err) {
    if (err instanceof PromptsUnreadable) throw new UsageError(`--prompts: ${err.message}`);
    throw err;
  }
}

const FORMATS = ['table', 'json', 'html'];

export const consistencyCommand: Command = {
  name: 'consistency',
  usage: 'switchyard consistency -c FILE --group G [--prompts FILE] [--format table|json|html] [--out FILE]',
  summary: 'send a prompt set to every deployment of a group and flag differences',
  help: [
    'Sends each prompt (the default set, or a YAML file with --prompts) to every deployment of group G, pinned with',
    'no fallback, and compares finish reasons, JSON validity, tool calls, length, prompt tokens, latency, cost and',
    'text similarity. The most it can cost is printed first; --max-cost USD (a positive number) refuses above it.',
    'more: --fail-on-flags (exit 3 on any difference), --length-ratio N, --token-spread N, --latency-ratio N,',
    '      --min-similarity N (thresholds; the similarity is from 0 to 1)',
    '',
    'example: switchyard consistency -c switchyard.yaml --group chat --format html --out consistency.html',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        group: { type: 'string', short: 'g' },
        prompts: { type: 'string', short: 'p' },
        format: { type: 'string', short: 'f' },
        out: { type: 'string', short: 'o' },
        'max-cost': { type: 'string' },
        'fail-on-flags': { type: 'boolean' },
        'length-ratio': { type: 'string' },
        'token-spread': { type: 'string' },
        'latency-ratio': { type: 'string' },
        'min-similarity': { type: 'string' },
      },
      allowPositionals: false,
    });
    if (!values.config) throw new UsageError('name the config file (-c FILE)');
    if (!values.group) throw new UsageError('name the group whose deployments to compare (--group G)');
    const format = values.format ?? 'table';
    if (!FORMATS.includes(format)) throw new UsageError(`unknown format "${format}"; expected ${FORMATS.join(', ')}`);
    const limit = values['max-cost'] === undefined ? undefined : Number(values['max-cost']);
    // NaN compares false with everything, so an unreadable ceiling would let any run through.
    if (limit !== undefined && !(Number.isFinite(limit) && limit > 0)) {
      throw new UsageError(`--max-cost: expected a positive number of US dollars (e.g. 0.05), got "${values['max-cost']}"`);
    }
    const threshold = (flag: 'length-ratio' | 'token-spread' | 'latency-ratio' | 'min-similarity', fallback: number): number => {
      const text = values[flag];
      if (text === undefined) return fallback;
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${flag}: expected a non-negative number, got "${text}"`);
      // A cosine similarity is at most 1: above it every answer would be flagged, below 0 none.
      if (flag === 'min-similarity' && n > 1) throw new UsageError(`--min-similarity: expected a cosine similarity from 0 to 1 (e.g. 0.5), got "${text}"`);
      return n;
    };
    const thresholds: Thresholds = {
      ...DEFAULT_THRESHOLDS,
      lengthRatio: threshold('length-ratio', DEFAULT_THRESHOLDS.lengthRatio),
      tokenSpread: threshold('token-spread', DEFAULT_THRESHOLDS.tokenSpread),
      latencyRatio: threshold('latency-ratio', DEFAULT_THRESHOLDS.latencyRatio),
      minSimilarity: threshold('min-similarity', DEFAULT_THRESHOLDS.minSimilarity),
    };
    // Before any paid call: a file that cannot be written would lose the run's results.
    outFileFlag('--out', values.out);
    const { config } = loadConfigTree(values.config, io.env);
    const group = readFlag(() => findGroup(config, values.group as string), '--group');
    const prompts = values.prompts ? promptsFlag(values.prompts) : [...DEFAULT_PROMPTS];
    const ceiling = maxCost(config, group, prompts);
    const members = groupMembers(group).length;
    io.err(`consistency: ${prompts.length} prompts x ${members} deployments = ${prompts.length * members} requests (+${members} warm-up); ${ceiling === undefined ? 'cost unknown, a deployment has no price in the pricing catalog' : `cost at most $${ceiling.toFixed(6)}`}`);
    if (limit !== undefined && (ceiling === undefined || ceiling > limit)) {
      io.err(`refusing to start: ${ceiling === undefined ? 'an unknown cost may be above' : 'above'} --max-cost $${values['max-cost']}`);
      return 1;
    }
    const progress = io.progress ?? (() => undefined);
    const observed = await observe(config, group, prompts, (done, total) => progress(`consistency: ${done}/${total} requests...`));
    progress('');
    const comparisons = compareAll(observed, thresholds);
    const text = format === 'json' ? JSON.stringify(toJson(group.name, comparisons), null, 2) : format === 'html' ? formatHtml(group.name, comparisons) : formatTable(comparisons);
    if (values.out) {
      writeFileSync(values.out, text);
      io.out(`wrote ${values.out}`);
    } else io.out(text.trimEnd());
    return values['fail-on-flags'] && comparisons.some((c) => c.flags.length > 0) ? 3 : 0;
  },
};
