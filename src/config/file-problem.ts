/**
 * Why a file could not be read (or, `writing`, written), in words: Node's message names the syscall
 * and its code, not the fix. Shared by the config loader and the CLI's file arguments.
 */
export function fileProblem(err: unknown, writing = false): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return writing ? 'its directory does not exist' : 'no such file';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a part of its path is a file, not a directory';
  return err instanceof Error ? err.message : String(err);
}
