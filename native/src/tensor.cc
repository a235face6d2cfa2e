// The tensor handle, argument conversion, tensor creation and read-back, autograd and runtime settings.
#include "common.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/generated/variable_factories.h>
#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>
#include <ATen/autocast_mode.h>

#include <cstring>

namespace fn {

// ---------------------------------------------------------------------------------------------
// TensorWrap

Napi::Function TensorWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeTensor", {});
}

TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {}

TensorWrap::~TensorWrap() { Release(); }

// V8 hears about the bytes held by live handles in steps of at least 256 MB. Reporting every
// handle's bytes as it comes and goes made V8 start a full (mark-compact) GC each time the total
// rose 64 MB above its level at the last GC: in a training step, where a few 24-48 MB activations
// are alive at once and then disposed, that was a couple of GCs per step whose marking threads
// compete with libtorch's (~20 ms of a 900 ms step of the reference network at batch 32). Leaked
// handles still make V8 collect, once they hold 256 MB more than V8 was last told.
static constexpr int64_t kV8ReportStep = int64_t{256} << 20;
static thread_local int64_t reportedToV8 = 0;  // per thread, i.e. per Node environment (isolate)

static void ReportToV8(Napi::Env env, int64_t liveBytes) {
  const int64_t change = liveBytes - reportedToV8;
  if (change > kV8ReportStep || change < -kV8ReportStep) {
    Napi::MemoryManagement::AdjustExternalMemory(env, change);
    reportedToV8 = liveBytes;
  }
}

void TensorWrap::Set(at::Tensor t) {
  Release();
  tensor = std::move(t);
  alive = true;
  bytes = tensor.defined() ? static_cast<int64_t>(tensor.numel() * tensor.element_size()) : 0;
  AddonData* d = Data(Env());
  d->liveTensors++;
  d->liveBytes += bytes;
  // Tell V8 about the memory behind these small handles, or it will not collect handles in time.
  if (bytes > 0) ReportToV8(Env(), d->liveBytes);
}

void TensorWrap::Release() {
  if (!alive) return;
  alive = false;
  tensor = at::Tensor();
  AddonData* d = Data(Env());
  if (d != nullptr) {
    d->liveTensors--;
    d->liveBytes -= bytes;
    if (bytes > 0) ReportToV8(Env(), d->liveBytes);
  }
  bytes = 0;
}

Napi::Object TensorWrap::Make(Napi::Env env, at::Tensor t) {
  Napi::Object obj = Data(env)->tensorCtor.New({});
  TensorWrap::Unwrap(obj)->Set(std::move(t));
  return obj;
}

// ---------------------------------------------------------------------------------------------
// Argument helpers

void ThrowArg(Napi::Env env, const std::string& msg) {
  Napi::Error err = Napi::TypeError::New(env, msg);
  err.Set("code", Napi::String::New(env, "BAD_ARGUMENT"));
  throw err;
}

bool IsMissing(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() <= i || info[i].IsUndefined() || info[i].IsNull();
}

// The TensorWrap behind a handle, or nullptr once dispose() has removed it (see Dispose).
static TensorWrap* Lookup(Napi::Env env, const Napi::Object& o) {
  void* p = nullptr;
  if (napi_unwrap(env, o, &p) != napi_ok) return nullptr;
  return static_cast<TensorWrap*>(p);
}

static TensorWrap* UnwrapTensor(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsObject()) ThrowArg(env, std::string(name) + ": expected a tensor");
  Napi::Object o = v.As<Napi::Object>();
  if (!o.InstanceOf(Data(env)->tensorCtor.Value())) ThrowArg(env, std::string(name) + ": expected a tensor");
  TensorWrap* w = Lookup(env, o);
  if (w == nullptr || !w->alive) {
    Napi::Error err = Napi::Error::New(env, std::string(name) + ": tensor was disposed");
    err.Set("code", Napi::String::New(env, "DISPOSED"));
    throw err;
  }
  return w;
}

at::Tensor& ArgTensor(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i) ThrowArg(info.Env(), std::string(name) + ": missing tensor argument");
  return UnwrapTensor(info.Env(), info[i], name)->tensor;
}

