import { GatewayError } from '../../core/errors.js';

/**
 * Refuses, before anything is sent, more stop sequences than an upstream takes (OpenAI and Azure 4,
 * Gemini 5, Bedrock Converse 4; Anthropic sets no limit, so the Messages door takes any number). Not
 * cut to the first few: a client that stops on a sequence parses the answer by it, and an answer
 * running past a dropped one is wrong in a way no Warning repairs. As a fallbackable, unsent
 * invalid_request, a group tries its next deployment (one whose upstream takes them all serves the
 * request); when none can, the client gets the 400 the upstream would have given, naming `stop`,
 * without a wasted upstream call or a charge.
 */
export function checkStopCount(stops: readonly string[] | undefined, limit: number, upstream: string): void {
  if (stops === undefined || stops.length <= limit) return;
  throw new GatewayError({
    kind: 'invalid_request',
    message: `${upstream} takes at most ${limit} stop sequences; the request has ${stops.length}.`,
    param: 'stop',
    code: 'invalid_request',
    fallbackable: true,
    unsent: true,
  });
}
