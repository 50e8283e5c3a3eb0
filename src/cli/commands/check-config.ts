import { ConfigError, loadConfigFile } from '../../config/load.js';
import type { Command } from '../command.js';

export const checkConfigCommand: Command = {
  name: 'check-config',
  usage: 'switchyard check-config FILE',
  summary: 'validate a config file and print every problem with its path',
  help: [
    'Reads FILE (YAML), fills ${ENV} references from the environment, and reports every problem in one run:',
    'YAML syntax, the schema, references between groups and deployments, provider options.',
    'Exit code 0: valid; 1: problems (printed to stderr); 2: usage error.',
    '',
    'example: switchyard check-config switchyard.yaml',
  ].join('\n'),
  async run(args, io) {
    const file = args.find((a) => !a.startsWith('-'));
    if (!file) {
      io.err(`usage: ${this.usage}`);
      return 2;
    }
    try {
      const config = loadConfigFile(file, io.env);
      io.out(`${file}: ok (${config.deployments.length} deployments, ${config.groups.length} groups)`);
      return 0;
    } catch (err) {
      if (err instanceof ConfigError) {
        io.err(err.message);
        return 1;
      }
      throw err;
    }
  },
};