c10::optional<at::Tensor> ArgOptTensor(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (IsMissing(info, i)) return c10::nullopt;
  return UnwrapTensor(info.Env(), info[i], name)->tensor;
}

std::vector<at::Tensor> ArgTensorList(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsArray()) ThrowArg(info.Env(), std::string(name) + ": expected an array of tensors");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) out.push_back(UnwrapTensor(info.Env(), a.Get(k), name)->tensor);
  return out;
}

static int64_t ToInt(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) ThrowArg(env, std::string(name) + ": expected an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) ThrowArg(env, std::string(name) + ": expected an integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

std::vector<int64_t> ArgInts(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i) ThrowArg(info.Env(), std::string(name) + ": missing argument");
  Napi::Value v = info[i];
  if (v.IsNumber()) return {ToInt(info.Env(), v, name)};
  if (!v.IsArray()) ThrowArg(info.Env(), std::string(name) + ": expected an array of integers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) out[k] = ToInt(info.Env(), a.Get(k), name);
  return out;
}

c10::optional<std::vector<int64_t>> ArgOptInts(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (IsMissing(info, i)) return c10::nullopt;
  return ArgInts(info, i, name);
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i) ThrowArg(info.Env(), std::string(name) + ": missing argument");
  return ToInt(info.Env(), info[i], name);
}

double ArgNum(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) ThrowArg(info.Env(), std::string(name) + ": expected a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

c10::optional<double> ArgOptNum(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (IsMissing(info, i)) return c10::nullopt;
  return ArgNum(info, i, name);
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (IsMissing(info, i)) return false;
  if (!info[i].IsBoolean()) ThrowArg(info.Env(), std::string(name) + ": expected a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::string ArgStr(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsString()) ThrowArg(info.Env(), std::string(name) + ": expected a string");
  return info[i].As<Napi::String>().Utf8Value();
}

at::ScalarType DtypeFromName(Napi::Env env, const std::string& s) {
  if (s == "float32") return at::kFloat;
  if (s == "float64") return at::kDouble;
  if (s == "float16") return at::kHalf;
  if (s == "bfloat16") return at::kBFloat16;
  if (s == "int64") return at::kLong;
  if (s == "int32") return at::kInt;
  if (s == "int16") return at::kShort;
  if (s == "int8") return at::kChar;
  if (s == "uint8") return at::kByte;
  if (s == "bool") return at::kBool;
  ThrowArg(env, "unknown dtype '" + s + "' (float32 float64 float16 bfloat16 int64 int32 int16 int8 uint8 bool)");
}

const char* DtypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kShort: return "int16";
    case at::kChar: return "int8";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: return "unsupported";
  }
}

at::ScalarType ArgDtype(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return DtypeFromName(info.Env(), ArgStr(info, i, name));
}

c10::optional<at::ScalarType> ArgOptDtype(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (IsMissing(info, i)) return c10::nullopt;
  return ArgDtype(info, i, name);
}

