/** An enter plan handed to the helper as an open fd whose file is already gone (no plan is left behind). */
import fs from 'node:fs';
import path from 'node:path';
import { serializeEnterPlan, type EnterPlan } from '../stage1/stage1-plan.js';

/** Written in `dir` (the container's state directory), opened and unlinked; the caller closes the fd. */
export function openEnterPlan(dir: string, plan: EnterPlan): number {
  const file = path.join(dir, `enter-${process.pid}-${Date.now()}.plan`);
  const fd = fs.openSync(file, 'wx+', 0o600);
  try {
    fs.writeFileSync(fd, serializeEnterPlan(plan));
  } finally {
    fs.unlinkSync(file);
  }
  return fd;
}
