// Registers a module-resolution hook that appends every resolved URL to $SWITCHYARD_LOAD_LOG: the
// cold-start test reads which modules an import really pulled in.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.SWITCHYARD_LOAD_LOG) appendFileSync(process.env.SWITCHYARD_LOAD_LOG, result.url + '\\n');
  return result;
}`));
