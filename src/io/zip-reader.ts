/**
 * A small read-only ZIP reader over an in-memory buffer, for torch.save's zip format. torch writes
 * STORED (uncompressed) entries, so reading is a bounds-checked slice; deflated entries are inflated
 * with node:zlib in case a tool re-packed the archive. ZIP64 records are understood, so files above
 * 4 GiB work. Every field read from the file is checked before use.
 */

import { crc32, inflateRawSync } from 'node:zlib';
import { FacenetError } from '../errors.js';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;

/** True when the buffer starts like a ZIP archive. */
export function looksLikeZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    private readonly fileName: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.readCentralDirectory();
  }

  private bad(problem: string): FacenetError {
    return new FacenetError('BAD_FILE', `${this.fileName}: broken zip archive: ${problem}`);
  }

  private u16(at: number): number {
    if (at < 0 || at + 2 > this.buf.length) throw this.bad(`a record at byte ${at} runs past the end of the file (truncated?)`);
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    if (at < 0 || at + 4 > this.buf.length) throw this.bad(`a record at byte ${at} runs past the end of the file (truncated?)`);
    return this.view.getUint32(at, true);
  }

  private u64(at: number): number {
    if (at < 0 || at + 8 > this.buf.length) throw this.bad(`a record at byte ${at} runs past the end of the file (truncated?)`);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.bad(`a size field (${v}) is impossibly large`);
    return Number(v);
  }

  private findEndOfCentralDirectory(): number {
    // The EOCD record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
    const last = this.buf.length - 22;
    const first = Math.max(0, last - 0xffff);
    for (let p = last; p >= first; p--) {
      if (this.buf[p] === 0x50 && this.buf[p + 1] === 0x4b && this.view.getUint32(p, true) === SIG_EOCD) return p;
    }
    throw this.bad('no end-of-central-directory record (the file is truncated or not a zip)');
  }

  private readCentralDirectory(): void {
    const eocd = this.findEndOfCentralDirectory();
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || this.u32(loc) !== SIG_ZIP64_LOCATOR) throw this.bad('ZIP64 sizes without a ZIP64 locator');
      const z = this.u64(loc + 8);
      if (this.u32(z) !== SIG_ZIP64_EOCD) throw this.bad('the ZIP64 end-of-central-directory record is missing');
      count = this.u64(z + 32);
      cdSize = this.u64(z + 40);
      cdOffset = this.u64(z + 48);
    }
    if (cdOffset + cdSize > this.buf.length) throw this.bad(`the central directory (bytes ${cdOffset}..${cdOffset + cdSize}) lies beyond the end of the file`);
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (this.u32(p) !== SIG_CENTRAL) throw this.bad(`central directory entry ${i} at byte ${p} has a bad signature`);
      const flags = this.u16(p + 8);
      const method = this.u16(p + 10);
      const crc = this.u32(p + 16);
      let compressedSize = this.u32(p + 20);
      let size = this.u32(p + 24);
      const nameLen = this.u16(p + 28);
      const extraLen = this.u16(p + 30);
      const commentLen = this.u16(p + 32);
      let localHeaderOffset = this.u32(p + 42);
      const nameStart = p + 46;
      if (nameStart + nameLen + extraLen + commentLen > this.buf.length) throw this.bad(`central directory entry ${i} runs past the end of the file`);
      const name = Buffer.from(this.buf.buffer, this.buf.byteOffset + nameStart, nameLen).toString('utf8');
      // ZIP64 extended information: the 64-bit values for whichever 32-bit fields are saturated.
      let e = nameStart + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = this.u16(e);
        const len = this.u16(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) {
            size = this.u64(q);
            q += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = this.u64(q);
            q += 8;
          }
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = this.u64(q);
        }
        e += 4 + len;
      }
      this.entries.set(name, { name, method, flags, crc32: crc, compressedSize, size, localHeaderOffset });
      p = extraEnd + commentLen;
    }
  }

  /** The bytes of one entry; for STORED entries a view into the archive buffer (no copy). */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw this.bad(`no entry named ${name}`);
    if (entry.flags & 1) throw this.bad(`entry ${name} is encrypted`);
    const h = entry.localHeaderOffset;
    if (this.u32(h) !== SIG_LOCAL) throw this.bad(`entry ${name}: bad local header signature at byte ${h}`);
    // The local header's name/extra lengths can differ from the central directory's (torch pads the
    // local extra field to align the data), so the data offset comes from the local header.
    const start = h + 30 + this.u16(h + 26) + this.u16(h + 28);
    const end = start + entry.compressedSize;
    if (end > this.buf.length) throw this.bad(`entry ${name} (bytes ${start}..${end}) runs past the end of the file (truncated?)`);
    const stored = this.buf.subarray(start, end);
    let data: Uint8Array;
    if (entry.method === 0) {
      if (entry.size !== entry.compressedSize) throw this.bad(`stored entry ${name} has different packed and unpacked sizes`);
      data = stored;
    } else if (entry.method === 8) {
      try {
        data = inflateRawSync(stored, { maxOutputLength: Math.max(entry.size, 1) });
      } catch (err) {
        throw this.bad(`entry ${name} does not inflate (${err instanceof Error ? err.message : String(err)})`);
      }
      if (data.length !== entry.size) throw this.bad(`entry ${name} inflates to ${data.length} bytes, not ${entry.size}`);
    } else {
      throw this.bad(`entry ${name} uses compression method ${entry.method}; only stored and deflate are supported`);
    }
    if (crc32(data) >>> 0 !== entry.crc32 >>> 0) throw this.bad(`entry ${name} fails its CRC-32 check (corrupt file)`);
    return data;
  }
}
