/**
 * `facenet serve` over real HTTP on loopback, in process: every route on real photos with a small
 * random model (identification is checked on the very photo enrolled, so the answer does not
 * depend on the model being any good), the bad uploads, API keys, the OpenAPI document against
 * the validation it comes from, metrics, health while a batch runs, 503 when the queue is full,
 * and a graceful stop that finishes requests in flight.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startServer, type RunningServer } from './server.js';
import { ApiKeyStore } from './api-keys.js';
import { ROUTES } from './routes/index.js';
import { jsonBodySchema } from './schemas.js';
import { openApiPath } from './openapi.js';
import { ZOO } from '../test-support/shared.js';
import { writeTinyModel } from '../test-support/serve-fixture.js';
import { resolvePrecision } from '../tensor/precision.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-serve-'));
const photo = (name: string) => readFileSync(path.join(ZOO, 'samples', name));
const hopkins1 = photo('Anthony_Hopkins_0001.jpg');
const hopkins2 = photo('Anthony_Hopkins_0002.jpg');
const rudd = photo('paul_rudd.jpg');
const group = photo('multiface.jpg');
const silent = pino({ level: 'silent' });
let server: RunningServer;
let model: string;
let gallery: string;

function form(fields: Record<string, Buffer | Buffer[] | string>, type = 'image/jpeg'): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (typeof item === 'string') f.append(k, item);
      else f.append(k, new Blob([item], { type }), `${k}.jpg`);
    }
  }
  return f;
}

async function call(method: string, route: string, body?: FormData | object | string, headers: Record<string, string> = {}, base = server.url) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (typeof body === 'string') init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + route, init);
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

before(async () => {
  model = await writeTinyModel(path.join(dir, 'tiny.safetensors'));
  gallery = path.join(dir, 'gallery.db');
  server = await startServer({ gallery, model, port: 0, mirror: ZOO, home: path.join(dir, 'home'), threads: 1, logger: silent });
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('serve: creates the gallery for the model and runs open on loopback without keys', async () => {
  assert.equal(server.open, true);
  const h = await call('GET', '/v1/health');
  assert.equal(h.status, 200);
  assert.equal(h.json.status, 'ok');
  assert.equal(h.json.model, model);
  assert.equal(h.json.precision, 'fp32', 'inference defaults to fp32');
});

test('serve: detect from multipart and from JSON base64 give the same faces', async () => {
  const a = await call('POST', '/v1/detect', form({ image: group }));
  assert.equal(a.status, 200, JSON.stringify(a.json));
  assert.equal(a.json.faces.length, 6);
  for (const f of a.json.faces) {
    assert.equal(f.box.length, 4);
    assert.equal(f.landmarks.length, 5);
    assert.ok(f.probability > 0.9 && f.probability <= 1);
  }
  const b = await call('POST', '/v1/detect', { image: group.toString('base64') });
  assert.equal(b.status, 200);
  assert.deepEqual(b.json, a.json);
  const c = await call('POST', '/v1/detect', { image: 'data:image/jpeg;base64,' + hopkins1.toString('base64') });
  assert.equal(c.json.faces.length, 1);
});

test('serve: embed gives a unit embedding per face of the model size', async () => {
  const r = await call('POST', '/v1/embed', form({ image: group }));
  assert.equal(r.status, 200);
  assert.equal(r.json.dim, 64);
  assert.equal(r.json.faces.length, 6);
  for (const f of r.json.faces) {
    assert.equal(f.embedding.length, 64);
    assert.ok(Math.abs(Math.hypot(...f.embedding) - 1) < 1e-4);
  }
});

test('serve: verify of a photo with itself is the same person at distance 0; no face is a 422', async () => {
  const same = await call('POST', '/v1/verify', form({ image1: hopkins1, image2: hopkins1 }));
  assert.equal(same.status, 200, JSON.stringify(same.json));
  assert.ok(same.json.distance < 1e-5);
  assert.equal(same.json.same, true);
  assert.equal(same.json.threshold, 1);
  const other = await call('POST', '/v1/verify', { image1: hopkins1.toString('base64'), image2: rudd.toString('base64') });
  assert.equal(other.status, 200);
  assert.ok(other.json.distance > 0);
  assert.equal(other.json.same, other.json.distance ** 2 < 1);
  const blank = await (await import('sharp')).default({ create: { width: 200, height: 200, channels: 3, background: '#888' } }).png().toBuffer();
  const none = await call('POST', '/v1/verify', form({ image1: hopkins1, image2: blank }, 'image/png'));
  assert.equal(none.status, 422);
  assert.equal(none.json.error.code, 'NO_FACE');
  assert.match(none.json.error.message, /image2/);
});

test('serve: enroll, list, identify, delete a face, delete a subject', async () => {
  const e1 = await call('POST', '/v1/subjects/Anthony%20Hopkins/faces', form({ image: [hopkins1, hopkins2], metadata: '{"source":"lfw"}' }));
  assert.equal(e1.status, 201, JSON.stringify(e1.json));
  assert.equal(e1.json.subject, 'Anthony Hopkins');
  assert.equal(e1.json.faces.length, 2);
  const e2 = await call('POST', '/v1/subjects/Paul_Rudd/faces', { image: [rudd.toString('base64')] });
  assert.equal(e2.status, 201);
  const list = await call('GET', '/v1/subjects');
  assert.deepEqual(list.json, { subjects: [{ name: 'Anthony Hopkins', faces: 2 }, { name: 'Paul_Rudd', faces: 1 }] });
  // The query is an enrolled photo: its best match is its own face at distance ~0, whatever the model.
  const id = await call('POST', '/v1/identify?k=2', form({ image: rudd }));
  assert.equal(id.status, 200);
  assert.equal(id.json.faces.length, 1);
  const [face] = id.json.faces;
  assert.equal(face.unknown, false);
  assert.equal(face.matches[0].subject, 'Paul_Rudd');
  assert.ok(face.matches[0].distance < 1e-3);
  assert.deepEqual(Object.keys(face.matches[0]).sort(), ['distance', 'similarity', 'subject']);
  assert.equal(face.matches.length, 2);
  // threshold 0: nothing is close enough, so the face is unknown (but still ranked)
  const strict = await call('POST', '/v1/identify?threshold=0', form({ image: rudd }));
  assert.equal(strict.json.faces[0].unknown, true);
  const delFace = await call('DELETE', `/v1/faces/${e1.json.faces[0].faceId}`);
  assert.deepEqual(delFace.json, { faceId: e1.json.faces[0].faceId, removed: true });
  assert.equal((await call('DELETE', `/v1/faces/${e1.json.faces[0].faceId}`)).status, 404);
  const del = await call('DELETE', '/v1/subjects/Paul_Rudd');
  assert.deepEqual(del.json, { subject: 'Paul_Rudd', removed: 1 });
  assert.equal((await call('DELETE', '/v1/subjects/Paul_Rudd')).status, 404);
  assert.deepEqual((await call('GET', '/v1/subjects')).json, { subjects: [{ name: 'Anthony Hopkins', faces: 1 }] });
  const gone = await call('POST', '/v1/identify', form({ image: rudd }));
  assert.notEqual(gone.json.faces[0].matches[0].subject, 'Paul_Rudd');
  // a photo without a face enrolls nothing
  const blank = await (await import('sharp')).default({ create: { width: 120, height: 120, channels: 3, background: '#444' } }).jpeg().toBuffer();
  const bad = await call('POST', '/v1/subjects/Nobody/faces', form({ image: [hopkins1, blank] }));
  assert.equal(bad.status, 422);
  assert.match(bad.json.error.message, /image 2 of 2/);
  assert.ok(!(await call('GET', '/v1/subjects')).json.subjects.some((s: { name: string }) => s.name === 'Nobody'));
});

test('serve: bad uploads each get a clear 4xx JSON error and the server keeps serving', async () => {
  const truncated = hopkins1.subarray(0, 4000);
  const big = Buffer.alloc(50 * 1024 * 1024, 1);
  const cases: [string, () => Promise<{ status: number; json: any }>, number, string][] = [
    ['not an image', () => call('POST', '/v1/detect', form({ image: Buffer.from('hello, not a picture') })), 400, 'BAD_IMAGE'],
    ['zero bytes', () => call('POST', '/v1/detect', form({ image: Buffer.alloc(0) })), 400, 'EMPTY_IMAGE'],
    ['50 MB multipart', () => call('POST', '/v1/detect', form({ image: big })), 413, 'PAYLOAD_TOO_LARGE'],
    ['50 MB JSON', () => call('POST', '/v1/detect', { image: big.toString('base64') }), 413, 'PAYLOAD_TOO_LARGE'],
    ['truncated JPEG', () => call('POST', '/v1/detect', form({ image: truncated })), 400, 'BAD_IMAGE'],
    ['wrong content type (body)', () => call('POST', '/v1/detect', hopkins1.toString('latin1'), { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['wrong content type (part)', () => call('POST', '/v1/detect', form({ image: hopkins1 }, 'text/plain')), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['malformed JSON', () => call('POST', '/v1/detect', '{"image": "abc', { 'content-type': 'application/json' }), 400, 'BAD_JSON'],
    ['malformed base64', () => call('POST', '/v1/detect', { image: '@@not*base64@@' }), 400, 'BAD_BASE64'],
    ['base64 of a non-image', () => call('POST', '/v1/detect', { image: Buffer.from('plain text').toString('base64') }), 400, 'BAD_IMAGE'],
    ['JSON without the image', () => call('POST', '/v1/detect', { picture: 'abc' }), 400, 'BAD_REQUEST'],
    ['wrong field name', () => call('POST', '/v1/detect', form({ photo: hopkins1 })), 400, 'BAD_REQUEST'],
    ['unknown route', () => call('GET', '/v1/no-such-thing'), 404, 'NOT_FOUND'],
    ['unknown method', () => call('PUT', '/v1/detect', { image: 'abc' }), 404, 'NOT_FOUND'],
    ['subject ../x', () => call('POST', '/v1/subjects/..%2Fx/faces', form({ image: hopkins1 })), 400, 'BAD_SUBJECT_NAME'],
    ['delete subject ../x', () => call('DELETE', '/v1/subjects/..%2Fx'), 400, 'BAD_SUBJECT_NAME'],
    ['subject with a control character', () => call('POST', '/v1/subjects/a%07b/faces', form({ image: hopkins1 })), 400, 'BAD_SUBJECT_NAME'],
    ['bad query', () => call('POST', '/v1/identify?k=0', form({ image: hopkins1 })), 400, 'BAD_REQUEST'],
    ['image over the pixel limit', async () => {
      const huge = await (await import('sharp')).default({ create: { width: 5000, height: 4000, channels: 3, background: '#000' } }).jpeg({ quality: 10 }).toBuffer();
      return call('POST', '/v1/detect', form({ image: huge }));
    }, 400, 'BAD_IMAGE'],
  ];
  for (const [name, run, status, code] of cases) {
    const r = await run();
    assert.equal(r.status, status, `${name}: ${JSON.stringify(r.json).slice(0, 300)}`);
    assert.equal(r.json?.error?.code, code, `${name}: ${JSON.stringify(r.json).slice(0, 300)}`);
    assert.ok(typeof r.json.error.message === 'string' && r.json.error.message.length > 5, name);
    assert.equal((await call('GET', '/v1/health')).json.status, 'ok', `still healthy after ${name}`);
  }
  const ok = await call('POST', '/v1/detect', form({ image: hopkins1 }));
  assert.equal(ok.status, 200);
  assert.equal(ok.json.faces.length, 1);
});

test('serve: the OpenAPI document lists every route with the request schemas fastify validates', async () => {
  const r = await call('GET', '/v1/openapi.json');
  assert.equal(r.status, 200);
  const doc = r.json;
  assert.equal(doc.openapi, '3.0.3');
  for (const route of ROUTES) {
    const op = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
    assert.ok(op, `${route.method} ${route.url} documented`);
    if (route.images) {
      const schema = op.requestBody.content['application/json'].schema;
      assert.deepEqual(schema.required, jsonBodySchema(route.images)['required']);
      assert.ok(op.requestBody.content['multipart/form-data'], 'multipart documented');
    }
    assert.equal(Boolean(op.security), route.auth);
  }
  assert.deepEqual(doc.paths['/v1/subjects/{name}/faces'].post.parameters.map((p: { name: string; in: string }) => [p.name, p.in]), [['name', 'path']]);
  assert.equal(doc.paths['/v1/verify'].post.responses['200'].content['application/json'].schema.properties.same.nullable, true);
  // the documented JSON body forbids other properties, and the server refuses them: one schema
  assert.equal(doc.paths['/v1/detect'].post.requestBody.content['application/json'].schema.additionalProperties, false);
  const extra = await call('POST', '/v1/detect', { image: hopkins1.toString('base64'), extra: 1 });
  assert.equal(extra.status, 400);
});

test('serve: metrics count requests by route and status and record batch sizes', async () => {
  await call('POST', '/v1/detect', form({ image: hopkins1 }));
  const r = await call('GET', '/v1/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
  const text = r.json as string;
  const count = Number(/facenet_http_requests_total\{method="POST",route="\/v1\/detect",status="200"\} (\d+)/.exec(text)?.[1]);
  assert.ok(count >= 3, text.slice(0, 500));
  assert.match(text, /facenet_http_requests_total\{method="POST",route="\/v1\/detect",status="413"\} 2/);
  assert.match(text, /facenet_http_request_duration_seconds_bucket\{route="\/v1\/detect",le="\+Inf"\} \d+/);
  const batches = Number(/facenet_batch_size_count (\d+)/.exec(text)?.[1]);
  assert.ok(batches >= 1);
  assert.match(text, /facenet_queue_depth 0/);
});

test('serve: the web page is served at /', async () => {
  const r = await fetch(server.url + '/');
  assert.equal(r.status, 200);
  assert.match(await r.text(), /<title>facenet serve<\/title>/);
  assert.equal((await fetch(server.url + '/app.js')).status, 200);
});

test('serve: health answers from the event loop while a batch runs in the worker', async () => {
  // Eight large group photos: the worker is busy for a while; health must answer meanwhile.
  const t0 = performance.now();
  const work = Promise.all(Array.from({ length: 8 }, () => call('POST', '/v1/detect', form({ image: group }))));
  let done = false;
  void work.then(() => (done = true));
  const seen: { ms: number; busy: boolean }[] = [];
  while (!done) {
    const s = performance.now();
    const h = await call('GET', '/v1/health');
    seen.push({ ms: performance.now() - s, busy: h.json.queue.busy });
    await new Promise((r) => setTimeout(r, 20));
  }
  const total = performance.now() - t0;
  for (const r of await work) assert.equal(r.status, 200);
  const whileBusy = seen.filter((s) => s.busy);
  assert.ok(whileBusy.length >= 2, `health answered ${whileBusy.length} times during ${total.toFixed(0)} ms of batches`);
  const slowest = Math.max(...whileBusy.map((s) => s.ms));
  assert.ok(slowest < total / 2, `slowest health ${slowest.toFixed(0)} ms vs ${total.toFixed(0)} ms of work`);
});

test('serve: with API keys configured, requests need a valid x-api-key (401 otherwise); health stays open', async () => {
  const store = await ApiKeyStore.open(gallery);
  try {
    const k = await store.create('tests');
    assert.match(k.key, /^fnk_/);
    const none = await call('GET', '/v1/subjects');
    assert.equal(none.status, 401);
    assert.equal(none.json.error.code, 'UNAUTHORIZED');
    assert.equal((await call('POST', '/v1/detect', form({ image: hopkins1 }))).status, 401);
    assert.equal((await call('GET', '/v1/subjects', undefined, { 'x-api-key': 'fnk_wrong' })).status, 401);
    assert.equal((await call('GET', '/v1/subjects', undefined, { 'x-api-key': k.key })).status, 200);
    assert.equal((await call('POST', '/v1/detect', form({ image: hopkins1 }), { 'x-api-key': k.key })).status, 200);
    assert.equal((await call('GET', '/v1/health')).status, 200);
    // stored hashed: the key itself is nowhere in the database file
    assert.ok(!readFileSync(gallery).includes(Buffer.from(k.key)));
    assert.deepEqual((await store.list()).map((x) => x.name), ['tests']);
    await store.revoke(k.id);
    assert.equal(await store.activeCount(), 0);
    assert.equal((await call('GET', '/v1/subjects', undefined, { 'x-api-key': k.key })).status, 200, 'no active keys on loopback: open again');
    const k2 = await store.create('second');
    assert.equal((await call('GET', '/v1/subjects', undefined, { 'x-api-key': k.key })).status, 401, 'revoked key refused');
    await store.revoke('second');
    await assert.rejects(store.revoke(k2.id), /no active API key/);
  } finally {
    await store.close();
  }
});

test('serve: refuses a non-loopback host without keys, and a gallery of another model', async () => {
  await assert.rejects(startServer({ gallery, host: '0.0.0.0', port: 0, mirror: ZOO, home: path.join(dir, 'home'), threads: 1, logger: silent }), /without API keys/);
  const other = await writeTinyModel(path.join(dir, 'other.safetensors'), 0.5);
  await assert.rejects(startServer({ gallery, model: other, port: 0, mirror: ZOO, home: path.join(dir, 'home'), threads: 1, logger: silent }), /holds embeddings of model/);
});

test('serve: --precision reaches the inference worker: bf16 serves bf16 embeddings; a bad precision fails at start', async () => {
  const fp32 = await call('POST', '/v1/embed', form({ image: hopkins1 }));
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const bf16 = await startServer({ gallery: path.join(dir, 'bf16.db'), model, port: 0, mirror: ZOO, home: path.join(dir, 'home'), threads: 1, precision: 'bf16', logger });
  try {
    assert.equal((await call('GET', '/v1/health', undefined, {}, bf16.url)).json.precision, 'bf16');
    const r = await call('POST', '/v1/embed', form({ image: hopkins1 }), {}, bf16.url);
    assert.equal(r.status, 200);
    const a: number[] = fp32.json.faces[0].embedding;
    const b: number[] = r.json.faces[0].embedding;
    assert.equal(b.length, a.length);
    const cosine = a.reduce((s, x, i) => s + x * b[i]!, 0);
    // bf16 rounds every layer: close to the fp32 embedding, and not bit-identical (it did run in bf16)
    assert.ok(cosine > 0.95, `bf16 vs fp32 cosine ${cosine}`);
    assert.ok(a.some((x, i) => x !== b[i]), 'the bf16 server returned the fp32 embedding');
    // the worker's load warning (bf16 emulated on CPUs without bf16 units) reaches the server's log
    const emulated = resolvePrecision('bf16').warning !== null;
    assert.equal(warnings.some((line) => line.includes('emulated')), emulated, warnings.join('\n'));
  } finally {
    await bf16.close();
  }
  await assert.rejects(
    startServer({ gallery: path.join(dir, 'fp16.db'), model, port: 0, mirror: ZOO, home: path.join(dir, 'home'), threads: 1, precision: 'fp16' as never, logger: silent }),
    /fp16|precision/,
  );
});

test('serve: a full queue answers 503 OVERLOADED at once; a graceful stop finishes requests in flight', async () => {
  const small = await startServer({ gallery: path.join(dir, 'small.db'), model, port: 0, mirror: ZOO, home: path.join(dir, 'home'), threads: 1, logger: silent, maxBatch: 1, maxQueue: 1 });
  try {
    const results = await Promise.all(Array.from({ length: 8 }, () => call('POST', '/v1/detect', form({ image: group }), {}, small.url)));
    const codes = results.map((r) => r.status);
    assert.ok(codes.includes(200), codes.join(','));
    const rejected = results.filter((r) => r.status === 503);
    assert.ok(rejected.length >= 1, codes.join(','));
    for (const r of rejected) {
      assert.equal(r.json.error.code, 'OVERLOADED');
      assert.equal(r.headers.get('retry-after'), '1');
    }
    // graceful stop: two requests in flight complete with 200, then the port is closed
    const inFlight = [call('POST', '/v1/detect', form({ image: group }), {}, small.url), call('POST', '/v1/detect', form({ image: hopkins1 }), {}, small.url)];
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await small.close();
    const stopMs = performance.now() - t0;
    for (const r of await Promise.all(inFlight)) assert.equal(r.status, 200);
    // and does not wait out the keep-alive timeout (72 s) of the connections that were busy
    assert.ok(stopMs < 10_000, `graceful stop took ${stopMs.toFixed(0)} ms`);
    await assert.rejects(fetch(small.url + '/v1/health'));
  } finally {
    await small.close();
  }
});
