// Tensor operations. Each takes tensors and plain values and returns new tensor handles; a few
// in-place ops (named with a trailing underscore) modify their first argument and return nothing.
#include "common.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace fn {

static Napi::Value Ret(const Napi::CallbackInfo& info, at::Tensor t) { return TensorWrap::Make(info.Env(), std::move(t)); }
#define T(i, name) ArgTensor(info, i, name)

// ---- elementwise ---------------------------------------------------------------------------

static const std::unordered_map<std::string, std::function<at::Tensor(const at::Tensor&)>>& UnaryTable() {
  static const std::unordered_map<std::string, std::function<at::Tensor(const at::Tensor&)>> table = {
      {"neg", [](const at::Tensor& x) { return at::neg(x); }},
      {"abs", [](const at::Tensor& x) { return at::abs(x); }},
      {"exp", [](const at::Tensor& x) { return at::exp(x); }},
      {"log", [](const at::Tensor& x) { return at::log(x); }},
      {"log1p", [](const at::Tensor& x) { return at::log1p(x); }},
      {"sqrt", [](const at::Tensor& x) { return at::sqrt(x); }},
      {"rsqrt", [](const at::Tensor& x) { return at::rsqrt(x); }},
      {"square", [](const at::Tensor& x) { return at::square(x); }},
      {"reciprocal", [](const at::Tensor& x) { return at::reciprocal(x); }},
      {"relu", [](const at::Tensor& x) { return at::relu(x); }},
      {"sigmoid", [](const at::Tensor& x) { return at::sigmoid(x); }},
      {"tanh", [](const at::Tensor& x) { return at::tanh(x); }},
      {"sign", [](const at::Tensor& x) { return at::sign(x); }},
      {"floor", [](const at::Tensor& x) { return at::floor(x); }},
      {"ceil", [](const at::Tensor& x) { return at::ceil(x); }},
      {"round", [](const at::Tensor& x) { return at::round(x); }},
      {"trunc", [](const at::Tensor& x) { return at::trunc(x); }},
      {"sin", [](const at::Tensor& x) { return at::sin(x); }},
      {"cos", [](const at::Tensor& x) { return at::cos(x); }},
      {"acos", [](const at::Tensor& x) { return at::acos(x); }},
      {"asin", [](const at::Tensor& x) { return at::asin(x); }},
      {"atan", [](const at::Tensor& x) { return at::atan(x); }},
      {"erf", [](const at::Tensor& x) { return at::erf(x); }},
      {"logicalNot", [](const at::Tensor& x) { return at::logical_not(x); }},
      {"isnan", [](const at::Tensor& x) { return at::isnan(x); }},
      {"isfinite", [](const at::Tensor& x) { return at::isfinite(x); }},
      {"clone", [](const at::Tensor& x) { return x.clone(); }},
      {"detach", [](const at::Tensor& x) { return x.detach(); }},
  };
  return table;
}

// unary(x, name)
static Napi::Value UnaryOp(const Napi::CallbackInfo& info) {
  std::string name = ArgStr(info, 1, "op");
  auto& table = UnaryTable();
  auto it = table.find(name);
  if (it == table.end()) ThrowArg(info.Env(), "unary: unknown op '" + name + "'");
  return Ret(info, it->second(T(0, "x")));
}

static const std::unordered_map<std::string, std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>>& BinaryTable() {
  static const std::unordered_map<std::string, std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>> table = {
      {"add", [](const at::Tensor& a, const at::Tensor& b) { return at::add(a, b); }},
      {"sub", [](const at::Tensor& a, const at::Tensor& b) { return at::sub(a, b); }},
      {"mul", [](const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); }},
      {"div", [](const at::Tensor& a, const at::Tensor& b) { return at::div(a, b); }},
      {"pow", [](const at::Tensor& a, const at::Tensor& b) { return at::pow(a, b); }},
      {"maximum", [](const at::Tensor& a, const at::Tensor& b) { return at::maximum(a, b); }},
      {"minimum", [](const at::Tensor& a, const at::Tensor& b) { return at::minimum(a, b); }},
      {"remainder", [](const at::Tensor& a, const at::Tensor& b) { return at::remainder(a, b); }},
      {"fmod", [](const at::Tensor& a, const at::Tensor& b) { return at::fmod(a, b); }},
      {"atan2", [](const at::Tensor& a, const at::Tensor& b) { return at::atan2(a, b); }},
      {"floorDivide", [](const at::Tensor& a, const at::Tensor& b) { return at::div(a, b, "floor"); }},
      {"eq", [](const at::Tensor& a, const at::Tensor& b) { return at::eq(a, b); }},
      {"ne", [](const at::Tensor& a, const at::Tensor& b) { return at::ne(a, b); }},
      {"lt", [](const at::Tensor& a, const at::Tensor& b) { return at::lt(a, b); }},
      {"le", [](const at::Tensor& a, const at::Tensor& b) { return at::le(a, b); }},
      {"gt", [](const at::Tensor& a, const at::Tensor& b) { return at::gt(a, b); }},
      {"ge", [](const at::Tensor& a, const at::Tensor& b) { return at::ge(a, b); }},
      {"logicalAnd", [](const at::Tensor& a, const at::Tensor& b) { return at::logical_and(a, b); }},
      {"logicalOr", [](const at::Tensor& a, const at::Tensor& b) { return at::logical_or(a, b); }},
      {"logicalXor", [](const at::Tensor& a, const at::Tensor& b) { return at::logical_xor(a, b); }},
  };
  return table;
}

