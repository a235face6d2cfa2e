// libtorch's own optimisers behind one handle class: SGD (momentum, nesterov), Adam, AdamW, Adagrad,
// RMSprop. The learning rate is set by the caller every step (schedules live in TypeScript), and the
// state saves to / loads from a Buffer so checkpoints can hold it.
#include "common.h"

#include <torch/optim.h>
#include <torch/serialize.h>

#include <memory>
#include <sstream>

namespace fn {

class OptimizerWrap : public Napi::ObjectWrap<OptimizerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeOptimizer",
                       {InstanceMethod<&OptimizerWrap::Step>("step"), InstanceMethod<&OptimizerWrap::ZeroGrad>("zeroGrad"),
                        InstanceMethod<&OptimizerWrap::SetLr>("setLr"), InstanceMethod<&OptimizerWrap::GetLr>("getLr"),
                        InstanceMethod<&OptimizerWrap::Save>("save"), InstanceMethod<&OptimizerWrap::Load>("load"),
                        InstanceMethod<&OptimizerWrap::Dispose>("dispose")});
  }

  // new NativeOptimizer(kind, params[], options)
  OptimizerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OptimizerWrap>(info) {
    try {
      Build(info);
    } catch (const c10::Error& e) {
      Napi::Error err = Napi::Error::New(info.Env(), std::string("libtorch: ") + e.what_without_backtrace());
      err.Set("code", Napi::String::New(info.Env(), "NATIVE"));
      throw err;
    }
  }

 private:
  std::unique_ptr<torch::optim::Optimizer> opt_;
  std::string kind_;

  static double Opt(const Napi::Object& o, const char* key, double dflt) {
    Napi::Value v = o.Get(key);
    return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : dflt;
  }
  static bool OptB(const Napi::Object& o, const char* key, bool dflt) {
    Napi::Value v = o.Get(key);
    return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : dflt;
  }

  void Build(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    kind_ = ArgStr(info, 0, "kind");
    std::vector<at::Tensor> params = ArgTensorList(info, 1, "params");
    for (const at::Tensor& p : params) {
      if (!p.requires_grad() || !p.is_leaf()) ThrowArg(env, "optimizer: every parameter must be a leaf tensor with requiresGrad");
    }
    Napi::Object o = IsMissing(info, 2) ? Napi::Object::New(env) : info[2].As<Napi::Object>();
    const double lr = Opt(o, "lr", 0.01);
    const double wd = Opt(o, "weightDecay", 0.0);
    if (kind_ == "sgd") {
      torch::optim::SGDOptions so(lr);
      so.momentum(Opt(o, "momentum", 0.0)).dampening(Opt(o, "dampening", 0.0)).nesterov(OptB(o, "nesterov", false)).weight_decay(wd);
      opt_ = std::make_unique<torch::optim::SGD>(params, so);
    } else if (kind_ == "adam" || kind_ == "adamw") {
      const double b1 = Opt(o, "beta1", 0.9), b2 = Opt(o, "beta2", 0.999), eps = Opt(o, "eps", 1e-8);
      if (kind_ == "adam") {
        torch::optim::AdamOptions ao(lr);
        ao.betas({b1, b2}).eps(eps).weight_decay(wd).amsgrad(OptB(o, "amsgrad", false));
        opt_ = std::make_unique<torch::optim::Adam>(params, ao);
      } else {
        torch::optim::AdamWOptions ao(lr);
        ao.betas({b1, b2}).eps(eps).weight_decay(Opt(o, "weightDecay", 0.01)).amsgrad(OptB(o, "amsgrad", false));
        opt_ = std::make_unique<torch::optim::AdamW>(params, ao);
      }
    } else if (kind_ == "adagrad") {
      torch::optim::AdagradOptions ao(lr);
      ao.lr_decay(Opt(o, "lrDecay", 0.0)).weight_decay(wd).initial_accumulator_value(Opt(o, "initialAccumulatorValue", 0.0)).eps(Opt(o, "eps", 1e-10));
      opt_ = std::make_unique<torch::optim::Adagrad>(params, ao);
    } else if (kind_ == "rmsprop") {
      torch::optim::RMSpropOptions ro(lr);
      ro.alpha(Opt(o, "alpha", 0.99)).eps(Opt(o, "eps", 1e-8)).weight_decay(wd).momentum(Opt(o, "momentum", 0.0)).centered(OptB(o, "centered", false));
      opt_ = std::make_unique<torch::optim::RMSprop>(params, ro);
    } else {
      ThrowArg(env, "optimizer: unknown kind '" + kind_ + "' (sgd, adam, adamw, adagrad, rmsprop)");
    }
  }

  torch::optim::Optimizer& Get(Napi::Env env) {
    if (!opt_) {
      Napi::Error err = Napi::Error::New(env, "optimizer was disposed");
      err.Set("code", Napi::String::New(env, "DISPOSED"));
      throw err;
    }
    return *opt_;
  }

  static Napi::Value StepImpl(const Napi::CallbackInfo& info) {
    OptimizerWrap* self = Unwrap(info.This().As<Napi::Object>());
    at::NoGradGuard ng;
    self->Get(info.Env()).step();
    return info.Env().Undefined();
  }
  Napi::Value Step(const Napi::CallbackInfo& info) { return Guard<StepImpl>(info); }

  static Napi::Value ZeroGradImpl(const Napi::CallbackInfo& info) {
    OptimizerWrap* self = Unwrap(info.This().As<Napi::Object>());
    for (auto& g : self->Get(info.Env()).param_groups()) {
      for (auto& p : g.params()) p.mutable_grad() = at::Tensor();  // set_to_none, as PyTorch 2 does
    }
    return info.Env().Undefined();
  }
  Napi::Value ZeroGrad(const Napi::CallbackInfo& info) { return Guard<ZeroGradImpl>(info); }

  static Napi::Value SetLrImpl(const Napi::CallbackInfo& info) {
    OptimizerWrap* self = Unwrap(info.This().As<Napi::Object>());
    double lr = ArgNum(info, 0, "lr");
    if (!(lr >= 0)) ThrowArg(info.Env(), "setLr: learning rate must be >= 0");
    for (auto& g : self->Get(info.Env()).param_groups()) g.options().set_lr(lr);
    return info.Env().Undefined();
  }
  Napi::Value SetLr(const Napi::CallbackInfo& info) { return Guard<SetLrImpl>(info); }

  static Napi::Value GetLrImpl(const Napi::CallbackInfo& info) {
    OptimizerWrap* self = Unwrap(info.This().As<Napi::Object>());
    return Napi::Number::New(info.Env(), self->Get(info.Env()).param_groups().at(0).options().get_lr());
  }
  Napi::Value GetLr(const Napi::CallbackInfo& info) { return Guard<GetLrImpl>(info); }

  static Napi::Value SaveImpl(const Napi::CallbackInfo& info) {
    OptimizerWrap* self = Unwrap(info.This().As<Napi::Object>());
    torch::serialize::OutputArchive ar;
    self->Get(info.Env()).save(ar);
    // Adam and AdamW states have the same layout, so libtorch would silently load one into the
    // other: record the kind, and load() refuses a state of another kind.
    ar.write("facenet_kind", c10::IValue(self->kind_));
    std::ostringstream os;
    ar.save_to(os);
    std::string s = os.str();
    return Napi::Buffer<char>::Copy(info.Env(), s.data(), s.size());
  }
  Napi::Value Save(const Napi::CallbackInfo& info) { return Guard<SaveImpl>(info); }

  static Napi::Value LoadImpl(const Napi::CallbackInfo& info) {
    OptimizerWrap* self = Unwrap(info.This().As<Napi::Object>());
    if (info.Length() < 1 || !info[0].IsBuffer()) ThrowArg(info.Env(), "load: expected a Buffer");
    Napi::Buffer<char> b = info[0].As<Napi::Buffer<char>>();
    std::istringstream is(std::string(b.Data(), b.Length()));
    torch::serialize::InputArchive ar;
    ar.load_from(is);
    c10::IValue kind;
    if (ar.try_read("facenet_kind", kind) && kind.isString() && kind.toStringRef() != self->kind_) {
      ThrowArg(info.Env(), "load: the state is of a " + kind.toStringRef() + " optimizer, not " + self->kind_);
    }
    self->Get(info.Env()).load(ar);
    return info.Env().Undefined();
  }
  Napi::Value Load(const Napi::CallbackInfo& info) { return Guard<LoadImpl>(info); }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    opt_.reset();
    return info.Env().Undefined();
  }
};

void InitOptim(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = OptimizerWrap::Define(env);
  Data(env)->optimizerCtor = Napi::Persistent(ctor);
  exports.Set("NativeOptimizer", ctor);
}

}  // namespace fn
