// Data-parallel training on libtorch's c10d: TCPStore rendezvous, ProcessGroupGloo (CPU) or
// ProcessGroupNCCL (CUDA builds), a bucketed gradient all-reduce that overlaps with backward, and a
// differentiable all-reduce for synchronised batch-norm statistics. No face code here.
//
// The C++ frontend has no DistributedDataParallel (pytorch#48959), so the gradient reducer is ours:
// a post-hook on each parameter's AccumulateGrad node marks the parameter ready; a bucket (a run of
// parameters in reverse registration order, about the order backward produces them) is flattened,
// pre-divided by the world size and all-reduced asynchronously as soon as all its parameters are
// ready; finish() waits for the buckets and writes the averages back into the .grad tensors.
// Buckets are launched strictly in index order, so every rank issues the collectives in one order.
#include "common.h"

#include <torch/version.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fn {

using Clock = std::chrono::steady_clock;

// libtorch 2.0 split the collectives into c10d::Backend (ProcessGroupGloo/NCCL derive from it);
// 1.13's backends derive from c10d::ProcessGroup. Both have the same collective methods.
#if TORCH_VERSION_MAJOR >= 2
using BackendBase = c10d::Backend;
#else
using BackendBase = c10d::ProcessGroup;
#endif

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<BackendBase> backend;
  int rank = 0;
  int size = 1;
  std::string kind;
  std::chrono::milliseconds timeout{0};
  bool disposed = false;
};

using GroupPtr = std::shared_ptr<Group>;
using GroupHandle = Napi::External<GroupPtr>;

static GroupPtr& ArgGroup(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsExternal()) ThrowArg(info.Env(), "expected a process group handle");
  GroupPtr& g = *info[i].As<GroupHandle>().Data();
  if (!g || g->disposed) {
    Napi::Error err = Napi::Error::New(info.Env(), "the process group was disposed");
    err.Set("code", Napi::String::New(info.Env(), "DISPOSED"));
    throw err;
  }
  return g;
}

static void RejectWith(Napi::Promise::Deferred& d, Napi::Env env, const std::string& msg) {
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("code", Napi::String::New(env, "DISTRIBUTED"));
  d.Reject(err.Value());
}

// Runs `work` on a libuv worker thread and settles a promise with `done(env)` or the error text:
// rendezvous, barriers and store reads can take seconds and must not block the event loop.
class Task : public Napi::AsyncWorker {
 public:
  Task(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), done_(std::move(done)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(done_(Env())); }
  void OnError(const Napi::Error& e) override { RejectWith(deferred_, Env(), e.Message()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> done_;
};

static std::string StrOpt(const Napi::Object& o, const char* key, const std::string& dflt) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : dflt;
}
static int64_t IntOpt(const Napi::Object& o, const char* key, int64_t dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : dflt;
}

// pgCreate({backend, masterAddr, masterPort, rank, worldSize, localAddress, timeoutMs, connectTimeoutMs})
// -> Promise<handle>. Rank 0 hosts the TCPStore; everybody connects to it (retrying until
// connectTimeoutMs), then the backend connects the full mesh through it.
static Napi::Value PgCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) ThrowArg(env, "pgCreate: expected an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  const std::string backend = StrOpt(o, "backend", "gloo");
  const std::string host = StrOpt(o, "masterAddr", "127.0.0.1");
  const std::string local = StrOpt(o, "localAddress", "127.0.0.1");
  const int64_t port = IntOpt(o, "masterPort", 29500);
  const int rank = static_cast<int>(IntOpt(o, "rank", 0));
  const int size = static_cast<int>(IntOpt(o, "worldSize", 1));
  const auto timeout = std::chrono::milliseconds(IntOpt(o, "timeoutMs", 600000));
  const auto connectTimeout = std::chrono::milliseconds(IntOpt(o, "connectTimeoutMs", 60000));
  if (port <= 0 || port > 65535) ThrowArg(env, "pgCreate: masterPort must be 1..65535");
  if (size < 1 || rank < 0 || rank >= size) ThrowArg(env, "pgCreate: need 0 <= rank < worldSize");
  if (backend != "gloo" && backend != "nccl") ThrowArg(env, "pgCreate: backend must be gloo or nccl");
#ifndef USE_C10D_NCCL
  if (backend == "nccl") ThrowArg(env, "pgCreate: this build has no NCCL (build the addon against a CUDA libtorch: LIBTORCH=/path/to/libtorch npm run build:native)");
#endif
  auto group = std::make_shared<Group>();
  group->rank = rank;
  group->size = size;
  group->kind = backend;
  group->timeout = timeout;
  auto work = [=]() {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(port);
    so.isServer = rank == 0;
    so.numWorkers = static_cast<std::size_t>(size);
    so.waitWorkers = false;
    so.timeout = connectTimeout;
    group->store = c10::make_intrusive<c10d::TCPStore>(host, so);
#ifdef USE_C10D_GLOO
    if (backend == "gloo") {
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(local));
      opts->threads = 2;
      group->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, rank, size, opts);
    }
