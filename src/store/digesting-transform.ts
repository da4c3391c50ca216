/** A pass-through stream that hashes and counts what flows through it, and stops at a byte limit. */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class DigestingTransform extends Transform {
  private readonly hash;
  private count = 0;

  constructor(
    private readonly algorithm: string,
    private readonly maxBytes: number,
    private readonly overLimit: () => Error,
  ) {
    super();
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.maxBytes) {
      callback(this.overLimit());
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  get bytes(): number {
    return this.count;
  }

  /** `<algorithm>:<hex>`; call once, after the stream has ended. */
  digest(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}
