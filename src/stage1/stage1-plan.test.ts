import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findStage1Helper } from './helper-binary.js';
import { encodePlanField, serializePlan, type AppPlan, type Stage1Plan } from './stage1-plan.js';

function app(name: string, overrides: Partial<AppPlan> = {}): AppPlan {
  return {
    name,
    root: `/opt/stage2/${name}/rootfs`,
    exec: '/bin/sh',
    argv: ['sh', '-c', 'exit 0'],
    env: ['PATH=/bin'],
    cwd: '/',
    uid: 0,
    gid: 0,
    groups: [],
    ...overrides,
  };
}

function plan(overrides: Partial<Stage1Plan> = {}): Stage1Plan {
  return {
    podDir: '/var/lib/rkt/pods/run/p',
    lockFd: 3,
    errorFile: '/var/lib/rkt/pods/run/p/stage1/error.json',
    statusDir: '/var/lib/rkt/pods/run/p/status',
    namespaces: ['mount', 'pid', 'uts', 'ipc'],
    hostname: 'rkt-p',
    root: '/var/lib/rkt/pods/run/p/stage1/rootfs',
    steps: [],
    apps: [app('web')],
    ...overrides,
  };
}

describe('encodePlanField', () => {
  it('keeps printable ASCII as it is', () => {
    assert.equal(encodePlanField('/usr/bin/env'), '/usr/bin/env');
    assert.equal(encodePlanField('A=b,c:d-e_f~!'), 'A=b,c:d-e_f~!');
    assert.equal(encodePlanField('-'), '-');
  });

  it('encodes space, "%" and control characters as upper-case %XX', () => {
    assert.equal(encodePlanField('a b'), 'a%20b');
    assert.equal(encodePlanField('100%'), '100%25');
    assert.equal(encodePlanField('%20'), '%2520', 'an already-encoded-looking value is encoded again');
    assert.equal(encodePlanField('a\nb\tc\x7f'), 'a%0Ab%09c%7F');
  });

  it('encodes non-ASCII characters as their UTF-8 bytes', () => {
    assert.equal(encodePlanField('é'), '%C3%A9');
    assert.equal(encodePlanField('日'), '%E6%97%A5');
    assert.equal(encodePlanField('x🙂'), 'x%F0%9F%99%82');
  });

  it('writes the empty string as %00', () => {
    assert.equal(encodePlanField(''), '%00');
  });

  it('never produces a space, so one line splits into its fields on spaces', () => {
    for (const value of [' ', '  a  ', 'a\u00a0b', '\r\n']) assert.doesNotMatch(encodePlanField(value), /[\s]/);
  });
});

