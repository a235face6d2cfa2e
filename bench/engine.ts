/**
 * Engine suite: times our libtorch binding against PyTorch (Debian's python3-torch, the same
 * libtorch 1.13 build) case by case, in the same run. PyTorch runs in a child process
 * (bench/engine_torch.py --serve) that answers one JSON request line at a time, so the two sides
 * take turns: after warm-up, the timed samples alternate (ours, theirs, theirs, ours, ours, …, one
 * sample per turn with the default plans), so that both sides see the same background noise, and
 * the median of each side's samples is reported. While one side runs the other is blocked on a
 * pipe, so they never compete for the cores.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import { randn, conv2d, grad, dispose, setNumThreads, getNumThreads, liveTensors, libtorchVersion, mallocTuning, type Tensor } from '../src/tensor/index.js';
import { native, type NativeBinding, type NativeHandle } from '../src/tensor/native.js';
import type { SuiteOptions } from './suite-options.js';
import { TorchProcess } from './torch-process.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TORCH_SCRIPT = path.join(HERE, 'engine_torch.py');
const ACCEPTANCE_MIN_RATIO = 0.95;
/** Above this many cores busy with other processes, a case's numbers are flagged as noisy. */
const NOISY_OTHER_CORES = 0.2;

// ---- cases -------------------------------------------------------------------------------------

interface ConvCase {
  op: 'conv2d_fwd' | 'conv2d_bwd';
  x: [number, number, number, number];
  cout: number;
  k: number;
  stride: number;
  pad: number;
  format: 'contiguous' | 'channels_last';
}
interface MatmulCase {
  op: 'matmul';
  a: [number, number];
  b: [number, number];
}
interface AddCase {
  op: 'add';
  shape: number[];
}
type CaseSpec = ConvCase | MatmulCase | AddCase;

interface Case {
  spec: CaseSpec;
  /** Also time the bare addon (and, for small ops, the native.ts binding) to split per-call overhead. */
  diagnostics?: boolean;
  acceptance?: boolean;
}

const conv3x3 = (format: ConvCase['format'], op: ConvCase['op'] = 'conv2d_fwd'): ConvCase => ({
  op,
  x: [32, 64, 40, 40],
  cout: 64,
  k: 3,
  stride: 1,
  pad: 1,
  format,
});

const CASES: Case[] = [
  { spec: conv3x3('contiguous'), acceptance: true, diagnostics: true },
  { spec: conv3x3('channels_last') },
  { spec: conv3x3('contiguous', 'conv2d_bwd') },
  { spec: { op: 'conv2d_fwd', x: [32, 256, 17, 17], cout: 128, k: 1, stride: 1, pad: 0, format: 'contiguous' } },
  { spec: { op: 'matmul', a: [1024, 1024], b: [1024, 1024] } },
  { spec: { op: 'matmul', a: [90, 1792], b: [1792, 128] } },
  { spec: { op: 'add', shape: [16] }, diagnostics: true },
];

function convOut(c: ConvCase): [number, number] {
  const [, , h, w] = c.x;
  return [Math.floor((h + 2 * c.pad - c.k) / c.stride) + 1, Math.floor((w + 2 * c.pad - c.k) / c.stride) + 1];
}

function describe(c: CaseSpec): string {
  switch (c.op) {
    case 'conv2d_fwd':
    case 'conv2d_bwd':
      return `[${c.x.join(',')}] k${c.k}${c.stride !== 1 ? ` s${c.stride}` : ''} p${c.pad} -> ${c.cout}`;
    case 'matmul':
      return `[${c.a.join(',')}]x[${c.b.join(',')}]`;
    case 'add':
      return `[${c.shape.join(',')}]+[${c.shape.join(',')}]`;
  }
}

