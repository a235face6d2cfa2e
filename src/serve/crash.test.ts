/**
 * Durability: `facenet serve` is killed with SIGKILL in the middle of a stream of enrolls, then
 * started again on the same gallery (model read from it). Every enroll that was answered 2xx must
 * be there, with all its faces: a 2xx is only sent after the gallery's transaction committed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ZOO } from '../test-support/shared.js';
import { spawnServe, writeTinyModel, type ServeChild } from '../test-support/serve-fixture.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-serve-crash-'));
const children: ServeChild[] = [];
after(() => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('serve: kill -9 during a stream of enrolls, restart: every 2xx enroll is present', { timeout: 300_000 }, async () => {
  const model = await writeTinyModel(path.join(dir, 'tiny.safetensors'));
  const gallery = path.join(dir, 'gallery.db');
  const env = { FACENET_HOME: path.join(dir, 'home') };
  const first = await spawnServe(['--model', model, '--gallery', gallery, '--threads', '1', '--log-level', 'warn'], env);
  children.push(first);
  const photos = [readFileSync(path.join(ZOO, 'samples/Anthony_Hopkins_0001.jpg')), readFileSync(path.join(ZOO, 'samples/Anthony_Hopkins_0002.jpg'))];
  const acknowledged = new Map<string, number>();
  let sent = 0;
  let stop = false;
  // Four clients enroll subjects of one or two photos each, as fast as the server answers.
  const client = async (c: number) => {
    for (let i = 0; !stop; i++) {
      const name = `person-${c}-${i}`;
      const n = 1 + (i % 2);
      const form = new FormData();
      for (let j = 0; j < n; j++) form.append('image', new Blob([photos[j]!], { type: 'image/jpeg' }), `${j}.jpg`);
      sent++;
      try {
        const r = await fetch(`${first.url}/v1/subjects/${name}/faces`, { method: 'POST', body: form });
        if (r.status >= 200 && r.status < 300) acknowledged.set(name, n);
        else assert.fail(`enroll ${name}: ${r.status} ${await r.text()}`);
      } catch (e) {
        if (!stop) throw e;
      }
    }
  };
  const clients = [0, 1, 2, 3].map((c) => client(c).catch((e) => (stop ? undefined : Promise.reject(e))));
  // Kill once a fair number of enrolls were acknowledged, while others are in flight.
  const t0 = Date.now();
  while (acknowledged.size < 12 && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 20));
  first.child.kill('SIGKILL');
  stop = true;
  assert.equal(await first.exited, 'SIGKILL');
  await Promise.all(clients);
  assert.ok(acknowledged.size >= 12, `only ${acknowledged.size} enrolls acknowledged before the kill:\n${first.log()}`);

  const second = await spawnServe(['--gallery', gallery, '--threads', '1', '--log-level', 'warn'], env);
  children.push(second);
  const { subjects } = (await (await fetch(`${second.url}/v1/subjects`)).json()) as { subjects: { name: string; faces: number }[] };
  const stored = new Map(subjects.map((s) => [s.name, s.faces]));
  for (const [name, faces] of acknowledged) assert.equal(stored.get(name), faces, `${name} was acknowledged with ${faces} face(s)`);
  // Nothing half-written: a subject has all the photos of its request or is absent.
  for (const [name, faces] of stored) assert.equal(faces, 1 + (Number(name.split('-')[2]) % 2), name);
  assert.ok(stored.size <= sent);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.log());
});