describe('serializePlan', () => {
  it('writes the header, the pod directives in order, then one block per app', () => {
    const text = serializePlan(plan({ apps: [app('web', { groups: [10, 29] }), app('db', { argv: ['db'], env: [] })] }));
    assert.equal(
      text,
      [
        'rkt-stage1-plan 1',
        'pod-dir /var/lib/rkt/pods/run/p',
        'lock-fd 3',
        'error-file /var/lib/rkt/pods/run/p/stage1/error.json',
        'status-dir /var/lib/rkt/pods/run/p/status',
        'namespaces mount,pid,uts,ipc',
        'hostname rkt-p',
        'root /var/lib/rkt/pods/run/p/stage1/rootfs',
        'app web',
        'app-root /opt/stage2/web/rootfs',
        'exec /bin/sh',
        'arg sh',
        'arg -c',
        'arg exit%200',
        'env PATH=/bin',
        'cwd /',
        'uid 0',
        'gid 0',
        'groups 10,29',
        'app db',
        'app-root /opt/stage2/db/rootfs',
        'exec /bin/sh',
        'arg db',
        'cwd /',
        'uid 0',
        'gid 0',
        'groups -',
        '',
      ].join('\n'),
    );
  });

  it('writes steps in their order, between the pod directives and the apps, with "-" for the none fields', () => {
    const text = serializePlan(
      plan({
        steps: [
          { kind: 'in-root', path: '/' },
          { kind: 'mkdir', path: '/opt/stage2/web/rootfs', mode: 0o755 },
          { kind: 'mount', source: 'overlay', target: '/opt/stage2/web/rootfs', fstype: 'overlay', flags: [], data: 'lowerdir=/b:/a', options: [] },
          { kind: 'in-root', path: '/opt/stage2/web/rootfs' },
          { kind: 'mount', source: '/dev/null', target: '/dev/null', flags: ['bind', 'ro'], options: ['mkfile', 'nofollow'] },
          { kind: 'mount', target: '/x', fstype: '', flags: ['remount'], data: '', options: [] },
          { kind: 'symlink', target: '/proc/self/fd', linkPath: '/dev/fd' },
          { kind: 'mkdir', path: '/tmp', mode: 0o1777 },
        ],
      }),
    );
    const lines = text.split('\n');
    const rootIndex = lines.indexOf('root /var/lib/rkt/pods/run/p/stage1/rootfs');
    assert.deepEqual(lines.slice(rootIndex + 1, rootIndex + 9), [
      'in-root /',
      'mkdir /opt/stage2/web/rootfs 755',
      'mount overlay /opt/stage2/web/rootfs overlay - lowerdir=/b:/a -',
      'in-root /opt/stage2/web/rootfs',
      'mount /dev/null /dev/null - bind,ro - mkfile,nofollow',
      'mount - /x - remount - -',
      'symlink /proc/self/fd /dev/fd',
      'mkdir /tmp 1777',
    ]);
    assert.equal(lines[rootIndex + 9], 'app web');
  });

  it('percent-encodes every field of every directive, and keeps empty values as %00', () => {
    const text = serializePlan(
      plan({
        hostname: 'h',
        steps: [{ kind: 'mount', source: '/host dir/é', target: '/in pod', fstype: 'tmpfs', flags: [], data: 'size=1%', options: ['mkdir'] }],
        apps: [app('web', { exec: '/bin/my prog', argv: ['my prog', '', '100%'], env: ['EMPTY=', 'MSG=a b'], cwd: '/wörk' })],
      }),
    );
    const lines = text.split('\n');
    assert.ok(lines.includes('mount /host%20dir/%C3%A9 /in%20pod tmpfs - size=1%25 mkdir'));
    assert.ok(lines.includes('exec /bin/my%20prog'));
    assert.deepEqual(lines.filter((l) => l.startsWith('arg ')), ['arg my%20prog', 'arg %00', 'arg 100%25']);
    assert.deepEqual(lines.filter((l) => l.startsWith('env ')), ['env EMPTY=', 'env MSG=a%20b']);
    assert.ok(lines.includes('cwd /w%C3%B6rk'));
    for (const l of lines) {
      assert.doesNotMatch(l, /  |[^\x20-\x7e]/, `every line is printable ASCII without doubled spaces: ${JSON.stringify(l)}`);
    }
  });

  it('ends with exactly one newline', () => {
    const text = serializePlan(plan());
    assert.ok(text.endsWith('\n') && !text.endsWith('\n\n'));
  });
});

