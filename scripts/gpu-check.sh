#!/usr/bin/env bash
# One prepared check for a GPU machine that has PyTorch with CUDA and a compiler (nvcc's host g++),
# but maybe no Node and no network. Before the run, on a machine with the project set up:
#   bash scripts/pack-gpu-carry.sh     # node binary, Node-API headers, tsx + sharp -> .cache/gpu-carry
# and carry .cache/gpu-carry with the checkout. On the GPU machine: bash scripts/gpu-check.sh
#
# Steps (under 8 minutes; each prints one "gpu-check: ..." line, the figures as JSON lines):
#   1. node: the machine's, else the packed one
#   2. build the addon against that PyTorch's libtorch (2.x, C++11 ABI as torch says), with NCCL
#      when its headers are found (native/config.cjs), straight with g++ (no node-gyp, no network)
#   3. the device and c10d tests (device.test.ts sees the CUDA build; the c10d exactness test on gloo)
#   4. PyTorch's own figures on this GPU: IRv1 160 px training (bf16 autocast) and embedding img/s
#   5. ours on CUDA: this version runs networks on the CPU only (the --device cuda path is not
#      implemented), so our GPU training / embedding figures are reported as null with that reason.
#
# STATUS: written without a GPU machine to run it on (none was lent to the session that wrote it);
# unrun. Expect to fix paths on the first real run.
set -uo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
say() { echo "gpu-check: $*" >&2; }
carry=.cache/gpu-carry
run=.cache/gpu-run
mkdir -p "$run/bin" native/build/Release

# 1. node
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then
  NODE=$(command -v node)
elif [ -f "$carry/node.xz" ]; then
  xz -dc "$carry/node.xz" > "$run/bin/node" && chmod +x "$run/bin/node"
  NODE=$PWD/$run/bin/node
else
  say "no node >= 20 here and no $carry/node.xz: run scripts/pack-gpu-carry.sh before the run"; exit 1
fi
export PATH="$(dirname "$NODE"):$PATH"
if [ ! -d node_modules/tsx ] && [ -f "$carry/node_modules.tar.xz" ]; then tar -xJf "$carry/node_modules.tar.xz"; fi
say "node $("$NODE" --version) at $NODE"

# 2. the addon against PyTorch's libtorch
PY=${PYTHON:-python3}
LIBTORCH=$("$PY" -c 'import torch,os;print(os.path.dirname(torch.__file__))') || { say "no PyTorch in $PY"; exit 1; }
export LIBTORCH
export LIBTORCH_CXX11_ABI=$("$PY" -c 'import torch;print(int(torch.compiled_with_cxx11_abi()))')
"$PY" -c 'import torch;print(f"gpu-check: torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.device_count()} GPU(s): {torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}")' >&2
napi_inc=$([ -f /usr/include/node/node_api.h ] && echo /usr/include/node || echo "$PWD/$carry/include")
addon_inc=$("$NODE" -p "require('node-addon-api').include_dir")
inc=$(cd native && "$NODE" config.cjs include)
defs=$(cd native && "$NODE" config.cjs defines)
libs=$(cd native && "$NODE" config.cjs libs)
say "defines: $defs"
build_log=$run/build.log
: > "$build_log"
objs=()
for src in native/src/*.cc; do
  obj=$run/$(basename "$src" .cc).o
  objs+=("$obj")
  ( g++ -std=c++17 -O2 -fPIC -fexceptions -frtti -Wno-deprecated-declarations -DNAPI_VERSION=8 -DNODE_ADDON_API_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
      $(for d in $defs; do echo "-D$d"; done) -I"$napi_inc" -I"$addon_inc" $(for i in $inc; do echo "-I$i"; done) -c "$src" -o "$obj" >> "$build_log" 2>&1 ) &
done
wait
if ! g++ -shared -o native/build/Release/facenet_native.node "${objs[@]}" $libs >> "$build_log" 2>&1; then
  say "the addon did not build against $LIBTORCH:"; tail -40 "$build_log" >&2; exit 1
fi
"$NODE" --import tsx -e "import('./src/tensor/native.ts').then(({native}) => console.log(JSON.stringify({gpuCheck: 'addon', libtorch: native.libtorchVersion, cuda: native.cudaIsAvailable(), gpus: native.cudaDeviceCount(), nccl: native.ncclAvailable()})))"
say "addon built in $(( $(date +%s) - t0 )) s"

# 3. tests that see this build (device messages on a CUDA build; c10d exactness on gloo)
timeout 240 "$NODE" --import tsx --test src/tensor/device.test.ts src/distributed/world.test.ts src/distributed/data-parallel.test.ts 2>&1 | grep -E '^(not )?ok|^# (pass|fail)' >&2 || say "tests: see above"

# 4. PyTorch on this GPU (the peer's figures; ours follow in 5)
timeout 150 "$PY" - <<'PYEOF'
import json, sys, time, torch
sys.path.insert(0, "bench")
from model_torch import InceptionResnetV1
if not torch.cuda.is_available():
    print(json.dumps({"gpuCheck": "torch", "error": "no CUDA device"})); raise SystemExit
torch.backends.cudnn.benchmark = True
dev = torch.device("cuda")
def timed(fn, seconds):
    fn(); torch.cuda.synchronize()
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        fn(); n += 1
    torch.cuda.synchronize()
    return n / (time.perf_counter() - t)
m = InceptionResnetV1(num_classes=1000).to(dev).train().to(memory_format=torch.channels_last)
opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(256, 3, 160, 160, device=dev).contiguous(memory_format=torch.channels_last)
y = torch.randint(0, 1000, (256,), device=dev)
def step():
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        _, logits = m.forward_all(x)
        loss = torch.nn.functional.cross_entropy(logits.float(), y)
    loss.backward(); opt.step()
train = timed(step, 40) * 256
e = InceptionResnetV1().to(dev).eval().to(memory_format=torch.channels_last)
xe = torch.randn(1024, 3, 160, 160, device=dev).contiguous(memory_format=torch.channels_last)
def embed():
    with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16):
        e(xe)
emb = timed(embed, 20) * 1024
print(json.dumps({"gpuCheck": "torch", "device": torch.cuda.get_device_name(0), "trainImagesPerSec_bf16_b256": train, "embedImagesPerSec_bf16_b1024": emb}))
PYEOF

# 5. ours on CUDA: not implemented in this version (see README "Devices")
echo '{"gpuCheck":"ours","trainImagesPerSec":null,"embedImagesPerSec":null,"reason":"this version runs networks on the CPU only; --device cuda is refused (NO_DEVICE)"}'
say "done in $(( $(date +%s) - t0 )) s"
