import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import { Secret } from '../config/secret.js';
import { OtlpHttpExporter, retryAfter, type OtlpProtocol } from './otlp-exporter.js';
import { partialSuccess } from './otlp-response.js';
import { SpanKind, type SpanData } from './otlp.js';
import { protobufAnswer, spansOf, startCollector, type Answer } from './testing/collector.js';
import { Tracer } from './tracing.js';

function recordingLogger(): Logger & { warnings: Array<{ obj: Record<string, unknown>; msg: string }> } {
  const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (obj: object, msg: string) => void warnings.push({ obj: { ...obj }, msg }), child: () => logger, warnings };
  return logger;
}

const span: SpanData = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  parentSpanId: undefined,
  name: 'POST /v1/chat/completions',
  kind: SpanKind.SERVER,
  startMs: 1_733_350_000_000,
  endMs: 1_733_350_000_004,
  attributes: { 'http.response.status_code': 200 },
  status: { code: 0 },
};

let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

function exporterTo(endpoint: string, protocol: OtlpProtocol, logger: Logger, timeoutMs = 5_000): OtlpHttpExporter {
  return new OtlpHttpExporter({ endpoint, protocol, headers: { authorization: new Secret('Bearer t') }, timeoutMs, resource: { 'service.name': 's' }, scope: { name: 's' }, logger, retryBackoffMs: 20 });
}

const threeSpans = [span, { ...span, spanId: '00f067aa0ba902b8' }, { ...span, spanId: '00f067aa0ba902b9' }];

/** Exports one batch of three spans to a collector answering `answer`; what the exporter warned. */
async function exportTo(protocol: OtlpProtocol, answer?: Answer): Promise<ReturnType<typeof recordingLogger>['warnings']> {
  collector = await startCollector({ answer });
  const logger = recordingLogger();
  const exporter = exporterTo(collector.url, protocol, logger);
  await exporter.export(threeSpans.map((s) => exporter.encode(s)));
  expect(spansOf(collector.received).length % 3).toBe(0);
  return logger.warnings;
}

describe('OtlpHttpExporter retries', () => {
  it("sends a batch again after a 503 or 429, waiting the collector's Retry-After, and says nothing once it is taken", async () => {
    const statuses = [503, 429, 200];
    const warnings = await exportTo('http/protobuf', () => ({ status: statuses.shift(), headers: { 'retry-after': '0' }, type: 'application/json', body: '{}' }));
    expect(warnings).toEqual([]);
    expect(collector?.received).toHaveLength(3);
  });

  it('gives up after three tries, with one warning naming the status and the tries', async () => {
    const warnings = await exportTo('http/protobuf', () => ({ status: 502, type: 'text/plain', body: 'bad gateway' }));
    expect(collector?.received).toHaveLength(3);
    expect(warnings).toEqual([{ obj: { status: 502, spans: 3, attempts: 3 }, msg: 'trace export refused by the collector' }]);
  });

  it('does not send again what the collector refused for good (400)', async () => {
    const warnings = await exportTo('http/json', () => ({ status: 400, type: 'application/json', body: '{}' }));
    expect(collector?.received).toHaveLength(1);
    expect(warnings).toEqual([{ obj: { status: 400, spans: 3 }, msg: 'trace export refused by the collector' }]);
  });

  it('retries a collector it cannot reach, and gives up with one warning', async () => {
    const down = await startCollector();
    const url = down.url;
    await down.close();
    const logger = recordingLogger();
    const exporter = exporterTo(url, 'http/protobuf', logger);
    await exporter.export(threeSpans.map((s) => exporter.encode(s)));
    expect(logger.warnings).toEqual([{ obj: { err: expect.stringContaining('ECONNREFUSED'), spans: 3, attempts: 3 }, msg: 'trace export failed' }]);
  });

  it('does not wait past the export timeout: a Retry-After longer than what is left ends the export', async () => {
    collector = await startCollector({ answer: () => ({ status: 503, headers: { 'retry-after': '120' }, type: 'text/plain', body: '' }) });
    const logger = recordingLogger();
    const exporter = exporterTo(collector.url, 'http/protobuf', logger, 2_000);
    await exporter.export(threeSpans.map((s) => exporter.encode(s)));
    expect(collector.received).toHaveLength(1);
    expect(logger.warnings.map((w) => w.obj)).toEqual([{ status: 503, spans: 3, attempts: 1 }]);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfter('3')).toBe(3_000);
    expect(retryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55_000);
    expect(retryAfter(new Date(Date.now() - 60_000).toUTCString())).toBe(0);
    for (const bad of [undefined, 'soon', ['1', '2'], '-1']) expect(retryAfter(bad)).toBeUndefined();
  });
});

