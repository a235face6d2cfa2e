/**
 * `facenet serve` on a PostgreSQL gallery (the throwaway PostgreSQL 15 cluster of
 * scripts/test-postgres.sh): API keys live hashed in that database, so a key created with
 * `facenet serve keys` (by URL or through a gallery link file) is what two replicas accept, and a
 * revocation reaches both at once; without keys such a server runs open on loopback only.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { startServer, type RunningServer } from './server.js';
import { writeGalleryLink } from '../gallery/index.js';
import { freshDatabase, postgresUrl } from '../gallery/pg-test-db.js';
import { ZOO } from '../test-support/shared.js';
import { writeTinyModel } from '../test-support/serve-fixture.js';
import { runCli } from '../test-support/run-cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-serve-pg-'));
const silent = pino({ level: 'silent' });
let db: { url: string; drop: () => Promise<void> };
const servers: RunningServer[] = [];

before(async () => {
  postgresUrl(); // start the cluster once (fails the suite if it cannot)
  db = await freshDatabase();
});
after(async () => {
  for (const s of servers) await s.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const status = async (server: RunningServer, key?: string) => (await fetch(`${server.url}/v1/subjects`, { headers: key ? { 'x-api-key': key } : {} })).status;

test('serve on PostgreSQL: keys made by `facenet serve keys` (URL or link file) guard every replica; revocation reaches all; stored hashed', async () => {
  const model = await writeTinyModel(path.join(dir, 'tiny.safetensors'));
  const start = async (gallery = db.url) => {
    const s = await startServer({ gallery, model, port: 0, mirror: ZOO, home: path.join(dir, 'home'), threads: 1, logger: silent });
    servers.push(s);
    return s;
  };
  const first = await start(); // creates the gallery in the database
  assert.equal(first.open, true, 'no keys yet: open on loopback');
  assert.equal(await status(first), 200);

  const link = path.join(dir, 'shared.gallery');
  await writeGalleryLink(link, db.url);
  const created = await runCli(['serve', 'keys', 'create', '--gallery', link, '--name', 'replicas', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const k = JSON.parse(created.stdout) as { id: string; key: string };
  assert.match(k.key, /^fnk_/);

  const second = await start(link); // through the link file, as `facenet serve --gallery shared.gallery`
  assert.equal(second.open, false, 'a key exists: the second replica starts guarded');
  for (const s of [first, second]) {
    assert.equal(await status(s), 401, 'no key');
    assert.equal(await status(s, 'fnk_wrong'), 401, 'unknown key');
    assert.equal(await status(s, k.key), 200, 'the key from `serve keys`');
  }
  // with a key in the database, a non-loopback host may serve too
  const wide = await startServer({ gallery: db.url, host: '0.0.0.0', port: 0, mirror: ZOO, home: path.join(dir, 'home'), threads: 1, logger: silent });
  servers.push(wide);
  assert.equal(wide.open, false);

  // only the hash is in the database
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const rows = (await client.query('SELECT * FROM serve_api_keys')).rows;
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(k.key), 'the key itself is not stored');
  } finally {
    await client.end();
  }

  const listed = await runCli(['serve', 'keys', 'list', '--gallery', db.url]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`^${k.id}  replicas  created `));
  const extra = await runCli(['serve', 'keys', 'create', '--gallery', db.url, '--name', 'other', '--json']);
  assert.equal(extra.code, 0, extra.stderr);
  const revoked = await runCli(['serve', 'keys', 'revoke', k.id, '--gallery', db.url]);
  assert.equal(revoked.code, 0, revoked.stderr);
  for (const s of [first, second]) assert.equal(await status(s, k.key), 401, 'revoked on every replica at once');
  assert.equal(await status(first, (JSON.parse(extra.stdout) as { key: string }).key), 200);

  // an unreachable database is a clear error naming it, not a stack trace
  const bad = new URL(db.url);
  bad.pathname = '/no_such_database_here';
  const r = await runCli(['serve', 'keys', 'list', '--gallery', bad.toString()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach the PostgreSQL gallery/);
});
