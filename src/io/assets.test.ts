import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FacenetError } from '../errors.js';
import { ASSETS, getAsset } from './asset-registry.js';
import { resolveAsset, sha256File, type AssetRef } from './assets.js';

import { ZOO } from '../test-support/shared.js';

/** A fetch that never touches the network: it fails like an offline machine, and records the URLs. */
function offlineFetch(calls: string[] = []): typeof fetch {
  return (async (input: string | URL | Request) => {
    calls.push(String(input));
    throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND (test: offline)') });
  }) as typeof fetch;
}

/** A fetch serving files of the zoo folder under the given URL prefixes. */
function zooFetch(prefixes: Record<string, string>, calls: string[] = [], opts: { lieLength?: boolean } = {}): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    for (const [prefix, folder] of Object.entries(prefixes)) {
      if (url.startsWith(prefix)) {
        const path = join(folder, decodeURIComponent(url.slice(prefix.length)));
        if (!existsSync(path)) return new Response('not found', { status: 404 });
        const body = await readFile(path);
        return new Response(body, { status: 200, headers: { 'content-length': String(body.length + (opts.lieLength ? 100 : 0)) } });
      }
    }
    return new Response('not found', { status: 404 });
  }) as typeof fetch;
}

async function withTempHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), 'facenet-home-'));
  try {
    return await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(d.parentPath ?? d.path, d.name));
}

test('resolves from a folder mirror into the cache, then from the cache alone', async () => {
  await withTempHome(async (home) => {
    const progress: [number, number | undefined][] = [];
    const asset = getAsset('mtcnn-pnet');
    const path = await resolveAsset(asset, { home, mirror: ZOO, fetch: offlineFetch(), onProgress: (d, t) => progress.push([d, t]) });
    assert.equal(path, join(home, 'mtcnn', 'pnet.pt'));
    assert.deepEqual(await readFile(path), await readFile(join(ZOO, 'mtcnn/pnet.pt')));
    assert.equal(await sha256File(path), asset.sha256);
    assert.ok(progress.length > 0);
    assert.deepEqual(progress.at(-1), [28570, 28570]);
    assert.deepEqual(await listTree(home), [path], 'no temp files left');
    // now offline and without a mirror: the verified cached copy is used
    const calls: string[] = [];
    assert.equal(await resolveAsset(asset, { home, mirror: join(home, 'no-such-mirror'), fetch: offlineFetch(calls) }), path);
    assert.deepEqual(calls, []);
  });
});

test('a wrong sha256 deletes the bad copy and throws CHECKSUM_MISMATCH naming file and hashes', async () => {
  await withTempHome(async (home) => {
    const asset: AssetRef = { id: 'pnet-wrong', relPath: 'mtcnn/pnet.pt', sha256: '0'.repeat(64) };
    await assert.rejects(resolveAsset(asset, { home, mirror: ZOO, fetch: offlineFetch() }), (e: unknown) => {
      assert.ok(e instanceof FacenetError);
      assert.equal(e.code, 'CHECKSUM_MISMATCH');
      assert.match(e.message, /pnet\.pt/);
      assert.match(e.message, new RegExp(`expected ${'0'.repeat(64)}`));
      assert.match(e.message, /sha256 a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f/);
      return true;
    });
    assert.deepEqual(await listTree(home), [], 'neither the final file nor a partial one is left');
  });
});

test('offline with nothing available: ASSET_MISSING says what, where from and where to put it', async () => {
  await withTempHome(async (home) => {
    const calls: string[] = [];
    const asset = getAsset('vggface2');
    await assert.rejects(resolveAsset(asset, { home, mirror: ZOO, fetch: offlineFetch(calls) }), (e: unknown) => {
      assert.ok(e instanceof FacenetError);
      assert.equal(e.code, 'ASSET_MISSING');
      assert.ok(e.message.includes('"vggface2"'), e.message);
      assert.ok(e.message.includes('20180402-114759-vggface2.pt'), e.message);
      assert.ok(e.message.includes(asset.url!), e.message);
      assert.ok(e.message.includes(`put it at ${join(home, 'models', '20180402-114759-vggface2.pt')}`), e.message);
      assert.ok(e.message.includes('FACENET_MIRROR'), e.message);
      assert.ok(e.message.includes('ENOTFOUND'), 'the network error is reported');
      return true;
    });
    assert.deepEqual(calls, [asset.url], 'only the upstream URL was tried, through the injected fetch');
    assert.deepEqual(await listTree(home), []);
  });
});

test('an http(s) mirror is downloaded; a 404 there falls back to the upstream URL', async () => {
  await withTempHome(async (home) => {
    const calls: string[] = [];
    const fetchImpl = zooFetch({ 'https://mirror.test/zoo/': ZOO }, calls);
    const det1 = getAsset('mtcnn-det1');
    const path = await resolveAsset(det1, { home, mirror: 'https://mirror.test/zoo/', fetch: fetchImpl });
    assert.deepEqual(calls, ['https://mirror.test/zoo/mtcnn/det1.npy']);
    assert.equal(await sha256File(path), det1.sha256);

    const calls2: string[] = [];
    const upstreamOnly = zooFetch({ 'https://upstream.test/files/': join(ZOO, 'mtcnn') }, calls2);
    const asset: AssetRef = { id: 'det2-up', relPath: 'up/det2.npy', url: 'https://upstream.test/files/det2.npy', sha256: getAsset('mtcnn-det2').sha256! };
    const got = await resolveAsset(asset, { home, mirror: 'https://mirror.test/empty', fetch: upstreamOnly });
    assert.deepEqual(calls2, ['https://mirror.test/empty/up/det2.npy', 'https://upstream.test/files/det2.npy']);
    assert.equal(got, join(home, 'up', 'det2.npy'));
    assert.equal(await sha256File(got), asset.sha256);
  });
});