/** Floating-point operations of one call (multiply-add = 2); backward ≈ 2x forward. */
function flops(c: CaseSpec): number | null {
  switch (c.op) {
    case 'conv2d_fwd':
    case 'conv2d_bwd': {
      const [n, cin] = c.x;
      const [ho, wo] = convOut(c);
      const fwd = 2 * n * c.cout * ho * wo * cin * c.k * c.k;
      return c.op === 'conv2d_fwd' ? fwd : 2 * fwd;
    }
    case 'matmul':
      return 2 * c.a[0] * c.b[1] * c.a[1];
    case 'add':
      return null;
  }
}

// ---- our side ----------------------------------------------------------------------------------

/** One way of running the case's op: call() runs it once and frees its result. */
interface Runner {
  name: string;
  call(): void;
}
interface OurCase {
  runners: Runner[]; // runners[0] is the public Tensor API, the number that is compared
  teardown(): void;
}

/** The addon's own exports, without the try/catch closures native.ts wraps around each function. */
function rawAddon(): NativeBinding {
  return createRequire(import.meta.url)(path.resolve(HERE, '../native/build/Release/facenet_native.node')) as NativeBinding;
}

function setupOurs(c: Case): OurCase {
  const s = c.spec;
  const owned: Tensor[] = [];
  const own = <T extends Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const teardown = (): void => dispose(owned);
  const runners: Runner[] = [];
  switch (s.op) {
    case 'conv2d_fwd':
    case 'conv2d_bwd': {
      const [n, cin, h, w] = s.x;
      let x = own(randn([n, cin, h, w]));
      let wt = own(randn([s.cout, cin, s.k, s.k]));
      if (s.format === 'channels_last') {
        x = own(x.contiguous('channels_last'));
        wt = own(wt.contiguous('channels_last'));
      }
      const o = { stride: s.stride, padding: s.pad };
      if (s.op === 'conv2d_fwd') {
        runners.push({ name: 'tensor', call: () => conv2d(x, wt, null, o).dispose() });
        if (c.diagnostics) {
          const raw = rawAddon();
          const st = [s.stride, s.stride];
          const pd = [s.pad, s.pad];
          const dl = [1, 1];
          runners.push({ name: 'addon', call: () => raw.dispose(raw.conv2d(x.handle, wt.handle, null, st, pd, dl, 1)) });
        }
      } else {
        x.requiresGrad_(true);
        wt.requiresGrad_(true);
        const y = own(conv2d(x, wt, null, o));
        const gy = own(s.format === 'channels_last' ? own(randn(y.shape)).contiguous('channels_last') : randn(y.shape));
        runners.push({ name: 'tensor', call: () => dispose(grad([y], [x, wt], { gradOutputs: [gy], retainGraph: true })) });
      }
      break;
    }
    case 'matmul': {
      const a = own(randn(s.a));
      const b = own(randn(s.b));
      runners.push({ name: 'tensor', call: () => a.matmul(b).dispose() });
      break;
    }
    case 'add': {
      const a = own(randn(s.shape));
      const b = own(randn(s.shape));
      runners.push({ name: 'tensor', call: () => a.add(b).dispose() });
      if (c.diagnostics) {
        const raw = rawAddon();
        const ah: NativeHandle = a.handle;
        const bh: NativeHandle = b.handle;
        // native.ts's wrapped functions: the binding without the Tensor object and scope tracking
        runners.push({ name: 'binding', call: () => native.dispose(native.binary(ah, bh, 'add')) });
        // the addon itself: what is left is Node-API + libtorch
        runners.push({ name: 'addon', call: () => raw.dispose(raw.binary(ah, bh, 'add')) });
      }
      break;
    }
  }
  return { runners, teardown };
}

/** Per-call milliseconds of one sample of `inner` back-to-back calls. */
function sample(r: Runner, inner: number): number {
  const t0 = performance.now();
  for (let i = 0; i < inner; i++) r.call();
  return (performance.now() - t0) / inner;
}

// ---- their side --------------------------------------------------------------------------------

