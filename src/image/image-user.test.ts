import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { mknodChar } from '../sys/libc.js';
import { resolveImageUser } from './image-user.js';

const base = mkdtempSync(join(tmpdir(), 'rkt-user-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** A layer directory with the given files (path → content, or 'whiteout' / { symlink }). */
function layer(files: Record<string, string | { symlink: string } | 'whiteout'>): string {
  const dir = mkdtempSync(join(base, 'layer-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(join(full, '..'), { recursive: true });
    if (content === 'whiteout') mknodChar(full, 0, 0, 0);
    else if (typeof content === 'object') symlinkSync(content.symlink, full);
    else writeFileSync(full, content);
  }
  return dir;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\nbroken line\nnobody:x:65534:65534::/:/bin/false\n';
const GROUP = 'root:x:0:\napp:x:1001:\nwheel:x:10:app,other\naudio:x:29:app\nstaff:x:50:\n';
const lower = layer({ 'etc/passwd': PASSWD, 'etc/group': GROUP });

async function assertRejects(user: string, code: string, pattern: RegExp, layers = [lower]): Promise<void> {
  await assert.rejects(resolveImageUser(layers, user, { imageName: 'oci:/test' }), (error: Error & { code?: string }) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('resolveImageUser', () => {
  it('resolves every OCI User form', async () => {
    assert.deepEqual(await resolveImageUser([lower], undefined), { uid: 0, gid: 0 });
    assert.deepEqual(await resolveImageUser([lower], ''), { uid: 0, gid: 0 });
    assert.deepEqual(await resolveImageUser([lower], 'app'), { uid: 1000, gid: 1001, additionalGids: [10, 29] });
    assert.deepEqual(await resolveImageUser([lower], '1000'), { uid: 1000, gid: 1001, additionalGids: [10, 29] });
    assert.deepEqual(await resolveImageUser([lower], '4242'), { uid: 4242, gid: 0 });
    assert.deepEqual(await resolveImageUser([lower], '4242:77'), { uid: 4242, gid: 77 });
    assert.deepEqual(await resolveImageUser([lower], 'app:staff'), { uid: 1000, gid: 50, additionalGids: [10, 29] });
    assert.deepEqual(await resolveImageUser([lower], 'app:10'), { uid: 1000, gid: 10, additionalGids: [29] });
    assert.deepEqual(await resolveImageUser([lower], '4242:wheel'), { uid: 4242, gid: 10 });
    assert.deepEqual(await resolveImageUser([lower], '4294967294'), { uid: 4294967294, gid: 0 });
  });

  it('refuses (uid_t)-1, overlong or padded numbers and empty parts, naming the user string', async () => {
    await assertRejects('4294967295', 'ERR_IMAGE_USER_INVALID', /"4294967295"/);
    await assertRejects('99999999999999999999', 'ERR_IMAGE_USER_INVALID', /"99999999999999999999"/);
    await assertRejects('0010', 'ERR_IMAGE_USER_INVALID', /"0010"/);
    await assertRejects('app:4294967295', 'ERR_IMAGE_USER_INVALID', /"app:4294967295"/);
    for (const user of ['1000:', ':1000', ':', 'a:b:c']) await assertRejects(user, 'ERR_IMAGE_USER_INVALID', /no empty parts/);
  });

  it('names the user and the image when a name is unknown', async () => {
    await assertRejects('ghost', 'ERR_IMAGE_USER_UNKNOWN', /user "ghost" .*oci:\/test's \/etc\/passwd/);
    await assertRejects('app:ghosts', 'ERR_IMAGE_USER_UNKNOWN', /group "ghosts" .*\/etc\/group/);
    await assertRejects('app', 'ERR_IMAGE_USER_UNKNOWN', /"app"/, [layer({})]);
  });

  it('reads the topmost copy and honours whiteouts', async () => {
    const upper = layer({ 'etc/passwd': 'app:x:2000:2000::/:/bin/sh\n' });
    assert.equal((await resolveImageUser([lower, upper], 'app')).uid, 2000);
    await assertRejects('app', 'ERR_IMAGE_USER_UNKNOWN', /"app"/, [lower, layer({ 'etc/passwd': 'whiteout' })]);
    await assertRejects('app', 'ERR_IMAGE_USER_UNKNOWN', /"app"/, [lower, layer({ etc: 'whiteout' })]);
    assert.equal((await resolveImageUser([lower, layer({ 'etc/hostname': 'x' })], 'app')).uid, 1000, 'an /etc without passwd hides nothing');
  });

  it('refuses a symlinked /etc/passwd or /etc so the host’s files are never read', async () => {
    const outside = layer({ 'shadow-like': 'app:x:0:0::/:/bin/sh\n' });
    await assertRejects('app', 'ERR_IMAGE_USER_LOOKUP', /symlink/, [layer({ 'etc/passwd': { symlink: join(outside, 'shadow-like') } })]);
    await assertRejects('app', 'ERR_IMAGE_USER_LOOKUP', /symlink/, [layer({ etc: { symlink: outside } })]);
  });

  it('does not read files at all for numeric users with numeric groups', async () => {
    const hostile = layer({ 'etc/passwd': { symlink: '/etc/shadow' } });
    assert.deepEqual(await resolveImageUser([hostile], '5:6'), { uid: 5, gid: 6 });
  });
});
