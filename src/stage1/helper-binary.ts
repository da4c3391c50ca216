/** Finds the stage1 helper and hands the process over to it (rkt's exec-into-stage1 model). */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RktError } from '../errors/rkt-error.js';
import { execve, setInheritable } from '../sys/libc.js';

const HELPER_NAME = 'rkt-stage1';

/**
 * The bundled CLI (dist/rkt.mjs) has the helper beside it; the unbundled build (build/src/stage1/)
 * finds it where native/Makefile puts it.
 */
export function findStage1Helper(): string {
  const candidates = [new URL(`./${HELPER_NAME}`, import.meta.url), new URL(`../../../native/out/${HELPER_NAME}`, import.meta.url)];
  for (const candidate of candidates) {
    const file = fileURLToPath(candidate);
    if (fs.existsSync(file)) return file;
  }
  throw new RktError('stage1', 'ERR_STAGE1_HELPER_MISSING', `the stage1 helper ${HELPER_NAME} was not found next to rkt`, {
    hint: 'build it with `make -C native` (npm run build does this)',
  });
}

/** Replaces this process with the helper running the plan; the pod lock fd stays open across. */
export function execStage1(helper: string, planFile: string, lockFd: number): never {
  // Node marks even stdin, stdout and stderr close-on-exec; the pod's apps must inherit them.
  for (const fd of [0, 1, 2, lockFd]) setInheritable(fd);
  return execve(helper, [HELPER_NAME, 'run', planFile], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
}

/** Replaces this process with `rkt-stage1 enter`, reading its plan from the inherited planFd. */
export function execStage1Enter(helper: string, planFd: number): never {
  for (const fd of [0, 1, 2, planFd]) setInheritable(fd);
  return execve(helper, [HELPER_NAME, 'enter', `/proc/self/fd/${planFd}`], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
}
