// Shared helpers of the binding: the tensor handle class, argument conversion and error translation.
// The binding is deliberately thin: it knows tensors, ops, autograd and optimisers, nothing about faces.
#pragma once

#include <napi.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fn {

// Per-environment state (instance data): no globals, so worker threads each get their own.
struct AddonData {
  Napi::FunctionReference tensorCtor;
  Napi::FunctionReference optimizerCtor;
  int64_t liveTensors = 0;
  int64_t liveBytes = 0;
};

AddonData* Data(Napi::Env env);

// A JS handle owning one at::Tensor. dispose() frees it at once; the GC finalizer is the safety net.
class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object Make(Napi::Env env, at::Tensor t);
  TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;
  void Release();
  void Set(at::Tensor t);

  at::Tensor tensor;
  bool alive = false;
  int64_t bytes = 0;
};

// Errors thrown to JS carry a `code` the TypeScript layer maps to FacenetError.
[[noreturn]] void ThrowArg(Napi::Env env, const std::string& msg);

// Argument readers: each throws a JS TypeError-like BAD_ARGUMENT error naming the argument.
at::Tensor& ArgTensor(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<at::Tensor> ArgOptTensor(const Napi::CallbackInfo& info, size_t i, const char* name);
std::vector<at::Tensor> ArgTensorList(const Napi::CallbackInfo& info, size_t i, const char* name);
std::vector<int64_t> ArgInts(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<std::vector<int64_t>> ArgOptInts(const Napi::CallbackInfo& info, size_t i, const char* name);
int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name);
double ArgNum(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<double> ArgOptNum(const Napi::CallbackInfo& info, size_t i, const char* name);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string ArgStr(const Napi::CallbackInfo& info, size_t i, const char* name);
at::ScalarType ArgDtype(const Napi::CallbackInfo& info, size_t i, const char* name);
c10::optional<at::ScalarType> ArgOptDtype(const Napi::CallbackInfo& info, size_t i, const char* name);
bool IsMissing(const Napi::CallbackInfo& info, size_t i);

// A JS number as a libtorch scalar: integral values stay integral so that `intTensor + 1` stays int,
// as in Python.
at::Scalar ToScalar(const Napi::Value& v, const char* name);
// Either a tensor or a number, the latter as a "wrapped number" 0-d tensor that takes part in type
// promotion like a Python scalar does (float32 tensor * 2.5 stays float32).
at::Tensor ArgTensorOrScalar(const Napi::CallbackInfo& info, size_t i, const char* name);

const char* DtypeName(at::ScalarType t);
at::ScalarType DtypeFromName(Napi::Env env, const std::string& name);

Napi::Array TensorArray(Napi::Env env, const std::vector<at::Tensor>& ts);

// Runs F, turning libtorch (c10::Error) and std exceptions into JS Errors with code NATIVE.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guard(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    Napi::Error err = Napi::Error::New(info.Env(), std::string("libtorch: ") + e.what_without_backtrace());
    err.Set("code", Napi::String::New(info.Env(), "NATIVE"));
    throw err;
  } catch (const std::exception& e) {
    Napi::Error err = Napi::Error::New(info.Env(), std::string("native: ") + e.what());
    err.Set("code", Napi::String::New(info.Env(), "NATIVE"));
    throw err;
  }
}

void InitTensor(Napi::Env env, Napi::Object exports);
void InitOps(Napi::Env env, Napi::Object exports);
void InitOptim(Napi::Env env, Napi::Object exports);
void InitDistributed(Napi::Env env, Napi::Object exports);

}  // namespace fn
