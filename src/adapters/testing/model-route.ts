import { createGateway, type Gateway } from '../../gateway/gateway.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';

/** The model id the path-parameter specs send, and what a `..` in one looks like once encoded by the SDK. */
export const SLASHED_MODEL = 'meta-llama/Llama-3.1-8B';
export const DOT_DOT_MODEL = 'meta-llama/../../switchyard/status';
/** Ids holding a literal `%`, which a decoded path must not decode again. */
export const PERCENT_MODELS = ['org/x%41', 'org/50%off'] as const;

/**
 * A gateway whose groups are named `SLASHED_MODEL` and `PERCENT_MODELS`, for the runtimes' path-parameter specs
 * (`server.base_path` when given): the OpenAI door's `GET /v1/models/{model+}` (the openai SDK's
 * `models.retrieve('meta-llama/Llama-3.1-8B')` sends `/v1/models/meta-llama%2FLlama-3.1-8B`) answers
 * its model object only when the whole name reached the route.
 */
export function modelRouteGateway(basePath?: string): Gateway {
  const server = basePath === undefined ? {} : { server: { base_path: basePath } };
  return createGateway({ ...server, deployments: [rawDeployment('d')], groups: [SLASHED_MODEL, ...PERCENT_MODELS].map((name) => ({ name, deployments: ['d'] })) }, { createProvider: () => new FakeProvider('d') });
}
