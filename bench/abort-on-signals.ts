/**
 * Ctrl-C or a kill must not leave pods, runc containers or temp trees behind. Handling the signals
 * keeps Node alive (its default is to die on the spot); the abort stops the running hyperfine and
 * the bench then leaves through its normal clean-up path.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function abortOnSignals(): AbortSignal {
  const controller = new AbortController();
  for (const name of SIGNALS) process.on(name, () => controller.abort(new Error(`interrupted by ${name}`)));
  return controller.signal;
}