// binary(a, b, name): a and b are tensors or numbers (numbers promote like Python scalars).
static Napi::Value BinaryOp(const Napi::CallbackInfo& info) {
  std::string name = ArgStr(info, 2, "op");
  auto& table = BinaryTable();
  auto it = table.find(name);
  if (it == table.end()) ThrowArg(info.Env(), "binary: unknown op '" + name + "'");
  return Ret(info, it->second(ArgTensorOrScalar(info, 0, "a"), ArgTensorOrScalar(info, 1, "b")));
}

// clamp(x, min | null, max | null)
static Napi::Value Clamp(const Napi::CallbackInfo& info) {
  c10::optional<at::Scalar> lo, hi;
  if (!IsMissing(info, 1)) lo = ToScalar(info[1], "min");
  if (!IsMissing(info, 2)) hi = ToScalar(info[2], "max");
  if (!lo && !hi) ThrowArg(info.Env(), "clamp: give min, max or both");
  return Ret(info, at::clamp(T(0, "x"), lo, hi));
}

// where(cond, a, b) with a, b tensors or numbers
static Napi::Value Where(const Napi::CallbackInfo& info) {
  return Ret(info, at::where(T(0, "condition"), ArgTensorOrScalar(info, 1, "a"), ArgTensorOrScalar(info, 2, "b")));
}

// to(x, dtype)
static Napi::Value ToDtype(const Napi::CallbackInfo& info) { return Ret(info, T(0, "x").to(ArgDtype(info, 1, "dtype"))); }
// toDevice(x, device)
static Napi::Value ToDevice(const Napi::CallbackInfo& info) {
  std::string d = ArgStr(info, 1, "device");
  c10::optional<at::Device> dev;
  try {
    dev = at::Device(d);
  } catch (const c10::Error&) {
    ThrowArg(info.Env(), "unknown device '" + d + "'");
  }
  return Ret(info, T(0, "x").to(*dev));
}

// ---- linear algebra and nn --------------------------------------------------------------------

static Napi::Value Matmul(const Napi::CallbackInfo& info) { return Ret(info, at::matmul(T(0, "a"), T(1, "b"))); }
static Napi::Value Linear(const Napi::CallbackInfo& info) { return Ret(info, at::linear(T(0, "x"), T(1, "weight"), ArgOptTensor(info, 2, "bias"))); }

// conv2d(x, weight, bias?, stride[2], padding[2], dilation[2], groups)
static Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(0, "x");
  const at::Tensor& w = T(1, "weight");
  if (x.dim() != 4 && x.dim() != 3) ThrowArg(info.Env(), "conv2d: input must be [N,C,H,W] (or [C,H,W]), got " + std::to_string(x.dim()) + " dims");
  if (w.dim() != 4) ThrowArg(info.Env(), "conv2d: weight must be [out,in/groups,kh,kw]");
  return Ret(info, at::conv2d(x, w, ArgOptTensor(info, 2, "bias"), ArgInts(info, 3, "stride"), ArgInts(info, 4, "padding"),
                              ArgInts(info, 5, "dilation"), ArgInt(info, 6, "groups")));
}

// ---- prepacked convolution for inference -----------------------------------------------------
// A convolution with fixed weights (e.g. batch norm folded in). On CPU float32 (or bfloat16 input
// with bfloat16 weights) without
// autograd it runs oneDNN with the weights reordered once into the layout oneDNN wants
// (mkldnn_prepacked::conv2d_prepack / conv2d_run: the ops torch.jit.freeze + optimize_for_inference
// use) and the ReLU fused as a post-op. at::conv2d instead reorders the weights on every call and,
// at batch 1, takes libtorch's non-oneDNN path (im2col + BLAS) for 1x1 kernels and small inputs.
// Anything else (autograd on the input, other dtypes or devices, a libtorch without these ops)
// runs at::conv2d with the same weights. The handle is a JS external: conv2dPrepack() makes it,
// conv2dPrepackedRun() uses it, conv2dPrepackedDispose() frees its tensors at once.
//
// oneDNN lays the packed weights out for one input shape; another shape still runs, but oneDNN
// may then reorder every weight on every call. Measured on an AMX Xeon (Inception-ResNet-v1, 160
// px, 2 threads): in bfloat16, batch 1 with the weights packed for batch 16 took 450 ms instead of
// 27 ms, and batch 16 packed for batch 1 500 ms instead of 160 ms; in float32, batch 16 packed for
// batch 1 took ~500 ms instead of 330-450 (batch 1 packed for 16 ran at its own speed). So a handle
// keeps a context per input shape, the most recently used few (kMaxPackedShapes); an evicted shape
// is packed again when it comes back, which costs what one such reordering call does.

struct PackedShape {
  std::vector<int64_t> inputSize;
  bool channelsLast = false;
  c10::IValue context;  // the mkldnn_prepacked ConvOpContext
  bool fusedRelu = false;  // whether the context applies the ReLU itself
};

// Shapes per handle: a process that embeds at a few batch sizes (a full batch, a tail, single
// images) keeps them all packed; each shape costs about the weights' size again (Inception-ResNet-v1:
// 46 MB in bfloat16, 92 MB in float32).
static constexpr size_t kMaxPackedShapes = 4;

struct PackedConv {
  static constexpr uint32_t kMagic = 0x636f6e76;  // "conv"
  uint32_t magic = kMagic;
  bool alive = true;
  at::Tensor weight;
  c10::optional<at::Tensor> bias;
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups = 1;
  bool relu = false;
  std::vector<PackedShape> shapes;  // contexts by input shape, most recently used first
  at::Tensor weightFloat;  // float32 copy of bfloat16 weights, for CPUs where oneDNN has no bf16 (made on first use)
  int64_t bytes = 0;
};