/** The PyTorch side, with the malloc settings our addon applied to itself (see native/src/addon.cc), so that the comparison is of the engines, not of the allocators. */
async function startTorch(python: string): Promise<{ proc: TorchProcess; version: string } | null> {
  const tuning = mallocTuning();
  const env = tuning ? { ...process.env, MALLOC_MMAP_MAX_: String(tuning.mmapMax), MALLOC_TRIM_THRESHOLD_: String(tuning.trimThreshold) } : process.env;
  return TorchProcess.start(python, TORCH_SCRIPT, env);
}

// ---- measurement -------------------------------------------------------------------------------

interface Plan {
  calibrateMs: number; // minimum time of the calibration run on our side (also warm-up)
  warmupSamples: number; // then this many samples per side before timing
  sampleMs: number; // calls are batched (inner) until one sample takes about this long
  budgetMs: number; // timed samples per side: about this much time ...
  minSamples: number; // ... but at least this many
  maxSamples: number; // ... and at most this many
  block: number; // samples per turn: ours take `block` samples, then theirs, then ours, …
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: { calibrateMs: 30, warmupSamples: 1, sampleMs: 2, budgetMs: 600, minSamples: 5, maxSamples: 41, block: 1 },
  full: { calibrateMs: 100, warmupSamples: 2, sampleMs: 2, budgetMs: 3000, minSamples: 11, maxSamples: 101, block: 1 },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, digits: number): number => Number(x.toPrecision(digits));

interface Series {
  ms: number[]; // per-call milliseconds, one per sample
  faults: number; // minor page faults taken while the samples ran
  calls: number;
}

interface Measured {
  ours: Map<string, Series>; // runner name -> samples
  torch: Series | null;
  inner: number;
  /** Average number of cores busy with other processes (not ours, not the PyTorch child) while timing. */
  otherCores: number | null;
}

/** Busy CPU time of the whole machine, in clock ticks (USER_HZ = 100 on Linux); null without /proc. */
function machineBusyTicks(): { busy: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return null;
  }
}

/** CPU time of a process (utime + stime), in clock ticks; null when it cannot be read. */
function processTicks(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of proc(5), counted from 1
  } catch {
    return null;
  }
}

async function measure(c: Case, ours: OurCase, torch: TorchProcess | null, plan: Plan): Promise<Measured> {
  const main = ours.runners[0]!;
  // Calibrate (and warm up) on our side: a first, cold call, then calls until calibrateMs has passed.
  main.call();
  let calls = 0;
  const t0 = performance.now();
  do {
    main.call();
    calls++;
  } while (performance.now() - t0 < plan.calibrateMs || calls < 2);
  const est = (performance.now() - t0) / calls;
  const inner = Math.max(1, Math.ceil(plan.sampleMs / est));
  const n = Math.min(plan.maxSamples, Math.max(plan.minSamples, Math.round(plan.budgetMs / (est * inner))));

  for (const r of ours.runners) for (let i = 0; i < plan.warmupSamples; i++) sample(r, inner);
  if (torch) {
    await torch.request({ cmd: 'setup', case: c.spec });
    // their side gets its own cold call plus the same calibration time as warm-up
    await torch.run(1 + Math.max(2, Math.ceil(plan.calibrateMs / (est * inner))), inner);
    await torch.run(plan.warmupSamples, inner);
  }

  const series = (): Series => ({ ms: [], faults: 0, calls: 0 });
  const result: Measured = { ours: new Map(ours.runners.map((r) => [r.name, series()])), torch: torch ? series() : null, inner, otherCores: null };
  const m0 = machineBusyTicks();
  const p0 = processTicks(process.pid);
  const c0 = processTicks(torch?.pid);
  for (let done = 0, k = 0; done < n; k++) {
    const m = Math.min(plan.block, n - done);
    const runOurs = (): void => {
      for (const r of ours.runners) {
        const out = result.ours.get(r.name)!;
        const f0 = process.resourceUsage().minorPageFault;
        for (let i = 0; i < m; i++) out.ms.push(sample(r, inner));
        out.faults += process.resourceUsage().minorPageFault - f0;
        out.calls += m * inner;
      }
    };
    // alternate who goes first, so neither side always runs right after the other
    if (k % 2 === 0) runOurs();
    if (torch) {
      const t = await torch.run(m, inner);
      result.torch!.ms.push(...t.ms);
      result.torch!.faults += t.faults;
      result.torch!.calls += m * inner;
    }
    if (k % 2 === 1) runOurs();
    done += m;
  }
  const m1 = machineBusyTicks();
  const p1 = processTicks(process.pid);
  const c1 = processTicks(torch?.pid);
  if (m0 && m1 && p0 !== null && p1 !== null && m1.total > m0.total) {
    const mine = p1 - p0 + (c0 !== null && c1 !== null ? c1 - c0 : 0);
    const cores = os.availableParallelism();
    result.otherCores = Math.max(0, ((m1.busy - m0.busy - mine) / (m1.total - m0.total)) * cores);
  }
  if (torch) await torch.request({ cmd: 'teardown' });
  return result;
}