test('an interrupted download never leaves a file under the final name', async () => {
  await withTempHome(async (home) => {
    const asset: AssetRef = { id: 'pairs-cut', relPath: 'lfw/pairs.txt', url: 'https://upstream.test/lfw/pairs.txt' };
    const fetchImpl = zooFetch({ 'https://upstream.test/': ZOO }, [], { lieLength: true });
    await assert.rejects(resolveAsset(asset, { home, fetch: fetchImpl, mirror: join(home, 'none') }), (e: unknown) => {
      assert.ok(e instanceof FacenetError);
      assert.equal(e.code, 'ASSET_MISSING');
      assert.match(e.message, /stopped after 155335 of 155435 bytes/);
      return true;
    });
    assert.deepEqual(await listTree(home), []);
  });
});

test('a corrupt cached copy is replaced from the mirror', async () => {
  await withTempHome(async (home) => {
    const asset = getAsset('lfw-pairs');
    const target = join(home, 'lfw', 'pairs.txt');
    await mkdir(join(home, 'lfw'), { recursive: true });
    await writeFile(target, 'half a file');
    assert.equal(await resolveAsset(asset, { home, mirror: ZOO, fetch: offlineFetch() }), target);
    assert.equal(await sha256File(target), asset.sha256);
    // a bad cached copy with nowhere to fetch a good one from: CHECKSUM_MISMATCH, and the copy is gone
    await writeFile(target, 'half a file');
    await assert.rejects(resolveAsset(asset, { home, mirror: join(home, 'none'), fetch: offlineFetch() }), (e: unknown) => {
      assert.ok(e instanceof FacenetError);
      assert.equal(e.code, 'CHECKSUM_MISMATCH');
      assert.ok(e.message.includes(target), e.message);
      assert.ok(e.message.includes(`expected ${asset.sha256}`), e.message);
      assert.ok(e.message.includes('has sha256 '), e.message);
      assert.ok(e.message.includes('FACENET_MIRROR'), e.message);
      return true;
    });
    assert.equal(existsSync(target), false);
    // without a checksum, whatever is cached is trusted and nothing else is consulted
    await writeFile(target, 'half a file');
    await writeFile(target, 'local edit');
    const calls: string[] = [];
    assert.equal(await resolveAsset({ id: 'p', relPath: 'lfw/pairs.txt', url: 'https://x.test/p' }, { home, fetch: offlineFetch(calls) }), target);
    assert.deepEqual(calls, []);
  });
});

test('FACENET_HOME and FACENET_MIRROR are used when no options are given', async () => {
  await withTempHome(async (home) => {
    const saved = { home: process.env['FACENET_HOME'], mirror: process.env['FACENET_MIRROR'] };
    process.env['FACENET_HOME'] = home;
    process.env['FACENET_MIRROR'] = ZOO;
    try {
      const path = await resolveAsset(getAsset('lr-classifier-casia'), { fetch: offlineFetch() });
      assert.equal(path, join(home, 'facenet-data', 'learning_rate_schedule_classifier_casia.txt'));
    } finally {
      for (const [k, v] of [['FACENET_HOME', saved.home], ['FACENET_MIRROR', saved.mirror]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

test('relPath must stay inside the cache', async () => {
  for (const relPath of ['../escape.txt', '/etc/passwd', 'a/../../b', '']) {
    await assert.rejects(resolveAsset({ id: 'bad', relPath }, { home: tmpdir(), fetch: offlineFetch() }), { code: 'BAD_ARGUMENT' });
  }
});

test('registry: every asset is well-formed and every mirrored one verifies against the zoo', async () => {
  assert.throws(() => getAsset('no-such-asset'), (e: unknown) => e instanceof FacenetError && e.code === 'BAD_ARGUMENT' && /mtcnn-det1/.test(e.message));
  const ids = Object.keys(ASSETS);
  for (const id of ['mtcnn-det1', 'mtcnn-det2', 'mtcnn-det3', 'mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'lfw-deepfunneled', 'lfw-pairs', 'vggface2', 'casia-webface']) {
    assert.ok(ids.includes(id), id);
  }
  assert.equal(ids.filter((id) => id.startsWith('lr-')).length, 4);
  await withTempHome(async (home) => {
    for (const [id, asset] of Object.entries(ASSETS) as [string, AssetRef][]) {
      assert.equal(asset.id, id);
      assert.match(asset.url ?? '', /^https?:\/\//, id);
      if (asset.sha256) assert.match(asset.sha256, /^[0-9a-f]{64}$/, id);
      if (id === 'lfw-deepfunneled') {
        assert.ok(existsSync(join(ZOO, asset.relPath)), 'the archive is in the mirror layout');
        continue; // 100+ MB; its copy path is the same as the others'
      }
      if (asset.relPath.startsWith('models/')) {
        assert.equal(asset.sha256, undefined);
        continue;
      }
      const path = await resolveAsset(asset, { home, mirror: ZOO, fetch: offlineFetch() });
      assert.equal(await sha256File(path), asset.sha256, id);
    }
  });
});