static const c10::optional<c10::OperatorHandle>& PrepackOp() {
  static const c10::optional<c10::OperatorHandle> op = c10::Dispatcher::singleton().findSchema({"mkldnn_prepacked::conv2d_prepack", ""});
  return op;
}
static const c10::optional<c10::OperatorHandle>& PackedRunOp() {
  static const c10::optional<c10::OperatorHandle> op = c10::Dispatcher::singleton().findSchema({"mkldnn_prepacked::conv2d_run", ""});
  return op;
}

static void ReleasePacked(napi_env env, PackedConv* p) {
  if (!p->alive) return;
  p->alive = false;
  p->weight = at::Tensor();
  p->weightFloat = at::Tensor();
  p->bias = c10::nullopt;
  p->shapes.clear();
  if (p->bytes > 0) {
    int64_t ignored = 0;
    napi_adjust_external_memory(env, -p->bytes, &ignored);
  }
  p->bytes = 0;
}

static PackedConv* ArgPacked(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsExternal()) ThrowArg(info.Env(), "conv: expected a prepacked convolution handle");
  PackedConv* p = info[i].As<Napi::External<PackedConv>>().Data();
  if (p == nullptr || p->magic != PackedConv::kMagic) ThrowArg(info.Env(), "conv: expected a prepacked convolution handle");
  if (!p->alive) {
    Napi::Error err = Napi::Error::New(info.Env(), "conv: the prepacked convolution was disposed");
    err.Set("code", Napi::String::New(info.Env(), "DISPOSED"));
    throw err;
  }
  return p;
}

// conv2dPrepack(weight, bias?, stride[2], padding[2], dilation[2], groups, relu) -> handle
static Napi::Value Conv2dPrepack(const Napi::CallbackInfo& info) {
  const at::Tensor& w = T(0, "weight");
  if (w.dim() != 4) ThrowArg(info.Env(), "conv2dPrepack: weight must be [out,in/groups,kh,kw]");
  auto* p = new PackedConv();
  {
    at::NoGradGuard ng;
    p->weight = w.detach();
    c10::optional<at::Tensor> b = ArgOptTensor(info, 1, "bias");
    if (b) p->bias = b->detach();
  }
  p->stride = ArgInts(info, 2, "stride");
  p->padding = ArgInts(info, 3, "padding");
  p->dilation = ArgInts(info, 4, "dilation");
  p->groups = ArgInt(info, 5, "groups");
  p->relu = ArgBool(info, 6, "relu");
  // the packed copy made on first use is about as large as the weight
  p->bytes = 2 * static_cast<int64_t>(w.numel() * w.element_size());
  Napi::MemoryManagement::AdjustExternalMemory(info.Env(), p->bytes);
  return Napi::External<PackedConv>::New(info.Env(), p, [](Napi::Env env, PackedConv* q) {
    ReleasePacked(env, q);
    delete q;
  });
}

// Whether oneDNN can run bfloat16 convolutions on this CPU. oneDNN 2.x has bf16 kernels from
// AVX-512 (avx512_core, emulating bf16 arithmetic where avx512_bf16 / AMX are missing) up; on an
// AVX2-only CPU its primitive creation fails ("could not create a primitive descriptor iterator"),
// so bf16 there goes through at::conv2d's own (slow) kernels instead. PyTorch makes the same
// check (mkldnn_bf16_device_check), which libtorch does not export.
static bool OneDnnRunsBf16() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool ok = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return ok;
#else
  return false;
#endif
}

// Whether this call must record autograd history (then only at::conv2d will do).
static bool NeedsGrad(const PackedConv& p, const at::Tensor& x, const c10::optional<at::Tensor>& residual) {
  return at::GradMode::is_enabled() && (x.requires_grad() || p.weight.requires_grad() || (residual && residual->requires_grad()));
}

static bool PackedFastPath(const PackedConv& p, const at::Tensor& x, const c10::optional<at::Tensor>& residual) {
  if (!PrepackOp() || !PackedRunOp()) return false;
  if (x.scalar_type() == at::kBFloat16 && !OneDnnRunsBf16()) return false;
  // float32, or bfloat16 activations with bfloat16 weights (oneDNN then runs its AMX / avx512_bf16
  // kernels where the CPU has them; the bias may stay float32).
  const at::ScalarType dt = x.scalar_type();
  if (x.dim() != 4 || !x.device().is_cpu() || (dt != at::kFloat && dt != at::kBFloat16) || x.layout() != at::kStrided) return false;
  if (!p.weight.device().is_cpu() || p.weight.scalar_type() != dt) return false;
  if (p.bias && ((p.bias->scalar_type() != at::kFloat && p.bias->scalar_type() != dt) || !p.bias->device().is_cpu())) return false;
  if (residual && residual->scalar_type() != dt) return false;
  return !NeedsGrad(p, x, residual);
}

