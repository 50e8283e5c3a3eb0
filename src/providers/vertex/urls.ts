/** Where a Vertex deployment's model lives. */
export interface VertexTarget {
  project: string;
  location: string;
  publisher: 'google' | 'anthropic';
  model: string;
  /** Overrides the Google host (private service connect, a proxy, the simulator). */
  endpoint?: string;
}

/** The API host: regional, the bare host for the `global` location, the `rep` host for the `us` and `eu` multi-regions. */
export function vertexBase(target: Pick<VertexTarget, 'location' | 'endpoint'>): string {
  if (target.endpoint !== undefined) return target.endpoint.replace(/\/+$/, '');
  const { location } = target;
  if (location === 'global') return 'https://aiplatform.googleapis.com';
  if (location === 'us' || location === 'eu') return `https://aiplatform.${location}.rep.googleapis.com`;
  return `https://${location}-aiplatform.googleapis.com`;
}

/** Full URL of a model method, e.g. `generateContent` or `streamGenerateContent?alt=sse`. */
export function vertexModelUrl(target: VertexTarget, method: string): URL {
  const model = encodeURIComponent(target.model).replace(/%40/g, '@');
  const path = `/v1/projects/${encodeURIComponent(target.project)}/locations/${encodeURIComponent(target.location)}/publishers/${target.publisher}/models/${model}:${method}`;
  return new URL(vertexBase(target) + path);
}
