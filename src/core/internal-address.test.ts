import { describe, expect, it } from 'vitest';
import { isInternalHost, withoutInternalAddresses } from './internal-address.js';
import { GatewayError } from './errors.js';

describe('withoutInternalAddresses', () => {
  it('takes out URLs of private networks, path and all, and keeps public ones', () => {
    const text = 'Upstream http://10.1.2.3:8080/internal/admin and https://vllm-internal.corp.local:8443/v1/chat/completions rejected it; see https://platform.openai.com/docs/errors';
    expect(withoutInternalAddresses(text)).toBe('Upstream http://[internal address] and https://[internal address] rejected it; see https://platform.openai.com/docs/errors');
  });

  it('takes out private addresses and names standing alone', () => {
    expect(withoutInternalAddresses('connect ECONNREFUSED 192.168.4.20:8000 via ip-10-0-0-1.ec2.internal')).toBe('connect ECONNREFUSED [internal address]:8000 via [internal address]');
    expect(withoutInternalAddresses('model gpt-4.1 at api.openai.com, version 1.2.3.4 from 8.8.8.8')).toBe('model gpt-4.1 at api.openai.com, version 1.2.3.4 from 8.8.8.8');
  });

  it('knows the private ranges and the names only a private network resolves', () => {
    for (const host of ['10.0.0.1', '127.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '[::1]', '[fd12::1]', '[fe80::1]', '[::ffff:10.0.0.1]', 'localhost', 'vllm', 'db.svc', 'x.svc.cluster.local', 'printer.local', 'router.home.arpa', 'metadata.google.internal']) {
      expect(isInternalHost(host), host).toBe(true);
    }
    for (const host of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '[2001:db8::1]', 'api.openai.com', 'bedrock-runtime.us-east-1.amazonaws.com', 'localhost.example.com']) {
      expect(isInternalHost(host), host).toBe(false);
    }
  });

  /** One pass over 32x the text against 32 passes over the small one, each the best of its own rounds (as scrub.test.ts). */
  const bestOf = (text: string, times: number): number => {
    withoutInternalAddresses(text);
    let best = Infinity;
    let spent = 0;
    for (let round = 0; round < 10 && spent < 500; round++) {
      const started = performance.now();
      for (let i = 0; i < times; i++) withoutInternalAddresses(text);
      const ms = performance.now() - started;
      best = Math.min(best, ms);
      spent += ms;
    }
    return best;
  };

  it.each(['a.', 'a-', '1.', '://', '://a', '://[', 'a.b-', 'a'])('runs in time linear in the length of %j (32x the text, under 16x the time of 32 passes)', (unit) => {
    const small = unit.repeat(Math.ceil(3_125 / unit.length));
    const large = unit.repeat(Math.ceil(100_000 / unit.length));
    expect(bestOf(large, 1) / bestOf(small, 32)).toBeLessThan(16);
  });

  it('is what a client reads of an exposed upstream error, while the error keeps the words for the log', () => {
    const error = new GatewayError({ kind: 'invalid_request', message: 'Upstream refused the request.', upstreamText: 'no route to http://vllm:8000/v1' });
    expect(error.clientMessage(true)).toBe('Upstream refused the request. Upstream said: no route to http://[internal address]');
    expect(error.upstreamText).toBe('no route to http://vllm:8000/v1');
  });
});