// conv2dPrepackedRun(handle, x, residual?, reluAfterResidual) -> relu?(conv(x)) [+ residual, then relu?]
// relu (the handle's) applies to the convolution's output; reluAfterResidual to the sum.
static Napi::Value Conv2dPrepackedRun(const Napi::CallbackInfo& info) {
  PackedConv* p = ArgPacked(info, 0);
  const at::Tensor& x0 = T(1, "x");
  c10::optional<at::Tensor> residual = ArgOptTensor(info, 2, "residual");
  const bool reluAfter = IsMissing(info, 3) ? false : ArgBool(info, 3, "reluAfterResidual");
  if (x0.dim() != 4) ThrowArg(info.Env(), "conv2d: input must be [N,C,H,W], got " + std::to_string(x0.dim()) + " dims");
  if (PackedFastPath(*p, x0, residual)) {
    at::Tensor x = x0.contiguous(x0.suggest_memory_format());
    std::vector<int64_t> inputSize(x.sizes().begin(), x.sizes().end());
    const bool channelsLast = x.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
    auto hit = std::find_if(p->shapes.begin(), p->shapes.end(), [&](const PackedShape& s) { return s.inputSize == inputSize && s.channelsLast == channelsLast; });
    if (hit != p->shapes.end()) {
      std::rotate(p->shapes.begin(), hit, hit + 1);  // most recently used first
    } else {
      // Weights laid out for this input's shape.
      torch::jit::Stack stack;
      stack.emplace_back(p->weight.contiguous(x.suggest_memory_format()));
      stack.emplace_back(p->bias ? c10::IValue(*p->bias) : c10::IValue());
      stack.emplace_back(c10::IValue(p->stride));
      stack.emplace_back(c10::IValue(p->padding));
      stack.emplace_back(c10::IValue(p->dilation));
      stack.emplace_back(p->groups);
      stack.emplace_back(c10::IValue(inputSize));
      const bool fuse = p->relu && !residual;
      stack.emplace_back(std::string(fuse ? "relu" : "none"));
      PrepackOp()->callBoxed(&stack);
      PackedShape shape{std::move(inputSize), channelsLast, std::move(stack.at(0)), fuse};
      if (p->shapes.size() >= kMaxPackedShapes) {
        p->shapes.pop_back();  // the least recently used
      } else if (!p->shapes.empty()) {
        // conv2dPrepack counted one packed copy; each further shape holds another
        const int64_t extra = static_cast<int64_t>(p->weight.numel() * p->weight.element_size());
        p->bytes += extra;
        Napi::MemoryManagement::AdjustExternalMemory(info.Env(), extra);
      }
      p->shapes.insert(p->shapes.begin(), std::move(shape));
    }
    const bool fused = p->shapes.front().fusedRelu;
    torch::jit::Stack stack;
    stack.emplace_back(x);
    stack.emplace_back(p->shapes.front().context);
    PackedRunOp()->callBoxed(&stack);
    at::Tensor y = stack.at(0).toTensor();
    if (p->relu && !fused) y.relu_();
    if (residual) {
      y.add_(*residual);
      if (reluAfter) y.relu_();
    }
    return Ret(info, std::move(y));
  }
  // bfloat16 without oneDNN's bf16 kernels (an AVX2-only CPU): at::conv2d's own bf16 kernel
  // (im2col + a bf16 gemm) is slow and rounds more than oneDNN (4.5% relative error against
  // float32 measured, vs < 1% from oneDNN). Emulate oneDNN's arithmetic instead: bf16 inputs and
  // weights, float32 accumulation, one rounding of the output to bf16, then the residual in bf16.
  if (x0.scalar_type() == at::kBFloat16 && p->weight.scalar_type() == at::kBFloat16 && x0.device().is_cpu() && !OneDnnRunsBf16() && !NeedsGrad(*p, x0, residual)) {
    if (!p->weightFloat.defined()) {
      p->weightFloat = p->weight.to(at::kFloat);
      const int64_t extra = static_cast<int64_t>(p->weightFloat.numel() * 4);
      p->bytes += extra;
      Napi::MemoryManagement::AdjustExternalMemory(info.Env(), extra);
    }
    c10::optional<at::Tensor> biasFloat = p->bias ? c10::optional<at::Tensor>(p->bias->to(at::kFloat)) : c10::nullopt;
    at::Tensor y = at::conv2d(x0.to(at::kFloat), p->weightFloat, biasFloat, p->stride, p->padding, p->dilation, p->groups);
    if (p->relu) y.relu_();
    y = y.to(at::kBFloat16);
    if (residual) {
      y.add_(*residual);
      if (reluAfter) y.relu_();
    }
    return Ret(info, std::move(y));
  }
  // at::conv2d wants the bias in the input's dtype (a float32 bias of bfloat16 weights is cast).
  c10::optional<at::Tensor> bias = p->bias;
  if (bias && bias->scalar_type() != x0.scalar_type()) bias = bias->to(x0.scalar_type());
  at::Tensor y = at::conv2d(x0, p->weight, bias, p->stride, p->padding, p->dilation, p->groups);
  if (p->relu) y = at::relu(y);
  if (residual) {
    y = at::add(y, *residual);
    if (reluAfter) y = at::relu(y);
  }
  return Ret(info, std::move(y));
}

// conv2dPrepackedDispose(handle): frees the weights now (the handle itself goes with the GC).
static Napi::Value Conv2dPrepackedDispose(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) ThrowArg(info.Env(), "conv: expected a prepacked convolution handle");
  PackedConv* p = info[0].As<Napi::External<PackedConv>>().Data();
  if (p == nullptr || p->magic != PackedConv::kMagic) ThrowArg(info.Env(), "conv: expected a prepacked convolution handle");
  ReleasePacked(info.Env(), p);
  return info.Env().Undefined();
}

// conv2dPrepackAvailable(): whether this libtorch has the oneDNN prepacked ops.
static Napi::Value Conv2dPrepackAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), PrepackOp().has_value() && PackedRunOp().has_value());
}

// batchNorm(x, weight?, bias?, runningMean?, runningVar?, training, momentum, eps)
// In training mode libtorch updates runningMean/runningVar in place, as PyTorch does.
static Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  return Ret(info, at::batch_norm(T(0, "x"), ArgOptTensor(info, 1, "weight"), ArgOptTensor(info, 2, "bias"), ArgOptTensor(info, 3, "runningMean"),
                                  ArgOptTensor(info, 4, "runningVar"), ArgBool(info, 5, "training"), ArgNum(info, 6, "momentum"),
                                  ArgNum(info, 7, "eps"), true));
}