at::Scalar ToScalar(const Napi::Value& v, const char* name) {
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  if (!v.IsNumber()) ThrowArg(v.Env(), std::string(name) + ": expected a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

at::Tensor ArgTensorOrScalar(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i) ThrowArg(info.Env(), std::string(name) + ": missing argument");
  Napi::Value v = info[i];
  if (v.IsNumber() || v.IsBoolean()) {
    at::Scalar s = ToScalar(v, name);
    at::Tensor t = at::scalar_tensor(s, at::TensorOptions().dtype(s.isBoolean() ? at::kBool : s.isIntegral(false) ? at::kLong : at::kDouble));
    t.unsafeGetTensorImpl()->set_wrapped_number(true);
    return t;
  }
  return UnwrapTensor(info.Env(), v, name)->tensor;
}

Napi::Array TensorArray(Napi::Env env, const std::vector<at::Tensor>& ts) {
  Napi::Array a = Napi::Array::New(env, ts.size());
  for (size_t k = 0; k < ts.size(); k++) a.Set(static_cast<uint32_t>(k), TensorWrap::Make(env, ts[k]));
  return a;
}

// ---------------------------------------------------------------------------------------------
// Creation and read-back

static at::Device ParseDevice(Napi::Env env, const std::string& s) {
  try {
    return at::Device(s);
  } catch (const c10::Error&) {
    ThrowArg(env, "unknown device '" + s + "' (cpu, cuda, cuda:N)");
  }
}

// fromData(typedArray, shape, dtype, device?) copies the bytes: JS memory may move or be collected.
static Napi::Value FromData(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) ThrowArg(env, "data: expected a typed array");
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  std::vector<int64_t> shape = ArgInts(info, 1, "shape");
  at::ScalarType dt = ArgDtype(info, 2, "dtype");
  int64_t numel = 1;
  for (int64_t s : shape) {
    if (s < 0) ThrowArg(env, "shape: negative dimension");
    numel *= s;
  }
  const int64_t itemsize = static_cast<int64_t>(c10::elementSize(dt));
  const int64_t nbytes = static_cast<int64_t>(ta.ByteLength());
  if (nbytes != numel * itemsize) {
    ThrowArg(env, "data has " + std::to_string(nbytes) + " bytes but shape [" + c10::Join(",", shape) + "] of " +
                      DtypeName(dt) + " needs " + std::to_string(numel * itemsize));
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dt));
  if (nbytes > 0) {
    const uint8_t* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    std::memcpy(t.data_ptr(), src, static_cast<size_t>(nbytes));
  }
  if (!IsMissing(info, 3)) {
    at::Device dev = ParseDevice(env, ArgStr(info, 3, "device"));
    if (!dev.is_cpu()) t = t.to(dev);
  }
  return TensorWrap::Make(env, t);
}

// writeInto(t, typedArray, elementOffset): copies the array's values into a contiguous CPU tensor
// from that flat element on, converting to t's dtype (e.g. float32 rows into a bfloat16 matrix).
// Why: filling a large preallocated matrix chunk by chunk (a gallery's search matrix at open)
// without a temporary tensor per chunk; fromData's allocation and page faults cost as much as
// the copy itself.
static Napi::Value WriteInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = ArgTensor(info, 0, "tensor");
  if (info.Length() < 2 || !info[1].IsTypedArray()) ThrowArg(env, "writeInto: expected a typed array");
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  at::ScalarType src;
  switch (ta.TypedArrayType()) {
    case napi_float32_array: src = at::kFloat; break;
    case napi_float64_array: src = at::kDouble; break;
    case napi_int32_array: src = at::kInt; break;
    default: ThrowArg(env, "writeInto: expected a Float32Array, Float64Array or Int32Array");
  }
  const double offsetArg = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
  if (!(offsetArg >= 0) || offsetArg != static_cast<double>(static_cast<int64_t>(offsetArg))) ThrowArg(env, "writeInto: offset must be an integer >= 0");
  const int64_t offset = static_cast<int64_t>(offsetArg);
  const int64_t n = static_cast<int64_t>(ta.ElementLength());
  if (!t.device().is_cpu() || !t.is_contiguous()) ThrowArg(env, "writeInto: the tensor must be contiguous and on the CPU");
  if (offset + n > t.numel()) ThrowArg(env, "writeInto: " + std::to_string(n) + " values from element " + std::to_string(offset) + " overrun a tensor of " + std::to_string(t.numel()));
  if (n == 0) return env.Undefined();
  void* data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  at::Tensor from = at::from_blob(data, {n}, at::TensorOptions().dtype(src));
  at::NoGradGuard noGrad;
  t.detach().view({-1}).narrow(0, offset, n).copy_(from);
  return env.Undefined();
}

// empty(shape, dtype?): uninitialised memory, for buffers that are filled before they are read.
static Napi::Value Empty(const Napi::CallbackInfo& info);

static at::TensorOptions Opts(const Napi::CallbackInfo& info, size_t dtypeIdx, size_t deviceIdx) {
  at::TensorOptions o = at::TensorOptions().dtype(IsMissing(info, dtypeIdx) ? at::kFloat : ArgDtype(info, dtypeIdx, "dtype"));
  if (!IsMissing(info, deviceIdx)) o = o.device(ParseDevice(info.Env(), ArgStr(info, deviceIdx, "device")));
  return o;
}

static Napi::Value Empty(const Napi::CallbackInfo& info) {
  return TensorWrap::Make(info.Env(), at::empty(ArgInts(info, 0, "shape"), Opts(info, 1, 2)));
}

