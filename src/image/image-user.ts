/**
 * Resolves the OCI config `User` (or the user's override) to numeric ids, the way Docker does:
 * `""` (root), `uid`, `uid:gid`, `name`, `name:group`, `uid:group`, `name:gid`. Names are looked up in
 * the image's own /etc/passwd and /etc/group, read from the extracted layers, never from the host.
 * Those files are image content: a symlink there is refused (it could point at the host's
 * /etc/shadow once read outside a chroot) and their size is capped.
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';

export interface ImageUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface ResolveImageUserOptions {
  /** Names the image in error messages. */
  imageName?: string;
}

/** (uid_t)-1 means "no change" to chown and friends, so it is never a valid id. */
const MAX_ID = 4294967294;
const MAX_ACCOUNT_FILE_BYTES = 4 * 1024 * 1024;

interface AccountEntry {
  name: string;
  id: number;
  gid: number;
  members: string[];
}

export async function resolveImageUser(layerRootfsDirs: string[], user?: string, options: ResolveImageUserOptions = {}): Promise<ImageUser> {
  if (user === undefined || user === '') return { uid: 0, gid: 0 };
  const image = options.imageName ?? 'the image';
  const parts = user.split(':');
  if (parts.length > 2 || parts.some((part) => part === '')) {
    throw invalidUser(user, 'expected USER or USER:GROUP with no empty parts');
  }
  const [userPart, groupPart] = parts as [string, string | undefined];
  // Fully numeric ids need nothing from the image: no files are read, no supplementary groups added.
  if (isNumeric(userPart) && groupPart !== undefined && isNumeric(groupPart)) {
    return { uid: parseId(userPart, user), gid: parseId(groupPart, user) };
  }
  const lookup = new AccountFiles(layerRootfsDirs);

  let uid: number;
  let userName: string | undefined;
  let primaryGid: number | undefined;
  if (isNumeric(userPart)) {
    uid = parseId(userPart, user);
    const entry = (await lookup.passwd()).find((e) => e.id === uid);
    userName = entry?.name;
    primaryGid = entry?.gid;
  } else {
    const entry = (await lookup.passwd()).find((e) => e.name === userPart);
    if (!entry) throw unknown('user', userPart, user, image);
    ({ id: uid, name: userName, gid: primaryGid } = entry);
  }

  let gid = primaryGid ?? 0;
  if (groupPart !== undefined) {
    if (isNumeric(groupPart)) gid = parseId(groupPart, user);
    else {
      const group = (await lookup.group()).find((e) => e.name === groupPart);
      if (!group) throw unknown('group', groupPart, user, image);
      gid = group.id;
    }
  }
  if (userName === undefined) return { uid, gid };
  const name = userName;
  const additional = (await lookup.group()).filter((g) => g.members.includes(name) && g.id !== gid).map((g) => g.id);
  return { uid, gid, additionalGids: [...new Set(additional)] };
}

function isNumeric(text: string): boolean {
  return /^[0-9]+$/.test(text);
}

/** Decimal, no leading zeros, at most MAX_ID: "007" and "99999999999" are typos or attacks, not ids. */
function parseId(text: string, user: string): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text) || Number(text) > MAX_ID) {
    throw invalidUser(user, `${text} is not an id between 0 and ${MAX_ID}`);
  }
  return Number(text);
}

function invalidUser(user: string, why: string): RktError {
  return new RktError('image', 'ERR_IMAGE_USER_INVALID', `user ${JSON.stringify(user)} is invalid: ${why}`);
}

function unknown(kind: 'user' | 'group', name: string, user: string, image: string): RktError {
  return new RktError('image', 'ERR_IMAGE_USER_UNKNOWN', `${kind} ${JSON.stringify(name)} (from user ${JSON.stringify(user)}) is not in ${image}'s /etc/${kind === 'user' ? 'passwd' : 'group'}`, {
    hint: 'use numeric ids, or a name the image defines',
  });
}

/** The image's /etc/passwd and /etc/group, each read at most once. */
class AccountFiles {
  private passwdEntries: Promise<AccountEntry[]> | undefined;
  private groupEntries: Promise<AccountEntry[]> | undefined;

  constructor(private readonly layers: string[]) {}

  passwd(): Promise<AccountEntry[]> {
    this.passwdEntries ??= readImageFile(this.layers, ['etc', 'passwd']).then((text) =>
      parseAccountLines(text, (f) => ({ name: f[0], id: f[2], gid: f[3], members: '' })),
    );
    return this.passwdEntries;
  }

  group(): Promise<AccountEntry[]> {
    this.groupEntries ??= readImageFile(this.layers, ['etc', 'group']).then((text) =>
      parseAccountLines(text, (f) => ({ name: f[0], id: f[2], gid: f[2], members: f[3] })),
    );
    return this.groupEntries;
  }
}

function parseAccountLines(
  text: string | undefined,
  pick: (fields: string[]) => { name?: string; id?: string; gid?: string; members?: string },
): AccountEntry[] {
  const entries: AccountEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const { name, id, gid, members } = pick(line.split(':'));
    // Malformed lines are skipped, as libc does.
    if (!name || id === undefined || gid === undefined || !/^(0|[1-9][0-9]{0,9})$/.test(id) || !/^(0|[1-9][0-9]{0,9})$/.test(gid)) continue;
    if (Number(id) > MAX_ID || Number(gid) > MAX_ID) continue;
    entries.push({ name, id: Number(id), gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) });
  }
  return entries;
}

/**
 * The file as the stacked image shows it: searched from the top layer down, where an overlay
 * whiteout (char device 0:0) or a non-directory in place of a parent means "deleted".
 * Opaque directories are not detected yet (that needs getxattr).
 */
async function readImageFile(layersBottomFirst: string[], components: string[]): Promise<string | undefined> {
  const shown = `/${components.join('/')}`;
  for (const layer of [...layersBottomFirst].reverse()) {
    let path = layer;
    let presentHere = true;
    for (const [i, component] of components.entries()) {
      path = join(path, component);
      const info = await lstat(path).catch((error: unknown) => {
        if (isErrnoException(error, 'ENOENT')) return undefined;
        throw error;
      });
      if (!info) {
        presentHere = false;
        break;
      }
      if (info.isCharacterDevice() && info.rdev === 0) return undefined;
      if (info.isSymbolicLink()) {
        throw new RktError('image', 'ERR_IMAGE_USER_LOOKUP', `the image's ${shown} cannot be read: ${path} is a symlink`, {
          hint: 'rkt does not follow symlinks when reading /etc/passwd and /etc/group of an image; use numeric ids',
        });
      }
      const last = i === components.length - 1;
      if (last ? !info.isFile() : !info.isDirectory()) return undefined;
    }
    if (presentHere) return readCapped(path, shown);
  }
  return undefined;
}

async function readCapped(path: string, shown: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const { size } = await handle.stat();
    if (size > MAX_ACCOUNT_FILE_BYTES) {
      throw new RktError('image', 'ERR_IMAGE_USER_LOOKUP', `the image's ${shown} is ${size} bytes, more than the limit of ${MAX_ACCOUNT_FILE_BYTES}`);
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
