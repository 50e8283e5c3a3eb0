import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { startOpenAISim } from '../../sim/openai/index.js';
import { SIM_CREDENTIALS, startBedrockSim } from '../../sim/bedrock/index.js';
import { startAzureSim } from '../../sim/azure/index.js';
import { startAnthropicSim } from '../../sim/anthropic/index.js';
import { startVertexSim } from '../../sim/vertex/index.js';
import { createSimServiceAccount, writeSimServiceAccount } from '../../sim/vertex/credentials.js';
import type { SimServer } from '../../sim/server.js';
import { untilSignal } from '../signals.js';
import { portFlag, UsageError, wholeNumberFlag, type Command } from '../command.js';

/** A simulator started on its own, and the config deployment that reaches it. */
export interface StartedSim {
  sim: SimServer;
  /** A deployment (raw config) this simulator answers: its URL, and the credentials it checks. */
  deployment: Record<string, unknown>;
  /** What the deployment's credentials are, in a sentence. */
  credentials: string;
}

/** The key the simulators that check no key are shown with: the providers send one. */
const ANY_KEY = 'sim-any-key';

/**
 * Simulators the CLI can start on their own (for benchmarks, DR drills and manual testing), each with
 * the deployment that reaches it: a user has no other way to learn the Bedrock simulator's fixed
 * SigV4 keys, or that Vertex needs a service account to sign with.
 */
const SIMULATORS: Record<string, (port: number | undefined, seed: number | undefined) => Promise<StartedSim>> = {
  openai: async (port, seed) => {
    const sim = await startOpenAISim({ port, seed });
    return { sim, deployment: { provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }, credentials: 'no API key: it checks none' };
  },
  bedrock: async (port, seed) => {
    const sim = await startBedrockSim({ port, seed });
    const keys = { access_key_id: SIM_CREDENTIALS.accessKeyId, secret_access_key: SIM_CREDENTIALS.secretAccessKey };
    return {
      sim,
      deployment: { provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', endpoint: sim.url, ...keys },
      credentials: 'fixed test AWS keys: it verifies SigV4 signatures made with these and refuses any others (403)',
    };
  },
  azure: async (port, seed) => {
    const sim = await startAzureSim({ port, seed });
    return {
      sim,
      deployment: { provider: 'azure-openai', model: 'gpt-4o', endpoint: sim.url, api_version: '2024-10-21', api_key: ANY_KEY },
      credentials: 'any api key: it checks none (deployments gpt-4o and text-embedding-3-small)',
    };
  },
  anthropic: async (port, seed) => {
    const sim = await startAnthropicSim({ port, seed });
    return { sim, deployment: { provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: sim.url, api_key: ANY_KEY }, credentials: 'any api key: it checks none' };
  },
  vertex: async (port, seed) => {
    // A throwaway service account, as the demo's: the gateway signs its own JWTs and the simulator checks them.
    const account = createSimServiceAccount('sim-project');
    const keyFile = writeSimServiceAccount(account);
    const started = await startVertexSim({ port, seed, publicKey: account.publicKey }).catch((err: unknown) => {
      keyFile.remove();
      throw err;
    });
    const sim = { ...started, close: () => started.close().finally(keyFile.remove) };
    return {
      sim,
      deployment: { provider: 'vertex', model: 'gemini-2.5-flash', project: 'sim-project', region: 'europe-west4', endpoint: sim.url, credentials_file: `file:${keyFile.path}`, self_signed_jwt: true },
      credentials: 'a throwaway service account key (credentials_file), deleted when the simulator stops: it verifies the JWTs signed with it',
    };
  },
};

/** What starts the simulator of `cloud` (a UsageError for one there is none of). */
export function simulatorOf(cloud: string): (port?: number, seed?: number) => Promise<StartedSim> {
  // Own keys only: "constructor" or "toString" would otherwise be read off the prototype.
  const start = Object.hasOwn(SIMULATORS, cloud) ? SIMULATORS[cloud] : undefined;
  if (!start) throw new UsageError(`unknown cloud "${cloud}"; expected one of ${Object.keys(SIMULATORS).join(', ')}`);
  return start;
}

/** What `sim` prints once it listens: where, and a config that reaches it, ready to save and serve. */
export function simBanner({ sim, deployment, credentials }: StartedSim): string[] {
  const config = { deployments: [{ id: sim.name, ...deployment }], groups: [{ name: 'chat', deployments: [sim.name] }] };
  return [
    `${sim.name} listening at ${sim.url}`,
    `Credentials: ${credentials}.`,
    'A config that reaches it (save it as sim.yaml, then: switchyard serve -c sim.yaml):',
    '',
    stringify(config).trimEnd(),
    '',
    `Faults: POST ${sim.url}/__sim/faults (the rule fields: docs/DRILLS.md, "The simulators' fault API"). Ctrl+C stops it.`,
  ];
}

export const simCommand: Command = {
  name: 'sim',
  usage: `switchyard sim ${Object.keys(SIMULATORS).join('|')} [--port N] [--seed N]`,
  summary: 'run one cloud simulator (fault control at POST /__sim/faults)',
  help: [
    `clouds: ${Object.keys(SIMULATORS).join(', ')}`,
    'options:',
    '  -p, --port N   listen on this port (default: any free port)',
    '      --seed N   seed for the simulated answers and latencies',
    'Once it listens, it prints a config that reaches it: its URL and the credentials it takes (the Bedrock',
    'simulator\'s fixed test AWS keys; for Vertex, a throwaway service account file, deleted when it stops).',
    'example: switchyard sim bedrock --port 9001',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { port: { type: 'string', short: 'p' }, seed: { type: 'string' } } });
    const [cloud, ...extra] = positionals;
    if (cloud === undefined) throw new UsageError(`name the cloud to simulate: one of ${Object.keys(SIMULATORS).join(', ')}`);
    if (extra.length > 0) throw new UsageError(`one cloud at a time, got ${positionals.join(' ')}`);
    const start = simulatorOf(cloud);
    const started = await start(portFlag(values.port), wholeNumberFlag('--seed', values.seed, 0, Number.MAX_SAFE_INTEGER));
    for (const line of simBanner(started)) io.out(line);
    await untilSignal();
    await started.sim.close();
    return 0;
  },
};
