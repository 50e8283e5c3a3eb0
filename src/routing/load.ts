/**
 * What one process uses of a deployment's provider quota and provisioned capacity. The workers of
 * `serve --workers` relay theirs to each other through the primary about once a second, so each
 * router decides on its own counts plus the others' last relayed sum, with no IPC per request.
 */
export interface DeploymentLoad {
  /** Requests counted against the quota in its last minute. */
  requests: number;
  /** Tokens counted against the quota in its last minute. */
  tokens: number;
  /** Requests started in the last minute, against provisioned `capacity_rpm`. */
  provisionedRequests: number;
  /** Attempts in flight, against provisioned `max_concurrency`. */
  inFlight: number;
  /** When the oldest requests counted against the quota leave its window (epoch ms); 0 when none are counted. */
  quotaFreesAt: number;
}

/** Deployments' loads by id; a deployment left out uses nothing. */
export type LoadReport = Record<string, DeploymentLoad>;

export function noLoad(): DeploymentLoad {
  return { requests: 0, tokens: 0, provisionedRequests: 0, inFlight: 0, quotaFreesAt: 0 };
}

/** Adds `load` into `into`: counts add up, and the quota frees when the first of them frees. */
export function addLoad(into: DeploymentLoad, load: DeploymentLoad): void {
  into.requests += load.requests;
  into.tokens += load.tokens;
  into.provisionedRequests += load.provisionedRequests;
  into.inFlight += load.inFlight;
  if (load.quotaFreesAt !== 0 && (into.quotaFreesAt === 0 || load.quotaFreesAt < into.quotaFreesAt)) into.quotaFreesAt = load.quotaFreesAt;
}

/** Overwrites `into` with `load` (with nothing when it is undefined), keeping the object. */
export function copyLoad(into: DeploymentLoad, load: DeploymentLoad | undefined): void {
  into.requests = load?.requests ?? 0;
  into.tokens = load?.tokens ?? 0;
  into.provisionedRequests = load?.provisionedRequests ?? 0;
  into.inFlight = load?.inFlight ?? 0;
  into.quotaFreesAt = load?.quotaFreesAt ?? 0;
}
