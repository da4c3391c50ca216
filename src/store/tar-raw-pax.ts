/**
 * tar-stream decodes PAX records as UTF-8 text, which destroys binary xattr values: a
 * `security.capability` that grants CAP_SETUID holds the byte 0x80. This keeps the raw bytes of each
 * entry's PAX header so xattrs can be decoded exactly. It hooks one private method of tar-stream 3's
 * extractor; the hook is checked at creation so an incompatible upgrade fails loudly (and the
 * file-capability test in layer-store.test.ts fails too).
 */
import { extract, type Extract, type Header } from 'tar-stream';

interface ExtractInternals {
  _decodeLongHeader(buf: Buffer): void;
  _header: Header | null;
  _pax: Record<string, unknown> | null;
}

const RAW = Symbol('raw PAX bytes');

export function extractKeepingRawPax(): Extract {
  const extractor = extract() as unknown as Extract & ExtractInternals;
  const decode = extractor._decodeLongHeader;
  if (typeof decode !== 'function') throw new Error('tar-stream has changed: _decodeLongHeader is gone');
  extractor._decodeLongHeader = function (this: ExtractInternals, buf: Buffer) {
    decode.call(this, buf);
    // tar-stream hands this same _pax object to the next entry as header.pax.
    if (this._header?.type === ('pax-header' as Header['type']) && this._pax) {
      Object.defineProperty(this._pax, RAW, { value: Buffer.from(buf), enumerable: false });
    }
  };
  return extractor;
}

/** The entry's PAX records as raw bytes, keyed by record name. */
export function rawPaxRecords(header: Header): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  const raw = (header.pax as Record<symbol, unknown> | null | undefined)?.[RAW];
  if (!Buffer.isBuffer(raw)) return records;
  // Each record is "<length> <key>=<value>\n", the length counting the whole record.
  let rest = raw;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const length = Number.parseInt(rest.subarray(0, space).toString('latin1'), 10);
    if (space <= 0 || !Number.isSafeInteger(length) || length <= space || length > rest.length) break;
    const record = rest.subarray(space + 1, length - 1);
    const equals = record.indexOf(0x3d);
    if (equals > 0) records.set(record.subarray(0, equals).toString('utf8'), record.subarray(equals + 1));
    rest = rest.subarray(length);
  }
  return records;
}