// full(shape, value, dtype?, device?)
static Napi::Value Full(const Napi::CallbackInfo& info) {
  return TensorWrap::Make(info.Env(), at::full(ArgInts(info, 0, "shape"), ToScalar(info[1], "value"), Opts(info, 2, 3)));
}

// arange(start, end, step, dtype?, device?)
static Napi::Value Arange(const Napi::CallbackInfo& info) {
  return TensorWrap::Make(info.Env(), at::arange(ToScalar(info[0], "start"), ToScalar(info[1], "end"), ToScalar(info[2], "step"), Opts(info, 3, 4)));
}

// Seeded random creation: libtorch's default generator, seeded by manualSeed().
static Napi::Value Randn(const Napi::CallbackInfo& info) {
  return TensorWrap::Make(info.Env(), at::randn(ArgInts(info, 0, "shape"), Opts(info, 1, 2)));
}
static Napi::Value Rand(const Napi::CallbackInfo& info) {
  return TensorWrap::Make(info.Env(), at::rand(ArgInts(info, 0, "shape"), Opts(info, 1, 2)));
}
// randint(low, high, shape, dtype?)
static Napi::Value Randint(const Napi::CallbackInfo& info) {
  at::TensorOptions o = at::TensorOptions().dtype(IsMissing(info, 3) ? at::kLong : ArgDtype(info, 3, "dtype"));
  return TensorWrap::Make(info.Env(), at::randint(ArgInt(info, 0, "low"), ArgInt(info, 1, "high"), ArgInts(info, 2, "shape"), o));
}
static Napi::Value Randperm(const Napi::CallbackInfo& info) {
  return TensorWrap::Make(info.Env(), at::randperm(ArgInt(info, 0, "n"), at::TensorOptions().dtype(at::kLong)));
}
static Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  double seed = ArgNum(info, 0, "seed");
  if (seed < 0) ThrowArg(info.Env(), "seed: must be >= 0");
  at::manual_seed(static_cast<uint64_t>(seed));
  return info.Env().Undefined();
}

// dispose(t) frees the libtorch tensor and also the handle's own native parts (the TensorWrap and
// Node's wrap reference) at once, leaving an empty JS object. Left to the GC, those small blocks
// would live until Node runs the finalizers from setImmediate, i.e. never inside a synchronous
// training loop; malloc carves them out of the freed tensor buffers, which then cannot be reused,
// and RSS grows by every intermediate of every step although each tensor was disposed.
static Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) ThrowArg(env, "dispose: expected a tensor");
  Napi::Object o = info[0].As<Napi::Object>();
  if (!o.InstanceOf(Data(env)->tensorCtor.Value())) ThrowArg(env, "dispose: expected a tensor");
  TensorWrap* w = Lookup(env, o);
  if (w == nullptr) return env.Undefined();  // disposed before
  w->Release();
  // Detach first so that the GC never finalizes the deleted wrapper; ~Reference then deletes the
  // (userland-owned) wrap reference.
  if (napi_remove_wrap(env, o, nullptr) == napi_ok) delete w;
  return env.Undefined();
}

static Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) ThrowArg(info.Env(), "isDisposed: expected a tensor");
  TensorWrap* w = Lookup(info.Env(), info[0].As<Napi::Object>());
  return Napi::Boolean::New(info.Env(), w == nullptr || !w->alive);
}

static Napi::Value Shape(const Napi::CallbackInfo& info) {
  at::Tensor& t = ArgTensor(info, 0, "tensor");
  Napi::Array a = Napi::Array::New(info.Env(), t.dim());
  for (int64_t k = 0; k < t.dim(); k++) a.Set(static_cast<uint32_t>(k), Napi::Number::New(info.Env(), static_cast<double>(t.size(k))));
  return a;
}

static Napi::Value Strides(const Napi::CallbackInfo& info) {
  at::Tensor& t = ArgTensor(info, 0, "tensor");
  Napi::Array a = Napi::Array::New(info.Env(), t.dim());
  for (int64_t k = 0; k < t.dim(); k++) a.Set(static_cast<uint32_t>(k), Napi::Number::New(info.Env(), static_cast<double>(t.stride(k))));
  return a;
}

static Napi::Value Dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DtypeName(ArgTensor(info, 0, "tensor").scalar_type()));
}