/** Median over the turns of theirs/ours for samples taken next to each other in time. */
function pairedRatio(ours: number[], theirs: number[]): number | null {
  const n = Math.min(ours.length, theirs.length);
  if (n === 0) return null;
  const r: number[] = [];
  for (let i = 0; i < n; i++) r.push(theirs[i]! / ours[i]!);
  return median(r);
}

// ---- the suite ---------------------------------------------------------------------------------

export async function runEngineSuite(opts: SuiteOptions): Promise<void> {
  const { emit } = opts;
  const plan = PLANS[opts.quick ? 'quick' : 'full'];
  setNumThreads(opts.threads);
  const threads = getNumThreads();

  const started = await startTorch(opts.python);
  let torch = started?.proc ?? null;
  let torchThreads: number | null = null;
  if (torch) {
    try {
      torchThreads = (await torch.request({ cmd: 'threads', n: opts.threads })).threads as number;
    } catch (e) {
      process.stderr.write(`bench: ${(e as Error).message}; PyTorch numbers will be null\n`);
      torch.close();
      torch = null;
    }
  }
  if (torchThreads !== null && torchThreads !== threads) {
    process.stderr.write(`bench: thread counts differ: ours ${threads}, PyTorch ${torchThreads}\n`);
  }
  emit({
    suite: 'engine',
    meta: true,
    quick: opts.quick,
    threads,
    torch_threads: torchThreads,
    libtorch: libtorchVersion(),
    torch: started?.version ?? null,
    python: opts.python,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? '?',
    cpus: os.availableParallelism(),
    loadavg: round(os.loadavg()[0]!, 3),
    env: {
      OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? null,
      OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? null,
      MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? null,
    },
  });

  const liveAtStart = liveTensors().count;
  let acceptance: { ratio: number | null; paired: number | null; otherCores: number | null } | null = null;
  let leaked = 0;
  for (const c of CASES) {
    const s = c.spec;
    const before = liveTensors().count;
    const ours = setupOurs(c);
    let m: Measured;
    try {
      try {
        m = await measure(c, ours, torch, plan);
      } catch (e) {
        if (!torch) throw e;
        // PyTorch failed on this case (or died): warn, and time our side alone from here on if it is gone.
        process.stderr.write(`bench: ${(e as Error).message}; PyTorch numbers for this case are null\n`);
        try {
          await torch.request({ cmd: 'teardown' }, 10_000);
        } catch {
          torch.close();
          torch = null;
        }
        m = await measure(c, ours, null, plan);
      }
    } finally {
      ours.teardown();
    }
    const after = liveTensors().count;
    if (after !== before) {
      leaked += after - before;
      process.stderr.write(`bench: ${s.op} ${describe(s)} left ${after - before} live tensors\n`);
    }

    const mine = m.ours.get('tensor')!;
    const theirs = m.torch && m.torch.ms.length ? m.torch : null;
    const ms = median(mine.ms);
    const tms = theirs ? median(theirs.ms) : null;
    const ratio = tms === null ? null : round(tms / ms, 3);
    const paired = theirs ? pairedRatio(mine.ms, theirs.ms) : null;
    const perCall = (x: Series): number => Math.round(x.faults / Math.max(1, x.calls));
    const line: Record<string, unknown> = { suite: 'engine', op: s.op, shape: describe(s) };
    if (s.op === 'conv2d_fwd' || s.op === 'conv2d_bwd') line.format = s.format;
    line.dtype = 'float32';
    line.threads = threads;
    if (s.op === 'add') {
      // per-op latency, in microseconds
      line.us = round(ms * 1e3, 4);
      line.torch_us = tms === null ? null : round(tms * 1e3, 4);
      line.ratio = ratio;
      for (const [name, x] of m.ours) if (name !== 'tensor') line[`${name}_us`] = round(median(x.ms) * 1e3, 4);
    } else {
      const f = flops(s)!;
      line.ms = round(ms, 4);
      line.gflops = round(f / (ms * 1e6), 4);
      line.torch_ms = tms === null ? null : round(tms, 4);
      line.torch_gflops = tms === null ? null : round(f / (tms * 1e6), 4);
      line.ratio = ratio;
      for (const [name, x] of m.ours) if (name !== 'tensor') line[`${name}_ms`] = round(median(x.ms), 4);
      line.ms_min = round(Math.min(...mine.ms), 4);
      line.torch_ms_min = theirs ? round(Math.min(...theirs.ms), 4) : null;
      // minor page faults per call: fresh pages for large temporaries (malloc gives them back each call)
      line.faults = perCall(mine);
      line.torch_faults = theirs ? perCall(theirs) : null;
    }
    // median of the per-turn ratios (samples taken next to each other): less sensitive to load drifts
    line.ratio_paired = paired === null ? null : round(paired, 3);
    line.samples = mine.ms.length;
    line.inner = m.inner;
    // cores kept busy by other processes while this case was timed (0 on a quiet machine)
    line.other_cores = m.otherCores === null ? null : round(m.otherCores, 2);
    emit(line);
    if (m.otherCores !== null && m.otherCores > NOISY_OTHER_CORES) {
      process.stderr.write(`bench: other processes kept ${m.otherCores.toFixed(2)} cores busy during ${s.op} ${describe(s)}: its numbers are noisy\n`);
    }
    if (c.acceptance) acceptance = { ratio, paired, otherCores: m.otherCores };
  }
  torch?.close();

  const live = liveTensors();
  const acceptanceRatio = acceptance?.ratio ?? null;
  const notes: string[] = [];
  if (acceptanceRatio === null) notes.push('no PyTorch numbers to compare with');
  if (acceptance?.otherCores != null && acceptance.otherCores > NOISY_OTHER_CORES) notes.push('other processes were busy: rerun on a quiet machine');
  emit({
    suite: 'engine',
    summary: true,
    acceptance: {
      case: 'conv2d_fwd 3x3 [32,64,40,40]',
      ratio: acceptanceRatio,
      ratio_paired: acceptance?.paired == null ? null : round(acceptance.paired, 3),
      min_ratio: ACCEPTANCE_MIN_RATIO,
      pass: acceptanceRatio !== null && acceptanceRatio >= ACCEPTANCE_MIN_RATIO,
      other_cores: acceptance?.otherCores == null ? null : round(acceptance.otherCores, 2),
      ...(notes.length ? { note: notes.join('; ') } : {}),
    },
    threads,
    leaked_tensors: leaked,
    live_tensors: live.count - liveAtStart,
    rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    loadavg: round(os.loadavg()[0]!, 3),
  });
}
