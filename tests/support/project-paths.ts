/** Where the built artefacts are, seen from build/tests/support/ (tsc output) or tests/support/. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // build/tests/support → repo root is three levels up; tests/support → two.
  return here.includes(`${path.sep}build${path.sep}`) ? path.resolve(here, '../../..') : path.resolve(here, '../..');
}

export const REPO_ROOT = findRoot();
export const RKT = path.join(REPO_ROOT, 'dist', 'rkt');
export const PROBE = path.join(REPO_ROOT, 'native', 'out', 'probe');
export const SAMPLE_IMAGE = path.join(REPO_ROOT, 'dist', 'sample-image');
/** The receiving end of --console-socket (native/recvtty). */
export const RECVTTY = path.join(REPO_ROOT, 'native', 'out', 'recvtty');
