import { ConfigError, literalSecrets, loadConfigFile } from '../../config/load.js';
import { LITERAL_SECRET } from '../../config/secret-ref.js';
import { withholdConfigText } from '../../config/interpolate.js';
import { explainResidency, formatExplanation } from '../../routing/explain.js';
import { checkReach } from '../../routing/reach.js';
import { localPathProblems } from '../../ledger/local-paths.js';
import { budgetWarnings } from '../../ledger/budgets/config-warnings.js';
import { parseArgs } from 'node:util';
import { UsageError, type Command, type CommandIO } from '../command.js';
import type { GatewayConfig } from '../../config/schema.js';

export const checkConfigCommand: Command = {
  name: 'check-config',
  usage: 'switchyard check-config (FILE | -c FILE) [--explain] [--keys]',
  summary: 'validate a config file and print every problem with its path; --explain proves where every key, team and residency can reach',
  help: [
    'Reads FILE (YAML), fills ${ENV} references from the environment, and reports every problem in one run:',
    'YAML syntax, the schema, references between groups and deployments, provider options. Ledger paths',
    '(ledger.path, journal_dir, spill_path\'s folder) this machine\'s filesystem would refuse are warnings: serve',
    'here would refuse them, a config meant for another machine (a container\'s) may be right; it creates nothing.',
    'A config no model name reaches a deployment of (no group, direct deployment names off) is a problem;',
    'a deployment in no group that cannot be named directly is a warning, as is each secret written out as its',
    'value rather than as ${ENV_VAR} or file:/path (named by its path, never shown). Budgets that would count',
    'nothing are warnings: a per or match tag no key in the config carries, a soft_usd not below its hard_usd, and',
    '(with budgets) a deployment whose model has no price; serve logs the same at start.',
    '--explain: for every key, team and residency tag, every deployment a request can reach (groups, aliases,',
    'fallbacks, shadows, direct names); fails when a path could leave the allowed regions.',
    '--keys: opens the ledger FILE names read-only and fails when a stored, active virtual key would not match',
    'this config (a residency tag, group or model it needs gone: a reload would refuse its requests).',
    'FILE may also be given as -c FILE (--config FILE), as the other commands take it.',
    'Exit code 0: valid, with or without warnings (each printed to stderr as FILE: warning: PATH: ...); 1: problems',
    '(printed to stderr); 2: usage error.',
    '',
    'example: switchyard check-config switchyard.yaml',
  ].join('\n'),
  async run(args, io) {
    // Strict: a misspelt --explain or a second file would otherwise be ignored and the run pass (exit 0).
    const { values, positionals } = parseArgs({ args, options: { explain: { type: 'boolean' }, keys: { type: 'boolean' }, config: { type: 'string', short: 'c' } }, allowPositionals: true, strict: true });
    // `-c FILE` as serve, keys and drill take it: a new user's first guess, refused before as an unknown option.
    const files = values.config === undefined ? positionals : [values.config, ...positionals];
    if (files.length > 1) throw new UsageError(`one config file at a time, got ${files.length}: ${files.join(' ')}`);
    const file = files[0];
    if (!file) throw new UsageError('name the config file: FILE or -c FILE');
    try {
      const config = loadConfigFile(file, io.env);
      const reach = checkReach(config);
      if (reach.errors.length > 0) throw new ConfigError(file, reach.errors);
      for (const w of reach.warnings) io.err(`${file}: warning: ${w.path}: ${w.message}`);
      // Accepted (the demo's fake keys, a quick test), but a key in the file travels with every copy of it.
      for (const path of literalSecrets(config)) io.err(`${file}: warning: ${path}: ${LITERAL_SECRET}`);
      // What serve refuses when it opens the ledger (a path the filesystem refuses), looked at without
      // creating anything. A warning: this machine may not be the one the config is for (a container's paths).
      for (const p of localPathProblems(config.ledger)) io.err(`${file}: warning: ${p.path}: ${p.message} (serve on this machine refuses it)`);
      // Valid, but a budget set up to count nothing would otherwise show it only by the spend it lets through.
      for (const w of budgetWarnings(config)) io.err(`${file}: warning: ${w.path}: ${w.message}`);
      const explained = values.explain ? explain(file, config, io) : 0;
      // Loaded only when asked for: it opens a database driver.
      const keys = values.keys ? await (await import('./stored-keys.js')).checkStoredKeys(file, config, io) : 0;
      // The verdict last, once every check asked for has run: "ok" above a failed --explain or --keys misled.
      const size = `${count(config.deployments.length, 'deployment')}, ${count(config.groups.length, 'group')}`;
      const failed = [explained === 1 && '--explain', keys === 1 && '--keys'].filter((f) => f !== false);
      if (failed.length === 0) io.out(`${file}: ok (${size})`);
      else io.err(`${file}: failed ${failed.join(' and ')} (the config itself is valid: ${size})`);
      return failed.length === 0 ? 0 : 1;
    } catch (err) {
      if (err instanceof ConfigError) {
        io.err(err.message);
        return 1;
      }
      throw err;
    }
  },
};

/** `--explain`: every place each key, team and residency can reach; 1 when a path leaves its residency. */
function explain(file: string, config: GatewayConfig, io: CommandIO): 0 | 1 {
  const explanation = explainResidency(config);
  // Its lines quote ids and tags: a secret a variable also put into one is quoted by its reference.
  const shown = (text: string): string => withholdConfigText(config, text);
  for (const line of formatExplanation(explanation)) io.out(shown(line));
  if (explanation.leaks.length === 0) return 0;
  io.err(`${file}: ${explanation.leaks.length} path(s) can leave their residency:`);
  for (const leak of explanation.leaks) io.err(`  ${shown(leak)}`);
  return 1;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
