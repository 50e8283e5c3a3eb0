import * as z from '../config/zod.js';
import { SlidingWindow } from './window.js';
import { noLoad, type DeploymentLoad } from './load.js';

/**
 * The provider's own quota of a deployment (Azure TPM/RPM per deployment, Bedrock on-demand quotas per
 * model and region, Vertex QPM as `rpm`). The router prefers other deployments once this one has used
 * `prefer_below` of it in the last minute, and takes it out of rotation at the quota until its window
 * frees, so load spreads before the upstream answers 429.
 */
export const quotaSchema = z
  .strictObject({
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    /** Share of the quota past which the deployment is tried after the others. */
    prefer_below: z.number().gt(0).max(1).default(0.8),
  })
  .refine((q) => q.rpm !== undefined || q.tpm !== undefined, { message: 'a quota needs rpm, tpm or both' });

export type QuotaConfig = z.infer<typeof quotaSchema>;

const BUCKET_MS = 5_000;
// One bucket more than a minute: a request stays counted at least a full minute, as the upstream counts it.
const BUCKETS = 13;
const REQUESTS = 0;
const TOKENS = 1;

/** What status shows of a deployment's quota: its use in the last minute and the share left. */
export interface QuotaStatus {
  rpm: number | undefined;
  tpm: number | undefined;
  /** This process's own requests (not the other workers'). */
  lastMinuteRequests: number;
  /** This process's own tokens (not the other workers'). */
  lastMinuteTokens: number;
  /** The smaller share of the quota left (requests or tokens), 0..1, counting the other workers' use. */
  headroom: number;
}

/**
 * Requests and tokens a deployment took in the last minute (a sliding window of 5 s buckets, no
 * allocation per request, 60 to 65 s long), against its quota. Tokens are counted when an attempt starts (prompt
 * estimate plus max_tokens) and corrected to the real usage when it is reported. Under `serve --workers`
 * the other workers' use, relayed about once a second into `others` (read, never copied), counts too.
 */
export class QuotaMeter {
  private readonly window = new SlidingWindow(BUCKET_MS * BUCKETS, 2, BUCKETS);

  constructor(
    readonly config: QuotaConfig,
    /** The other workers' last relayed use (zero in a single process), updated in place. */
    private readonly others: Readonly<DeploymentLoad> = noLoad(),
  ) {}

  add(now: number, tokens: number): void {
    this.window.add(now, REQUESTS, 1);
    if (tokens !== 0) this.window.add(now, TOKENS, tokens);
  }

  /**
   * Takes back what `add(startedAt, tokens)` counted for an attempt whose request never reached the
   * upstream (unsent): from the bucket it went to, so the window does not dip when that bucket leaves.
   */
  release(startedAt: number, now: number, tokens: number): void {
    this.window.addAt(startedAt, now, REQUESTS, -1);
    if (tokens !== 0) this.window.addAt(startedAt, now, TOKENS, -tokens);
  }

  /** Corrects the tokens counted for an attempt once its real usage is known. */
  correct(now: number, delta: number): void {
    if (delta !== 0) this.window.add(now, TOKENS, delta);
  }

  /** Share of the quota used (the larger of requests and tokens), after a request of `tokens` more. */
  used(now: number, tokens = 0, requests = 0): number {
    const { rpm, tpm } = this.config;
    const r = rpm === undefined ? 0 : (this.window.sum(now, REQUESTS) + this.others.requests + requests) / rpm;
    const t = tpm === undefined ? 0 : (this.window.sum(now, TOKENS) + this.others.tokens + tokens) / tpm;
    return r > t ? r : t;
  }

  /** True when a request of `tokens` would go past the quota (one request over an idle minute always fits). */
  full(now: number, tokens: number): boolean {
    if (this.window.sum(now, REQUESTS) + this.others.requests === 0) return false;
    return this.used(now, tokens, 1) > 1;
  }

  /** True once the quota is used up: no request fits until the window frees. */
  exhausted(now: number): boolean {
    return this.used(now) >= 1;
  }

  near(now: number): boolean {
    return this.used(now) >= this.config.prefer_below;
  }

  /** When the oldest counted requests, here or in another worker, leave the window (now when none are counted). */
  freesAt(now: number): number {
    const own = this.window.nextDrop(now);
    // A time already past is a stale relay: those requests have left, whatever the last report says.
    const others = this.others.quotaFreesAt > now ? this.others.quotaFreesAt : undefined;
    if (own === undefined) return others ?? now;
    return others !== undefined && others < own ? others : own;
  }

  /** This process's own requests, tokens and oldest bucket's leaving, written into `into` (what a worker relays). */
  own(now: number, into: DeploymentLoad): void {
    into.requests = this.window.sum(now, REQUESTS);
    into.tokens = Math.max(0, this.window.sum(now, TOKENS));
    into.quotaFreesAt = this.window.nextDrop(now) ?? 0;
  }

  /** The smaller share of the quota left (requests or tokens), 0..1. */
  headroom(now: number): number {
    return Math.max(0, 1 - this.used(now));
  }

  status(now: number): QuotaStatus {
    return {
      rpm: this.config.rpm,
      tpm: this.config.tpm,
      lastMinuteRequests: this.window.sum(now, REQUESTS),
      lastMinuteTokens: Math.max(0, this.window.sum(now, TOKENS)),
      headroom: this.headroom(now),
    };
  }
}