#endif
    if (!group->backend) throw std::runtime_error("this build of the addon has no " + backend + " backend (its headers were missing when it was built)");
#ifdef USE_C10D_NCCL
    if (backend == "nccl") {
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      group->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(group->store, rank, size, opts);
    }
#endif
    // The store's later reads (config agreement) wait up to the collective timeout.
    group->store->setTimeout(timeout);
  };
  Task* t = new Task(env, work, [group](Napi::Env e) -> Napi::Value {
    return GroupHandle::New(e, new GroupPtr(group), [](Napi::Env, GroupPtr* p) { delete p; });
  });
  Napi::Promise p = t->Promise();
  t->Queue();
  return p;
}

static c10d::ReduceOp ReduceOpFromName(Napi::Env env, const std::string& s) {
  if (s == "sum") return c10d::ReduceOp::SUM;
  if (s == "max") return c10d::ReduceOp::MAX;
  if (s == "min") return c10d::ReduceOp::MIN;
  ThrowArg(env, "unknown reduce op '" + s + "' (sum, avg, max, min)");
}

static void WaitWork(const c10::intrusive_ptr<c10d::Work>& w) { w->wait(); }

// pgAllReduce(pg, tensors[], op): in place, blocking (short: metrics, flags, small statistics).
// 'avg' is a sum divided by the world size (gloo has no AVG).
static Napi::Value PgAllReduce(const Napi::CallbackInfo& info) {
  GroupPtr g = ArgGroup(info, 0);
  std::vector<at::Tensor> ts = ArgTensorList(info, 1, "tensors");
  const std::string op = ArgStr(info, 2, "op");
  c10d::AllreduceOptions opts;
  opts.reduceOp = ReduceOpFromName(info.Env(), op == "avg" ? "sum" : op);
  for (auto& t : ts) {
    if (!t.is_contiguous()) ThrowArg(info.Env(), "pgAllReduce: tensors must be contiguous");
    std::vector<at::Tensor> one{t};
    WaitWork(g->backend->allreduce(one, opts));
    if (op == "avg") t.div_(g->size);
  }
  return info.Env().Undefined();
}

// pgBroadcast(pg, tensors[], root): in place, blocking (initial parameters and buffers).
static Napi::Value PgBroadcast(const Napi::CallbackInfo& info) {
  GroupPtr g = ArgGroup(info, 0);
  std::vector<at::Tensor> ts = ArgTensorList(info, 1, "tensors");
  c10d::BroadcastOptions opts;
  opts.rootRank = static_cast<int64_t>(ArgInt(info, 2, "root"));
  at::NoGradGuard noGrad;
  for (auto& t : ts) {
    // Broadcast into a contiguous copy when the tensor is strided otherwise (channels-last weights).
    at::Tensor c = t.is_contiguous() ? t : t.contiguous();
    std::vector<at::Tensor> one{c};
    WaitWork(g->backend->broadcast(one, opts));
    if (!c.is_same(t)) t.copy_(c);
  }
  return info.Env().Undefined();
}

