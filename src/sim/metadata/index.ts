import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { startSim, type SimRequest, type SimServer } from '../server.js';

/**
 * The three clouds' instance metadata services on loopback, as far as interruption notices go:
 * EC2 IMDSv2 (token, spot/instance-action, rebalance recommendation), Compute Engine
 * (instance/id, instance/preempted, `Metadata-Flavor: Google` required both ways) and Azure IMDS
 * (compute name, Scheduled Events with `Metadata: true` and `api-version`, StartRequests).
 */
export interface MetadataSim extends SimServer {
  /** AWS: schedules a spot interruption (`action` at `time`), as instance-action shows it. */
  awsInterrupt(action: 'terminate' | 'stop' | 'hibernate', time: Date): void;
  /** AWS: posts a rebalance recommendation. */
  awsRebalance(noticeTime: Date): void;
  /** GCP: the VM is being preempted (instance/preempted reads TRUE). */
  gcpPreempt(): void;
  /** Azure: schedules an event for the given VMs (this VM by default); returns its EventId. */
  azureSchedule(type: 'Preempt' | 'Terminate' | 'Reboot' | 'Redeploy' | 'Freeze', notBefore: Date, resources?: string[]): string;
  /** Azure: EventIds acknowledged through StartRequests, in order. */
  readonly azureAcknowledged: readonly string[];
  /** AWS: how many session tokens were issued so far. */
  awsTokensIssued(): number;
}

interface AzureEvent {
  EventId: string;
  EventType: string;
  ResourceType: 'VirtualMachine';
  Resources: string[];
  EventStatus: 'Scheduled' | 'Started';
  NotBefore: string;
  Description: string;
  EventSource: 'Platform';
  DurationInSeconds: number;
}

export interface MetadataSimOptions {
  port?: number;
  /** The Azure VM name (compute/name); Scheduled Events name it in Resources. */
  azureVmName?: string;
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  text(res, status, JSON.stringify(body), { ...headers, 'content-type': 'application/json; charset=utf-8' });
}

/** EC2's timestamps: ISO 8601 in UTC without milliseconds. */
const awsTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** EC2 IMDSv2 (HttpTokens: required): a session token first, then the spot and rebalance notices. */
class AwsImds {
  readonly tokens = new Set<string>();
  instanceAction: { action: string; time: string } | undefined;
  rebalance: { noticeTime: string } | undefined;

  handle({ req, res, url }: SimRequest): boolean {
    const path = url.pathname;
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return text(res, 405, ''), true;
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) return text(res, 400, ''), true;
      const token = randomUUID();
      this.tokens.add(token);
      text(res, 200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
      return true;
    }
    if (!path.startsWith('/latest/meta-data/')) return false;
    // No valid token, 401.
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (typeof token !== 'string' || !this.tokens.has(token)) return text(res, 401, ''), true;
    if (path === '/latest/meta-data/spot/instance-action' && this.instanceAction) return json(res, 200, this.instanceAction), true;
    if (path === '/latest/meta-data/events/recommendations/rebalance' && this.rebalance) return json(res, 200, this.rebalance), true;
    text(res, 404, '<?xml version="1.0" encoding="iso-8859-1"?>\n<html><body><h1>404 - Not Found</h1></body></html>\n', { 'content-type': 'text/html' });
    return true;
  }
}

/** Compute Engine's metadata server: `Metadata-Flavor: Google` required both ways. */
class GcpMetadata {
  preempted = false;

  handle({ req, res, url }: SimRequest): boolean {
    if (!url.pathname.startsWith('/computeMetadata/v1/')) return false;
    const flavor = { 'metadata-flavor': 'Google' };
    if (req.headers['metadata-flavor'] !== 'Google') return text(res, 403, 'Missing Metadata-Flavor:Google header.', flavor), true;
    if (url.pathname === '/computeMetadata/v1/instance/id') return text(res, 200, '4520031799277581759', { ...flavor, 'content-type': 'application/text' }), true;
    if (url.pathname === '/computeMetadata/v1/instance/preempted') return text(res, 200, this.preempted ? 'TRUE' : 'FALSE', { ...flavor, 'content-type': 'application/text' }), true;
    text(res, 404, 'Not Found', flavor);
    return true;
  }
}

