/**
 * The one error type of rkt. Every failure that reaches the user is an RktError with a stable
 * code (listed in docs/errors.md), a message that names the thing at fault, and, where it helps,
 * a hint. Only the CLI turns these into exit statuses and printed text.
 */
export type ErrorCategory =
  | 'usage' // bad flags or arguments
  | 'image' // image references, layouts, manifests
  | 'store' // the on-disk store
  | 'trust' // signatures and verification policy
  | 'pod' // pod lookup, state and lifecycle
  | 'stage1' // the helper that isolates and supervises the pod
  | 'system' // the host refused something (permissions, missing kernel features)
  | 'config'; // configuration files

export interface RktErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class RktError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly hint: string | undefined;

  constructor(category: ErrorCategory, code: string, message: string, options: RktErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RktError';
    this.code = code;
    this.category = category;
    this.hint = options.hint;
  }
}

export function isRktError(value: unknown): value is RktError {
  return value instanceof RktError;
}

/** Node's errno errors carry a `code` such as ENOENT; this narrows to them. */
export function isErrnoException(value: unknown, code?: string): value is NodeJS.ErrnoException {
  if (!(value instanceof Error) || typeof (value as NodeJS.ErrnoException).code !== 'string') return false;
  return code === undefined || (value as NodeJS.ErrnoException).code === code;
}