static Napi::Value Prelu(const Napi::CallbackInfo& info) { return Ret(info, at::prelu(T(0, "x"), T(1, "weight"))); }
static Napi::Value Softmax(const Napi::CallbackInfo& info) { return Ret(info, at::softmax(T(0, "x"), ArgInt(info, 1, "dim"))); }
static Napi::Value LogSoftmax(const Napi::CallbackInfo& info) { return Ret(info, at::log_softmax(T(0, "x"), ArgInt(info, 1, "dim"))); }

// maxPool2d(x, kernel, stride, padding, dilation, ceilMode)
static Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
  return Ret(info, at::max_pool2d(T(0, "x"), ArgInts(info, 1, "kernel"), ArgInts(info, 2, "stride"), ArgInts(info, 3, "padding"),
                                  ArgInts(info, 4, "dilation"), ArgBool(info, 5, "ceilMode")));
}
// avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad)
static Napi::Value AvgPool2d(const Napi::CallbackInfo& info) {
  return Ret(info, at::avg_pool2d(T(0, "x"), ArgInts(info, 1, "kernel"), ArgInts(info, 2, "stride"), ArgInts(info, 3, "padding"),
                                  ArgBool(info, 4, "ceilMode"), ArgBool(info, 5, "countIncludePad")));
}
static Napi::Value AdaptiveAvgPool2d(const Napi::CallbackInfo& info) {
  return Ret(info, at::adaptive_avg_pool2d(T(0, "x"), ArgInts(info, 1, "outputSize")));
}
// dropout(x, p, training)
static Napi::Value Dropout(const Napi::CallbackInfo& info) {
  double p = ArgNum(info, 1, "p");
  if (p < 0 || p > 1) ThrowArg(info.Env(), "dropout: p must be in [0, 1]");
  return Ret(info, at::dropout(T(0, "x"), p, ArgBool(info, 2, "training")));
}

// crossEntropy(logits, target, reduction 'mean'|'sum'|'none', labelSmoothing, weight?)
static int64_t Reduction(const Napi::CallbackInfo& info, size_t i) {
  std::string r = IsMissing(info, i) ? "mean" : ArgStr(info, i, "reduction");
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  ThrowArg(info.Env(), "reduction: expected 'mean', 'sum' or 'none'");
}
static Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  double smoothing = IsMissing(info, 3) ? 0.0 : ArgNum(info, 3, "labelSmoothing");
  return Ret(info, at::cross_entropy_loss(T(0, "logits"), T(1, "target"), ArgOptTensor(info, 4, "weight"), Reduction(info, 2), -100, smoothing));
}
static Napi::Value NllLoss(const Napi::CallbackInfo& info) {
  return Ret(info, at::nll_loss(T(0, "logProbs"), T(1, "target"), ArgOptTensor(info, 3, "weight"), Reduction(info, 2), -100));
}

// normalize(x, p, dim, eps): x / max(||x||_p, eps) as torch.nn.functional.normalize.
static Napi::Value Normalize(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(0, "x");
  at::Tensor n = at::norm(x, ArgNum(info, 1, "p"), {ArgInt(info, 2, "dim")}, true).clamp_min(ArgNum(info, 3, "eps"));
  return Ret(info, x / n.expand_as(x));
}

// interpolate(x, [h, w], mode 'bilinear'|'bilinear_aa'|'bicubic'|'nearest'|'area', alignCorners)
static Napi::Value Interpolate(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(0, "x");
  std::vector<int64_t> size = ArgInts(info, 1, "size");
  std::string mode = ArgStr(info, 2, "mode");
  bool ac = ArgBool(info, 3, "alignCorners");
  if (x.dim() != 4) ThrowArg(info.Env(), "interpolate: input must be [N,C,H,W]");
  if (size.size() != 2 || size[0] < 1 || size[1] < 1) ThrowArg(info.Env(), "interpolate: size must be [h, w] with h, w >= 1");
  if (mode == "bilinear") return Ret(info, at::upsample_bilinear2d(x, size, ac));
  if (mode == "bilinear_aa") return Ret(info, at::_upsample_bilinear2d_aa(x, size, ac));
  if (mode == "bicubic") return Ret(info, at::upsample_bicubic2d(x, size, ac));
  if (mode == "nearest") return Ret(info, at::upsample_nearest2d(x, size));
  if (mode == "area") return Ret(info, at::adaptive_avg_pool2d(x, size));
  ThrowArg(info.Env(), "interpolate: unknown mode '" + mode + "' (bilinear, bilinear_aa, bicubic, nearest, area)");
}

// affineGrid(theta [N,2,3], [N,C,H,W], alignCorners) and gridSample(x, grid, mode, padding, alignCorners):
// the warps behind similarity alignment and rotation augmentation.
static Napi::Value AffineGrid(const Napi::CallbackInfo& info) {
  return Ret(info, at::affine_grid_generator(T(0, "theta"), ArgInts(info, 1, "size"), ArgBool(info, 2, "alignCorners")));
}
static Napi::Value GridSample(const Napi::CallbackInfo& info) {
  std::string mode = ArgStr(info, 2, "mode");
  std::string pad = ArgStr(info, 3, "padding");
  int64_t m = mode == "bilinear" ? 0 : mode == "nearest" ? 1 : mode == "bicubic" ? 2 : -1;
  int64_t p = pad == "zeros" ? 0 : pad == "border" ? 1 : pad == "reflection" ? 2 : -1;
  if (m < 0) ThrowArg(info.Env(), "gridSample: mode must be bilinear, nearest or bicubic");
  if (p < 0) ThrowArg(info.Env(), "gridSample: padding must be zeros, border or reflection");
  return Ret(info, at::grid_sampler(T(0, "x"), T(1, "grid"), m, p, ArgBool(info, 4, "alignCorners")));
}

