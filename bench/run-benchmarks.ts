/**
 * `npm run bench [-- start-latency|pull-unpack|layer-extraction|density ...]`: runs the benchmarks (all by default) and
 * writes their sections of BENCHMARKS.md; the file keeps placeholders for the others. Needs root
 * (rkt run, runc, extraction) and a built tree (`npm run build`).
 */
import path from 'node:path';
import { REPO_ROOT } from '../tests/support/project-paths.js';
import { abortOnSignals } from './abort-on-signals.js';
import { writeSection } from './benchmarks-file.js';
import { machineInfo } from './machine-info.js';
import { rktRevision } from './rkt-revision.js';
import { densitySection, measureDensity } from './density.js';
import { layerExtractionSection, measureLayerExtraction } from './layer-extraction.js';
import { measurePullUnpack, pullUnpackSection } from './pull-unpack.js';
import { measureStartLatency } from './start-latency.js';
import { startLatencySection } from './start-latency-report.js';
import { Workspace } from './workspace.js';

const BENCHMARKS_FILE = path.join(REPO_ROOT, 'BENCHMARKS.md');

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the benchmarks need root: rkt run and runc run do');
  const signal = abortOnSignals();
  // Before anything runs: the load the benchmarks themselves cause would say nothing about the machine.
  const machine = machineInfo();
  const workspace = new Workspace();
  const wanted = process.argv.slice(2);
  const runs = (id: string) => wanted.length === 0 || wanted.includes(id);
  try {
    if (runs('layer-extraction')) {
      const extraction = await measureLayerExtraction(workspace, signal, log);
      writeSection(BENCHMARKS_FILE, 'layer-extraction', layerExtractionSection(extraction, { date: new Date(), revision: rktRevision() }));
      log(`wrote the "Layer extraction" section of ${BENCHMARKS_FILE}`);
    }
    if (runs('pull-unpack')) {
      const pull = await measurePullUnpack(workspace, signal, log);
      writeSection(BENCHMARKS_FILE, 'pull-unpack', pullUnpackSection(pull, { date: new Date(), revision: rktRevision() }));
      log(`wrote the "Pull and unpack" section of ${BENCHMARKS_FILE}`);
    }
    if (runs('density')) {
      const density = await measureDensity(workspace, signal, log);
      writeSection(BENCHMARKS_FILE, 'density', densitySection(density, { date: new Date(), revision: rktRevision() }));
      log(`wrote the "Density" section of ${BENCHMARKS_FILE}`);
    }
    if (!runs('start-latency')) return;
    const result = await measureStartLatency(workspace, signal, log);
    const section = startLatencySection(result, {
      machine,
      date: new Date(),
      revision: rktRevision(),
      abbreviations: [
        [process.execPath, 'node'],
        [`${REPO_ROOT}/`, ''],
        [workspace.root, '$BENCH'],
        [result.layout, '$IMAGE'],
      ],
    });
    writeSection(BENCHMARKS_FILE, 'start-latency', section);
    log(`wrote the "Start latency" section of ${BENCHMARKS_FILE}`);
  } finally {
    for (const failure of workspace.dispose()) log(`clean-up failed: ${failure}`);
  }
}

main().catch((error: unknown) => {
  log(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
