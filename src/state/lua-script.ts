import { createHash } from 'node:crypto';

/** A Lua script run with EVALSHA (EVAL once after a Redis restart forgot it). */
export interface Script {
  lua: string;
  sha: string;
}

export const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
