/**
 * libgomp's wait policy, chosen before libtorch loads (libgomp reads OMP_WAIT_POLICY and
 * GOMP_SPINCOUNT once, when it is loaded, so this must run before the addon is required).
 *
 * Why: libgomp's threads spin ~300k iterations at every barrier before sleeping. On a quiet
 * machine that is the fastest; on a busy one the spinning threads fight the other processes for
 * the cores and every parallel region waits for a descheduled thread: detection measured 0.37
 * img/s with the default against 1.28 img/s with PASSIVE on this 2-core VM at load 15
 * (bench/omp-wait.ts; the issue saw 4.3-5.8 against 26-31 img/s at load 5), while PASSIVE costs
 * about 2x on a quiet machine (README, Performance). So: PASSIVE when the machine is busy when
 * the engine loads, libgomp's default otherwise.
 *
 * The user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT always wins; FACENET_OMP_WAIT=passive|active|keep
 * forces a choice (keep: leave libgomp's default even on a busy machine).
 */

export interface WaitPolicyInput {
  env: Readonly<Record<string, string | undefined>>;
  /** 1-minute load average. */
  load1: number;
  cores: number;
}

/** A machine counts as busy when the other work already takes half of its cores. */
export const BUSY_LOAD_PER_CORE = 0.5;

/** The OMP_WAIT_POLICY to set, or null to leave the environment alone; with the reason. */
export function chooseOmpWaitPolicy(i: WaitPolicyInput): { set: 'PASSIVE' | 'ACTIVE' | null; why: string } {
  if (i.env['OMP_WAIT_POLICY'] !== undefined || i.env['GOMP_SPINCOUNT'] !== undefined) return { set: null, why: 'set by the user' };
  const forced = i.env['FACENET_OMP_WAIT']?.toLowerCase();
  if (forced === 'passive') return { set: 'PASSIVE', why: 'FACENET_OMP_WAIT=passive' };
  if (forced === 'active') return { set: 'ACTIVE', why: 'FACENET_OMP_WAIT=active' };
  if (forced === 'keep') return { set: null, why: 'FACENET_OMP_WAIT=keep' };
  if (i.load1 >= BUSY_LOAD_PER_CORE * i.cores) return { set: 'PASSIVE', why: `busy machine (load ${i.load1.toFixed(1)} on ${i.cores} cores)` };
  return { set: null, why: `quiet machine (load ${i.load1.toFixed(1)} on ${i.cores} cores)` };
}
