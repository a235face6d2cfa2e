// Module entry: registers the tensor handle, the ops and the optimisers.
#include "common.h"

namespace fn {

AddonData* Data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace fn

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<fn::AddonData>(new fn::AddonData());
  fn::InitTensor(env, exports);
  fn::InitOps(env, exports);
  fn::InitOptim(env, exports);
  return exports;
}

NODE_API_MODULE(facenet_native, Init)
