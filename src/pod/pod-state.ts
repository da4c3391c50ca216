/**
 * rkt's pod state machine: the state of a pod is the directory it sits in plus whether someone
 * holds an exclusive flock on it (docs/pod-lifecycle.md).
 */
export const POD_DIRS = ['embryo', 'prepare', 'prepared', 'run', 'exited-garbage', 'garbage'] as const;
export type PodDir = (typeof POD_DIRS)[number];

export type PodState =
  | 'embryo'
  | 'preparing'
  | 'aborted prepare'
  | 'prepared'
  | 'running'
  | 'exited'
  | 'exited deleting'
  | 'exited garbage'
  | 'deleting'
  | 'garbage';

export function podStateOf(dir: PodDir, locked: boolean): PodState {
  switch (dir) {
    case 'embryo':
      return 'embryo';
    case 'prepare':
      return locked ? 'preparing' : 'aborted prepare';
    case 'prepared':
      return 'prepared';
    case 'run':
      return locked ? 'running' : 'exited';
    case 'exited-garbage':
      return locked ? 'exited deleting' : 'exited garbage';
    case 'garbage':
      return locked ? 'deleting' : 'garbage';
  }
}

/** States whose pods are finished: their apps have stopped and their statuses can be read. */
export function isExitedState(state: PodState): boolean {
  return state === 'exited' || state === 'exited garbage' || state === 'exited deleting';
}
