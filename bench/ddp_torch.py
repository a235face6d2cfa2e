#!/usr/bin/env python3
"""PyTorch side of the ddp benchmark (bench/ddp.ts): the same Inception-ResNet-v1 variant as
bench/model_torch.py, softmax head, SGD with momentum 0.9 (lr 0.01), random data, channels_last,
the global batch split over the ranks, under torch.nn.parallel.DistributedDataParallel with gloo
when started by torchrun (`/usr/bin/python3 -m torch.distributed.run --nproc-per-node N ...`),
plain when started alone. argv[1]: JSON {variant, batch, warmup, steps, threads, classes}. Rank 0
prints {"imagesPerSec", "msPerStep"}."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from model_torch import InceptionResnetV1, config  # noqa: E402


class WithLogits(torch.nn.Module):
    """DDP hooks the wrapped module's forward(): this one returns the logits."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner.forward_all(x)[1]


def main():
    o = json.loads(sys.argv[1])
    torch.set_num_threads(int(o["threads"]))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("gloo")
    local = o["batch"] // world
    size = config(o["variant"])["input_size"]
    torch.manual_seed(0)
    model = InceptionResnetV1(o["variant"], num_classes=int(o["classes"])).train().to(memory_format=torch.channels_last)
    net = WithLogits(model)
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(net)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(local, 3, size, size).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, int(o["classes"]), (local,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    for _ in range(int(o["warmup"])):
        step()
    if world > 1:
        dist.barrier()
    t0 = time.perf_counter()
    for _ in range(int(o["steps"])):
        step()
    if world > 1:
        dist.barrier()
    ms = (time.perf_counter() - t0) * 1e3
    if rank == 0:
        print(json.dumps({"imagesPerSec": o["batch"] * o["steps"] * 1e3 / ms, "msPerStep": ms / o["steps"]}), flush=True)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