// pgBarrier(pg) -> Promise: on a worker thread, so that a rank waiting for rank 0's evaluation
// keeps its event loop (signals, timers) alive.
static Napi::Value PgBarrier(const Napi::CallbackInfo& info) {
  GroupPtr g = ArgGroup(info, 0);
  // A barrier as a one-element all-reduce: ProcessGroupGloo's barrier() does not honour the
  // per-call timeout the same way across versions; the all-reduce uses the group's timeout.
  Task* t = new Task(info.Env(), [g]() {
    at::Tensor one = at::ones({1});
    std::vector<at::Tensor> v{one};
    WaitWork(g->backend->allreduce(v));
  }, [](Napi::Env e) -> Napi::Value { return e.Undefined(); });
  Napi::Promise p = t->Promise();
  t->Queue();
  return p;
}

// pgStoreSet(pg, key, value) (blocking, a round trip) and pgStoreGet(pg, key) -> Promise<string>
// (waits until some rank has set the key, up to the group's timeout).
static Napi::Value PgStoreSet(const Napi::CallbackInfo& info) {
  GroupPtr g = ArgGroup(info, 0);
  const std::string key = ArgStr(info, 1, "key");
  const std::string value = ArgStr(info, 2, "value");
  g->store->set(key, std::vector<uint8_t>(value.begin(), value.end()));
  return info.Env().Undefined();
}

static Napi::Value PgStoreGet(const Napi::CallbackInfo& info) {
  GroupPtr g = ArgGroup(info, 0);
  const std::string key = ArgStr(info, 1, "key");
  auto out = std::make_shared<std::string>();
  Task* t = new Task(info.Env(), [g, key, out]() {
    std::vector<uint8_t> v = g->store->get(key);
    out->assign(v.begin(), v.end());
  }, [out](Napi::Env e) -> Napi::Value { return Napi::String::New(e, *out); });
  Napi::Promise p = t->Promise();
  t->Queue();
  return p;
}

static Napi::Value PgDispose(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) ThrowArg(info.Env(), "expected a process group handle");
  GroupPtr& g = *info[0].As<GroupHandle>().Data();
  if (g && !g->disposed) {
    g->disposed = true;
    g->backend.reset();
    g->store.reset();
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Differentiable all-reduce (sum): forward sums a tensor over the ranks; backward sums the
// gradients, which is the adjoint of a sum over ranks. Used for synchronised batch-norm statistics:
// every rank runs the same layers in the same order forward and backward, so the collectives match.

struct AllReduceSum : public torch::autograd::Function<AllReduceSum> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, at::Tensor x, int64_t groupAddress) {
    ctx->saved_data["group"] = groupAddress;
    Group* g = reinterpret_cast<Group*>(groupAddress);
    at::Tensor y = x.contiguous().clone();
    std::vector<at::Tensor> v{y};
    WaitWork(g->backend->allreduce(v));
    return y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    Group* g = reinterpret_cast<Group*>(ctx->saved_data["group"].toInt());
    at::Tensor gy = grads[0].contiguous().clone();
    std::vector<at::Tensor> v{gy};
    WaitWork(g->backend->allreduce(v));
    return {gy, at::Tensor()};
  }
};

// pgAllReduceSumAutograd(pg, x) -> tensor. The handle must outlive the graph (the TS layer keeps
// the group until training ends).
static Napi::Value PgAllReduceSumAutograd(const Napi::CallbackInfo& info) {
  GroupPtr g = ArgGroup(info, 0);
  at::Tensor x = ArgTensor(info, 1, "x");
  return TensorWrap::Make(info.Env(), AllReduceSum::apply(x, reinterpret_cast<int64_t>(g.get())));
}

// ---------------------------------------------------------------------------------------------
// Gradient reducer