static Napi::Value DeviceOf(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), ArgTensor(info, 0, "tensor").device().str());
}

static Napi::Value Numel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ArgTensor(info, 0, "tensor").numel()));
}

// isContiguous(t, format?) with format 'contiguous' | 'channels_last'
static at::MemoryFormat ParseFormat(const Napi::CallbackInfo& info, size_t i) {
  if (IsMissing(info, i)) return at::MemoryFormat::Contiguous;
  std::string f = ArgStr(info, i, "memoryFormat");
  if (f == "contiguous") return at::MemoryFormat::Contiguous;
  if (f == "channels_last") return at::MemoryFormat::ChannelsLast;
  if (f == "preserve") return at::MemoryFormat::Preserve;
  ThrowArg(info.Env(), "memoryFormat: expected 'contiguous', 'channels_last' or 'preserve'");
}

static Napi::Value IsContiguous(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), ArgTensor(info, 0, "tensor").is_contiguous(ParseFormat(info, 1)));
}

static Napi::Value Contiguous(const Napi::CallbackInfo& info) {
  return TensorWrap::Make(info.Env(), ArgTensor(info, 0, "tensor").contiguous(ParseFormat(info, 1)));
}

// item(t): a one-element tensor as a JS number (bool as 0/1).
static Napi::Value Item(const Napi::CallbackInfo& info) {
  at::Tensor& t = ArgTensor(info, 0, "tensor");
  if (t.numel() != 1) ThrowArg(info.Env(), "item: tensor has " + std::to_string(t.numel()) + " elements, expected 1");
  return Napi::Number::New(info.Env(), t.item().toDouble());
}

// data(t): a copy of the values, row-major, as the typed array that matches the dtype
// (float16/bfloat16 come back as float32; int64 as BigInt64Array).
static Napi::Value DataOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = ArgTensor(info, 0, "tensor").detach();
  if (t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16) t = t.to(at::kFloat);
  t = t.to(at::kCPU).contiguous();
  const size_t nbytes = static_cast<size_t>(t.numel() * t.element_size());
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, nbytes);
  if (nbytes > 0) std::memcpy(buf.Data(), t.data_ptr(), nbytes);
  const size_t n = static_cast<size_t>(t.numel());
  switch (t.scalar_type()) {
    case at::kFloat: return Napi::Float32Array::New(env, n, buf, 0);
    case at::kDouble: return Napi::Float64Array::New(env, n, buf, 0);
    case at::kLong: return Napi::BigInt64Array::New(env, n, buf, 0);
    case at::kInt: return Napi::Int32Array::New(env, n, buf, 0);
    case at::kShort: return Napi::Int16Array::New(env, n, buf, 0);
    case at::kChar: return Napi::Int8Array::New(env, n, buf, 0);
    case at::kByte:
    case at::kBool: return Napi::Uint8Array::New(env, n, buf, 0);
    default: ThrowArg(env, "data: unsupported dtype");
  }
}

static Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("count", Napi::Number::New(info.Env(), static_cast<double>(Data(info.Env())->liveTensors)));
  o.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(Data(info.Env())->liveBytes)));
  return o;
}

// ---------------------------------------------------------------------------------------------
// Autograd

static Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  ArgTensor(info, 0, "tensor").requires_grad_(ArgBool(info, 1, "requiresGrad"));
  return info.Env().Undefined();
}
static Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), ArgTensor(info, 0, "tensor").requires_grad());
}
static Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), ArgTensor(info, 0, "tensor").is_leaf());
}
static Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  ArgTensor(info, 0, "tensor").retain_grad();
  return info.Env().Undefined();
}
// grad(t): a new handle on t's gradient, or null when it has none.
static Napi::Value Grad(const Napi::CallbackInfo& info) {
  const at::Tensor& g = ArgTensor(info, 0, "tensor").grad();
  if (!g.defined()) return info.Env().Null();
  return TensorWrap::Make(info.Env(), g);
}
// setGrad(t, g | null): null drops the gradient (zero_grad(set_to_none=True)).
static Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  at::Tensor& t = ArgTensor(info, 0, "tensor");
  c10::optional<at::Tensor> g = ArgOptTensor(info, 1, "grad");
  t.mutable_grad() = g.has_value() ? *g : at::Tensor();
  return info.Env().Undefined();
}
// backward(t, gradient?, retainGraph?)
static Napi::Value Backward(const Napi::CallbackInfo& info) {
  at::Tensor& t = ArgTensor(info, 0, "tensor");
  c10::optional<at::Tensor> g = ArgOptTensor(info, 1, "gradient");
  if (!t.requires_grad()) ThrowArg(info.Env(), "backward: the tensor does not require grad (no parameter with requiresGrad took part, or it was computed under noGrad)");
  if (!g.has_value() && t.numel() != 1) ThrowArg(info.Env(), "backward: gradient can be implicit only for a one-element tensor");
  t.backward(g.has_value() ? *g : at::Tensor(), ArgBool(info, 2, "retainGraph"), false);
  return info.Env().Undefined();
}
// autogradGrad(outputs[], inputs[], gradOutputs[] | null, retainGraph, createGraph, allowUnused)
static Napi::Value AutogradGrad(const Napi::CallbackInfo& info) {
  std::vector<at::Tensor> outputs = ArgTensorList(info, 0, "outputs");
  std::vector<at::Tensor> inputs = ArgTensorList(info, 1, "inputs");
  std::vector<at::Tensor> gradOutputs;
  if (!IsMissing(info, 2)) gradOutputs = ArgTensorList(info, 2, "gradOutputs");
  bool create = ArgBool(info, 4, "createGraph");
  c10::optional<bool> retain = IsMissing(info, 3) ? c10::optional<bool>() : c10::optional<bool>(ArgBool(info, 3, "retainGraph"));
  std::vector<at::Tensor> grads = torch::autograd::grad(outputs, inputs, gradOutputs, retain, create, ArgBool(info, 5, "allowUnused"));
  Napi::Array a = Napi::Array::New(info.Env(), grads.size());
  for (size_t k = 0; k < grads.size(); k++) {
    a.Set(static_cast<uint32_t>(k), grads[k].defined() ? Napi::Value(TensorWrap::Make(info.Env(), grads[k])) : info.Env().Null());
  }
  return a;
}
static Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}
// setGradEnabled(b) returns the previous mode so the TS noGrad() scope can restore it.
static Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool prev = at::GradMode::is_enabled();
  at::GradMode::set_enabled(ArgBool(info, 0, "enabled"));
  return Napi::Boolean::New(info.Env(), prev);
}

// ---------------------------------------------------------------------------------------------
// Runtime

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int64_t n = ArgInt(info, 0, "threads");
  if (n < 1) ThrowArg(info.Env(), "threads: must be >= 1");
  at::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}
static Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}
static Napi::Value CudaAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::hasCUDA() && at::detail::getCUDAHooks().getNumGPUs() > 0);
}
static Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::hasCUDA() ? static_cast<double>(at::detail::getCUDAHooks().getNumGPUs()) : 0);
}
static Napi::Value ParallelInfo(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), at::get_parallel_info());
}

// ---------------------------------------------------------------------------------------------
// Autocast (mixed precision): while on, libtorch's AutocastCPU dispatch key casts the inputs of
// convolutions and matmuls (linear, mm, bmm, matmul, ...) to the autocast dtype and runs them in it,
// forward and backward (the casts are autograd ops, so gradients of float32 weights come back in
// float32), while the ops on its float32 list (losses, ...) run in float32. The state is
// thread-local, as in PyTorch; the TypeScript autocast() scope sets and restores it.

#if defined(TORCH_VERSION_MAJOR) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))
// libtorch >= 2.4: one device-generic API (the *_cpu_* names are deprecated there, later removed).
static bool AutocastCpuEnabled() { return at::autocast::is_autocast_enabled(at::kCPU); }
static void SetAutocastCpuEnabled(bool on) { at::autocast::set_autocast_enabled(at::kCPU, on); }
static at::ScalarType AutocastCpuDtype() { return at::autocast::get_autocast_dtype(at::kCPU); }
static void SetAutocastCpuDtype(at::ScalarType t) { at::autocast::set_autocast_dtype(at::kCPU, t); }
#else
static bool AutocastCpuEnabled() { return at::autocast::is_cpu_enabled(); }
static void SetAutocastCpuEnabled(bool on) { at::autocast::set_cpu_enabled(on); }
static at::ScalarType AutocastCpuDtype() { return at::autocast::get_autocast_cpu_dtype(); }
static void SetAutocastCpuDtype(at::ScalarType t) { at::autocast::set_autocast_cpu_dtype(t); }
#endif

