import { isBodyStream, type HttpResponse } from '../exchange.js';

/** An answer's whole body as text, read to its end when it is a stream: what a client would receive. */
export async function answerText(answer: HttpResponse): Promise<string> {
  if (!isBodyStream(answer.body)) return typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body).toString('utf8');
  let out = '';
  for await (const chunk of answer.body) out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return out;
}
