#!/usr/bin/env node
/** The `rkt-oci` binary: runc's command line on rkt's stage1 helper (see oci-main.ts). */
import { runOci } from './oci-main.js';

runOci(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`rkt-oci: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
