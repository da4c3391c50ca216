import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appArgv, appEnvironment, appWorkingDirectory, parseEnvEntry, parseEnvFile, type AppEnvInput } from './app-exec.js';

const IMAGE = { Entrypoint: ['/bin/entry', '--flag'], Cmd: ['serve', '--port=80'] };

describe('appArgv (Docker\'s rules)', () => {
  it('runs Entrypoint followed by Cmd when nothing is overridden', () => {
    assert.deepEqual(appArgv('web', IMAGE, {}), ['/bin/entry', '--flag', 'serve', '--port=80']);
  });

  it('replaces the Cmd, and only the Cmd, with the arguments after "--"', () => {
    assert.deepEqual(appArgv('web', IMAGE, { args: ['check', '-v'] }), ['/bin/entry', '--flag', 'check', '-v']);
  });

  it('an empty argument list leaves the Entrypoint alone', () => {
    assert.deepEqual(appArgv('web', IMAGE, { args: [] }), ['/bin/entry', '--flag']);
  });

  it('--exec replaces the Entrypoint and drops the Cmd', () => {
    assert.deepEqual(appArgv('web', IMAGE, { exec: '/bin/sh' }), ['/bin/sh']);
  });

  it('--exec with arguments runs exactly those', () => {
    assert.deepEqual(appArgv('web', IMAGE, { exec: '/bin/sh', args: ['-c', 'echo hi'] }), ['/bin/sh', '-c', 'echo hi']);
  });

  it('runs the Cmd alone when the image has no Entrypoint (absent or null)', () => {
    assert.deepEqual(appArgv('web', { Cmd: ['/bin/sh', '-l'] }, {}), ['/bin/sh', '-l']);
    assert.deepEqual(appArgv('web', { Entrypoint: null, Cmd: ['/bin/sh'] }, {}), ['/bin/sh']);
    assert.deepEqual(appArgv('web', { Entrypoint: null, Cmd: ['/bin/sh'] }, { args: ['/bin/true'] }), ['/bin/true']);
  });

  it('refuses an app with nothing to run, naming the app and suggesting --exec', () => {
    const cases: [Parameters<typeof appArgv>[1], Parameters<typeof appArgv>[2]][] = [
      [undefined, {}],
      [{}, {}],
      [{ Entrypoint: null, Cmd: null }, {}],
      [{ Cmd: ['/bin/sh'] }, { args: [] }],
      [{ Entrypoint: [''], Cmd: ['x'] }, {}],
      [IMAGE, { exec: '' }],
    ];
    for (const [config, overrides] of cases) {
      assert.throws(
        () => appArgv('web', config, overrides),
        (error: Error & { code?: string; hint?: string }) => {
          assert.equal(error.code, 'ERR_APP_NO_EXEC');
          assert.match(error.message, /app "web"/);
          assert.match(error.hint ?? '', /--exec/);
          return true;
        },
        JSON.stringify([config, overrides]),
      );
    }
  });

  it('does not modify the image config it reads', () => {
    const config = { Entrypoint: ['/a'], Cmd: ['b'] };
    appArgv('web', config, { args: ['c'] });
    assert.deepEqual(config, { Entrypoint: ['/a'], Cmd: ['b'] });
  });
});

describe('appWorkingDirectory', () => {
  it('takes --working-dir over the image\'s WorkingDir, and / when neither is set', () => {
    assert.equal(appWorkingDirectory({ WorkingDir: '/srv' }, { workingDir: '/tmp' }), '/tmp');
    assert.equal(appWorkingDirectory({ WorkingDir: '/srv' }, {}), '/srv');
    assert.equal(appWorkingDirectory({ WorkingDir: '' }, {}), '/');
    assert.equal(appWorkingDirectory(undefined, {}), '/');
  });

  it('refuses a relative working directory', () => {
    assert.throws(() => appWorkingDirectory({ WorkingDir: 'srv' }, {}), { code: 'ERR_APP_WORKING_DIR_INVALID' });
    assert.throws(() => appWorkingDirectory(undefined, { workingDir: 'tmp' }), { code: 'ERR_APP_WORKING_DIR_INVALID' });
  });
});

describe('parseEnvEntry', () => {
  it('splits at the first "=", keeping empty values and later "=" signs', () => {
    assert.deepEqual(parseEnvEntry('A=1', '--set-env'), ['A', '1']);
    assert.deepEqual(parseEnvEntry('EMPTY=', '--set-env'), ['EMPTY', '']);
    assert.deepEqual(parseEnvEntry('_Q2=a=b', '--set-env'), ['_Q2', 'a=b']);
  });

  it('refuses entries that are not NAME=VALUE, naming where they came from', () => {
    for (const entry of ['NOVALUE', '=x', '1A=x', 'A-B=x', 'A B=x', '']) {
      assert.throws(
        () => parseEnvEntry(entry, '--environment'),
        (error: Error & { code?: string; category?: string }) => {
          assert.equal(error.code, 'ERR_ENV_INVALID');
          assert.equal(error.category, 'usage');
          assert.equal(error.message, `--environment: "${entry}" is not NAME=VALUE`);
          return true;
        },
        entry,
      );
    }
  });
});

