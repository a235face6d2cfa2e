/**
 * For tests: a fresh database on the throwaway PostgreSQL 15 cluster that scripts/test-postgres.sh
 * starts (or the cluster FACENET_TEST_PG_URL names). Never skipped: when no cluster can be had, the
 * test fails with the script's error.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let baseUrl: string | undefined;

export function postgresUrl(): string {
  baseUrl ??= process.env['FACENET_TEST_PG_URL'] ?? execFileSync('bash', [path.join(repoRoot, 'scripts/test-postgres.sh'), 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return baseUrl;
}

/** A new empty database; drop() removes it (closing what still connects to it). */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = postgresUrl();
  const name = `gallery_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
