import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SECCOMP_ACTIONS, seccompAction } from './oci-seccomp.js';

describe('SECCOMP_ACTIONS (what rkt-oci features lists)', () => {
  it('names only actions the translation takes', () => {
    for (const action of SECCOMP_ACTIONS) assert.equal(typeof seccompAction(action, undefined, 'linux.seccomp.defaultAction'), 'number', action);
  });

  it('leaves out the ones it refuses', () => {
    assert.ok(!(SECCOMP_ACTIONS as readonly string[]).includes('SCMP_ACT_NOTIFY'));
    assert.throws(() => seccompAction('SCMP_ACT_NOTIFY', undefined, 'linux.seccomp.defaultAction'), /SCMP_ACT_NOTIFY/);
  });
});