struct Bucket {
  std::vector<size_t> members;  // parameter indices
  std::vector<int64_t> offsets;
  int64_t numel = 0;
  at::Tensor flat;
  size_t pending = 0;
  bool launched = false;
  c10::intrusive_ptr<c10d::Work> work;
  Clock::time_point launchedAt;
  std::shared_ptr<std::atomic<int64_t>> doneNs = std::make_shared<std::atomic<int64_t>>(0);
};

struct ReducerStats {
  int64_t steps = 0;
  double commMs = 0;     // union of the buckets' in-flight intervals (launch .. completion)
  double exposedMs = 0;  // time finish() waited after backward ended
  double backwardTailMs = 0;
  int64_t bucketsLaunchedInBackward = 0;
  int64_t bucketsTotal = 0;
};

struct Reducer {
  GroupPtr group;
  std::vector<at::Tensor> params;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators;
  std::vector<uintptr_t> hookKeys;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucketOf;
  std::vector<bool> ready;
  size_t nextLaunch = 0;
  bool inStep = false;
  std::mutex mu;  // hooks run on the autograd thread (the caller on CPU; a device thread on CUDA)
  ReducerStats stats;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  void Launch(Bucket& b) {
    at::NoGradGuard noGrad;
    for (size_t k = 0; k < b.members.size(); k++) {
      const at::Tensor& p = params[b.members[k]];
      at::Tensor dst = b.flat.narrow(0, b.offsets[k], p.numel());
      const at::Tensor& gr = p.grad();
      if (gr.defined()) dst.view(p.sizes()).copy_(gr);
      else dst.zero_();
    }
    // Pre-divide so that the sum is the mean (as DDP does).
    if (group->size > 1) b.flat.div_(group->size);
    b.launchedAt = Clock::now();
    b.doneNs->store(0);
    std::vector<at::Tensor> v{b.flat};
    b.work = group->backend->allreduce(v);
    auto done = b.doneNs;
    b.work->getFuture()->addCallback([done](c10::ivalue::Future&) {
      done->store(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
    });
    b.launched = true;
  }

  // Launches every consecutive ready bucket from nextLaunch: one order on every rank.
  void LaunchReady(bool inBackward) {
    while (nextLaunch < buckets.size() && buckets[nextLaunch].pending == 0) {
      Launch(buckets[nextLaunch]);
      if (inBackward) stats.bucketsLaunchedInBackward++;
      nextLaunch++;
    }
  }

  void OnReady(size_t index) {
    std::lock_guard<std::mutex> lock(mu);
    if (ready[index]) return;  // a parameter used twice: its grad accumulates, the bucket already counts it
    ready[index] = true;
    inStep = true;
    Bucket& b = buckets[bucketOf[index]];
    b.pending--;
    LaunchReady(true);
  }

  void Reset() {
    for (auto& b : buckets) {
      b.pending = b.members.size();
      b.launched = false;
      b.work.reset();
    }
    std::fill(ready.begin(), ready.end(), false);
    nextLaunch = 0;
    inStep = false;
  }

  // Waits for every bucket (launching those whose parameters got no gradient) and writes the means
  // back into .grad.
  void Finish() {
    std::lock_guard<std::mutex> lock(mu);
    const Clock::time_point t0 = Clock::now();
    for (size_t i = 0; i < buckets.size(); i++) {
      if (buckets[i].pending != 0) buckets[i].pending = 0;
    }
    LaunchReady(false);
    at::NoGradGuard noGrad;
    std::vector<std::pair<int64_t, int64_t>> intervals;
    for (auto& b : buckets) {
      WaitWork(b.work);
      const int64_t doneNs = b.doneNs->load();
      const int64_t launchNs = std::chrono::duration_cast<std::chrono::nanoseconds>(b.launchedAt.time_since_epoch()).count();
      intervals.emplace_back(launchNs, doneNs > 0 ? doneNs : launchNs);
      for (size_t k = 0; k < b.members.size(); k++) {
        at::Tensor& p = params[b.members[k]];
        at::Tensor src = b.flat.narrow(0, b.offsets[k], p.numel()).view(p.sizes());
        if (p.grad().defined()) p.mutable_grad().copy_(src);
        else p.mutable_grad() = src.clone();
      }
    }
    const Clock::time_point t1 = Clock::now();
    // The union of the in-flight intervals: the communication time of this step.
    std::sort(intervals.begin(), intervals.end());
    int64_t busy = 0, curStart = -1, curEnd = -1;
    for (auto& iv : intervals) {
      if (iv.first > curEnd) {
        if (curEnd > curStart) busy += curEnd - curStart;
        curStart = iv.first;
        curEnd = iv.second;
      } else if (iv.second > curEnd) {
        curEnd = iv.second;
      }
    }
    if (curEnd > curStart) busy += curEnd - curStart;
    const int64_t t0ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count();
    // Exposed: the part of the communication still running when backward had ended.
    int64_t exposed = 0;
    for (auto& iv : intervals) exposed = std::max(exposed, iv.second - t0ns);
    stats.steps++;
    stats.commMs += busy / 1e6;
    stats.exposedMs += std::max<int64_t>(0, exposed) / 1e6;
    stats.backwardTailMs += std::chrono::duration<double, std::milli>(t1 - t0).count();
    stats.bucketsTotal += static_cast<int64_t>(buckets.size());
    Reset();
  }

  void Detach() {
    *alive = false;
    for (size_t i = 0; i < accumulators.size(); i++) accumulators[i]->del_post_hook(hookKeys[i]);
    accumulators.clear();
    hookKeys.clear();
  }
};

using ReducerPtr = std::shared_ptr<Reducer>;
using ReducerHandle = Napi::External<ReducerPtr>;

static ReducerPtr& ArgReducer(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsExternal()) ThrowArg(info.Env(), "expected a gradient reducer handle");
  ReducerPtr& r = *info[i].As<ReducerHandle>().Data();
  if (!r) {
    Napi::Error err = Napi::Error::New(info.Env(), "the gradient reducer was disposed");
    err.Set("code", Napi::String::New(info.Env(), "DISPOSED"));
    throw err;
  }
  return r;
}

