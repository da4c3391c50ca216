/** The error every refused or invalid config.json field gives: it names the field. */
import { RktError } from '../errors/rkt-error.js';

export function unsupported(field: string, problem = 'is not supported yet'): RktError {
  return new RktError('usage', 'ERR_OCI_CONFIG_UNSUPPORTED', `config.json field ${field} ${problem}`, { hint: 'see docs/oci-runtime.md for what rkt-oci supports' });
}
