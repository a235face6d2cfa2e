/**
 * Who this process is in a data-parallel run: rank, world size, its rank on this machine, and
 * where the master (rank 0's TCPStore) listens. The launcher sets torchrun's environment variables
 * (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE), so a worker started
 * by torchrun itself works the same.
 */
import os from 'node:os';
import { FacenetError } from '../errors.js';

export interface WorldSpec {
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
}

export const DEFAULT_MASTER_PORT = 29500;

function intVar(env: NodeJS.ProcessEnv, name: string, min: number, fallback?: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new FacenetError('BAD_ARGUMENT', `the environment variable ${name} is not set (a data-parallel worker needs WORLD_SIZE, RANK and MASTER_ADDR; start it with facenet train --nproc-per-node N or torchrun)`);
  }
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new FacenetError('BAD_ARGUMENT', `the environment variable ${name}=${raw} must be an integer >= ${min}`);
  return v;
}

/** The world from torchrun's variables; null when WORLD_SIZE is unset (not a worker). */
export function worldFromEnv(env: NodeJS.ProcessEnv = process.env): WorldSpec | null {
  if (env['WORLD_SIZE'] === undefined || env['WORLD_SIZE'] === '') return null;
  const worldSize = intVar(env, 'WORLD_SIZE', 1);
  const rank = intVar(env, 'RANK', 0);
  const localWorldSize = intVar(env, 'LOCAL_WORLD_SIZE', 1, worldSize);
  const localRank = intVar(env, 'LOCAL_RANK', 0, rank % localWorldSize);
  const masterPort = intVar(env, 'MASTER_PORT', 1, DEFAULT_MASTER_PORT);
  const masterAddr = env['MASTER_ADDR'] || '127.0.0.1';
  if (rank >= worldSize) throw new FacenetError('BAD_ARGUMENT', `RANK=${rank} must be below WORLD_SIZE=${worldSize}`);
  if (localRank >= localWorldSize) throw new FacenetError('BAD_ARGUMENT', `LOCAL_RANK=${localRank} must be below LOCAL_WORLD_SIZE=${localWorldSize}`);
  if (masterPort > 65535) throw new FacenetError('BAD_ARGUMENT', `MASTER_PORT=${masterPort} must be 1..65535`);
  return { rank, worldSize, localRank, localWorldSize, masterAddr, masterPort };
}

/** torchrun's variables for one worker. */
export function worldEnv(w: WorldSpec): Record<string, string> {
  return {
    MASTER_ADDR: w.masterAddr,
    MASTER_PORT: String(w.masterPort),
    WORLD_SIZE: String(w.worldSize),
    RANK: String(w.rank),
    LOCAL_RANK: String(w.localRank),
    LOCAL_WORLD_SIZE: String(w.localWorldSize),
  };
}

/** libtorch threads per process when none are asked for: the machine's cores shared by the local ranks. */
export function defaultThreadsPerProcess(localWorldSize: number, cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, localWorldSize)));
}

/** Rank r's part of a global batch of b split evenly over w ranks (b divisible by w). */
export function batchShard(batchSize: number, rank: number, worldSize: number): { start: number; count: number } {
  if (batchSize % worldSize !== 0) {
    throw new FacenetError('BAD_ARGUMENT', `--batch-size ${batchSize} is the global batch and must split evenly over the ${worldSize} processes`);
  }
  const count = batchSize / worldSize;
  return { start: rank * count, count };
}