// reducerCreate(pg, params[], bucketBytes) -> handle. Parameters must require grad and be leaves.
static Napi::Value ReducerCreate(const Napi::CallbackInfo& info) {
  GroupPtr g = ArgGroup(info, 0);
  std::vector<at::Tensor> params = ArgTensorList(info, 1, "params");
  const int64_t bucketBytes = ArgInt(info, 2, "bucketBytes");
  if (bucketBytes < 1) ThrowArg(info.Env(), "reducerCreate: bucketBytes must be positive");
  auto r = std::make_shared<Reducer>();
  r->group = g;
  r->params = params;
  r->bucketOf.assign(params.size(), 0);
  r->ready.assign(params.size(), false);
  // Buckets over the parameters in reverse order: backward produces the last layers' grads first.
  Bucket cur;
  int64_t curBytes = 0;
  for (size_t n = params.size(); n-- > 0;) {
    const at::Tensor& p = params[n];
    if (!p.requires_grad() || !p.is_leaf()) ThrowArg(info.Env(), "reducerCreate: every parameter must be a leaf that requires grad");
    const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
    if (!cur.members.empty() && (curBytes + bytes > bucketBytes || p.scalar_type() != params[cur.members[0]].scalar_type() || p.device() != params[cur.members[0]].device())) {
      r->buckets.push_back(std::move(cur));
      cur = Bucket();
      curBytes = 0;
    }
    cur.offsets.push_back(cur.numel);
    cur.members.push_back(n);
    cur.numel += p.numel();
    curBytes += bytes;
  }
  if (!cur.members.empty()) r->buckets.push_back(std::move(cur));
  for (size_t b = 0; b < r->buckets.size(); b++) {
    Bucket& bk = r->buckets[b];
    const at::Tensor& first = params[bk.members[0]];
    bk.flat = at::zeros({bk.numel}, first.options().requires_grad(false));
    for (size_t m : bk.members) r->bucketOf[m] = b;
  }
  r->Reset();
  std::weak_ptr<Reducer> weak = r;
  for (size_t n = 0; n < params.size(); n++) {
    std::shared_ptr<torch::autograd::Node> acc = torch::autograd::impl::grad_accumulator(params[n]);
    auto alive = r->alive;
    uintptr_t key = acc->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [weak, alive, n](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
          if (*alive) {
            if (auto self = weak.lock()) self->OnReady(n);
          }
          return outputs;
        }));
    r->accumulators.push_back(acc);
    r->hookKeys.push_back(key);
  }
  return ReducerHandle::New(info.Env(), new ReducerPtr(r), [](Napi::Env, ReducerPtr* p) {
    if (*p) (*p)->Detach();
    delete p;
  });
}

