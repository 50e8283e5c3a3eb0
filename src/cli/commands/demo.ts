import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listenFailure } from '../../cluster/port.js';
import { DEMO_LIMITED_RPM, startDemo, type Demo } from '../demo.js';
import { createLoggers } from '../logger.js';
import { untilSignal } from '../signals.js';
import { fileProblem } from '../../config/file-problem.js';
import { outFileFlag, portFlag, type Command } from '../command.js';

export const demoCommand: Command = {
  name: 'demo',
  usage: 'switchyard demo [--port N] [--show-config] [--write-config FILE] [-q|--quiet]',
  summary: 'run the gateway in front of built-in cloud simulators (no credentials)',
  help: [
    'options:',
    '  -p, --port N             listen on this port (default 4000, or any free port when it is taken)',
    '      --show-config        print the YAML config of this running demo on stdout, alone (the notes go to stderr):',
    '                           `switchyard demo --show-config > demo.yaml` saves a file drill and consistency can use',
    '      --write-config FILE  write that YAML to FILE once the demo listens',
    '  -q, --quiet              log warnings only',
    'The config holds the simulators\' ports and fake keys: it works while this demo runs, and only then.',
    'The ledger goes to .switchyard/demo-ledger.sqlite in the directory it runs in (one it may write to);',
    '`switchyard report` reads it when run in the same directory.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { port: { type: 'string', short: 'p' }, 'show-config': { type: 'boolean' }, 'write-config': { type: 'string' }, quiet: { type: 'boolean', short: 'q' } },
    });
    const port = portFlag(values.port);
    // Before anything starts: a file it could not write would otherwise fail only once the demo was up.
    const configFile = outFileFlag('--write-config', values['write-config'], io.cwd);
    const { logger, access } = createLoggers(values.quiet ? 'warn' : 'info', 2);
    // The demo's files go where it runs (where `switchyard report` looks for them).
    const dataDir = io.cwd === undefined ? undefined : join(io.cwd, '.switchyard');
    let demo: Demo;
    try {
      demo = await startDemo({ port, logger, accessLogger: access, dataDir });
    } catch (err) {
      const problem = listenFailure(err);
      if (problem === undefined) throw err;
      // Only a --port given can fail so: without one, a taken 4000 falls back to a free port.
      io.err(`switchyard demo: cannot listen on 127.0.0.1:${port ?? 4000}: ${problem}; leave out --port to take a free one`);
      return 1;
    }
    if (configFile !== undefined) {
      try {
        writeFileSync(resolve(io.cwd ?? '.', configFile), demo.configYaml);
      } catch (err) {
        await demo.close();
        io.err(`switchyard demo: cannot write --write-config ${configFile}: ${fileProblem(err, true)}`);
        return 1;
      }
    }
    // With --show-config, stdout is the YAML alone, so that `> demo.yaml` saves a valid config.
    const note = values['show-config'] ? io.err : io.out;
    const config = configFile !== undefined ? { file: configFile } : values['show-config'] ? 'stdout' : undefined;
    for (const line of demoBanner(demo, config)) note(line);
    if (values['show-config']) io.out(demo.configYaml);
    note('Press Ctrl+C to stop.');
    await untilSignal();
    await demo.close();
    return 0;
  },
};

/**
 * What the demo says once it listens: where, the models, and commands to try. `config` says where this
 * running demo's config went, which drill and consistency need: a file, stdout, or nowhere yet.
 */
export function demoBanner(demo: Demo, config: { file: string } | 'stdout' | undefined): string[] {
  const url = demo.server.url;
  const file = typeof config === 'object' ? config.file : 'demo.yaml';
  const drillIntro =
    config === undefined
      ? `A DR drill and a cross-provider check against this demo need its config: run it as \`npx switchyard demo --write-config ${file}\`, then in another terminal:`
      : config === 'stdout'
        ? `A DR drill and a cross-provider check against this demo, with its config (stdout) saved as ${file}, in another terminal:`
        : `A DR drill and a cross-provider check against this demo (its config is in ${file}), in another terminal:`;
  return [
    // Said first: a taken 4000 (another demo left running) would otherwise go unnoticed until a pasted curl reached the wrong one.
    ...(demo.portTaken === undefined ? [] : [`Port ${demo.portTaken} is taken (another demo or server still running?), so this demo uses port ${demo.server.port} instead.`]),
    `Switchyard demo is running at ${url}`,
    `Simulated upstreams: ${demo.sims.map((s) => `${s.name} (${s.url})`).join(', ')}`,
    `Models: ${demo.gateway.models().join(', ')}`,
    `Dashboard: ${url}/dashboard (live health, breakers, latency and cost)`,
    'The simulators\' answers are scripted: "Hello from <model>! You said: ...", a call to the first tool when the',
    'request has tools and the prompt contains "call the tool", the first two at once when it contains "call both tools",',
    'reasoning first when it contains "think step by step".',
    'The OpenAI simulators (model "chat") decline a prompt containing "refuse to answer" as OpenAI does: `refusal`, streamed in pieces.\n',
    'Try it with curl:',
    `  curl -s ${url}/v1/chat/completions -H 'content-type: application/json' \\`,
    `    -d '{"model":"chat","messages":[{"role":"user","content":"Hello!"}]}'\n`,
    'With the openai SDK (JavaScript):',
    `  const client = new OpenAI({ baseURL: '${url}/v1', apiKey: 'unused' });`,
    `  const r = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello!' }] });\n`,
    `A rate limit: the "limited" group allows ${DEMO_LIMITED_RPM} requests a minute, the next get 429 with code rate_limit_exceeded (type rate_limit_error) and retry-after:`,
    `  for i in $(seq ${DEMO_LIMITED_RPM + 1}); do curl -s -o /dev/null -w '%{http_code}\\n' ${url}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"limited","messages":[{"role":"user","content":"Hi"}]}'; done\n`,
    drillIntro,
    `  npx switchyard drill -c ${file} --group multicloud --scenario region-outage --duration 20s --out drill`,
    `  npx switchyard consistency -c ${file} --group multicloud\n`,
  ];
}