describe('serializePlan read back by the real stage1 helper (native/out/rkt-stage1)', () => {
  const helper = findStage1Helper();
  const base = mkdtempSync(join(tmpdir(), 'rkt-plan-'));
  after(() => rmSync(base, { recursive: true, force: true }));

  interface HelperRun {
    status: number | null;
    stderr: string;
    planFile: string;
    error: { what: string; path: string; errno: number; errnoName: string; message: string };
  }

  /** Writes `text` as a plan whose error-file is in a fresh directory, runs `rkt-stage1 run`. */
  function runHelper(name: string, text: string, errorFile: string): HelperRun {
    const planFile = join(base, `${name}.plan`);
    writeFileSync(planFile, text);
    const result = spawnSync(helper, ['run', planFile], { encoding: 'utf8', timeout: 10_000 });
    return {
      status: result.status,
      stderr: result.stderr,
      planFile,
      error: JSON.parse(readFileSync(errorFile, 'utf8')) as HelperRun['error'],
    };
  }

  /** A plan the helper can parse but that fails its final check, before anything is done. */
  function harmlessPlan(name: string, overrides: Partial<Stage1Plan> = {}): Stage1Plan {
    return plan({
      podDir: base,
      errorFile: join(base, `${name}.error.json`),
      statusDir: base,
      root: base,
      // Without "mount" the helper refuses the plan once parsed: it never touches anything.
      namespaces: ['pid', 'uts', 'ipc', 'net'],
      ...overrides,
    });
  }

  it('refuses a plan whose version line is not 1 with exit 254, the error in the error file', () => {
    const p = harmlessPlan('v2');
    const text = serializePlan(p).replace(/^rkt-stage1-plan 1\n/, 'rkt-stage1-plan 2\n');
    assert.ok(text.startsWith('rkt-stage1-plan 2\n'));
    const run = runHelper('v2', text, p.errorFile);
    assert.equal(run.status, 254);
    assert.equal(run.error.what, 'plan');
    assert.equal(run.error.path, `${run.planFile}:1`);
    assert.equal(run.error.errnoName, 'EINVAL');
    assert.match(run.error.message, /not a version 1 plan/);
    assert.match(run.stderr, /^rkt: stage1: plan .*:1: not a version 1 plan/);
  });

  it('parses every line of a serialized plan (steps, awkward values, several apps) up to its final check', () => {
    const p = harmlessPlan('full', {
      hostname: 'rkt-host',
      steps: [
        { kind: 'in-root', path: '/' },
        { kind: 'mkdir', path: '/opt/stage2/web app/rootfs', mode: 0o755 },
        { kind: 'mount', source: 'overlay', target: '/opt/stage2/web app/rootfs', fstype: 'overlay', flags: [], data: 'lowerdir=/a b:/c%d,upperdir=/u,workdir=/w', options: [] },
        { kind: 'in-root', path: '/opt/stage2/web app/rootfs' },
        { kind: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'noexec', 'nodev'], options: ['mkdir', 'nofollow'] },
        { kind: 'mount', source: '/dev/null', target: '/dev/null', flags: ['bind', 'ro', 'rec', 'private'], options: ['mkfile', 'nofollow'] },
        { kind: 'symlink', target: 'pts/ptmx', linkPath: '/dev/ptmx' },
        { kind: 'mkdir', path: '/wörk dir', mode: 0o1777 },
      ],
      apps: [
        app('web', { exec: '/bin/my prog', argv: ['my prog', '', '100%', 'é 日'], env: ['EMPTY=', 'MSG=a b'], cwd: '/wörk dir', uid: 4294967294, groups: [10, 29] }),
        app('db', { env: [] }),
      ],
    });
    const run = runHelper('full', serializePlan(p), p.errorFile);
    assert.equal(run.status, 254);
    assert.equal(run.error.what, 'plan');
    // A line the helper could not read would be named as FILE:LINE; the whole-plan check has no line.
    assert.equal(run.error.path, run.planFile, run.error.message);
    assert.match(run.error.message, /namespaces must include mount/);
  });

  it('parses the isolation directives (cgroup, oom-score-adj, caps, no-new-privs, seccomp) and the new mount options', () => {
    const program = join(base, 'web.bpf');
    writeFileSync(program, Buffer.alloc(16));
    const p = harmlessPlan('isolation', {
      steps: [
        { kind: 'mount', target: '/proc/sys', flags: ['bind', 'ro'], options: ['self', 'optional', 'nofollow'] },
      ],
      apps: [app('web', {
        cgroups: ['/sys/fs/cgroup/pids/rkt-x/web', '/sys/fs/cgroup/memory/rkt-x/web'], oomScoreAdj: -500,
        capsBounding: '00000000a80425fb', capsEffective: '0000000000000000', noNewPrivs: true, seccompFile: program,
      })],
    });
    const text = serializePlan(p);
    assert.match(text, /^caps-bounding 00000000a80425fb$/m);
    assert.match(text, /^no-new-privs yes$/m);
    assert.match(text, /^oom-score-adj -500$/m);
    const run = runHelper('isolation', text, p.errorFile);
    assert.equal(run.error.path, run.planFile, run.error.message);
    assert.match(run.error.message, /namespaces must include mount/);
  });

  it('refuses a seccomp program that is not whole instructions, and a bad capability mask', () => {
    const program = join(base, 'bad.bpf');
    writeFileSync(program, Buffer.alloc(12));
    const bad = harmlessPlan('bad-bpf', { apps: [app('web', { seccompFile: program })] });
    const run = runHelper('bad-bpf', serializePlan(bad), bad.errorFile);
    assert.equal(run.status, 254);
    assert.equal(run.error.what, 'seccomp');
    assert.match(run.error.message, /not a seccomp program/);
    const mask = harmlessPlan('bad-mask', { apps: [app('web', { capsBounding: 'a80425fb' })] });
    const maskRun = runHelper('bad-mask', serializePlan(mask), mask.errorFile);
    assert.match(maskRun.error.message, /capability mask is not 16 hex digits/);
  });

  it('reads rlimit and unshare mount,cgroup; refuses an unknown limit, soft above hard and a repeat', () => {
    const p = harmlessPlan('rlimits', {
      apps: [app('web', { ownMountNamespace: true, ownCgroupNamespace: true, rlimits: [{ name: 'RLIMIT_NOFILE', soft: '1024', hard: '1024' }, { name: 'RLIMIT_CORE', soft: '0', hard: 'unlimited' }] })],
    });
    const text = serializePlan(p);
    assert.match(text, /^unshare mount,cgroup\n/m);
    assert.match(text, /^rlimit RLIMIT_NOFILE 1024 1024\nrlimit RLIMIT_CORE 0 unlimited\n/m);
    const run = runHelper('rlimits', text, p.errorFile);
    assert.equal(run.error.path, run.planFile, run.error.message);
    assert.match(run.error.message, /namespaces must include mount/);
    for (const [name, line, reason] of [
      ['rl-name', 'rlimit RLIMIT_FILES 1 1', /unknown rlimit/],
      ['rl-order', 'rlimit RLIMIT_NOFILE 2 1', /soft value above the hard one/],
      ['rl-repeat', 'rlimit RLIMIT_NOFILE 1 1\nrlimit RLIMIT_NOFILE 2 2', /repeated rlimit/],
    ] as const) {
      const bad = harmlessPlan(name);
      const badRun = runHelper(name, `${serializePlan(bad)}${line}\n`, bad.errorFile);
      assert.equal(badRun.status, 254);
      assert.match(badRun.error.message, reason);
    }
  });

  it('reads mknod, root-propagation, umask and seccomp before-ids; refuses a bad node type, propagation or umask', () => {
    const program = join(base, 'early.bpf');
    writeFileSync(program, Buffer.alloc(16));
    const p = harmlessPlan('oci-directives', {
      rootPropagation: { mode: 'slave', recursive: true },
      steps: [{ kind: 'mknod', path: '/dev/x', type: 'c', major: 10, minor: 666, mode: 0o640, uid: 1000, gid: 1001 }],
      apps: [app('web', { umask: 0o027, seccompFile: program, seccompBeforeIds: true })],
    });
    const text = serializePlan(p);
    assert.match(text, /^root-propagation slave,rec$/m);
    assert.match(text, /^mknod \/dev\/x c 10 666 640 1000 1001$/m);
    assert.match(text, /^umask 27$/m);
    assert.match(text, new RegExp(`^seccomp ${program} before-ids$`, 'm'));
    const run = runHelper('oci-directives', text, p.errorFile);
    assert.equal(run.error.path, run.planFile, run.error.message);
    assert.match(run.error.message, /namespaces must include mount/);
    for (const [name, line, reason] of [
      ['bad-node', 'mknod /dev/x s 1 1 644 0 0', /mknod type is c, b or p/],
      ['bad-prop', 'root-propagation rec', /root-propagation is one of/],
      ['bad-prop2', 'root-propagation shared,slave', /root-propagation is one of/],
      ['bad-umask', 'app web2\nexec /bin/sh\narg sh\ncwd /\nuid 0\ngid 0\napp-root /x\numask 1777', /bad mode/],
      ['bad-when', `app web2\nexec /bin/sh\narg sh\ncwd /\nuid 0\ngid 0\napp-root /x\nseccomp ${program} later`, /before-ids/],
    ] as const) {
      const bad = harmlessPlan(name);
      // pod directives go before the first app block, app ones (a block of their own) after
      const text = line.startsWith('app ') ? `${serializePlan(bad)}${line}\n` : serializePlan(bad).replace(/^app /m, `${line}\napp `);
      const badRun = runHelper(name, text, bad.errorFile);
      assert.equal(badRun.status, 254, name);
      assert.match(badRun.error.message, reason);
    }
  });

  it('reads uid-map, gid-map and idmap; refuses what does not go together and a range out of bounds', () => {
    const maps = { uidMap: [{ inside: 0, outside: 65536, count: 65536 }], gidMap: [{ inside: 0, outside: 65536, count: 1000 }, { inside: 1000, outside: 5000, count: 1 }] };
    const p = harmlessPlan('userns', { namespaces: ['pid', 'uts', 'user'], userNamespace: maps, idmaps: ['/var/lib/rkt/cas/layers/a'] });
    const text = serializePlan(p);
    assert.match(text, /^namespaces pid,uts,user\nuid-map 0 65536 65536\ngid-map 0 65536 1000\ngid-map 1000 5000 1\n(.*\n)*idmap \/var\/lib\/rkt\/cas\/layers\/a\n/m);
    assert.match(runHelper('userns', text, p.errorFile).error.message, /namespaces must include mount/);
    for (const [name, overrides, reason] of [
      ['idmap-alone', { idmaps: ['/x'] }, /idmap needs a new user namespace/],
      ['user-bare', { namespaces: ['pid', 'user'] }, /user in namespaces needs uid-map and gid-map/],
      ['maps-alone', { userNamespace: maps }, /uid-map and gid-map need a user namespace/],
      ['map-bounds', { namespaces: ['user'], userNamespace: { uidMap: [{ inside: 4294967000, outside: 0, count: 65536 }], gidMap: maps.gidMap } }, /uid-map: range out of bounds/],
      ['map-zero', { namespaces: ['user'], userNamespace: { uidMap: [{ inside: 0, outside: 0, count: 0 }], gidMap: maps.gidMap } }, /uid-map: range out of bounds/],
    ] as [string, Partial<Stage1Plan>, RegExp][]) {
      const bad = harmlessPlan(name, overrides);
      const run = runHelper(name, serializePlan(bad), bad.errorFile);
      assert.equal(run.status, 254);
      assert.match(run.error.message, reason);
    }
  });

  it('reads devices-bpf, which needs exactly one (v2) cgroup', () => {
    const program = join(base, 'devices.bpf');
    writeFileSync(program, Buffer.alloc(16));
    const one = harmlessPlan('devbpf', { apps: [app('web', { cgroups: ['/sys/fs/cgroup/rkt/x/web'], devicesFile: program })] });
    assert.match(serializePlan(one), /^devices-bpf \S+devices\.bpf$/m);
    assert.match(runHelper('devbpf', serializePlan(one), one.errorFile).error.message, /namespaces must include mount/);
    const two = harmlessPlan('devbpf-v1', { apps: [app('web', { cgroups: ['/a', '/b'], devicesFile: program })] });
    assert.match(runHelper('devbpf-v1', serializePlan(two), two.errorFile).error.message, /devices-bpf needs exactly one cgroup/);
  });

  it('reads hooks after their app\'s own directives; refuses other directives in a hook, unknown, repeated or incomplete hooks', () => {
    const p = harmlessPlan('hooks', {
      apps: [app('web', {
        uid: 1234,
        hooks: [
          { name: 'pre-start', exec: '/bin/pre start', argv: ['pre start', '-v'], uid: 0, gid: 0, groups: [], capsEffective: '00000000a80425fb' },
          { name: 'post-stop', exec: 'cleanup', argv: ['cleanup'], uid: 0, gid: 0, groups: [7] },
        ],
      })],
    });
    const text = serializePlan(p);
    assert.match(text, /^gid 0\ngroups -\nhook pre-start\nexec \/bin\/pre%20start\narg pre%20start\narg -v\nuid 0\ngid 0\ngroups -\ncaps-effective 00000000a80425fb\nhook post-stop\nexec cleanup\narg cleanup\nuid 0\ngid 0\ngroups 7\n$/m);
    const run = runHelper('hooks', text, p.errorFile);
    assert.equal(run.error.path, run.planFile, run.error.message);
    assert.match(run.error.message, /namespaces must include mount/);
    for (const [name, lines, reason] of [
      ['hook-cwd', 'hook post-stop\nexec x\narg x\nuid 0\ngid 0\ncwd /', /not allowed in a hook \(the app's own directives come before its hooks\): cwd/],
      ['hook-name', 'hook pre-stop', /unknown hook: pre-stop/],
      ['hook-twice', 'hook pre-start\nexec x\narg x\nuid 0\ngid 0\nhook pre-start', /repeated hook: pre-start/],
      ['hook-short', 'hook pre-start\nexec x\narg x\ngid 0', /app web, hook pre-start lacks one of exec, arg, uid, gid/],
    ] as const) {
      const bad = harmlessPlan(name);
      const badRun = runHelper(name, `${serializePlan(bad)}${lines}\n`, bad.errorFile);
      assert.equal(badRun.status, 254);
      assert.match(badRun.error.message, reason);
    }
  });

  it('reads join, and refuses a namespace both joined and new, and an unknown type', () => {
    const p = harmlessPlan('join', { namespaces: ['pid', 'net'], joins: { net: '/var/run/netns/rkt-p', cgroup: '/proc/1/ns/cgroup' } });
    const text = serializePlan(p);
    assert.match(text, /^namespaces pid,net\njoin net \/var\/run\/netns\/rkt-p\njoin cgroup \/proc\/1\/ns\/cgroup\n/m);
    const run = runHelper('join', text, p.errorFile);
    assert.equal(run.status, 254);
    assert.equal(run.error.path, run.planFile, run.error.message);
    assert.match(run.error.message, /net both in namespaces and joined/);
    const unknown = harmlessPlan('join-time');
    assert.match(runHelper('join-time', `${serializePlan(unknown)}`.replace('namespaces pid', 'join time /proc/1/ns/time\nnamespaces pid'), unknown.errorFile).error.message, /unknown word: time/);
  });

  it('reads sysctl, pause-fifo and start hooks; refuses a sysctl path out of /proc/sys and a hook without wait-fifo', () => {
    const hooked = app('web', { startHooks: [{ path: '/bin/hook', argv: ['hook', 'a b'], env: ['X=1'], timeout: 5 }] });
    const p = harmlessPlan('sysctl', { sysctls: [{ path: 'net/ipv4/ip_forward', value: '1' }], pauseFifo: join(base, 'pause'), apps: [hooked] });
    const text = serializePlan(p);
    assert.match(text, /^sysctl net\/ipv4\/ip_forward 1\npause-fifo \S+\/pause\n/m);
    assert.match(text, /^start-hook \/bin\/hook 5\nhook-arg hook\nhook-arg a%20b\nhook-env X=1$/m);
    assert.match(runHelper('sysctl', text, p.errorFile).error.message, /start-hook needs wait-fifo/);
    for (const [name, path] of [['climb', 'net/../../etc'], ['absolute', '/etc/passwd'], ['dot', './kernel/hostname']] as const) {
      const bad = harmlessPlan(name, { sysctls: [{ path, value: '1' }] });
      assert.match(runHelper(name, serializePlan(bad), bad.errorFile).error.message, /sysctl: bad path below \/proc\/sys/);
    }
    const orphan = harmlessPlan('orphan-arg');
    assert.match(runHelper('orphan-arg', `${serializePlan(orphan)}hook-arg x\n`, orphan.errorFile).error.message, /hook-arg needs one field, after a start-hook/);
  });

  it('reads console-socket, console-size and umask; refuses a zero size and a bad umask', () => {
    const p = harmlessPlan('console', {
      namespaces: ['pid', 'uts'],
      apps: [app('web', { consoleSocket: '/run/x/console.sock', consoleSize: { rows: 24, cols: 80 }, umask: 0o27 })],
    });
    const text = serializePlan(p);
    assert.match(text, /^umask 27\nconsole-socket \/run\/x\/console\.sock\nconsole-size 24 80\n/m);
    assert.match(runHelper('console', text, p.errorFile).error.message, /namespaces must include mount/);
    for (const [name, line, reason] of [
      ['size-zero', 'console-size 0 80', /rows and columns must be above 0/],
      ['umask-bad', 'umask 1777', /bad mode/],
    ] as const) {
      const bad = harmlessPlan(name);
      assert.match(runHelper(name, `${serializePlan(bad)}${line}\n`, bad.errorFile).error.message, reason);
    }
  });

  it('decodes fields back to the original bytes (spaces, %, UTF-8), as its error message shows', () => {
    const value = 'rel dir/100%/é';
    const p = harmlessPlan('decode', { namespaces: ['mount', 'pid', 'uts'], apps: [app('web', { cwd: value })] });
    const text = serializePlan(p);
    const cwdLine = text.split('\n').indexOf('cwd rel%20dir/100%25/%C3%A9') + 1;
    assert.ok(cwdLine > 0, text);
    const run = runHelper('decode', text, p.errorFile);
    assert.equal(run.status, 254);
    assert.equal(run.error.path, `${run.planFile}:${cwdLine}`);
    assert.equal(run.error.message, `plan ${run.planFile}:${cwdLine}: not an absolute path: ${value}`);
  });

  it('reads the empty string, written as %00, back as an empty value', () => {
    const p = harmlessPlan('empty', { namespaces: ['mount', 'pid', 'uts'], apps: [app('web', { cwd: '' })] });
    const text = serializePlan(p);
    const cwdLine = text.split('\n').indexOf('cwd %00') + 1;
    assert.ok(cwdLine > 0, text);
    const run = runHelper('empty', text, p.errorFile);
    assert.equal(run.status, 254);
    assert.equal(run.error.message, `plan ${run.planFile}:${cwdLine}: not an absolute path: `);
  });
});
