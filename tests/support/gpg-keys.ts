/** OpenPGP keys made with gpg at test time, in a throw-away home directory. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestKey {
  fingerprint: string;
  /** The armored public key, as a file. */
  publicKeyFile: string;
  /** Writes `<file>.asc` (or `out`) with a detached armored signature of `file`. */
  sign(file: string, out?: string): string;
  /** Imports the revocation certificate gpg made with the key; returns a file with the revoked public key. */
  revoke(): string;
}

export class GpgHome {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-test-gpg-'));

  private gpg(args: string[], input?: string): string {
    return execFileSync('gpg', ['--batch', '--quiet', '--homedir', this.dir, '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(input === undefined ? {} : { input }),
    });
  }

  /** An ed25519 signing key; `fakedTime` (gpg's --faked-system-time) makes it, and its signatures, in the past. */
  makeKey(uid: string, options: { expire?: string; fakedTime?: string } = {}): TestKey {
    const faked = options.fakedTime ? ['--faked-system-time', options.fakedTime] : [];
    this.gpg([...faked, '--quick-gen-key', uid, 'ed25519', 'sign', options.expire ?? '0']);
    const listing = this.gpg(['--with-colons', '--list-keys', uid]);
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing)![1]!.toLowerCase();
    const publicKeyFile = path.join(this.dir, `${fingerprint}.pub.asc`);
    fs.writeFileSync(publicKeyFile, this.gpg(['--armor', '--export', fingerprint]));
    return {
      fingerprint,
      publicKeyFile,
      sign: (file, out = `${file}.asc`) => {
        fs.rmSync(out, { force: true });
        this.gpg([...faked, '--local-user', fingerprint, '--armor', '--detach-sign', '--output', out, file]);
        return out;
      },
      revoke: () => {
        // gpg writes the certificate with a leading ':' on its armor line, against importing it by accident.
        const certificate = fs.readFileSync(path.join(this.dir, 'openpgp-revocs.d', `${fingerprint.toUpperCase()}.rev`), 'utf8');
        this.gpg(['--import'], certificate.replace(/^:-----BEGIN/m, '-----BEGIN'));
        const revoked = path.join(this.dir, `${fingerprint}.revoked.asc`);
        fs.writeFileSync(revoked, this.gpg(['--armor', '--export', fingerprint]));
        return revoked;
      },
    };
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Puts a key in a trust store as `rkt trust` would (for tests of verification alone): its public
 * key file, or `keyFile` instead (a revoked copy, or an empty file that masks it). Returns the path.
 */
export function trustKey(configDir: string, scope: 'root' | string, key: TestKey, keyFile = key.publicKeyFile): string {
  const dir = scope === 'root' ? path.join(configDir, 'trustedkeys', 'root.d') : path.join(configDir, 'trustedkeys', 'prefix.d', ...scope.split('/'));
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(keyFile, path.join(dir, key.fingerprint));
  return path.join(dir, key.fingerprint);
}
