/** The exact error bodies of the front doors, for the fuzz specs: what is wrong with one, or undefined. */

/** What is wrong with an error body of the OpenAI doors, or undefined. */
export function openAIShapeProblem(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || Object.keys(json).join() !== 'error') return 'not {error}';
  const e = (json as { error: Record<string, unknown> }).error;
  const ok = typeof e === 'object' && e !== null && typeof e.message === 'string' && typeof e.type === 'string' && (e.code === null || typeof e.code === 'string') && (e.param === null || typeof e.param === 'string');
  return ok && Object.keys(e).sort().join() === 'code,message,param,type' ? undefined : 'error not {message,type,param,code}';
}

/** What is wrong with an error body of the Messages door, or undefined. */
export function anthropicShapeProblem(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return 'not an object';
  const o = json as Record<string, unknown>;
  const keys = Object.keys(o).sort().join();
  if (o.type !== 'error' || (keys !== 'error,type' && keys !== 'error,request_id,type')) return 'not {type,error,request_id}';
  if (o.request_id !== undefined && typeof o.request_id !== 'string') return 'request_id not a string';
  const e = o.error as Record<string, unknown> | null;
  const ok = typeof e === 'object' && e !== null && typeof e.type === 'string' && typeof e.message === 'string' && Object.keys(e).sort().join() === 'message,type';
  return ok ? undefined : 'error not {type,message}';
}
