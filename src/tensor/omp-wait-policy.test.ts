import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chooseOmpWaitPolicy } from './omp-wait-policy.js';

test('the wait policy: PASSIVE on a busy machine, libgomp default on a quiet one; the user and FACENET_OMP_WAIT win', () => {
  assert.deepEqual(chooseOmpWaitPolicy({ env: {}, load1: 5, cores: 2 }), { set: 'PASSIVE', why: 'busy machine (load 5.0 on 2 cores)' });
  assert.deepEqual(chooseOmpWaitPolicy({ env: {}, load1: 0.9, cores: 2 }), { set: null, why: 'quiet machine (load 0.9 on 2 cores)' });
  assert.equal(chooseOmpWaitPolicy({ env: {}, load1: 1, cores: 2 }).set, 'PASSIVE', 'half the cores taken is busy');
  assert.equal(chooseOmpWaitPolicy({ env: { OMP_WAIT_POLICY: 'ACTIVE' }, load1: 9, cores: 2 }).set, null);
  assert.equal(chooseOmpWaitPolicy({ env: { GOMP_SPINCOUNT: '1000' }, load1: 9, cores: 2 }).set, null);
  assert.equal(chooseOmpWaitPolicy({ env: { FACENET_OMP_WAIT: 'keep' }, load1: 9, cores: 2 }).set, null);
  assert.equal(chooseOmpWaitPolicy({ env: { FACENET_OMP_WAIT: 'passive' }, load1: 0, cores: 2 }).set, 'PASSIVE');
  assert.equal(chooseOmpWaitPolicy({ env: { FACENET_OMP_WAIT: 'active' }, load1: 9, cores: 2 }).set, 'ACTIVE');
});

test('the policy is in the environment before libtorch loads (libgomp reads it once, at load)', () => {
  const index = fileURLToPath(new URL('./index.ts', import.meta.url));
  const script = `const t = await import(${JSON.stringify(index)}); console.log(JSON.stringify({ env: process.env.OMP_WAIT_POLICY ?? null, info: t.ompWaitPolicyInfo() }));`;
  const run = (env: Record<string, string>) => {
    const clean = { ...process.env };
    delete clean['OMP_WAIT_POLICY'];
    delete clean['GOMP_SPINCOUNT'];
    delete clean['FACENET_OMP_WAIT'];
    return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...clean, ...env }, encoding: 'utf8' }).trim()) as { env: string | null; info: { policy: string; why: string } };
  };
  assert.deepEqual(run({ FACENET_OMP_WAIT: 'passive' }), { env: 'PASSIVE', info: { policy: 'PASSIVE', why: 'FACENET_OMP_WAIT=passive' } });
  assert.deepEqual(run({ OMP_WAIT_POLICY: 'ACTIVE' }), { env: 'ACTIVE', info: { policy: 'ACTIVE', why: 'set by the user' } });
  assert.deepEqual(run({ FACENET_OMP_WAIT: 'keep' }).env, null);
});