describe("OtlpHttpExporter and the collector's answer", () => {
  it('warns of the spans a collector refused in a protobuf partial success, its words scrubbed, and does not send them again', async () => {
    const warnings = await exportTo('http/protobuf', (protobuf) => {
      expect(protobuf).toBe(true);
      return { type: 'application/x-protobuf', body: protobufAnswer({ rejectedSpans: 2, errorMessage: 'attribute too long; api_key=sk-live-SECRET123456' }) };
    });
    expect(warnings).toEqual([{ obj: { rejected: 2, spans: 3, reason: 'attribute too long; api_key=[redacted]' }, msg: 'trace export partly refused by the collector' }]);
    expect(collector?.received).toHaveLength(1);
  });

  it('reads a JSON partial success too, its count a decimal string as the mapping writes int64', async () => {
    const warnings = await exportTo('http/json', () => ({ type: 'application/json', body: '{"partialSuccess":{"rejectedSpans":"1","errorMessage":"dropped"}}' }));
    expect(warnings.map((w) => w.obj)).toEqual([{ rejected: 1, spans: 3, reason: 'dropped' }]);
  });

  it('says nothing of an answer with no partial success: empty, {}, or zero rejected and no message', async () => {
    expect(await exportTo('http/protobuf', () => ({ type: 'application/x-protobuf', body: new Uint8Array() }))).toEqual([]);
    expect(await exportTo('http/protobuf', () => ({ type: 'application/x-protobuf', body: protobufAnswer({ rejectedSpans: 0, errorMessage: '' }) }))).toEqual([]);
    expect(await exportTo('http/json', () => ({ type: 'application/json', body: '{}' }))).toEqual([]);
  });
});

/** A collector that sends 200 and the start of its body, then stalls (`stall`) or closes the connection (`reset`). */
async function cutOffCollector(mode: 'stall' | 'reset'): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '100' });
      res.write(Uint8Array.of(0x0a, 0x05));
      if (mode === 'reset') setTimeout(() => req.socket.destroy(), 20);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a collector that answers 200 and then cannot finish its body', () => {
  it.each(['stall', 'reset'] as const)('resolves when the body %ss: a 2xx took the batch, so it is neither sent again nor a rejection', async (mode) => {
    const cut = await cutOffCollector(mode);
    const logger = recordingLogger();
    const exporter = exporterTo(cut.url, 'http/protobuf', logger, 300);
    try {
      await expect(exporter.export([exporter.encode(span)])).resolves.toBeUndefined();
      expect(cut.requests()).toBe(1);
      expect(logger.warnings).toEqual([]);
    } finally {
      await cut.close();
    }
  });

  it.each(['stall', 'reset'] as const)('keeps a tracer exporting to it on its timer alive when the body %ss: no unhandled rejection, no span dropped', async (mode) => {
    const cut = await cutOffCollector(mode);
    const exporter = exporterTo(cut.url, 'http/protobuf', recordingLogger(), 300);
    const tracer = new Tracer({ deployments: [], exporter, sampleRatio: 1, flushIntervalMs: 20 });
    try {
      tracer.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: {}, requestId: 'req-cut' });
      tracer.endServerSpan('req-cut', 200, undefined, undefined);
      // The timer's flushes (every 20 ms) meet the export while it waits on the body.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await tracer.close();
      expect(cut.requests()).toBe(1);
      expect(tracer.dropped).toBe(0);
    } finally {
      await cut.close();
    }
  });
});

describe('partialSuccess', () => {
  it('reads nothing from a body it cannot parse, and never throws', () => {
    const garbage = [Uint8Array.of(0x0a, 0x05, 0x08), Uint8Array.of(0xff, 0xff, 0xff), Uint8Array.of(0x0b), Uint8Array.of(0x0a, 0x80)];
    for (const body of garbage) expect(partialSuccess(body, true)).toBeUndefined();
    for (const text of ['not json', '[]', 'null', '{"partialSuccess":5}', '{"partialSuccess":{"rejectedSpans":"-3"}}']) expect(partialSuccess(Buffer.from(text), false)).toBeUndefined();
  });

  it("skips fields it does not know, as protobuf's readers must", () => {
    // An unknown varint (field 9), a fixed64 (field 10) and a length-delimited field (11) before the partial success.
    const known = protobufAnswer({ rejectedSpans: 4, errorMessage: 'x' });
    const body = Buffer.concat([Uint8Array.of(0x48, 0x96, 0x01, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 0x5a, 0x02, 0x61, 0x62), known]);
    expect(partialSuccess(body, true)).toEqual({ rejectedSpans: 4, errorMessage: 'x' });
  });
});