/** Azure IMDS: the compute name and Scheduled Events (`Metadata: true` and an api-version required). */
class AzureImds {
  readonly events: AzureEvent[] = [];
  /** Kept as one array: the sim hands out this very array, which later acknowledgements fill. */
  readonly acknowledged: string[] = [];
  private incarnation = 1;

  constructor(readonly vmName: string) {}

  handle({ req, res, url, body }: SimRequest): boolean {
    if (!url.pathname.startsWith('/metadata/')) return false;
    if (req.headers.metadata !== 'true') return json(res, 400, { error: 'Bad request. Required metadata header not specified' }), true;
    if (!url.searchParams.get('api-version')) return json(res, 400, { error: 'Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds', newest_versions: ['2023-07-01'] }), true;
    if (url.pathname === '/metadata/instance/compute/name' && url.searchParams.get('format') === 'text') return text(res, 200, this.vmName), true;
    if (url.pathname !== '/metadata/scheduledevents') return json(res, 404, { error: 'Not found' }), true;
    if (req.method === 'GET') return json(res, 200, { DocumentIncarnation: this.incarnation, Events: this.events }), true;
    if (req.method !== 'POST') return json(res, 405, { error: 'Method not allowed' }), true;
    this.startRequests(res, body);
    return true;
  }

  schedule(type: AzureEvent['EventType'], notBefore: Date, resources: string[]): string {
    const id = randomUUID().toUpperCase();
    this.events.push({ EventId: id, EventType: type, ResourceType: 'VirtualMachine', Resources: resources, EventStatus: 'Scheduled', NotBefore: notBefore.toUTCString(), Description: '', EventSource: 'Platform', DurationInSeconds: -1 });
    this.incarnation += 1;
    return id;
  }

  /** A POST of StartRequests: each named event starts now. */
  private startRequests(res: ServerResponse, body: Buffer): void {
    let starts: unknown;
    try {
      starts = (JSON.parse(body.toString('utf8')) as { StartRequests?: unknown }).StartRequests;
    } catch {
      return json(res, 400, { error: 'Bad request. Invalid JSON' });
    }
    if (!Array.isArray(starts)) return json(res, 400, { error: 'Bad request. StartRequests expected' });
    for (const s of starts as Array<{ EventId?: unknown }>) {
      const e = this.events.find((x) => x.EventId === s.EventId);
      if (!e) continue;
      this.acknowledged.push(e.EventId);
      e.EventStatus = 'Started';
      e.NotBefore = '';
      this.incarnation += 1;
    }
    text(res, 200, '');
  }
}

export async function startMetadataSim(options: MetadataSimOptions = {}): Promise<MetadataSim> {
  const aws = new AwsImds();
  const gcp = new GcpMetadata();
  const azure = new AzureImds(options.azureVmName ?? 'switchyard-vm-0');
  const sim = await startSim({
    name: 'metadata',
    port: options.port,
    handler: async (request) => aws.handle(request) || gcp.handle(request) || azure.handle(request),
  });
  return Object.assign(sim, {
    awsInterrupt(action: 'terminate' | 'stop' | 'hibernate', time: Date) {
      aws.instanceAction = { action, time: awsTime(time) };
    },
    awsRebalance(noticeTime: Date) {
      aws.rebalance = { noticeTime: awsTime(noticeTime) };
    },
    gcpPreempt() {
      gcp.preempted = true;
    },
    azureSchedule(type: AzureEvent['EventType'], notBefore: Date, resources = [azure.vmName]) {
      return azure.schedule(type, notBefore, resources);
    },
    azureAcknowledged: azure.acknowledged,
    awsTokensIssued: () => aws.tokens.size,
  });
}
