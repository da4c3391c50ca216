import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunArgs } from './run-args.js';

/** Asserts that parsing `argv` fails with a usage error whose message matches `pattern`. */
function assertUsageError(argv: string[], pattern: RegExp): void {
  assert.throws(
    () => parseRunArgs(argv),
    (error: Error & { code?: string; category?: string }) => {
      assert.equal(error.code, 'ERR_RUN_ARGS', error.message);
      assert.equal(error.category, 'usage');
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('parseRunArgs: images and their flags', () => {
  it('gives every image its own app with the app flags that follow it', () => {
    const args = parseRunArgs([
      'oci:/a', '--name=web', '--exec', '/bin/web', '--user=1000', '--group', 'staff', '--working-dir=/srv',
      '--environment=A=1', '--environment', 'B=2',
      'oci:/b', '--name=db',
    ]);
    assert.deepEqual(args.apps, [
      { image: 'oci:/a', name: 'web', exec: '/bin/web', user: '1000', group: 'staff', workingDir: '/srv', environment: ['A=1', 'B=2'] },
      { image: 'oci:/b', name: 'db', environment: [] },
    ]);
    assert.equal(args.help, false);
  });

  it('keeps everything after "=" as the value, including further "=" signs', () => {
    const args = parseRunArgs(['oci:/a', '--environment=URL=http://x/?a=b']);
    assert.deepEqual(args.apps[0]!.environment, ['URL=http://x/?a=b']);
  });

  it('accepts no image at all (the command decides whether that is an error)', () => {
    assert.deepEqual(parseRunArgs([]), { global: {}, apps: [], net: [], ports: [], dns: [], dnsSearch: [], dnsOpt: [], hostsEntries: [], setEnv: [], help: false });
  });
});

describe('parseRunArgs: "--" and "---"', () => {
  it('gives the words after "--" to the preceding image, up to "---"', () => {
    const args = parseRunArgs(['oci:/a', '--', 'echo', '--name=not-a-flag', '-x', 'oci:/c', '---', 'oci:/b', '--name=b']);
    assert.deepEqual(args.apps[0], { image: 'oci:/a', environment: [], args: ['echo', '--name=not-a-flag', '-x', 'oci:/c'] });
    assert.deepEqual(args.apps[1], { image: 'oci:/b', name: 'b', environment: [] });
    assert.equal(args.apps.length, 2);
  });

  it('without "---" the arguments run to the end of the command line', () => {
    const args = parseRunArgs(['oci:/a', '--', 'sh', '-c', 'exit 3', '--help', '--net=host']);
    assert.deepEqual(args.apps[0]!.args, ['sh', '-c', 'exit 3', '--help', '--net=host']);
    assert.equal(args.help, false, '--help after "--" is an argument of the app');
    assert.deepEqual(args.net, [], '--net after "--" is an argument of the app');
  });

  it('"-- ---" is an empty argument list, which replaces the image\'s Cmd', () => {
    const args = parseRunArgs(['oci:/a', '--', '---', 'oci:/b']);
    assert.deepEqual(args.apps[0]!.args, []);
    assert.equal(args.apps[1]!.args, undefined);
  });

  it('refuses "--" before any image', () => {
    assertUsageError(['--', 'echo'], /"--" must follow an image/);
    assertUsageError(['--net=host', '--', 'echo'], /"--" must follow an image/);
  });

  it('refuses a second argument list for the same image', () => {
    assertUsageError(['oci:/a', '--', 'x', '---', '--', 'y'], /image oci:\/a has two "--" argument lists/);
  });

  it('refuses "---" without a preceding "--"', () => {
    assertUsageError(['oci:/a', '---'], /"---" without a preceding "--"/);
  });
});

describe('parseRunArgs: pod and global flags', () => {
  it('accepts pod and global flags before, between and after images', () => {
    const args = parseRunArgs([
      '--insecure-options=image', '--net=host', 'oci:/a', '--dir', '/tmp/rkt', '--set-env=X=1',
      'oci:/b', '--debug', '--hostname=h1', '--uuid-file-save', '/tmp/uuid', '--set-env', 'Y=2', '--local-config=/etc/x',
    ]);
    assert.deepEqual(args.global, { insecureOptions: 'image', dir: '/tmp/rkt', debug: true, localConfig: '/etc/x' });
    assert.deepEqual(args.net, ['host']);
    assert.equal(args.hostname, 'h1');
    assert.deepEqual(args.setEnv, ['X=1', 'Y=2']);
    assert.equal(args.uuidFileSave, '/tmp/uuid');
    assert.deepEqual(args.apps.map((app) => app.image), ['oci:/a', 'oci:/b']);
    assert.deepEqual(args.apps.map((app) => app.environment), [[], []], 'pod flags never land on an app');
  });

  it('collects the network, port, DNS and hosts flags; DNS lists split on commas', () => {
    const args = parseRunArgs([
      '--net=default', '--net=br0:IP=10.0.0.2', '--port=80-tcp:8080', '--dns=10.0.0.1,10.0.0.2', '--dns', '10.0.0.3',
      '--dns-search=a.org,b.org', '--dns-opt=ndots:2', '--dns-domain=a.org', '--hosts-entry=10.0.0.5=db', 'oci:/a',
    ]);
    assert.deepEqual(args.net, ['default', 'br0:IP=10.0.0.2']);
    assert.deepEqual(args.ports, ['80-tcp:8080']);
    assert.deepEqual(args.dns, ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    assert.deepEqual(args.dnsSearch, ['a.org', 'b.org']);
    assert.deepEqual(args.dnsOpt, ['ndots:2']);
    assert.equal(args.dnsDomain, 'a.org');
    assert.deepEqual(args.hostsEntries, ['10.0.0.5=db']);
  });

  it('a bare --net means the default network and does not swallow the next word', () => {
    const args = parseRunArgs(['--net', 'oci:/a']);
    assert.deepEqual(args.net, ['default']);
    assert.deepEqual(args.apps.map((app) => app.image), ['oci:/a']);
  });

  it('collects repeated --net values in order', () => {
    assert.deepEqual(parseRunArgs(['--net=host', '--net', '--net=none']).net, ['host', 'default', 'none']);
  });

  it('reads boolean global flags with an explicit value', () => {
    assert.equal(parseRunArgs(['--debug=false']).global.debug, false);
    assert.equal(parseRunArgs(['--debug=1']).global.debug, true);
    assert.equal(parseRunArgs(['--trust-keys-from-https=true']).global.trustKeysFromHttps, true);
    assertUsageError(['--debug=yes'], /--debug: "yes" is not true or false/);
  });

  it('--help and -h set help wherever they stand', () => {
    assert.equal(parseRunArgs(['--help']).help, true);
    assert.equal(parseRunArgs(['oci:/a', '--name=x', '-h']).help, true);
    assert.equal(parseRunArgs(['oci:/a', '--help', 'oci:/b']).apps.length, 2);
  });
});

describe('parseRunArgs: errors', () => {
  it('refuses an app flag before any image, with a hint to move it', () => {
    for (const flag of ['--name=x', '--exec=/bin/sh', '--user=0', '--group=0', '--working-dir=/', '--environment=A=1']) {
      assert.throws(
        () => parseRunArgs([flag, 'oci:/a']),
        (error: Error & { code?: string; hint?: string }) => {
          assert.equal(error.code, 'ERR_RUN_ARGS');
          assert.match(error.message, /applies to an image and must follow one/);
          assert.match(error.hint ?? '', /after the image/);
          return true;
        },
        flag,
      );
    }
  });

  it('refuses unknown long and short flags', () => {
    assertUsageError(['oci:/a', '--bogus'], /unknown flag "--bogus"/);
    assertUsageError(['oci:/a', '--bogus=1'], /unknown flag "--bogus"/);
    assertUsageError(['-x', 'oci:/a'], /unknown flag "-x"/);
  });

  it('refuses a value flag at the end of the line with no value', () => {
    assertUsageError(['oci:/a', '--name'], /flag --name needs a value/);
    assertUsageError(['--hostname'], /flag --hostname needs a value/);
    assertUsageError(['--dir'], /flag --dir needs a value/);
  });

  it('a value flag takes the next word even when it looks like an image', () => {
    const args = parseRunArgs(['oci:/a', '--name', 'oci:/b']);
    assert.equal(args.apps.length, 1);
    assert.equal(args.apps[0]!.name, 'oci:/b');
  });
});

describe('parseRunArgs: --private-users', () => {
  it('is a pod flag, true alone or with =BOOL', () => {
    assert.equal(parseRunArgs(['--private-users', 'oci:/a']).privateUsers, true);
    assert.equal(parseRunArgs(['oci:/a', '--private-users=false']).privateUsers, false);
    assert.equal(parseRunArgs(['oci:/a']).privateUsers, undefined);
  });
});

describe('parseRunArgs: pod and volume flags (issue 4)', () => {
  it('reads per-app volume, group and annotation flags after their image', () => {
    const args = parseRunArgs([
      '--volume=data,kind=empty', '--inherit-env', '--set-env-file=/e', '--interactive',
      'oci:/a', '--mount', 'volume=data,target=/d', '--readonly-rootfs', '--supplementary-gids=1,2',
      '--annotation=a=1', '--user-annotation=b=2', '--user-label=c=3',
      'oci:/b', '--readonly-rootfs=false',
    ]);
    assert.deepEqual(args.volumes, ['data,kind=empty']);
    assert.equal(args.inheritEnv, true);
    assert.equal(args.interactive, true);
    assert.equal(args.setEnvFile, '/e');
    assert.deepEqual(args.apps[0], {
      image: 'oci:/a', environment: [], mounts: ['volume=data,target=/d'], readonlyRootfs: true, supplementaryGids: '1,2',
      annotations: ['a=1'], userAnnotations: ['b=2'], userLabels: ['c=3'],
    });
    assert.deepEqual(args.apps[1], { image: 'oci:/b', environment: [], readonlyRootfs: false });
  });

  it('refuses per-app flags before any image, except --mount, which then applies to every app (rkt §1.6)', () => {
    assertUsageError(['--readonly-rootfs', 'oci:/a'], /--readonly-rootfs applies to an image/);
    assertUsageError(['--name=x', 'oci:/a'], /--name applies to an image/);
    const args = parseRunArgs(['--mount=volume=a,target=/x', '--mount', 'volume=b,target=/y', 'oci:/a', '--mount=volume=c,target=/x']);
    assert.deepEqual(args.podMounts, ['volume=a,target=/x', 'volume=b,target=/y']);
    assert.deepEqual(args.apps[0]?.mounts, ['volume=c,target=/x']);
  });
});

describe('parseRunArgs: isolator flags', () => {
  it('gives each image its own isolators', () => {
    const args = parseRunArgs([
      'oci:a', '--caps-retain=CAP_NET_ADMIN,sys_time', '--memory=64Mi', '--cpu=500m', '--cpu-shares=512', '--oom-score-adj=-10',
      'oci:b', '--caps-remove=CAP_NET_RAW', '--seccomp=mode=remove,errno=ENOTSUP,mkdir',
    ]);
    assert.deepEqual(args.apps[0]!.isolators, {
      capabilities: { kind: 'retain', names: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'] }, memoryBytes: 64 << 20, cpuMillis: 500, cpuShares: 512, oomScoreAdj: -10,
    });
    assert.deepEqual(args.apps[1]!.isolators, {
      capabilities: { kind: 'remove', names: ['CAP_NET_RAW'] }, seccomp: { mode: 'remove', errno: 'ENOTSUP', names: ['mkdir'] },
    });
  });

  it('refuses --caps-retain with --caps-remove on one app, and out-of-range numbers', () => {
    assertUsageError(['oci:a', '--caps-retain=CAP_KILL', '--caps-remove=CAP_KILL'], /cannot both be given/);
    assertUsageError(['oci:a', '--oom-score-adj=1001'], /oom-score-adj/);
    assertUsageError(['oci:a', '--cpu-shares=1'], /cpu-shares/);
    assertUsageError(['--memory=1G'], /must follow one/);
  });
});
