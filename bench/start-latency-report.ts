/**
 * The "Start latency" section of BENCHMARKS.md: the numbers, the project's targets and how far rkt
 * is from them, where rkt's time goes, and enough method and machine detail to repeat the run.
 */
import type { MachineInfo } from './machine-info.js';
import { PLAN, timingOf, type StartLatencyResult, type Timing } from './start-latency.js';

export interface ReportContext {
  machine: MachineInfo;
  date: Date;
  revision: string;
  /** Long paths in command lines and the short names the report shows instead. */
  abbreviations: [string, string][];
}

const TARGET_RUNC_RATIO = 1.5;

const ms = (value: number) => value.toFixed(1);
const ratio = (value: number) => `${value.toFixed(2)}×`;

function abbreviate(command: string, abbreviations: [string, string][]): string {
  return abbreviations.reduce((text, [long, short]) => text.replaceAll(long, short), command);
}

function resultsTable(result: StartLatencyResult): string[] {
  const runc = timingOf(result, 'runc');
  const nspawn = timingOf(result, 'nspawn');
  const versus = (timing: Timing, peer: Timing | undefined) => (peer ? ratio(timing.median / peer.median) : 'n/a');
  const rows = result.commands.map(({ label, timing, unavailable }) =>
    timing
      ? `| ${label} | ${ms(timing.median)} | ${ms(timing.p25)}–${ms(timing.p75)} | ${versus(timing, runc)} | ${versus(timing, nspawn)} |`
      : `| ${label} | not available: ${unavailable ?? 'not measured'} | | | |`,
  );
  return ['| command | median ms | p25–p75 ms | ratio to runc | ratio to nspawn |', '|---|---:|---:|---:|---:|', ...rows];
}

/** The spread of the per-round ratios: one number hides how much a noisy machine moves it. */
function roundRatioRange(a: Timing, b: Timing): string {
  const ratios = a.roundMedians.map((value, i) => value / b.roundMedians[i]!);
  return `${ratio(Math.min(...ratios))}–${ratio(Math.max(...ratios))} over the rounds`;
}

function targets(result: StartLatencyResult): string[] {
  const rkt = timingOf(result, 'rkt-run')!;
  const runc = timingOf(result, 'runc');
  const nspawn = timingOf(result, 'nspawn');
  const lines = ['| target | measured | verdict |', '|---|---|---|'];
  if (runc) {
    const budget = runc.median * TARGET_RUNC_RATIO;
    const verdict =
      rkt.median <= budget
        ? 'met'
        : `**missed** by ${ms(rkt.median - budget)} ms: rkt run would have to lose ${((1 - budget / rkt.median) * 100).toFixed(0)}% of its time`;
    lines.push(`| rkt run ≤ ${TARGET_RUNC_RATIO}× runc run | ${ratio(rkt.median / runc.median)} (${roundRatioRange(rkt, runc)}); budget ${ms(budget)} ms, rkt ${ms(rkt.median)} ms | ${verdict} |`);
  } else {
    lines.push(`| rkt run ≤ ${TARGET_RUNC_RATIO}× runc run | runc not available | not measured |`);
  }
  if (nspawn) {
    const verdict = rkt.median < nspawn.median ? 'met' : `**missed** by ${ms(rkt.median - nspawn.median)} ms`;
    lines.push(`| rkt run faster than systemd-nspawn | ${ratio(rkt.median / nspawn.median)} (${roundRatioRange(rkt, nspawn)}); rkt ${ms(rkt.median)} ms, nspawn ${ms(nspawn.median)} ms | ${verdict} |`);
  } else {
    lines.push('| rkt run faster than systemd-nspawn | systemd-nspawn not available | not measured |');
  }
  return lines;
}