// autocastEnter(dtype) -> [previousEnabled, previousDtype]: turns CPU autocast on with dtype
// (bfloat16; float16 is refused: CPU autocast in libtorch 1.13 supports only bfloat16).
static Napi::Value AutocastEnter(const Napi::CallbackInfo& info) {
  at::ScalarType dt = ArgDtype(info, 0, "dtype");
  if (dt != at::kBFloat16) ThrowArg(info.Env(), std::string("autocast: dtype ") + DtypeName(dt) + " is not supported on CPU (use bfloat16)");
  Napi::Array prev = Napi::Array::New(info.Env(), 2);
  prev.Set(0u, Napi::Boolean::New(info.Env(), AutocastCpuEnabled()));
  prev.Set(1u, Napi::String::New(info.Env(), DtypeName(AutocastCpuDtype())));
  SetAutocastCpuDtype(dt);
  SetAutocastCpuEnabled(true);
  at::autocast::increment_nesting();
  return prev;
}

// autocastExit(previousEnabled, previousDtype): restores the state autocastEnter returned; the
// outermost exit frees the cache of casted weights (as torch.autocast's __exit__ does).
static Napi::Value AutocastExit(const Napi::CallbackInfo& info) {
  const bool enabled = ArgBool(info, 0, "enabled");
  const at::ScalarType dt = ArgDtype(info, 1, "dtype");
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  SetAutocastCpuEnabled(enabled);
  SetAutocastCpuDtype(dt);
  return info.Env().Undefined();
}

static Napi::Value AutocastEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), AutocastCpuEnabled());
}

#define FN(name) exports.Set(#name, Napi::Function::New<Guard<name>>(env, #name))
#define FNAS(js, name) exports.Set(js, Napi::Function::New<Guard<name>>(env, js))

void InitTensor(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = TensorWrap::Define(env);
  Data(env)->tensorCtor = Napi::Persistent(ctor);
  exports.Set("NativeTensor", ctor);
  FNAS("fromData", FromData);
  FNAS("full", Full);
  FNAS("empty", Empty);
  FNAS("writeInto", WriteInto);
  FNAS("arange", Arange);
  FNAS("randn", Randn);
  FNAS("rand", Rand);
  FNAS("randint", Randint);
  FNAS("randperm", Randperm);
  FNAS("manualSeed", ManualSeed);
  FNAS("dispose", Dispose);
  FNAS("isDisposed", IsDisposed);
  FNAS("shape", Shape);
  FNAS("strides", Strides);
  FNAS("dtype", Dtype);
  FNAS("device", DeviceOf);
  FNAS("numel", Numel);
  FNAS("isContiguous", IsContiguous);
  FNAS("contiguous", Contiguous);
  FNAS("item", Item);
  FNAS("data", DataOf);
  FNAS("liveTensors", LiveTensors);
  FNAS("setRequiresGrad", SetRequiresGrad);
  FNAS("requiresGrad", RequiresGrad);
  FNAS("isLeaf", IsLeaf);
  FNAS("retainGrad", RetainGrad);
  FNAS("grad", Grad);
  FNAS("setGrad", SetGrad);
  FNAS("backward", Backward);
  FNAS("autogradGrad", AutogradGrad);
  FNAS("isGradEnabled", IsGradEnabled);
  FNAS("setGradEnabled", SetGradEnabled);
  FNAS("setNumThreads", SetNumThreads);
  FNAS("getNumThreads", GetNumThreads);
  FNAS("cudaIsAvailable", CudaAvailable);
  FNAS("cudaDeviceCount", CudaDeviceCount);
  FNAS("parallelInfo", ParallelInfo);
  FNAS("autocastEnter", AutocastEnter);
  FNAS("autocastExit", AutocastExit);
  FNAS("autocastEnabled", AutocastEnabled);
  exports.Set("libtorchVersion", Napi::String::New(env, TORCH_VERSION));
}

}  // namespace fn
