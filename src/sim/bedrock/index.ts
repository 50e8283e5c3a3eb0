import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyPreFault, startSim, type SimServer } from '../server.js';
import { cachePointProblem } from './cache-points.js';
import { converse, converseProblem, converseScriptInput, converseStream } from './converse.js';
import { conversationProblem } from './conversation.js';
import { prefillProblem } from '../anthropic/validate.js';
import { countTokensReply } from './count-tokens.js';
import { sendAwsError, sendFaultError } from './errors.js';
import { invoke } from './invoke.js';
import { verifySigV4, type SimCredentials } from './sigv4.js';

export interface BedrockSimOptions {
  name?: string;
  port?: number;
  seed?: number;
  /** The only credentials whose SigV4 signatures are accepted. */
  credentials?: SimCredentials;
  /** A Bedrock API key accepted as `Authorization: Bearer`. */
  apiKey?: string;
  /** When set, signatures must be scoped to this region. */
  region?: string;
  /** When set, other model ids are a ValidationException. */
  models?: string[];
  /**
   * The account's application inference profiles and provisioned or custom models: each ARN and the
   * model it serves, whose rules (Claude's thinking form, sampling, prefill) then apply, as on AWS.
   */
  profiles?: Readonly<Record<string, string>>;
  /** Prompts above this many tokens get "Input is too long for requested model." */
  contextWindow?: number;
  /** Serve h2c next to HTTP/1.1 (the AWS SDK's default handler speaks HTTP/2); on by default. */
  h2c?: boolean;
  now?: () => number;
}

/** Test credentials in AWS's format; never real ones. */
export const SIM_CREDENTIALS: SimCredentials = { accessKeyId: 'AKIDSIMULATOR0000001', secretAccessKey: 'sim/secret/key/for/tests/only/000000000' };

const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|count-tokens)$/;

/**
 * Embedding models (Titan, Cohere embed), which Converse refuses with a 400 ValidationException. Its
 * wording is not in the provider notes or the issue threads searched, so the message is neutral: only
 * the status and the exception's name are Bedrock's.
 */
const EMBEDDING_MODEL = /embed/i;

/**
 * Bedrock Runtime's answer to a path it does not serve (an endpoint with a path of its own): a
 * ValidationException "Operation unknown", as the runtime endpoint answered a control-plane call
 * (aws-samples/aws-genai-llm-chatbot#246). Only its name and words are on record; the status is
 * ValidationException's 400.
 */
function sendUnknownOperation(res: ServerResponse): void {
  sendAwsError(res, 'ValidationException', 'Operation unknown');
}

function rawPath(req: IncomingMessage): string {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

/**
 * AWS Bedrock Runtime: Converse, ConverseStream (binary event stream), InvokeModel for Titan and
 * Cohere embeddings, and CountTokens for Converse input. Every request must be SigV4-signed for the configured credentials (or carry the
 * configured API key); errors come in AWS's shape; fault rules script throttling, outages, in-stream
 * exceptions, cuts, stalls and malformed frames.
 */
export function startBedrockSim(options: BedrockSimOptions = {}): Promise<SimServer> {
  const credentials = options.credentials ?? SIM_CREDENTIALS;
  const now = options.now ?? Date.now;
  const contextWindow = options.contextWindow ?? 200_000;
  const profiles = new Map(Object.entries(options.profiles ?? {}));
  return startSim({
    name: options.name ?? 'bedrock-sim',
    port: options.port,
    seed: options.seed,
    h2c: options.h2c ?? true,
    notFound: ({ res }) => sendUnknownOperation(res),
    async handler({ req, res, url, body }, tools) {
      const route = ROUTE.exec(url.pathname);
      if (req.method !== 'POST' || !route) return false;
      // A Bedrock API key replaces SigV4.
      const bearerOk = options.apiKey !== undefined && req.headers.authorization === `Bearer ${options.apiKey}`;
      if (!bearerOk) {
        const failure = await verifySigV4(
          { method: req.method, rawPath: rawPath(req), query: url.searchParams, headers: req.headers, body },
          { credentials, region: options.region, now: now() },
        );
        if (failure) {
          tools.count('403 signature');
          sendAwsError(res, failure.name, failure.message, 403);
          return true;
        }
      }
      const model = decodeURIComponent(route[1] as string);
      const operation = route[2] as string;
      tools.count(`POST /model/{id}/${operation}`);
      // Counting is free and no inference: fault rules script the model's calls, not it.
      if (operation === 'count-tokens') {
        countTokensReply(res, model, body);
        return true;
      }
      const fault = tools.faults.next(model);
      if (!(await applyPreFault(fault, res))) return true;
      if (fault.status) {
        sendFaultError(res, fault);
        return true;
      }
      if (options.models && !options.models.includes(model)) {
        sendAwsError(res, 'ValidationException', 'The provided model identifier is invalid.');
        return true;
      }
      // An ARN that hides its model is served, and refuses, as the model behind it.
      const served = profiles.get(model) ?? model;
      if (operation !== 'invoke' && EMBEDDING_MODEL.test(served)) {
        sendAwsError(res, 'ValidationException', `Converse does not serve the embedding model ${served}: call InvokeModel for its embeddings.`);
        return true;
      }
      let json: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        json = parsed as Record<string, unknown>;
      } catch {
        sendAwsError(res, 'ValidationException', 'Malformed input request, please reformat your input and try again.');
        return true;
      }
      if (operation === 'invoke') {
        invoke(res, served, json);
        return true;
      }
      const input = converseScriptInput(served, json);
      // Claude 4.6 and later refuse a prefill on Bedrock as on Anthropic's API, in the same words.
      const problem = conversationProblem(json.messages, served) ?? prefillProblem(json, served) ?? converseProblem(served, json) ?? cachePointProblem(json);
      if (problem !== undefined) {
        sendAwsError(res, 'ValidationException', problem);
        return true;
      }
      if (input.promptText.length / 4 > contextWindow) {
        sendAwsError(res, 'ValidationException', 'Input is too long for requested model.');
        return true;
      }
      const startedAt = now();
      if (operation === 'converse') converse(res, input, fault, startedAt);
      else await converseStream(res, input, fault, startedAt);
      return true;
    },
  });
}
