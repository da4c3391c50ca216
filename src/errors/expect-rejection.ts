/** Test support (not used by rkt itself): the error a promise rejects with, or a failed assertion. */
import assert from 'node:assert/strict';

export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  assert.fail('expected a rejection');
}
