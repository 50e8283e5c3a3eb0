import { execFileSync } from 'node:child_process';

/** Whether `kubectl` is installed here: the specs that compare render.ts with `kubectl kustomize` run only then. */
export const kubectlInstalled: boolean = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** What `kubectl kustomize` renders of the kustomization in `dir`, as YAML. */
export function kubectlKustomize(dir: string): string {
  return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 30_000 });
}
