#!/usr/bin/env python3
"""PyTorch side of the model benchmark (bench/model.ts): Inception-ResNet-v1 inference and training.

Run it with Debian's system python, which has python3-torch (the same libtorch 1.13 build as the
addon links): `/usr/bin/python3 bench/model_torch.py ...`.

The network is built from the same configuration as src/models/inception-resnet-v1/config.ts:
repeats, width (channels scaled and rounded to multiples of 8, at least 8, as `channels()` does),
embedding size and an optional logits head, with facenet-pytorch's module names. For the reference
configuration it is bench/inception_resnet_v1_torch.py (checked by `--check`, which compares the
two parameter lists).

Two modes:

* ``--serve``: a line protocol on stdin/stdout, one JSON object per line each way, so that the
  TypeScript side can alternate with this process sample by sample. Several cases may be set up
  at once (each under an id) and timed in turns; this process sits blocked on stdin (using no CPU)
  while the other side runs.
    -> {"cmd":"threads","n":2}                        <- {"ok":true,"threads":2}
    -> {"cmd":"setup","id":"cl","case":{...}}         <- {"ok":true,"params":<parameter count>}
    -> {"cmd":"run","id":"cl","samples":3,"inner":1}  <- {"ok":true,"ms":[...per call],"minflt":<minor faults>}
    -> {"cmd":"teardown","id":"cl"}                   <- {"ok":true}   (without id: every case)
    -> {"cmd":"exit"}                                 (exits)
  The first line written is {"ready":true,"torch":"<version>"}, or {"ready":false,"error":...}
  when torch cannot be imported (the process then exits with status 0).

* batch (default): the case list as JSON on argv[1]; every case is run on its own (warm-up, then
  timed samples) and one JSON line per case is printed:
    /usr/bin/python3 bench/model_torch.py '[{"kind":"embed","batch":1,"format":"channels_last"}]' --threads 1

Case objects (built by bench/model.ts):
  kind      "embed" (eval, no autograd: forward to L2-normalised embeddings) or
            "train" (train mode: logits head, cross-entropy, backward, optimizer step)
  variant   "inception-resnet-v1" (default) | "inception-resnet-v1-small" | "inception-resnet-v1-tiny"
  batch     images per call; size: input side (default: the variant's)
  format    "contiguous" | "channels_last" (model and input)
  mode      embed only: "eager" (torch.inference_mode) | "frozen" (torch.jit.trace + torch.jit.freeze
            + torch.jit.optimize_for_inference, run under torch.inference_mode)
  classes   train only: logits over this many classes (default 1000)
  optimizer train only: "adagrad" | "sgd" (torch.optim, lr 0.01; sgd with momentum 0.9)
  precision "fp32" (default) | "bf16" (embed only: the model and input converted with .to(torch.bfloat16),
            eager or frozen) | "autocast" (torch.autocast('cpu', dtype=torch.bfloat16) around the forward;
            embed: eager only; train: fp32 master weights, the loss on float32 logits)
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
    from torch import nn
    from torch.nn import functional as F
except Exception as e:  # no torch in this interpreter: say so and stop, never crash the caller
    if "--serve" in sys.argv:
        emit({"ready": False, "error": f"{type(e).__name__}: {e}"})
    else:
        sys.stderr.write(f"model_torch.py: cannot import torch ({e})\n")
    sys.exit(0)


# ---- configurations (as src/models/inception-resnet-v1/config.ts) ---------------------------

REFERENCE = {"input_size": 160, "embedding_size": 512, "repeats": (5, 10, 5), "width": 1.0}
VARIANTS = {
    "inception-resnet-v1": {},
    "inception-resnet-v1-small": {"repeats": (2, 4, 2), "width": 0.5, "input_size": 112, "embedding_size": 128},
    "inception-resnet-v1-tiny": {"repeats": (1, 1, 1), "width": 0.25, "input_size": 96, "embedding_size": 64},
}


def config(variant):
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    return {**REFERENCE, **VARIANTS[variant]}


def channels(reference, width):
    """config.ts channels(): Math.max(8, Math.round(reference * width / 8) * 8) (JS rounds halves up)."""
    if width == 1:
        return reference
    import math

    return max(8, int(math.floor(reference * width / 8 + 0.5)) * 8)


# ---- the network, facenet-pytorch's module names, any width / repeats ---------------------------


class BasicConv2d(nn.Module):
    def __init__(self, i, o, k, s, p=0):
        super().__init__()
        self.conv = nn.Conv2d(i, o, kernel_size=k, stride=s, padding=p, bias=False)
        self.bn = nn.BatchNorm2d(o, eps=0.001, momentum=0.1, affine=True)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Block35(nn.Module):
    def __init__(self, c_in, scale, w):
        super().__init__()
        self.scale = scale
        c = channels(32, w)
        self.branch0 = BasicConv2d(c_in, c, 1, 1)
        self.branch1 = nn.Sequential(BasicConv2d(c_in, c, 1, 1), BasicConv2d(c, c, 3, 1, 1))
        self.branch2 = nn.Sequential(BasicConv2d(c_in, c, 1, 1), BasicConv2d(c, c, 3, 1, 1), BasicConv2d(c, c, 3, 1, 1))
        self.conv2d = nn.Conv2d(3 * c, c_in, 1, 1)

    def forward(self, x):
        out = torch.cat((self.branch0(x), self.branch1(x), self.branch2(x)), 1)
        return F.relu(self.conv2d(out) * self.scale + x)


class Block17(nn.Module):
    def __init__(self, c_in, scale, w):
        super().__init__()
        self.scale = scale
        c = channels(128, w)
        self.branch0 = BasicConv2d(c_in, c, 1, 1)
        self.branch1 = nn.Sequential(BasicConv2d(c_in, c, 1, 1), BasicConv2d(c, c, (1, 7), 1, (0, 3)), BasicConv2d(c, c, (7, 1), 1, (3, 0)))
        self.conv2d = nn.Conv2d(2 * c, c_in, 1, 1)

    def forward(self, x):
        out = torch.cat((self.branch0(x), self.branch1(x)), 1)
        return F.relu(self.conv2d(out) * self.scale + x)


class Block8(nn.Module):
    def __init__(self, c_in, scale, w, noReLU=False):
        super().__init__()
        self.scale = scale
        self.noReLU = noReLU
        c = channels(192, w)
        self.branch0 = BasicConv2d(c_in, c, 1, 1)
        self.branch1 = nn.Sequential(BasicConv2d(c_in, c, 1, 1), BasicConv2d(c, c, (1, 3), 1, (0, 1)), BasicConv2d(c, c, (3, 1), 1, (1, 0)))
        self.conv2d = nn.Conv2d(2 * c, c_in, 1, 1)

    def forward(self, x):
        out = self.conv2d(torch.cat((self.branch0(x), self.branch1(x)), 1)) * self.scale + x
        return out if self.noReLU else F.relu(out)


class Mixed_6a(nn.Module):
    def __init__(self, c_in, w):
        super().__init__()
        c384, c192, c256 = channels(384, w), channels(192, w), channels(256, w)
        self.branch0 = BasicConv2d(c_in, c384, 3, 2)
        self.branch1 = nn.Sequential(BasicConv2d(c_in, c192, 1, 1), BasicConv2d(c192, c192, 3, 1, 1), BasicConv2d(c192, c256, 3, 2))
        self.branch2 = nn.MaxPool2d(3, stride=2)
        self.out_channels = c384 + c256 + c_in

    def forward(self, x):
        return torch.cat((self.branch0(x), self.branch1(x), self.branch2(x)), 1)


class Mixed_7a(nn.Module):
    def __init__(self, c_in, w):
        super().__init__()
        c256, c384 = channels(256, w), channels(384, w)
        self.branch0 = nn.Sequential(BasicConv2d(c_in, c256, 1, 1), BasicConv2d(c256, c384, 3, 2))
        self.branch1 = nn.Sequential(BasicConv2d(c_in, c256, 1, 1), BasicConv2d(c256, c256, 3, 2))
        self.branch2 = nn.Sequential(BasicConv2d(c_in, c256, 1, 1), BasicConv2d(c256, c256, 3, 1, 1), BasicConv2d(c256, c256, 3, 2))
        self.branch3 = nn.MaxPool2d(3, stride=2)
        self.out_channels = c384 + c256 + c256 + c_in

    def forward(self, x):
        return torch.cat((self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)), 1)


class InceptionResnetV1(nn.Module):
    """forward(x) -> L2-normalised embeddings; forward_all(x) -> (prelogits, logits or None)."""

    def __init__(self, variant="inception-resnet-v1", num_classes=None, dropout_prob=0.6):
        super().__init__()
        c = config(variant)
        w = c["width"]
        r1, r2, r3 = c["repeats"]
        stem = channels(256, w)
        self.conv2d_1a = BasicConv2d(3, channels(32, w), 3, 2)
        self.conv2d_2a = BasicConv2d(channels(32, w), channels(32, w), 3, 1)
        self.conv2d_2b = BasicConv2d(channels(32, w), channels(64, w), 3, 1, 1)
        self.maxpool_3a = nn.MaxPool2d(3, stride=2)
        self.conv2d_3b = BasicConv2d(channels(64, w), channels(80, w), 1, 1)
        self.conv2d_4a = BasicConv2d(channels(80, w), channels(192, w), 3, 1)
        self.conv2d_4b = BasicConv2d(channels(192, w), stem, 3, 2)
        self.repeat_1 = nn.Sequential(*[Block35(stem, 0.17, w) for _ in range(r1)])
        self.mixed_6a = Mixed_6a(stem, w)
        c17 = self.mixed_6a.out_channels
        self.repeat_2 = nn.Sequential(*[Block17(c17, 0.10, w) for _ in range(r2)])
        self.mixed_7a = Mixed_7a(c17, w)
        c8 = self.mixed_7a.out_channels
        self.repeat_3 = nn.Sequential(*[Block8(c8, 0.20, w) for _ in range(r3)])
        self.block8 = Block8(c8, 1.0, w, noReLU=True)
        self.avgpool_1a = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout_prob)
        self.last_linear = nn.Linear(c8, c["embedding_size"], bias=False)
        self.last_bn = nn.BatchNorm1d(c["embedding_size"], eps=0.001, momentum=0.1, affine=True)
        self.logits = nn.Linear(c["embedding_size"], num_classes) if num_classes else None

    def forward_all(self, x):
        x = self.conv2d_1a(x)
        x = self.conv2d_2a(x)
        x = self.conv2d_2b(x)
        x = self.maxpool_3a(x)
        x = self.conv2d_3b(x)
        x = self.conv2d_4a(x)
        x = self.conv2d_4b(x)
        x = self.repeat_1(x)
        x = self.mixed_6a(x)
        x = self.repeat_2(x)
        x = self.mixed_7a(x)
        x = self.repeat_3(x)
        x = self.block8(x)
        x = self.dropout(self.avgpool_1a(x))
        pre = self.last_bn(self.last_linear(x.flatten(1)))
        return pre, (self.logits(pre) if self.logits is not None else None)

    def forward(self, x):
        return F.normalize(self.forward_all(x)[0], p=2, dim=1)


# ---- cases ----------------------------------------------------------------------------------------


class Case:
    """One model set up for one kind of call; run(inner) times `inner` back-to-back calls."""

    def __init__(self, c):
        self.kind = c.get("kind", "embed")
        variant = c.get("variant", "inception-resnet-v1")
        cfg = config(variant)
        size = int(c.get("size") or cfg["input_size"])
        batch = int(c["batch"])
        self.fmt = torch.channels_last if c.get("format") == "channels_last" else torch.contiguous_format
        torch.manual_seed(0)
        self.precision = c.get("precision", "fp32")
        if self.precision not in ("fp32", "bf16", "autocast"):
            raise ValueError(f"unknown precision {self.precision!r}")
        self.in_dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        if self.kind == "embed":
            self.model = InceptionResnetV1(variant).eval()
            self.model = self.model.to(memory_format=self.fmt)
            if self.precision == "bf16":
                self.model = self.model.to(torch.bfloat16)
            self.x = torch.randn(batch, 3, size, size)  # NCHW, as the caller hands images in
            self.mode = c.get("mode", "eager")
            if self.mode == "frozen" and self.precision == "autocast":
                raise ValueError("frozen + autocast is not a contender (trace under autocast bakes the casts in)")
            if self.mode == "frozen":
                with torch.no_grad():
                    example = self.x.to(self.in_dtype).contiguous(memory_format=self.fmt)
                    traced = torch.jit.trace(self.model, example)
                    frozen = torch.jit.freeze(traced)
                    self.model = torch.jit.optimize_for_inference(frozen)
            elif self.mode != "eager":
                raise ValueError(f"unknown mode {self.mode!r}")
        elif self.kind == "train":
            if self.precision == "bf16":
                raise ValueError("train with bf16 weights is not a contender (use autocast: fp32 master weights)")
            self.model = InceptionResnetV1(variant, num_classes=int(c.get("classes", 1000))).train()
            self.model = self.model.to(memory_format=self.fmt)
            self.x = torch.randn(batch, 3, size, size)
            self.y = torch.randint(0, int(c.get("classes", 1000)), (batch,))
            opt = c.get("optimizer", "adagrad")
            lr = float(c.get("lr", 0.01))
            if opt == "adagrad":
                self.opt = torch.optim.Adagrad(self.model.parameters(), lr=lr)
            elif opt == "sgd":
                self.opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=0.9)
            else:
                raise ValueError(f"unknown optimizer {opt!r}")
        else:
            raise ValueError(f"unknown kind {self.kind!r}")
        self.params = sum(p.numel() for p in self.model.parameters()) if self.kind == "train" or self.mode == "eager" else None

    def call(self):
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "autocast")
        if self.kind == "embed":
            with torch.inference_mode(), autocast:
                e = self.model(self.x.to(self.in_dtype).contiguous(memory_format=self.fmt))
                e = e.float()  # embeddings out in float32, as ours
            del e
        else:
            self.opt.zero_grad(set_to_none=True)
            with autocast:
                _, logits = self.model.forward_all(self.x.contiguous(memory_format=self.fmt))
            loss = F.cross_entropy(logits.float(), self.y)
            loss.backward()
            self.opt.step()
            loss.item()

    def run(self, inner):
        t0 = time.perf_counter()
        for _ in range(inner):
            self.call()
        return (time.perf_counter() - t0) * 1e3 / inner


def serve():
    serve_cases(torch, Case)


def check():
    """The reference configuration has the twin's parameter names and shapes (bench/inception_resnet_v1_torch.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import inception_resnet_v1_torch as twin

    a = {k: tuple(v.shape) for k, v in InceptionResnetV1(num_classes=10).state_dict().items()}
    b = {k: tuple(v.shape) for k, v in twin.InceptionResnetV1(num_classes=10).state_dict().items()}
    ok = a == b
    small = sum(p.numel() for p in InceptionResnetV1("inception-resnet-v1-small", num_classes=5).parameters())
    emit({"reference_matches_twin": ok, "reference_params": sum(p.numel() for p in InceptionResnetV1(num_classes=10).parameters()), "small_params": small})
    sys.exit(0 if ok else 1)


def batch(argv):
    threads = len(os.sched_getaffinity(0))
    if "--threads" in argv:
        i = argv.index("--threads")
        threads = int(argv[i + 1])
        del argv[i : i + 2]
    torch.set_num_threads(threads)
    for c in json.loads(argv[0]):
        case = Case(c)
        inner = int(c.get("inner", 1))
        for _ in range(int(c.get("warmup", 2))):
            case.run(inner)
        ms = [case.run(inner) for _ in range(int(c.get("samples", 5)))]
        emit({"case": c, "threads": torch.get_num_threads(), "torch_ms": statistics.median(ms), "torch_ms_min": min(ms)})
        del case


if __name__ == "__main__":
    if "--serve" in sys.argv:
        serve()
    elif "--check" in sys.argv:
        check()
    else:
        batch(sys.argv[1:])