function breakdown(result: StartLatencyResult): string[] {
  const run = timingOf(result, 'rkt-run')!.median;
  const node = timingOf(result, 'node')!.median;
  const version = timingOf(result, 'rkt-version')!.median;
  const runThenRm = timingOf(result, 'rkt-run-rm')!.median;
  const runc = timingOf(result, 'runc');
  const share = (value: number) => `${((value / run) * 100).toFixed(0)}%`;
  const lines = [
    'Differences of medians, so approximate:',
    '',
    '| part of `rkt run` | ms | share | measured as |',
    '|---|---:|---:|---|',
    `| Node start-up | ${ms(node)} | ${share(node)} | \`node -e 0\` |`,
    `| loading the bundle, building the command tree | ${ms(version - node)} | ${share(version - node)} | \`rkt version\` − \`node -e 0\` |`,
    `| stage0's work (image, store, pod directory, plan, koffi), execve, the stage1 helper, /bin/true | ${ms(run - version)} | ${share(run - version)} | \`rkt run\` − \`rkt version\` |`,
    '',
    `\`rkt rm\` adds ${ms(runThenRm - run)} ms (run then rm − run): a second Node start and bundle load (\`rkt version\`, ${ms(version)} ms) ` +
      `and ${ms(runThenRm - run - version)} ms of its own work.`,
  ];
  const netThenRm = timingOf(result, 'rkt-run-net-rm');
  if (netThenRm) {
    lines.push(
      '',
      `rkt's default CNI network (\`--net=default\`, run then rm) costs ${ms(netThenRm.median - runThenRm)} ms more than \`--net=host\` (run then rm): ` +
        'a network namespace by `ip netns add`, the ptp and host-local plugins at ADD and at DEL, and their iptables masquerade rules.',
    );
  }
  if (runc) {
    const budget = runc.median * TARGET_RUNC_RATIO;
    lines.push(
      '',
      `The floor of a Node-based CLI: \`node -e 0\` alone takes ${ratio(node / runc.median)} runc run's time and \`rkt version\` ` +
        `${ratio(version / runc.median)}, against a budget of ${TARGET_RUNC_RATIO}× (${ms(budget)} ms). ` +
        (version > budget
          ? `So the target cannot be met by making stage0 and stage1 faster while every \`rkt run\` starts Node and loads the bundle: ` +
            `even at zero cost for everything after start-up, rkt would be at ${ratio(version / runc.median)}.`
          : `Start-up leaves ${ms(budget - version)} ms of the budget for stage0 and stage1, which now take ${ms(run - version)} ms.`),
    );
  }
  return lines;
}

function method(result: StartLatencyResult, context: ReportContext): string[] {
  const commands = result.commands.map((command) => `  - ${command.label}: \`${abbreviate(command.command, context.abbreviations)}\``);
  return [
    `- Image: busybox-static built with umoci (\`tests/support/busybox-layout.ts\`: one layer with \`/bin/busybox\`, its applet symlinks, ` +
      '`/etc/passwd`, `/etc/group` and the test probe). Before timing, one untimed `rkt run` in each rkt data directory extracts the layer ' +
      '(the bench checks the store holds it), so the timed runs start a cached image.',
    '- The peers run the same tree, unpacked from the same image with `umoci unpack`: runc from a bundle made by `runc spec` with args ' +
      '`/bin/true`, `terminal: false`, the network namespace removed (as `--net=host`) and the read-only root `runc spec` gives; ' +
      'systemd-nspawn from a copy of the tree with an empty `/usr` added (it refuses a root without one).',
    '- `runc run` deletes its container when the process exits (there is a `--keep` to prevent it); every run uses the same container id, ' +
      'so a container left behind would fail the next run.',
    '- `rkt run` alone leaves an exited pod behind, as it does for users until `rkt gc`; "then rkt rm" removes it in the timed unit. ' +
      'The two use separate data directories. rkt runs on the same `node` binary as `node -e 0`.',
    `- hyperfine -N (no intermediate shell): ${PLAN.rounds} rounds, each with ${PLAN.warmup} warm-up and ${PLAN.runsPerRound} timed runs per command, ` +
      'the command order rotated every round so that a slow spell of the machine does not fall on one command; medians and quartiles are over ' +
      `all ${PLAN.rounds * PLAN.runsPerRound} runs, ratios are ratios of medians.`,
    `- Commands (\`$IMAGE\` is the OCI layout, \`$BENCH\` the bench's temp directory):`,
    ...commands,
  ];
}

function machine(context: ReportContext): string[] {
  const { machine: info } = context;
  return [
    `- CPU: ${info.cpu}, ${info.nproc} CPUs (nproc); load average at start ${info.loadAverage}`,
    `- Kernel ${info.kernel}, ${info.os}, cgroups ${info.cgroups}`,
    `- Node ${info.node}; ${Object.entries(info.tools)
      .map(([tool, version]) => `${tool}: ${version}`)
      .join('; ')}`,
  ];
}

export function startLatencySection(result: StartLatencyResult, context: ReportContext): string {
  const date = `${context.date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return [
    '## Start latency',
    '',
    `Measured ${date} on rkt ${context.revision}: the wall-clock time from starting the command to its exit, for a pod (container) ` +
      'running `/bin/true` from a cached busybox image.',
    '',
    `**Targets** (from the project's issue): \`rkt run --net=host\` of a cached image takes at most ${TARGET_RUNC_RATIO}× \`runc run\`, and less than \`systemd-nspawn\`.`,
    '',
    ...resultsTable(result),
    '',
    ...targets(result),
    '',
    '### Where rkt run\'s time goes',
    '',
    ...breakdown(result),
    '',
    '### Method',
    '',
    ...method(result, context),
    '',
    '### Machine',
    '',
    ...machine(context),
  ].join('\n');
}
