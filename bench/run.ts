/**
 * Benchmark entry point: `npm run bench -- [--suite engine] [--quick] [--threads N]`.
 *
 * Runs the selected suites (default: all) and prints one JSON object per line on stdout; the same
 * lines go to bench/out/<suite>-<date>.jsonl (git-ignored). Progress and warnings go to stderr.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import type { SuiteOptions } from './suite-options.js';

export type { SuiteOptions } from './suite-options.js';

type Suite = (opts: SuiteOptions) => Promise<void>;

const SUITES: Record<string, () => Promise<Suite>> = {
  engine: async () => (await import('./engine.js')).runEngineSuite,
  model: async () => (await import('./model.js')).runModelSuite,
  ddp: async () => (await import('./ddp.js')).runDdpSuite,
  onnx: async () => (await import('./onnx.js')).runOnnxSuite,
  gallery: async () => (await import('./gallery.js')).runGallerySuite,
  serve: async () => (await import('./serve.js')).runServeSuite,
};

const DEFAULT_PYTHON = '/usr/bin/python3'; // Debian's system python, the one with python3-torch

const USAGE = `usage: npm run bench -- [--suite NAME[,NAME…]] [--quick] [--threads N] [--python PATH] [--precision fp32|bf16|all]
  --suite    suites to run (default: all): ${Object.keys(SUITES).join(', ')}
  --quick    a short run (fewer, shorter samples)
  --cases    only these cases of the suites that name theirs (model: embed, latency, train)
  --threads  libtorch threads on both sides (default: os.availableParallelism() = ${os.availableParallelism()})
  --python   interpreter for the PyTorch side (default: ${DEFAULT_PYTHON}); without torch, its numbers are null
  --precision model suite: fp32 cases, bf16 cases (ours in bf16, ours in fp32 and PyTorch's bf16 contenders), or all (default); serve suite: bf16 runs server and peer in bf16, otherwise fp32`;

function fail(msg: string): never {
  process.stderr.write(`bench: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { suites: string[]; quick: boolean; threads: number; python: string; cases?: string[]; precisions: ('fp32' | 'bf16')[] } {
  const suites: string[] = [];
  let precisions: ('fp32' | 'bf16')[] = ['fp32', 'bf16'];
  let quick = false;
  let python = DEFAULT_PYTHON;
  let threads = os.availableParallelism();
  let cases: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--suite':
        suites.push(...value().split(',').filter(Boolean));
        break;
      case '--quick':
        quick = true;
        break;
      case '--threads': {
        const v = value();
        threads = Number(v);
        if (!Number.isInteger(threads) || threads < 1) fail(`--threads must be a positive integer, got ${v}`);
        break;
      }
      case '--python':
        python = value();
        break;
      case '--precision': {
        const v = value();
        if (v !== 'fp32' && v !== 'bf16' && v !== 'all') fail(`--precision must be fp32, bf16 or all, got ${v}`);
        precisions = v === 'all' ? ['fp32', 'bf16'] : [v];
        break;
      }
      case '--cases':
        cases = [...(cases ?? []), ...value().split(',').filter(Boolean)];
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
      // falls through (exit does not return)
      default:
        fail(`unknown argument ${a}`);
    }
  }
  for (const s of suites) if (!(s in SUITES)) fail(`unknown suite '${s}'`);
  return { suites: suites.length ? [...new Set(suites)] : Object.keys(SUITES), quick, threads, python, precisions, ...(cases ? { cases } : {}) };
}

async function main(): Promise<void> {
  const { suites, quick, threads, python, cases, precisions } = parseArgs(process.argv.slice(2));
  const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out');
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  for (const name of suites) {
    const file = path.join(outDir, `${name}-${stamp}${quick ? '-quick' : ''}.jsonl`);
    const fd = openSync(file, 'w');
    const emit = (line: Record<string, unknown>): void => {
      const text = JSON.stringify(line) + '\n';
      process.stdout.write(text);
      writeSync(fd, text);
    };
    const t0 = performance.now();
    try {
      const suite = await SUITES[name]!();
      await suite({ quick, threads, python, precisions, emit, ...(cases ? { cases } : {}) });
    } finally {
      closeSync(fd);
    }
    process.stderr.write(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${path.relative(process.cwd(), file)}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
