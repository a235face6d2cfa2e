/** What bench/run.ts hands every suite (its own file, so that the suites need not import run.ts). */
export interface SuiteOptions {
  quick: boolean;
  /** libtorch intra-op threads, set on both sides (ours and PyTorch's). */
  threads: number;
  /** The interpreter that runs the PyTorch side (Debian's python3 with python3-torch). */
  python: string;
  /** Only these cases of a suite (by name, e.g. 'embed', 'latency'); undefined = all. */
  cases?: readonly string[];
  /** Which precisions the model suite measures (fp32 cases, bf16 cases); undefined = both. The serve suite runs bf16 when it is the only one, else fp32. */
  precisions?: ('fp32' | 'bf16')[];
  /** Prints one result line (and records it in the suite's .jsonl file). */
  emit(line: Record<string, unknown>): void;
}
