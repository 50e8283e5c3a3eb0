import type { KeyObject } from 'node:crypto';
import { readJsonBody } from './body.js';
import { startSim, type SimServer } from '../server.js';
import type { GeminiRequest } from '../../providers/dialects/gemini/wire.js';
import { checkBearer, toPublicKey } from './auth.js';
import { sendGoogleError, sendGoogleNotFound } from './errors.js';
import { countTokensReply, EMBEDDING_MODEL, GEMINI_CONTEXT_TOKENS, generate, predictEmbeddings, tokenLimitProblem } from './gemini.js';
import { claudeCountTokens, claudePredict } from './claude.js';

export interface VertexSimOptions {
  name?: string;
  port?: number;
  seed?: number;
  /**
   * The service account's public key (PEM or key object). When set, every call must carry a bearer
   * JWT signed with the matching private key (a self-signed service-account JWT), checked like Google does.
   */
  publicKey?: string | KeyObject;
  /** When set, calls for other projects are refused with PERMISSION_DENIED. */
  project?: string;
  /** Seconds clock for token expiry checks. */
  nowS?: () => number;
  /**
   * Gemini prompts above this many tokens get Vertex's "the input token count is N but model only supports
   * up to M" (default `GEMINI_CONTEXT_TOKENS`).
   */
  contextWindow?: number;
}

/** A publisher model's method, on the v1 API or the v1beta1 one @google/genai calls by default. */
const MODEL_PATH = /^\/v1(?:beta1)?\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):([A-Za-z]+)$/;

/** Vertex AI: Gemini generateContent / SSE, countTokens, text-embedding :predict, and Claude rawPredict. */
export function startVertexSim(options: VertexSimOptions = {}): Promise<SimServer> {
  const publicKey = options.publicKey === undefined ? undefined : toPublicKey(options.publicKey);
  const nowS = options.nowS ?? (() => Math.floor(Date.now() / 1000));
  const contextWindow = options.contextWindow ?? GEMINI_CONTEXT_TOKENS;
  return startSim({
    name: options.name ?? 'vertex-sim',
    port: options.port,
    seed: options.seed,
    notFound: ({ res, url }) => sendGoogleNotFound(res, url.pathname),
    async handler({ req, res, url, body }, tools) {
      const match = req.method === 'POST' ? MODEL_PATH.exec(url.pathname) : null;
      if (!match) return false;
      const [, project, location, publisher, rawModel, method] = match as unknown as [string, string, string, string, string, string];
      const model = decodeURIComponent(rawModel);
      if (publicKey) {
        const refused = checkBearer(req.headers.authorization, publicKey, nowS());
        if (refused) {
          sendGoogleError(res, 401, 'UNAUTHENTICATED');
          return true;
        }
      }
      if (options.project !== undefined && decodeURIComponent(project) !== options.project) {
        sendGoogleError(res, 403, 'PERMISSION_DENIED');
        return true;
      }
      const json = readJsonBody(body);
      if (json === undefined) {
        sendGoogleError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
        return true;
      }
      tools.count(`POST ${publisher}:${method}`);
      if (publisher === 'anthropic') {
        if (model === 'count-tokens' && method === 'rawPredict') claudeCountTokens(res, json);
        else if (method === 'rawPredict' || method === 'streamRawPredict') await claudePredict(res, json, model, method === 'streamRawPredict', tools.faults.next(model));
        else return false;
        return true;
      }
      const stream = method === 'streamGenerateContent';
      if (stream && url.searchParams.get('alt') !== 'sse') {
        sendGoogleError(res, 400, 'INVALID_ARGUMENT', 'This simulator streams only with alt=sse.');
        return true;
      }
      if (stream || method === 'generateContent') {
        // An embedding model generates nothing. Vertex's words for it on :embedContent
        // (quarkiverse/quarkus-langchain4j#2376), with this method's name: its own are not published.
        if (EMBEDDING_MODEL.test(model)) {
          sendGoogleError(res, 400, 'INVALID_ARGUMENT', `Publisher Model \`projects/${project}/locations/${location}/publishers/google/models/${model}\` is not supported in the ${method} API.`);
          return true;
        }
        const request = json as unknown as GeminiRequest;
        const tooLong = tokenLimitProblem(request, model, contextWindow);
        if (tooLong !== undefined) sendGoogleError(res, 400, 'INVALID_ARGUMENT', tooLong);
        else await generate(res, request, model, stream, tools.faults.next(model));
        return true;
      }
      switch (method) {
        case 'countTokens':
          countTokensReply(res, json as unknown as GeminiRequest, model);
          return true;
        case 'predict':
          await predictEmbeddings(res, json, model, tools.faults.next(model));
          return true;
        default:
          return false;
      }
    },
  });
}
