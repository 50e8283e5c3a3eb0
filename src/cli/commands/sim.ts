import { parseArgs } from 'node:util';
import { startOpenAISim } from '../../sim/openai/index.js';
import { startBedrockSim } from '../../sim/bedrock/index.js';
import { startAzureSim } from '../../sim/azure/index.js';
import { startAnthropicSim } from '../../sim/anthropic/index.js';
import { startVertexSim } from '../../sim/vertex/index.js';
import type { SimServer } from '../../sim/server.js';
import { untilSignal } from '../signals.js';
import { portFlag, UsageError, wholeNumberFlag, type Command } from '../command.js';

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
    const clouds = Object.keys(SIMULATORS).join(', ');
    const [cloud, ...extra] = positionals;
    if (cloud === undefined) throw new UsageError(`name the cloud to simulate: one of ${clouds}`);
    if (extra.length > 0) throw new UsageError(`one cloud at a time, got ${positionals.join(' ')}`);
    // Own keys only: "constructor" or "toString" would otherwise be read off the prototype.
    const start = Object.hasOwn(SIMULATORS, cloud) ? SIMULATORS[cloud] : undefined;
    if (!start) throw new UsageError(`unknown cloud "${cloud}"; expected one of ${clouds}`);
    const sim = await start(portFlag(values.port), wholeNumberFlag('--seed', values.seed, 0, Number.MAX_SAFE_INTEGER));
    io.out(`${sim.name} listening at ${sim.url}`);
    await untilSignal();
    await sim.close();
    return 0;
  },
};
