import { parseArgs } from 'node:util';
import { DEMO_LIMITED_RPM, startDemo } from '../demo.js';
import { createLoggers } from '../logger.js';
import { untilSignal } from '../signals.js';
import type { Command } from '../command.js';

export const demoCommand: Command = {
  name: 'demo',
  usage: 'switchyard demo [--port N] [--show-config]',
  summary: 'run the gateway in front of built-in cloud simulators (no credentials)',
  help: [
    'options:',
    '  -p, --port N      listen on this port (default 4000, or any free port when it is taken)',
    '      --show-config print the YAML config the demo runs on',
    '  -q, --quiet       log warnings only',
    'The ledger goes to .switchyard/demo-ledger.sqlite; `switchyard report` reads it when run in the same directory.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({ args, options: { port: { type: 'string', short: 'p' }, 'show-config': { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } } });
    const { logger, access } = createLoggers(values.quiet ? 'warn' : 'info', 2);
    const demo = await startDemo({ port: values.port !== undefined ? Number(values.port) : undefined, logger, accessLogger: access });
    const url = demo.server.url;
    io.out(`Switchyard demo is running at ${url}`);
    io.out(`Simulated upstreams: ${demo.sims.map((s) => `${s.name} (${s.url})`).join(', ')}`);
    io.out(`Models: ${demo.gateway.models().join(', ')}`);
    io.out(`Dashboard: ${url}/dashboard (live health, breakers, latency and cost)\n`);
    io.out('Try it:');
    io.out(`  curl -s ${url}/v1/chat/completions -H 'content-type: application/json' \\`);
    io.out(`    -d '{"model":"chat","messages":[{"role":"user","content":"Hello!"}]}'\n`);
    io.out('  // with the openai SDK');
    io.out(`  const client = new OpenAI({ baseURL: '${url}/v1', apiKey: 'unused' });`);
    io.out(`  const r = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello!' }] });\n`);
    io.out(`  // the "limited" group allows ${DEMO_LIMITED_RPM} requests a minute: the next get 429 rate_limited with retry-after`);
    io.out(`  for i in $(seq ${DEMO_LIMITED_RPM + 1}); do curl -s -o /dev/null -w '%{http_code}\\n' ${url}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"limited","messages":[{"role":"user","content":"Hi"}]}'; done\n`);
    io.out(`  // DR drill and cross-provider check: save --show-config's YAML as demo.yaml, then\n  switchyard drill -c demo.yaml --group multicloud --scenario region-outage --duration 20s --out drill\n  switchyard consistency -c demo.yaml --group multicloud\n`);
    if (values['show-config']) io.out(`Config:\n${demo.configYaml}`);
    io.out('Press Ctrl+C to stop.');
    await untilSignal();
    await demo.close();
    return 0;
  },
};
