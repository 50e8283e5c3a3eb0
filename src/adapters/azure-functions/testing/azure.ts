import { HttpRequest, HttpResponse, InvocationContext, type HttpRequestInit, type HttpResponseInit, type LogLevel } from '@azure/functions';
import type { ReadableStream as WebStream } from 'node:stream/web';

/** A request as the Functions host hands it over in streaming mode: the body is a live stream (null without one); header lines may repeat. */
export function streamingRequest(url: string, method: string, headers: Record<string, string> | Array<[string, string]>, body: WebStream<Uint8Array> | null): HttpRequest {
  // The library's own streaming path builds requests this way (createStreamRequest); `nativeRequest` is its internal field.
  const init: HttpRequestInit & { nativeRequest: Request } = { nativeRequest: new Request(url, { method, headers, body: body as ReadableStream<Uint8Array> | null, duplex: 'half' } as RequestInit) };
  return new HttpRequest(init);
}

/** An invocation context whose log lines are kept. */
export function recordingContext(): { context: InvocationContext; logs: Array<{ level: LogLevel; text: string }> } {
  const logs: Array<{ level: LogLevel; text: string }> = [];
  const context = new InvocationContext({ functionName: 'switchyard', logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(' ') }) });
  return { context, logs };
}

/** What the library's HTTP proxy does with a handler's answer before pumping it to the client. */
export function asPlatformResponse(init: HttpResponseInit): HttpResponse {
  return new HttpResponse(init);
}

/** A request body that sends `chunks`, then stays open until `end()` (a slow client). */
export function slowBody(chunks: string[]): { body: WebStream<Uint8Array>; end: () => void } {
  let close = (): void => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      close = () => controller.close();
    },
  });
  return { body: body as unknown as WebStream<Uint8Array>, end: () => close() };
}
