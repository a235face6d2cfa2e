#!/usr/bin/env python3
"""PyTorch side of the engine benchmark (bench/engine.ts).

Run it with Debian's system python, which has python3-torch (the same libtorch 1.13 build as the
addon links): `/usr/bin/python3 bench/engine_torch.py ...`.

Two modes:

* ``--serve``: a line protocol on stdin/stdout, one JSON object per line each way, so that the
  TypeScript side can alternate with this process sample block by sample block. This process sits
  blocked on stdin (using no CPU) while the other side runs.
    -> {"cmd":"threads","n":2}                   <- {"ok":true,"threads":2}
    -> {"cmd":"setup","case":{...}}              <- {"ok":true}
    -> {"cmd":"run","samples":5,"inner":1}       <- {"ok":true,"ms":[...per call, one per sample],
                                                     "minflt":<minor page faults during the run>}
    -> {"cmd":"teardown"}                        <- {"ok":true}
    -> {"cmd":"exit"}                            (exits)
  The first line written is {"ready":true,"torch":"<version>"}, or {"ready":false,"error":...}
  when torch cannot be imported (the process then exits with status 0).

* batch (default): the case list as JSON on argv[1] (or on stdin when argv has none); every case is
  run on its own (warm-up, then timed samples) and one JSON line per case is printed:
    /usr/bin/python3 bench/engine_torch.py '[{"op":"matmul","a":[90,1792],"b":[1792,128]}]' --threads 2
  (threads default to the CPUs this process may use; warmup/samples/inner may be set per case).

Case objects are those built by bench/engine.ts: op is conv2d_fwd | conv2d_bwd | matmul | add, with
x/cout/k/stride/pad/format for convolutions, a/b for matmul, shape for add.
"""
import json
import os
import resource
import statistics
import sys
import time


from torch_serve import emit, serve as serve_cases  # the shared --serve loop (beside this file)


try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # no torch in this interpreter: say so and stop, never crash the caller
    if "--serve" in sys.argv:
        emit({"ready": False, "error": f"{type(e).__name__}: {e}"})
    else:
        sys.stderr.write(f"engine_torch.py: cannot import torch ({e})\n")
    sys.exit(0)


class Case:
    """Tensors of one case and one timed call of its op (the result is freed inside the call)."""

    def __init__(self, c):
        self.op = c["op"]
        torch.manual_seed(0)
        if self.op in ("conv2d_fwd", "conv2d_bwd"):
            n, cin, h, w = c["x"]
            k = c["k"]
            self.stride, self.pad = c.get("stride", 1), c.get("pad", 0)
            fmt = torch.channels_last if c.get("format") == "channels_last" else torch.contiguous_format
            self.x = torch.randn(n, cin, h, w).contiguous(memory_format=fmt)
            self.w = torch.randn(c["cout"], cin, k, k).contiguous(memory_format=fmt)
            if self.op == "conv2d_bwd":
                self.x.requires_grad_(True)
                self.w.requires_grad_(True)
                self.y = F.conv2d(self.x, self.w, None, self.stride, self.pad)
                self.gy = torch.randn(self.y.shape).contiguous(memory_format=fmt)
        elif self.op == "matmul":
            self.a = torch.randn(*c["a"])
            self.b = torch.randn(*c["b"])
        elif self.op == "add":
            self.a = torch.randn(*c["shape"])
            self.b = torch.randn(*c["shape"])
        else:
            raise ValueError(f"unknown op {self.op!r}")

    def run(self, inner):
        """Per-call milliseconds of one sample of `inner` back-to-back calls."""
        op = self.op
        if op == "conv2d_fwd":
            x, w, s, p = self.x, self.w, self.stride, self.pad
            t0 = time.perf_counter()
            for _ in range(inner):
                y = F.conv2d(x, w, None, s, p)
                del y
            t1 = time.perf_counter()
        elif op == "conv2d_bwd":
            y, x, w, gy = self.y, self.x, self.w, self.gy
            t0 = time.perf_counter()
            for _ in range(inner):
                gs = torch.autograd.grad((y,), (x, w), (gy,), retain_graph=True)
                del gs
            t1 = time.perf_counter()
        elif op == "matmul":
            a, b = self.a, self.b
            t0 = time.perf_counter()
            for _ in range(inner):
                c = torch.matmul(a, b)
                del c
            t1 = time.perf_counter()
        else:  # add
            a, b = self.a, self.b
            t0 = time.perf_counter()
            for _ in range(inner):
                c = a + b
                del c
            t1 = time.perf_counter()
        return (t1 - t0) * 1e3 / inner


def serve():
    serve_cases(torch, Case)


def batch(argv):
    threads = len(os.sched_getaffinity(0))  # as the TS side's default, os.availableParallelism()
    if "--threads" in argv:
        i = argv.index("--threads")
        threads = int(argv[i + 1])
        del argv[i : i + 2]
    torch.set_num_threads(threads)
    cases = json.loads(argv[0] if argv else sys.stdin.read())
    for c in cases:
        case = Case(c)
        inner = int(c.get("inner", 1))
        for _ in range(int(c.get("warmup", 3))):
            case.run(inner)
        ms = [case.run(inner) for _ in range(int(c.get("samples", 20)))]
        emit({"op": c["op"], "case": c, "threads": torch.get_num_threads(), "torch_ms": statistics.median(ms)})
        del case


if __name__ == "__main__":
    if "--serve" in sys.argv:
        serve()
    else:
        batch(sys.argv[1:])
