/**
 * The data-parallel flags of `facenet train` (torchrun's names): one launcher per machine starts
 * --nproc-per-node workers; --nnodes machines meet at --master-addr:--master-port (machine 0, rank
 * 0's store). Workers see torchrun's environment variables, so torchrun itself can start them too.
 */
import type { FlagSpec } from './args.js';

export const DATA_PARALLEL_OPTIONS = {
  nprocPerNode: { type: 'number', integer: true, min: 1, default: 1, help: 'data-parallel worker processes on this machine (--batch-size stays the global batch)' },
  nnodes: { type: 'number', integer: true, min: 1, default: 1, help: 'machines taking part (each runs this command with its --node-rank)' },
  nodeRank: { type: 'number', integer: true, min: 0, default: 0, help: 'index of this machine (0 hosts the rendezvous)' },
  masterAddr: { type: 'string', default: '127.0.0.1', valueName: 'host', help: 'address of machine 0, reachable from every machine' },
  masterPort: { type: 'number', integer: true, min: 1, max: 65535, default: 29500, help: 'rendezvous port on machine 0' },
  syncBatchNorm: { type: 'boolean', default: false, help: 'batch-norm statistics over all ranks (default: per process, as DDP)' },
} as const satisfies Record<string, FlagSpec>;