static Napi::Value ReducerFinish(const Napi::CallbackInfo& info) {
  ArgReducer(info, 0)->Finish();
  return info.Env().Undefined();
}

// reducerStats(r) -> {steps, buckets, commMs, exposedMs, finishMs, bucketsLaunchedInBackward}
static Napi::Value ReducerStatsOf(const Napi::CallbackInfo& info) {
  ReducerPtr& r = ArgReducer(info, 0);
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("steps", Napi::Number::New(env, static_cast<double>(r->stats.steps)));
  o.Set("buckets", Napi::Number::New(env, static_cast<double>(r->buckets.size())));
  o.Set("commMs", Napi::Number::New(env, r->stats.commMs));
  o.Set("exposedMs", Napi::Number::New(env, r->stats.exposedMs));
  o.Set("finishMs", Napi::Number::New(env, r->stats.backwardTailMs));
  o.Set("bucketsLaunchedInBackward", Napi::Number::New(env, static_cast<double>(r->stats.bucketsLaunchedInBackward)));
  o.Set("bucketsTotal", Napi::Number::New(env, static_cast<double>(r->stats.bucketsTotal)));
  return o;
}

static Napi::Value ReducerDispose(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) ThrowArg(info.Env(), "expected a gradient reducer handle");
  ReducerPtr& r = *info[0].As<ReducerHandle>().Data();
  if (r) {
    r->Detach();
    r.reset();
  }
  return info.Env().Undefined();
}

static Napi::Value NcclAvailable(const Napi::CallbackInfo& info) {
#ifdef USE_C10D_NCCL
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

void InitDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("pgCreate", Napi::Function::New<Guard<PgCreate>>(env, "pgCreate"));
  exports.Set("pgAllReduce", Napi::Function::New<Guard<PgAllReduce>>(env, "pgAllReduce"));
  exports.Set("pgBroadcast", Napi::Function::New<Guard<PgBroadcast>>(env, "pgBroadcast"));
  exports.Set("pgBarrier", Napi::Function::New<Guard<PgBarrier>>(env, "pgBarrier"));
  exports.Set("pgStoreSet", Napi::Function::New<Guard<PgStoreSet>>(env, "pgStoreSet"));
  exports.Set("pgStoreGet", Napi::Function::New<Guard<PgStoreGet>>(env, "pgStoreGet"));
  exports.Set("pgDispose", Napi::Function::New<Guard<PgDispose>>(env, "pgDispose"));
  exports.Set("pgAllReduceSumAutograd", Napi::Function::New<Guard<PgAllReduceSumAutograd>>(env, "pgAllReduceSumAutograd"));
  exports.Set("reducerCreate", Napi::Function::New<Guard<ReducerCreate>>(env, "reducerCreate"));
  exports.Set("reducerFinish", Napi::Function::New<Guard<ReducerFinish>>(env, "reducerFinish"));
  exports.Set("reducerStats", Napi::Function::New<Guard<ReducerStatsOf>>(env, "reducerStats"));
  exports.Set("reducerDispose", Napi::Function::New<Guard<ReducerDispose>>(env, "reducerDispose"));
  exports.Set("ncclAvailable", Napi::Function::New<Guard<NcclAvailable>>(env, "ncclAvailable"));
}

}  // namespace fn
