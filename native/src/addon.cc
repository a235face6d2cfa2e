// Module entry: registers the tensor handle, the ops and the optimisers.
#include "common.h"

#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace fn {

AddonData* Data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

// glibc's malloc serves large blocks with fresh mmap()s (above a dynamic threshold, at most
// 32 MB) and gives the top of its heap back to the kernel past a trim threshold. In a Node process
// libtorch's activations (a few hundred KB to ~50 MB, allocated and freed every step) then come
// back as fresh, zero-filled pages on every call: ~28,000 minor page faults per training step of
// the small Inception-ResNet-v1 at batch 32 (PyTorch's python process: ~3,000-8,000), a fifth of
// the step time; over 100,000 per step of the reference network. Serving every block from the heap
// (no mmap) and trimming only past 512 MB keeps them for reuse (a few faults per step). Process-
// wide, so it is skipped when the user tunes malloc through the environment, and
// FACENET_MALLOC_TUNING=0 turns it off.
static constexpr int kMmapMax = 0;
static constexpr int kTrimThreshold = 512 << 20;

static Napi::Value MallocTuning(Napi::Env env) {
#if defined(__GLIBC__)
  for (const char* v : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_MAX_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES"}) {
    if (std::getenv(v) != nullptr) return env.Null();
  }
  const char* off = std::getenv("FACENET_MALLOC_TUNING");
  if (off != nullptr && std::string(off) == "0") return env.Null();
  if (mallopt(M_TRIM_THRESHOLD, kTrimThreshold) != 1 || mallopt(M_MMAP_MAX, kMmapMax) != 1) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("mmapMax", Napi::Number::New(env, kMmapMax));
  o.Set("trimThreshold", Napi::Number::New(env, kTrimThreshold));
  return o;
#else
  return env.Null();
#endif
}

}  // namespace fn

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<fn::AddonData>(new fn::AddonData());
  fn::InitTensor(env, exports);
  fn::InitOps(env, exports);
  fn::InitOptim(env, exports);
  fn::InitDistributed(env, exports);
  // {mmapMax, trimThreshold} when this addon tuned malloc, else null
  exports.Set("mallocTuning", fn::MallocTuning(env));
  return exports;
}

NODE_API_MODULE(facenet_native, Init)
