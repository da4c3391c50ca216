/**
 * The caller's side of an OCI runtime's `--console-socket`: native/recvtty (Node cannot receive a
 * file descriptor) listens on a socket in a temp dir, takes the pty master the runtime sends, and
 * relays: what the test writes goes to the terminal's input, what the terminal shows is collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RECVTTY } from './project-paths.js';

export class ConsoleReceiver {
  readonly socket: string;
  private readonly dir: string;
  private readonly child: ChildProcess;
  private output = '';
  private log = '';
  /** The terminal's output, once its last process has closed it (recvtty exits 0). */
  readonly closed: Promise<string>;

  private constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-tty-'));
    this.socket = path.join(this.dir, 'console.sock');
    this.child = spawn(RECVTTY, [this.socket], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.log += chunk));
    this.closed = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('exit', (status) => (status === 0 ? resolve(this.output) : reject(new Error(`recvtty exited ${status}: ${this.log}`))));
    });
    // a rejection is reported by whoever awaits it; this keeps an unawaited one from crashing the run
    this.closed.catch(() => undefined);
  }

  /** Once it listens. */
  static async listen(): Promise<ConsoleReceiver> {
    const receiver = new ConsoleReceiver();
    await receiver.until(/recvtty: listening/);
    return receiver;
  }

  /** The name the runtime sent with the fd ("/dev/ptmx" from runc and rkt-oci), once it arrived. */
  async received(): Promise<string> {
    return (await this.until(/recvtty: received (.*)\n/))[1]!;
  }

  /** Typed into the terminal. */
  type(text: string): void {
    this.child.stdin!.write(text);
  }

  private async until(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    for (const deadline = Date.now() + timeoutMs; ; ) {
      const match = pattern.exec(this.log);
      if (match) return match;
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`recvtty: no ${pattern} in: ${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
