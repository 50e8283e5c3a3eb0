import { parseArgs } from 'node:util';
import { startOpenAISim } from '../../sim/openai/index.js';
import { startBedrockSim } from '../../sim/bedrock/index.js';
import { startAzureSim } from '../../sim/azure/index.js';
import { startAnthropicSim } from '../../sim/anthropic/index.js';
import { startVertexSim } from '../../sim/vertex/index.js';
import type { SimServer } from '../../sim/server.js';
import { untilSignal } from '../signals.js';
import { portFlag, wholeNumberFlag, type Command } from '../command.js';

/** Simulators the CLI can start on their own (for benchmarks, DR drills and manual testing). */
const SIMULATORS: Record<string, (port: number | undefined, seed: number | undefined) => Promise<SimServer>> = {
  openai: (port, seed) => startOpenAISim({ port, seed }),
  bedrock: (port, seed) => startBedrockSim({ port, seed }),
  azure: (port, seed) => startAzureSim({ port, seed }),
  anthropic: (port, seed) => startAnthropicSim({ port, seed }),
  vertex: (port, seed) => startVertexSim({ port, seed }),
};

export const simCommand: Command = {
  name: 'sim',
  usage: `switchyard sim ${Object.keys(SIMULATORS).join('|')} [--port N] [--seed N]`,
  summary: 'run one cloud simulator (fault control at POST /__sim/faults)',
  help: [
    `clouds: ${Object.keys(SIMULATORS).join(', ')}`,
    'options:',
    '  -p, --port N   listen on this port (default: any free port)',
    '      --seed N   seed for the simulated answers and latencies',
    'example: switchyard sim bedrock --port 9001',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { port: { type: 'string', short: 'p' }, seed: { type: 'string' } } });
    const start = SIMULATORS[positionals[0] ?? ''];
    if (!start) {
      io.err(`usage: ${this.usage}`);
      return 2;
    }
    const sim = await start(portFlag(values.port), wholeNumberFlag('--seed', values.seed, 0, Number.MAX_SAFE_INTEGER));
    io.out(`${sim.name} listening at ${sim.url}`);
    await untilSignal();
    await sim.close();
    return 0;
  },
};
