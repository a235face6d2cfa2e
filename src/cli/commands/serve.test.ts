import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCli } from '../../test-support/run-cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-serve-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('facenet serve keys: create shows the key once, list shows ids and names only, revoke by id or name', async () => {
  const db = path.join(dir, 'gallery.db');
  const missing = await runCli(['serve', 'keys', 'list', '--gallery', db]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no gallery at .*gallery\.db.*facenet serve --model/);
  new Database(db).close(); // stands in for an existing gallery file
  const created = await runCli(['serve', 'keys', 'create', '--gallery', db, '--name', 'ci', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const k = JSON.parse(created.stdout) as { id: string; key: string; name: string };
  assert.match(k.key, /^fnk_[A-Za-z0-9_-]{43}$/);
  const listed = await runCli(['serve', 'keys', 'list', '--gallery', db]);
  assert.equal(listed.code, 0);
  assert.match(listed.stdout, new RegExp(`^${k.id}  ci  created `));
  assert.ok(!listed.stdout.includes(k.key), 'the key itself is never listed');
  assert.equal((await runCli(['serve', 'keys', 'create', '--gallery', db])).code, 2, 'create needs --name');
  assert.equal((await runCli(['serve', 'keys', 'rotate', '--gallery', db])).code, 2);
  const revoked = await runCli(['serve', 'keys', 'revoke', 'ci', '--gallery', db]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, new RegExp(`revoked key ${k.id}`));
  assert.match((await runCli(['serve', 'keys', 'list', '--gallery', db])).stdout, /REVOKED/);
  const again = await runCli(['serve', 'keys', 'revoke', k.id, '--gallery', db]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no active API key/);
});

test('facenet serve: --help lists the options; a missing gallery without --model is a clear error', async () => {
  const help = await runCli(['serve', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--gallery/);
  assert.match(help.stdout, /--max-queue/);
  const r = await runCli(['serve', '--gallery', path.join(dir, 'none.db'), '--port', '0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pass --model/);
  const badPrecision = await runCli(['serve', '--gallery', path.join(dir, 'none.db'), '--port', '0', '--precision', 'fp16']);
  assert.equal(badPrecision.code, 2);
  assert.match(badPrecision.stderr, /precision/);
});
