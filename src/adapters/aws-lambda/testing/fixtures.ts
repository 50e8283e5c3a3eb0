import { readFileSync } from 'node:fs';
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

interface Fixtures {
  'http-api-v2': APIGatewayProxyEventV2;
  'function-url': APIGatewayProxyEventV2;
  'rest-api-v1': APIGatewayProxyEvent;
  alb: ALBEvent;
}

/** A fresh copy of an event fixture (shapes as AWS documents them, see __fixtures__/). */
export function fixture<K extends keyof Fixtures>(name: K): Fixtures[K] {
  return JSON.parse(readFileSync(new URL(`../__fixtures__/${name}.json`, import.meta.url), 'utf8')) as Fixtures[K];
}

/** The same event with its body base64-encoded, as the front doors send binary bodies. */
export function base64Body<E extends { body?: string | null; isBase64Encoded: boolean }>(event: E): E {
  return { ...event, body: Buffer.from(event.body ?? '', 'utf8').toString('base64'), isBase64Encoded: true };
}
