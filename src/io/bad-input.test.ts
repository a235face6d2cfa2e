import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FacenetError } from '../errors.js';
import { parseNpy, parseNpyObject, readNpy, readNpyObject } from './npy.js';
import { parseSafetensors, readSafetensors } from './safetensors.js';
import { parseTorchStateDict, readTorchStateDict } from './torch-file.js';

import { ZOO, FIXTURES } from '../test-support/shared.js';
const PNET = `${ZOO}/mtcnn/pnet.pt`;
const PNET_ZIP = `${FIXTURES}/torch-formats/pnet-zip.pt`;
const DET1 = `${ZOO}/mtcnn/det1.npy`;

type Reader = (path: string) => Promise<unknown>;
const READERS: Record<string, Reader> = { readTorchStateDict, readNpy, readNpyObject, readSafetensors };
type Parser = (buf: Uint8Array, name: string) => unknown;
const PARSERS: Record<string, Parser> = { parseTorchStateDict, parseNpy, parseNpyObject, parseSafetensors };

/** Deterministic pseudo-random bytes (mulberry32), so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(n: number, seed: number): Buffer {
  const r = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function isBadFile(name: string, pattern?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof FacenetError, `expected a FacenetError, got ${e instanceof Error ? e.stack : String(e)}`);
    assert.equal(e.code, 'BAD_FILE', e.message);
    assert.ok(e.message.includes(name), `message does not name ${name}: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

/** Runs a parser on bytes that may or may not be valid: it must return or throw BAD_FILE, nothing else. */
function parsesOrBadFile(parse: Parser, buf: Uint8Array, name: string): void {
  try {
    parse(buf, name);
  } catch (e) {
    isBadFile(name)(e);
  }
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'facenet-bad-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A legacy torch.save file whose state_dict pickle calls os.system('echo pwned'). */
function evilTorchFile(): Buffer {
  const magic = Buffer.from([0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
  const version = Buffer.from([0x80, 2, 0x4d, 0xe9, 0x03, 0x2e]);
  const sysInfo = Buffer.from([0x80, 2, 0x7d, 0x2e]);
  const payload = Buffer.concat([
    Buffer.from([0x80, 2]),
    Buffer.from('ccollections\nOrderedDict\n)R(', 'latin1'),
    Buffer.from([0x8c, 1]),
    Buffer.from('w', 'latin1'),
    Buffer.from('cos\nsystem\n', 'latin1'),
    Buffer.from([0x8c, 10]),
    Buffer.from('echo pwned', 'latin1'),
    Buffer.from([0x85]),
    Buffer.from('Ru.', 'latin1'),
  ]);
  const keys = Buffer.from([0x80, 2, 0x5d, 0x2e]);
  return Buffer.concat([magic, version, sysInfo, payload, keys]);
}

test('a pickle naming os.system is refused, with the message, in every container', async () => {
  await withTempDir(async (dir) => {
    const legacy = join(dir, 'evil.pt');
    await writeFile(legacy, evilTorchFile());
    await assert.rejects(readTorchStateDict(legacy), (e: unknown) => {
      assert.ok(e instanceof FacenetError);
      assert.equal(e.code, 'BAD_FILE');
      assert.equal(e.message, `${legacy}: refuses to load: the pickle names os.system, which a weights file has no reason to contain`);
      return true;
    });
    // the zip format: swap data.pkl of pnet-zip.pt for one that names posix.system via STACK_GLOBAL
    const evilPkl = Buffer.concat([Buffer.from([0x80, 4, 0x8c, 5]), Buffer.from('posix'), Buffer.from([0x8c, 6]), Buffer.from('system'), Buffer.from([0x93, 0x8c, 2]), Buffer.from('id'), Buffer.from([0x85]), Buffer.from('R.')]);
    const zip = await readFile(PNET_ZIP);
    const pklAt = zip.indexOf(Buffer.from('\x80\x02ccollections', 'latin1'));
    assert.ok(pklAt > 0);
    const patched = Buffer.from(zip);
    evilPkl.copy(patched, pklAt);
    // data.pkl's CRC no longer matches, which is reported first; so fix the CRC like an attacker would
    const { crc32 } = await import('node:zlib');
    const cdAt = patched.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'), patched.indexOf(Buffer.from('pnet-zip/data.pkl', 'latin1'), pklAt + 10));
    const pklData = patched.subarray(pklAt, pklAt + 1341);
    patched.writeUInt32LE(crc32(pklData) >>> 0, cdAt + 16);
    assert.throws(() => parseTorchStateDict(patched, 'evil-zip.pt'), isBadFile('evil-zip.pt', /refuses to load: the pickle names posix\.system, which a weights file has no reason to contain/));
  });
});

test('truncated copies of pnet.pt (legacy and zip) are BAD_FILE', async () => {
  await withTempDir(async (dir) => {
    for (const source of [PNET, PNET_ZIP]) {
      const full = await readFile(source);
      // a few real files in the temp folder...
      for (const cut of [1, 15, 200, 1500, 1700, 1940, full.length - 1]) {
        const path = join(dir, `cut-${cut}.pt`);
        await writeFile(path, full.subarray(0, cut));
        await assert.rejects(readTorchStateDict(path), isBadFile(path));
      }
      // ...and every 53rd length in memory
      for (let cut = 0; cut < full.length; cut += 53) {
        assert.throws(() => parseTorchStateDict(full.subarray(0, cut), `cut${cut}.pt`), isBadFile(`cut${cut}.pt`));
      }
    }
    const legacyCut = join(dir, 'pnet-short.pt');
    const full = await readFile(PNET);
    await writeFile(legacyCut, full.subarray(0, full.length - 100));
    await assert.rejects(readTorchStateDict(legacyCut), isBadFile(legacyCut, /runs past the end of the file.*truncated/));
  });
});

test('zero-byte and random files are BAD_FILE for every reader', async () => {
  await withTempDir(async (dir) => {
    const empty = join(dir, 'empty.bin');
    await writeFile(empty, Buffer.alloc(0));
    for (const [name, read] of Object.entries(READERS)) {
      await assert.rejects(read(empty), isBadFile(empty), name);
    }
    const rand = join(dir, 'random.bin');
    await writeFile(rand, randomBytes(5000, 1));
    for (const [name, read] of Object.entries(READERS)) {
      await assert.rejects(read(rand), isBadFile(rand), name);
    }
  });
  // random bodies behind each format's valid-looking prefix
  const prefixes = [
    Buffer.alloc(0),
    Buffer.from([0x80, 2, 0x8a, 10]),
    Buffer.from('PK\x03\x04', 'latin1'),
    Buffer.from('\x93NUMPY\x01\x00', 'latin1'),
    Buffer.from([16, 0, 0, 0, 0, 0, 0, 0, 0x7b]),
  ];
  let seed = 100;
  for (const prefix of prefixes) {
    for (const size of [0, 1, 7, 64, 1000, 20000]) {
      const buf = Buffer.concat([prefix, randomBytes(size, seed++)]);
      for (const [name, parse] of Object.entries(PARSERS)) {
        assert.throws(() => parse(buf, `rand-${seed}.bin`), isBadFile(`rand-${seed}.bin`), `${name} on ${buf.length} bytes`);
      }
    }
  }
});

test('safetensors with a lying header and .npy with a bad header, as files', async () => {
  await withTempDir(async (dir) => {
    const st = join(dir, 'lying.safetensors');
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [1000, 1000], data_offsets: [0, 4000000] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    await writeFile(st, Buffer.concat([len, header, Buffer.alloc(64)]));
    await assert.rejects(readSafetensors(st), isBadFile(st, /beyond the 64 data bytes/));

    const np = join(dir, 'bad-header.npy');
    const body = Buffer.from("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }\n", 'latin1');
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
    pre.writeUInt16LE(body.length, 8);
    await writeFile(np, Buffer.concat([pre, body, Buffer.alloc(8)]));
    await assert.rejects(readNpy(np), isBadFile(np, /does not parse/));
    await assert.rejects(readNpyObject(np), isBadFile(np, /does not parse/));
  });
});

test('random single-byte corruptions never crash or hang the readers', async () => {
  const r = prng(7);
  const targets: [string, Parser][] = [
    [PNET, parseTorchStateDict],
    [PNET_ZIP, parseTorchStateDict],
    [DET1, parseNpyObject],
  ];
  const t0 = performance.now();
  for (const [path, parse] of targets) {
    const original = await readFile(path);
    for (let i = 0; i < 300; i++) {
      const buf = Buffer.from(original);
      // mostly in the pickle/header region, where a flip changes structure rather than a weight
      const region = r() < 0.8 ? Math.min(buf.length, 2000) : buf.length;
      const at = Math.floor(r() * region);
      buf[at] = Math.floor(r() * 256);
      parsesOrBadFile(parse, buf, `mutant-${i}`);
    }
  }
  assert.ok(performance.now() - t0 < 20000);
});
