/** Which rkt was timed: the commit, and whether the code that runs (not bench/) differs from it. */
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../tests/support/project-paths.js';

function git(...args: string[]): string | undefined {
  const result = spawnSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export function rktRevision(): string {
  const commit = git('rev-parse', '--short', 'HEAD');
  if (commit === undefined) return 'an unknown revision (not a git checkout)';
  // Untracked files are left out: new files matter only through tracked ones that import them.
  const changed = git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'native', 'scripts', 'package.json', 'package-lock.json');
  return changed ? `commit ${commit} with uncommitted changes` : `commit ${commit}`;
}