describe('appEnvironment', () => {
  const input = (overrides: Partial<AppEnvInput>): AppEnvInput => ({ appName: 'web', imageEnv: [], podEnv: [], appEnv: [], uid: 0, ...overrides });
  const asMap = (env: string[]): Map<string, string> => new Map(env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));

  it('layers image Env < --set-env < --environment', () => {
    const env = asMap(
      appEnvironment(
        input({
          imageEnv: ['A=image', 'B=image', 'C=image'],
          podEnv: ['B=pod', 'C=pod', 'D=pod'],
          appEnv: ['C=app', 'E=app'],
        }),
      ),
    );
    assert.equal(env.get('A'), 'image');
    assert.equal(env.get('B'), 'pod');
    assert.equal(env.get('C'), 'app');
    assert.equal(env.get('D'), 'pod');
    assert.equal(env.get('E'), 'app');
  });

  it('always sets AC_APP_NAME to the app\'s name, over any other source', () => {
    const env = asMap(appEnvironment(input({ appName: 'db', imageEnv: ['AC_APP_NAME=x'], appEnv: ['AC_APP_NAME=y'] })));
    assert.equal(env.get('AC_APP_NAME'), 'db');
  });

  it('gives root its defaults: PATH, SHELL, USER, LOGNAME and HOME=/root, in a stable order', () => {
    assert.deepEqual(appEnvironment(input({ imageEnv: ['LANG=C'] })), [
      'LANG=C',
      'AC_APP_NAME=web',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'SHELL=/bin/sh',
      'USER=root',
      'LOGNAME=root',
      'HOME=/root',
    ]);
  });

  it('claims no user name for another uid, and sets HOME=/', () => {
    const env = asMap(appEnvironment(input({ uid: 1000 })));
    assert.equal(env.has('USER'), false);
    assert.equal(env.has('LOGNAME'), false);
    assert.equal(env.get('HOME'), '/');
    assert.ok(env.has('PATH') && env.has('SHELL'));
  });

  it('applies defaults only to what is still unset, even to an empty value', () => {
    const env = asMap(appEnvironment(input({ imageEnv: ['PATH=/opt/bin', 'HOME='], podEnv: ['USER=admin'], appEnv: ['SHELL=/bin/bash'] })));
    assert.equal(env.get('PATH'), '/opt/bin');
    assert.equal(env.get('HOME'), '');
    assert.equal(env.get('USER'), 'admin');
    assert.equal(env.get('SHELL'), '/bin/bash');
    assert.equal(env.get('LOGNAME'), 'root');
  });

  it('keeps odd image entries with a name, drops those without one, and lists each name once', () => {
    const env = appEnvironment(input({ imageEnv: ['weird.name=1', 'NOEQ', '=nameless', 'X=1', 'X=2'] }));
    assert.ok(env.includes('weird.name=1'));
    assert.ok(!env.some((entry) => entry === 'NOEQ' || entry.startsWith('=')));
    assert.deepEqual(env.filter((entry) => entry.startsWith('X=')), ['X=2']);
  });

  it('refuses an invalid --set-env or --environment entry, naming the flag', () => {
    assert.throws(() => appEnvironment(input({ podEnv: ['NOEQ'] })), { code: 'ERR_ENV_INVALID', message: '--set-env: "NOEQ" is not NAME=VALUE' });
    assert.throws(() => appEnvironment(input({ appEnv: ['1A=x'] })), { code: 'ERR_ENV_INVALID', message: '--environment: "1A=x" is not NAME=VALUE' });
  });
});

describe('parseEnvFile (--set-env-file)', () => {
  it('skips blank lines and # or ; comments, keeps values as they are', () => {
    assert.deepEqual(parseEnvFile('# c\n; c\n\nA=1\r\nB=x=y\n  \n', 'f'), ['A=1', 'B=x=y']);
  });

  it('names the file and line of a malformed or repeated entry', () => {
    assert.throws(() => parseEnvFile('A=1\nnope\n', 'env.txt'), /--set-env-file env\.txt:2: "nope" is not NAME=VALUE/);
    assert.throws(() => parseEnvFile('A=1\nA=2\n', 'env.txt'), (error: Error & { code?: string }) => error.code === 'ERR_ENV_DUPLICATE' && /env\.txt:2: A is set twice/.test(error.message));
  });
});

describe('appEnvironment with --inherit-env and --set-env-file', () => {
  it('inherited values lose to the image, the file loses to --set-env and --environment', () => {
    const env = new Map(
      appEnvironment({
        appName: 'a', uid: 0,
        inherited: ['HOST=1', 'SHARED=host', 'FILE=host'],
        imageEnv: ['SHARED=image'],
        fileEnv: ['FILE=file', 'FLAG=file'],
        podEnv: ['FLAG=flag'],
        appEnv: [],
      }).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as const),
    );
    assert.equal(env.get('HOST'), '1');
    assert.equal(env.get('SHARED'), 'image');
    assert.equal(env.get('FILE'), 'file');
    assert.equal(env.get('FLAG'), 'flag');
  });
});