// pad(x, [left, right, top, bottom, ...], value)
static Napi::Value Pad(const Napi::CallbackInfo& info) {
  return Ret(info, at::constant_pad_nd(T(0, "x"), ArgInts(info, 1, "pad"), ToScalar(info[2], "value")));
}

static Napi::Value OneHot(const Napi::CallbackInfo& info) { return Ret(info, at::one_hot(T(0, "x"), ArgInt(info, 1, "numClasses"))); }

// ---- reductions -------------------------------------------------------------------------------

// reduce(x, op, dims | null, keepdim): sum mean amax amin prod logsumexp var std norm2 any all
static Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(0, "x");
  std::string op = ArgStr(info, 1, "op");
  c10::optional<std::vector<int64_t>> dims = ArgOptInts(info, 2, "dims");
  bool keep = ArgBool(info, 3, "keepdim");
  std::vector<int64_t> all;
  if (!dims) {
    for (int64_t k = 0; k < x.dim(); k++) all.push_back(k);
  }
  at::IntArrayRef d = dims ? at::IntArrayRef(*dims) : at::IntArrayRef(all);
  if (op == "sum") return Ret(info, dims ? at::sum(x, d, keep) : at::sum(x));
  if (op == "mean") return Ret(info, dims ? at::mean(x, d, keep) : at::mean(x));
  if (op == "amax") return Ret(info, at::amax(x, d, keep));
  if (op == "amin") return Ret(info, at::amin(x, d, keep));
  if (op == "logsumexp") return Ret(info, at::logsumexp(x, d, keep));
  if (op == "var") return Ret(info, at::var(x, d, true, keep));
  if (op == "varPopulation") return Ret(info, at::var(x, d, false, keep));
  if (op == "std") return Ret(info, at::std(x, d, true, keep));
  if (op == "stdPopulation") return Ret(info, at::std(x, d, false, keep));
  if (op == "norm") return Ret(info, at::norm(x, 2, d, keep));
  if (op == "prod") {
    if (!dims) return Ret(info, at::prod(x));
    if (dims->size() != 1) ThrowArg(info.Env(), "reduce prod: give one dim");
    return Ret(info, at::prod(x, (*dims)[0], keep));
  }
  if (op == "any" || op == "all") {
    if (!dims) return Ret(info, op == "any" ? at::any(x) : at::all(x));
    if (dims->size() != 1) ThrowArg(info.Env(), "reduce " + op + ": give one dim");
    return Ret(info, op == "any" ? at::any(x, (*dims)[0], keep) : at::all(x, (*dims)[0], keep));
  }
  ThrowArg(info.Env(), "reduce: unknown op '" + op + "'");
}

