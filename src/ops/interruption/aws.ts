import { expectStatus, metadataUrl, type InterruptionNotice, type MetadataProbe } from './notice.js';

/** IMDSv2 session tokens live up to 6 hours; one is reused until it is refused. */
const TOKEN_TTL_S = 21_600;

/**
 * EC2 instance metadata (IMDSv2: a PUT for a session token first, then GETs carrying it):
 * `spot/instance-action` (`{ action, time }`, two minutes ahead) and the earlier rebalance
 * recommendation `events/recommendations/rebalance` (`{ noticeTime }`, no deadline: an advisory,
 * logged, never drained on). 404 means none.
 */
export class AwsProbe implements MetadataProbe {
  readonly cloud = 'aws' as const;
  private token: string | undefined;

  constructor(private readonly base: string) {}

  async detect(signal: AbortSignal): Promise<boolean> {
    return (await this.session(signal).catch(() => undefined)) !== undefined;
  }

  async check(signal: AbortSignal): Promise<InterruptionNotice | undefined> {
    const action = await this.get('/latest/meta-data/spot/instance-action', signal);
    if (action !== undefined) {
      const body = JSON.parse(action) as { action?: unknown; time?: unknown };
      const deadline = typeof body.time === 'string' ? Date.parse(body.time) : Number.NaN;
      return { cloud: 'aws', kind: typeof body.action === 'string' ? body.action : 'terminate', deadline: Number.isNaN(deadline) ? undefined : deadline };
    }
    const rebalance = await this.get('/latest/meta-data/events/recommendations/rebalance', signal);
    return rebalance === undefined ? undefined : { cloud: 'aws', kind: 'rebalance', deadline: undefined, advisory: true };
  }

  async acknowledge(): Promise<void> {}

  /** GETs a metadata path; undefined on 404. A refused token (401) is renewed once. */
  private async get(path: string, signal: AbortSignal, retried = false): Promise<string | undefined> {
    const token = this.token ?? (await this.session(signal));
    const res = await fetch(metadataUrl(this.base, path), { headers: { 'x-aws-ec2-metadata-token': token }, signal });
    if (res.status === 401 && !retried) {
      await res.body?.cancel();
      this.token = undefined;
      return this.get(path, signal, true);
    }
    const text = await expectStatus(res, [200, 404], `EC2 metadata ${path}`);
    return res.status === 404 ? undefined : text;
  }

  private async session(signal: AbortSignal): Promise<string> {
    const res = await fetch(metadataUrl(this.base, '/latest/api/token'), { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_S) }, signal });
    this.token = await expectStatus(res, [200], 'EC2 metadata token');
    return this.token;
  }
}
