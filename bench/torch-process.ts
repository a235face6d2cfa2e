/**
 * The PyTorch side of a benchmark: a child python process running one of the *_torch.py scripts
 * with --serve, spoken to one JSON line at a time each way (bench/torch_serve.py is the loop on
 * the other end). One process per suite keeps torch's import and warm-up out of the timings.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import readline from 'node:readline';

export type Reply = Record<string, unknown> & { ok?: boolean; error?: string };

export class TorchProcess {
  private waiters: ((line: string | null) => void)[] = [];
  private lines: string[] = [];
  private closed = false;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    const rl = readline.createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      const w = this.waiters.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
    const end = (): void => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
    };
    rl.on('close', end);
    child.on('error', end);
  }

  /** Starts `python script --serve`; null (with a warning on stderr) when python or its torch is missing. */
  static async start(python: string, script: string, env: NodeJS.ProcessEnv = process.env): Promise<{ proc: TorchProcess; version: string } | null> {
    if (!existsSync(python)) {
      process.stderr.write(`bench: ${python} not found; PyTorch numbers will be null\n`);
      return null;
    }
    const child = spawn(python, [script, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'], env });
    const proc = new TorchProcess(child);
    let spawnError: Error | null = null;
    child.on('error', (e) => (spawnError = e));
    child.stdin.on('error', () => {}); // a dead child surfaces as a null reply, not an EPIPE crash
    const hello = await proc.next(120_000);
    const ready = hello ? (JSON.parse(hello) as { ready?: boolean; torch?: string; error?: string }) : null;
    if (!ready?.ready) {
      const why = ready?.error ?? (spawnError as Error | null)?.message ?? 'no answer';
      process.stderr.write(`bench: PyTorch is not usable from ${python} (${why}); PyTorch numbers will be null\n`);
      proc.close();
      return null;
    }
    return { proc, version: ready.torch ?? '?' };
  }

  private next(timeoutMs: number): Promise<string | null> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(null);
      }, timeoutMs);
      const done = (line: string | null): void => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.push(done);
    });
  }

  /** Sends one request; throws when the child answers with an error or not at all. */
  async request(req: Record<string, unknown>, timeoutMs = 600_000): Promise<Reply> {
    if (this.closed) throw new Error('the PyTorch process has exited');
    this.child.stdin.write(JSON.stringify(req) + '\n');
    const line = await this.next(timeoutMs);
    if (line === null) throw new Error(`no answer to ${String(req.cmd)} (the PyTorch process exited or timed out)`);
    const reply = JSON.parse(line) as Reply;
    if (!reply.ok) throw new Error(`PyTorch ${String(req.cmd)}: ${reply.error ?? 'failed'}`);
    return reply;
  }

  /** `samples` timings of `inner` calls each of the case set up under `id`: per-call ms, and the minor page faults meanwhile. */
  async run(samples: number, inner: number, id?: string): Promise<{ ms: number[]; faults: number }> {
    const r = await this.request({ cmd: 'run', samples, inner, ...(id !== undefined ? { id } : {}) });
    return { ms: r.ms as number[], faults: (r.minflt as number | undefined) ?? 0 };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    try {
      this.child.stdin.write(JSON.stringify({ cmd: 'exit' }) + '\n');
      this.child.stdin.end();
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => this.child.kill(), 2000);
    t.unref();
    this.child.once('exit', () => clearTimeout(t));
  }
}