// argmax(x, dim | null, keepdim), argmin likewise
static Napi::Value Argmax(const Napi::CallbackInfo& info) {
  c10::optional<int64_t> dim;
  if (!IsMissing(info, 1)) dim = ArgInt(info, 1, "dim");
  return Ret(info, at::argmax(T(0, "x"), dim, ArgBool(info, 2, "keepdim")));
}
static Napi::Value Argmin(const Napi::CallbackInfo& info) {
  c10::optional<int64_t> dim;
  if (!IsMissing(info, 1)) dim = ArgInt(info, 1, "dim");
  return Ret(info, at::argmin(T(0, "x"), dim, ArgBool(info, 2, "keepdim")));
}
// maxDim(x, dim, keepdim) -> [values, indices]; minDim likewise
static Napi::Value MaxDim(const Napi::CallbackInfo& info) {
  auto r = at::max(T(0, "x"), ArgInt(info, 1, "dim"), ArgBool(info, 2, "keepdim"));
  return TensorArray(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
static Napi::Value MinDim(const Napi::CallbackInfo& info) {
  auto r = at::min(T(0, "x"), ArgInt(info, 1, "dim"), ArgBool(info, 2, "keepdim"));
  return TensorArray(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
// topk(x, k, dim, largest, sorted) -> [values, indices]
static Napi::Value Topk(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(0, "x");
  int64_t k = ArgInt(info, 1, "k");
  int64_t dim = ArgInt(info, 2, "dim");
  auto r = at::topk(x, k, dim, ArgBool(info, 3, "largest"), ArgBool(info, 4, "sorted"));
  return TensorArray(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
// sort(x, dim, descending, stable) -> [values, indices]
static Napi::Value Sort(const Napi::CallbackInfo& info) {
  auto r = at::sort(T(0, "x"), ArgBool(info, 3, "stable"), ArgInt(info, 1, "dim"), ArgBool(info, 2, "descending"));
  return TensorArray(info.Env(), {std::get<0>(r), std::get<1>(r)});
}
static Napi::Value Cumsum(const Napi::CallbackInfo& info) { return Ret(info, at::cumsum(T(0, "x"), ArgInt(info, 1, "dim"))); }

// ---- shapes and indexing -----------------------------------------------------------------------

static Napi::Value Reshape(const Napi::CallbackInfo& info) { return Ret(info, at::reshape(T(0, "x"), ArgInts(info, 1, "shape"))); }
static Napi::Value Permute(const Napi::CallbackInfo& info) { return Ret(info, T(0, "x").permute(ArgInts(info, 1, "dims"))); }
static Napi::Value Transpose(const Napi::CallbackInfo& info) { return Ret(info, T(0, "x").transpose(ArgInt(info, 1, "dim0"), ArgInt(info, 2, "dim1"))); }
static Napi::Value Flip(const Napi::CallbackInfo& info) { return Ret(info, at::flip(T(0, "x"), ArgInts(info, 1, "dims"))); }
static Napi::Value Squeeze(const Napi::CallbackInfo& info) {
  if (IsMissing(info, 1)) return Ret(info, T(0, "x").squeeze());
  return Ret(info, T(0, "x").squeeze(ArgInt(info, 1, "dim")));
}
static Napi::Value Unsqueeze(const Napi::CallbackInfo& info) { return Ret(info, T(0, "x").unsqueeze(ArgInt(info, 1, "dim"))); }
static Napi::Value Expand(const Napi::CallbackInfo& info) { return Ret(info, T(0, "x").expand(ArgInts(info, 1, "shape"))); }
static Napi::Value Repeat(const Napi::CallbackInfo& info) { return Ret(info, T(0, "x").repeat(ArgInts(info, 1, "repeats"))); }
static Napi::Value Flatten(const Napi::CallbackInfo& info) { return Ret(info, at::flatten(T(0, "x"), ArgInt(info, 1, "startDim"), ArgInt(info, 2, "endDim"))); }
static Napi::Value Cat(const Napi::CallbackInfo& info) {
  std::vector<at::Tensor> ts = ArgTensorList(info, 0, "tensors");
  if (ts.empty()) ThrowArg(info.Env(), "cat: needs at least one tensor");
  return Ret(info, at::cat(ts, ArgInt(info, 1, "dim")));
}
static Napi::Value Stack(const Napi::CallbackInfo& info) {
  std::vector<at::Tensor> ts = ArgTensorList(info, 0, "tensors");
  if (ts.empty()) ThrowArg(info.Env(), "stack: needs at least one tensor");
  return Ret(info, at::stack(ts, ArgInt(info, 1, "dim")));
}
// split(x, sizeOrSizes, dim) -> tensors
static Napi::Value Split(const Napi::CallbackInfo& info) {
  const at::Tensor& x = T(0, "x");
  int64_t dim = ArgInt(info, 2, "dim");
  if (info.Length() > 1 && info[1].IsNumber()) return TensorArray(info.Env(), at::split(x, ArgInt(info, 1, "size"), dim));
  return TensorArray(info.Env(), at::split_with_sizes(x, ArgInts(info, 1, "sizes"), dim));
}
static Napi::Value Chunk(const Napi::CallbackInfo& info) { return TensorArray(info.Env(), at::chunk(T(0, "x"), ArgInt(info, 1, "chunks"), ArgInt(info, 2, "dim"))); }
// slice(x, dim, start, end, step)
static Napi::Value Slice(const Napi::CallbackInfo& info) {
  c10::optional<int64_t> start, end;
  if (!IsMissing(info, 2)) start = ArgInt(info, 2, "start");
  if (!IsMissing(info, 3)) end = ArgInt(info, 3, "end");
  int64_t step = IsMissing(info, 4) ? 1 : ArgInt(info, 4, "step");
  if (step < 1) ThrowArg(info.Env(), "slice: step must be >= 1");
  return Ret(info, at::slice(T(0, "x"), ArgInt(info, 1, "dim"), start, end, step));
}
// select(x, dim, index): removes the dim
static Napi::Value Select(const Napi::CallbackInfo& info) { return Ret(info, at::select(T(0, "x"), ArgInt(info, 1, "dim"), ArgInt(info, 2, "index"))); }
static Napi::Value IndexSelect(const Napi::CallbackInfo& info) { return Ret(info, at::index_select(T(0, "x"), ArgInt(info, 1, "dim"), T(2, "index"))); }
static Napi::Value Gather(const Napi::CallbackInfo& info) { return Ret(info, at::gather(T(0, "x"), ArgInt(info, 1, "dim"), T(2, "index"))); }
// libtorch 1.13 does not check the mask's dtype here: a float mask silently fills nothing.
static Napi::Value MaskedFill(const Napi::CallbackInfo& info) {
  const at::Tensor& mask = T(1, "mask");
  if (mask.scalar_type() != at::kBool && mask.scalar_type() != at::kByte) {
    ThrowArg(info.Env(), std::string("maskedFill: mask must be a bool tensor (a comparison's result, or .to('bool')), got ") + DtypeName(mask.scalar_type()));
  }
  return Ret(info, at::masked_fill(T(0, "x"), mask, ToScalar(info[2], "value")));
}
static Napi::Value MaskedSelect(const Napi::CallbackInfo& info) { return Ret(info, at::masked_select(T(0, "x"), T(1, "mask"))); }
static Napi::Value Nonzero(const Napi::CallbackInfo& info) { return Ret(info, at::nonzero(T(0, "x"))); }
static Napi::Value Tril(const Napi::CallbackInfo& info) { return Ret(info, at::tril(T(0, "x"), IsMissing(info, 1) ? 0 : ArgInt(info, 1, "diagonal"))); }
// indexAdd(x, dim, index, source, alpha): out-of-place, differentiable.
static Napi::Value IndexAdd(const Napi::CallbackInfo& info) {
  return Ret(info, at::index_add(T(0, "x"), ArgInt(info, 1, "dim"), T(2, "index"), T(3, "source"), IsMissing(info, 4) ? at::Scalar(1) : ToScalar(info[4], "alpha")));
}

// ---- in place (optimisers, EMA, initialisers; never on tensors that autograd needs) ------------

static Napi::Value Undef(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }
// copy_(dst, src)
static Napi::Value Copy_(const Napi::CallbackInfo& info) {
  at::NoGradGuard ng;
  at::Tensor& dst = T(0, "dst");
  const at::Tensor& src = T(1, "src");
  if (dst.sizes() != src.sizes()) ThrowArg(info.Env(), "copy_: shape [" + c10::Join(",", src.sizes()) + "] into [" + c10::Join(",", dst.sizes()) + "]");
  dst.copy_(src);
  return Undef(info);
}
// add_(x, other, alpha): x += alpha * other
static Napi::Value Add_(const Napi::CallbackInfo& info) {
  at::NoGradGuard ng;
  T(0, "x").add_(ArgTensorOrScalar(info, 1, "other"), IsMissing(info, 2) ? at::Scalar(1) : ToScalar(info[2], "alpha"));
  return Undef(info);
}
static Napi::Value Mul_(const Napi::CallbackInfo& info) {
  at::NoGradGuard ng;
  T(0, "x").mul_(ArgTensorOrScalar(info, 1, "other"));
  return Undef(info);
}
// lerp_(x, end, weight): x += weight * (end - x) — the moving average update.
static Napi::Value Lerp_(const Napi::CallbackInfo& info) {
  at::NoGradGuard ng;
  T(0, "x").lerp_(T(1, "end"), ToScalar(info[2], "weight"));
  return Undef(info);
}
// addcmul_(x, a, b, value): x += value * a * b; addcdiv_ likewise with a / b.
static Napi::Value Addcmul_(const Napi::CallbackInfo& info) {
  at::NoGradGuard ng;
  T(0, "x").addcmul_(T(1, "a"), T(2, "b"), ToScalar(info[3], "value"));
  return Undef(info);
}
static Napi::Value Addcdiv_(const Napi::CallbackInfo& info) {
  at::NoGradGuard ng;
  T(0, "x").addcdiv_(T(1, "a"), T(2, "b"), ToScalar(info[3], "value"));
  return Undef(info);
}
static Napi::Value Fill_(const Napi::CallbackInfo& info) {
  at::NoGradGuard ng;
  T(0, "x").fill_(ToScalar(info[1], "value"));
  return Undef(info);
}
static Napi::Value Uniform_(const Napi::CallbackInfo& info) {
  at::NoGradGuard ng;
  T(0, "x").uniform_(ArgNum(info, 1, "low"), ArgNum(info, 2, "high"));
  return Undef(info);
}
static Napi::Value Normal_(const Napi::CallbackInfo& info) {
  at::NoGradGuard ng;
  T(0, "x").normal_(ArgNum(info, 1, "mean"), ArgNum(info, 2, "std"));
  return Undef(info);
}
// indexAdd_(x, dim, index, source, alpha): x[index] += alpha * source (center loss update)
static Napi::Value IndexAdd_(const Napi::CallbackInfo& info) {
  at::NoGradGuard ng;
  T(0, "x").index_add_(ArgInt(info, 1, "dim"), T(2, "index"), T(3, "source"), IsMissing(info, 4) ? at::Scalar(1) : ToScalar(info[4], "alpha"));
  return Undef(info);
}

#define FNAS(js, name) exports.Set(js, Napi::Function::New<Guard<name>>(env, js))

void InitOps(Napi::Env env, Napi::Object exports) {
  FNAS("unary", UnaryOp);
  FNAS("binary", BinaryOp);
  FNAS("clamp", Clamp);
  FNAS("where", Where);
  FNAS("to", ToDtype);
  FNAS("toDevice", ToDevice);
  FNAS("matmul", Matmul);
  FNAS("linear", Linear);
  FNAS("conv2d", Conv2d);
  FNAS("conv2dPrepack", Conv2dPrepack);
  FNAS("conv2dPrepackedRun", Conv2dPrepackedRun);
  FNAS("conv2dPrepackedDispose", Conv2dPrepackedDispose);
  FNAS("conv2dPrepackAvailable", Conv2dPrepackAvailable);
  FNAS("batchNorm", BatchNorm);
  FNAS("prelu", Prelu);
  FNAS("softmax", Softmax);
  FNAS("logSoftmax", LogSoftmax);
  FNAS("maxPool2d", MaxPool2d);
  FNAS("avgPool2d", AvgPool2d);
  FNAS("adaptiveAvgPool2d", AdaptiveAvgPool2d);
  FNAS("dropout", Dropout);
  FNAS("crossEntropy", CrossEntropy);
  FNAS("nllLoss", NllLoss);
  FNAS("normalize", Normalize);
  FNAS("interpolate", Interpolate);
  FNAS("affineGrid", AffineGrid);
  FNAS("gridSample", GridSample);
  FNAS("pad", Pad);
  FNAS("oneHot", OneHot);
  FNAS("reduce", Reduce);
  FNAS("argmax", Argmax);
  FNAS("argmin", Argmin);
  FNAS("maxDim", MaxDim);
  FNAS("minDim", MinDim);
  FNAS("topk", Topk);
  FNAS("sort", Sort);
  FNAS("cumsum", Cumsum);
  FNAS("reshape", Reshape);
  FNAS("permute", Permute);
  FNAS("transpose", Transpose);
  FNAS("flip", Flip);
  FNAS("squeeze", Squeeze);
  FNAS("unsqueeze", Unsqueeze);
  FNAS("expand", Expand);
  FNAS("repeat", Repeat);
  FNAS("flatten", Flatten);
  FNAS("cat", Cat);
  FNAS("stack", Stack);
  FNAS("split", Split);
  FNAS("chunk", Chunk);
  FNAS("slice", Slice);
  FNAS("select", Select);
  FNAS("indexSelect", IndexSelect);
  FNAS("gather", Gather);
  FNAS("maskedFill", MaskedFill);
  FNAS("maskedSelect", MaskedSelect);
  FNAS("nonzero", Nonzero);
  FNAS("tril", Tril);
  FNAS("indexAdd", IndexAdd);
  FNAS("copy_", Copy_);
  FNAS("add_", Add_);
  FNAS("mul_", Mul_);
  FNAS("lerp_", Lerp_);
  FNAS("addcmul_", Addcmul_);
  FNAS("addcdiv_", Addcdiv_);
  FNAS("fill_", Fill_);
  FNAS("uniform_", Uniform_);
  FNAS("normal_", Normal_);
  FNAS("indexAdd_", IndexAdd_);
}

}  // namespace fn
