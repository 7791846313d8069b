#include "engine/cuda/cuda_moe_engine.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "engine/cuda/check.hpp"
#include "engine/cuda/cuda_engine.hpp"
#include "engine/moe/fault.hpp"

namespace pv::engine::cuda {

void configure_router();
void configure_decode();
void configure_grouped();
void configure_stack();

DeviceBuffer::DeviceBuffer(std::size_t bytes, const std::string& what)
    : p_(device_alloc(bytes, what)), n_(bytes) {}
DeviceBuffer::~DeviceBuffer() { device_free(p_); }
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    device_free(p_);
    p_ = o.p_;
    n_ = o.n_;
    o.p_ = nullptr;
    o.n_ = 0;
  }
  return *this;
}

namespace {

// The middle element (the upper one of an even count) of values taken by copy.
template <class T>
T median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

DeviceBuffer upload(const void* src, std::size_t bytes, const std::string& what) {
  DeviceBuffer b(bytes, what);
  PV_CUDA_CHECK(cudaMemcpy(b.as<void>(), src, bytes, cudaMemcpyHostToDevice));
  return b;
}

int device_type(const ExpertTensor& t) {
  switch (t.type) {
    case quant::Type::Q4_K: return 12;  // ggml type ids, as quant_dev.cuh reads them
    case quant::Type::Q6_K: return 14;
    case quant::Type::Q8_0: return 8;
    default:
      throw std::invalid_argument("CUDA engine: tensor " + t.name + " has type " +
                                  quant::name(t.type) + "; the CUDA kernels read Q4_K, Q6_K and Q8_0");
  }
}

DevMat dev_mat(const ExpertTensor& t, const DeviceBuffer& b) {
  DevMat m;
  m.data = b.as<std::uint8_t>();
  m.type = device_type(t);
  m.rows = t.rows;
  m.cols = t.cols;
  m.row_bytes = t.row_bytes();
  m.expert_bytes = t.expert_bytes();
  return m;
}

}  // namespace

CudaMoeEngine::CudaMoeEngine() {
  configure_router();
  configure_decode();
  configure_grouped();
  configure_stack();
  PV_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  int dev = 0;
  PV_CUDA_CHECK(cudaGetDevice(&dev));
  PV_CUDA_CHECK(cudaDeviceGetAttribute(&sm_count_, cudaDevAttrMultiProcessorCount, dev));
  PV_CUDA_CHECK(cudaDeviceGetAttribute(&smem_optin_, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  trace_ = std::getenv("PV_CUDA_STACK_TRACE") != nullptr;
}

void CudaMoeEngine::set_fused_decode(bool on) {
  if (on != fused_decode_) clear_graphs();
  fused_decode_ = on;
}

CudaMoeEngine::~CudaMoeEngine() {
  clear_graphs();
  if (ws_.pin_h) cudaFreeHost(ws_.pin_h);
  if (stream_) cudaStreamDestroy(stream_);
}

void CudaMoeEngine::clear_graphs() {
  for (auto& [k, g] : graphs_) cudaGraphExecDestroy(g);
  graphs_.clear();
}

void CudaMoeEngine::load(const MoeModel& model) {
  check_model(model);
  const MoeConfig& c = model.config;
  if (c.n_experts > 1024) throw std::invalid_argument("CUDA engine: n_experts = " + std::to_string(c.n_experts) + " > 1024 is not supported");
  if (c.hidden % 256 || c.expert_ffn % 256)
    throw std::invalid_argument("CUDA engine: hidden and expert_ffn must be multiples of 256");
  int dev = 0, smem_max = 0;
  PV_CUDA_CHECK(cudaGetDevice(&dev));
  PV_CUDA_CHECK(cudaDeviceGetAttribute(&smem_max, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  for (const MoeLayer& L : model.layers) {  // every type and size checked before anything changes
    for (const ExpertTensor* t : {&L.gate, &L.up, &L.down}) device_type(*t);
    DecodeArgs probe;
    probe.gate.row_bytes = L.gate.row_bytes();
    probe.up.row_bytes = L.up.row_bytes();
    probe.down.row_bytes = L.down.row_bytes();
    probe.top_k = c.top_k;
    probe.hidden = c.hidden;
    probe.ffn = c.expert_ffn;
    GroupedArgs gprobe;
    gprobe.gate = probe.gate; gprobe.up = probe.up; gprobe.down = probe.down;
    gprobe.hidden = c.hidden; gprobe.ffn = c.expert_ffn;
    const std::size_t need = std::max(decode_smem_needed(probe), grouped_smem_needed(gprobe));
    if (need > std::size_t(smem_max))
      throw std::invalid_argument("CUDA engine: " + L.gate.name + ": the expert kernels would need " +
                                  std::to_string(need) + " bytes of shared memory per block; " +
                                  device_label() + " has " + std::to_string(smem_max));
  }
  clear_graphs();
  layers_.clear();
  stack_layers_ = DeviceBuffer{};
  if (ws_.pin_h) cudaFreeHost(ws_.pin_h);
  ws_ = Workspace{};
  expert_bytes_ = 0;
  cfg_ = c;
  const std::size_t H = c.hidden, E = c.n_experts;
  try {
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
      const MoeLayer& L = model.layers[l];
      const std::string p = "blk." + std::to_string(l) + ".";
      Layer d;
      d.norm = upload(L.ffn_norm, H * sizeof(float), p + "ffn_norm.weight");
      d.router = upload(L.router, E * H * sizeof(float), p + "ffn_gate_inp.weight");
      d.gate = upload(L.gate.data, L.gate.total_bytes(), L.gate.name);
      d.up = upload(L.up.data, L.up.total_bytes(), L.up.name);
      d.down = upload(L.down.data, L.down.total_bytes(), L.down.name);
      d.g = dev_mat(L.gate, d.gate);
      d.u = dev_mat(L.up, d.up);
      d.d = dev_mat(L.down, d.down);
      expert_bytes_ += d.gate.bytes() + d.up.bytes() + d.down.bytes();
      layers_.push_back(std::move(d));
    }
    std::vector<StackLayer> table;
    for (const Layer& d : layers_) table.push_back({d.norm.as<float>(), d.router.as<float>(), d.g, d.u, d.d});
    stack_layers_ = upload(table.data(), table.size() * sizeof(StackLayer), "fused decode layer table");
  } catch (...) {  // e.g. out of device memory half-way: leave no half-loaded model behind
    layers_.clear();
    expert_bytes_ = 0;
    throw;
  }
}

void CudaMoeEngine::check_args(int first_layer, int layer_count, const float* h, int tokens) const {
  if (layers_.empty()) throw std::logic_error("CUDA engine: forward() before load()");
  if (first_layer < 0 || layer_count < 1 || first_layer + layer_count > int(layers_.size()))
    throw std::out_of_range("CUDA engine: layers [" + std::to_string(first_layer) + ", " +
                            std::to_string(first_layer + layer_count) + ") outside the model's " +
                            std::to_string(layers_.size()) + " layers");
  if (tokens < 1) throw std::invalid_argument("CUDA engine: tokens must be >= 1");
  if (!h) throw std::invalid_argument("CUDA engine: null hidden-state pointer");
}

void CudaMoeEngine::ensure_workspace(int tokens, int layers) {
  if (ws_.tokens >= tokens && ws_.layers >= layers) return;
  clear_graphs();  // graphs hold the old buffers' addresses
  const std::size_t T = std::max(tokens, ws_.tokens), NL = std::max(layers, ws_.layers);
  const std::size_t H = cfg_.hidden, F = cfg_.expert_ffn, E = cfg_.n_experts, K = cfg_.top_k;
  if (ws_.pin_h) cudaFreeHost(ws_.pin_h);
  ws_ = Workspace{};
  ws_.tokens = int(T);
  ws_.layers = int(NL);
  ws_.hin = DeviceBuffer(T * H * 4, "workspace h_in");
  ws_.ha = DeviceBuffer(T * H * 4, "workspace h_a");
  ws_.hb = DeviceBuffer(T * H * 4, "workspace h_b");
  ws_.xn = DeviceBuffer(T * H * 4, "workspace x_norm");
  ws_.xq = DeviceBuffer(T * H, "workspace x_norm int8");
  ws_.xd = DeviceBuffer(T * (H / 32) * 4, "workspace x_norm scales");
  ws_.xsd = DeviceBuffer(T * (H / 32) * 4, "workspace x_norm scaled sums");
  ws_.act = DeviceBuffer(T * K * F * 4, "workspace act");
  ws_.act_sum = DeviceBuffer(T * K * (F / 32) * 4, "workspace act sums");
  ws_.act_q = DeviceBuffer(T * K * F, "workspace act int8");
  ws_.act_d = DeviceBuffer(T * K * (F / 32) * 4, "workspace act scales");
  ws_.act_sd = DeviceBuffer(T * K * (F / 32) * 4, "workspace act scaled sums");
  ws_.act_s16 = DeviceBuffer(T * K * (F / 16) * 4, "workspace act sums per 16");
  ws_.y = DeviceBuffer(T * K * H * 4, "workspace expert outputs");
  ws_.sorted = DeviceBuffer(T * K * 4, "workspace sorted pairs");
  ws_.tiles = DeviceBuffer((3 * std::size_t(grouped_tile_capacity(int(T), int(K), int(E))) + 1) * 4, "workspace tiles");
  ws_.probs = DeviceBuffer(NL * T * E * 4, "workspace router probs");
  ws_.experts = DeviceBuffer(NL * T * K * 4, "workspace selected experts");
  ws_.weights = DeviceBuffer(NL * T * K * 4, "workspace expert weights");
  ws_.logits = DeviceBuffer(T * E * 4, "workspace router logits");
  ws_.barrier = DeviceBuffer(sizeof(unsigned), "workspace grid barrier");
  if (trace_) {  // zeroed: kMarkGuLast is a running maximum
    const std::size_t n = NL * (kStackMarks + 2 * std::size_t(sm_count_));  // marks, then per-block ends
    ws_.trace = DeviceBuffer(n * 8, "workspace stack trace");
    PV_CUDA_CHECK(cudaMemset(ws_.trace.as<void>(), 0, n * 8));
  }
  const std::size_t groups = std::size_t(router_token_groups(int(T)));
  ws_.tickets = DeviceBuffer(groups * 4, "workspace router tickets");
  PV_CUDA_CHECK(cudaMemset(ws_.tickets.as<void>(), 0, groups * 4));
  PV_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&ws_.pin_h), T * H * 4));
}

// Layer i of the run reads hin (i = 0) or the previous output, and writes ha / hb alternately.
const float* CudaMoeEngine::final_buffer(int layer_count) const {
  return (layer_count % 2 == 1) ? ws_.ha.as<float>() : ws_.hb.as<float>();
}

// The fused decode kernel's arguments for these layers, planned; false if it does not apply
// (T > kFusedMaxTokens, or switched off) or does not fit.
bool CudaMoeEngine::stack_args(int first, int count, int T, bool q8, bool racy, StackArgs& s) const {
  if (!fused_decode_ || T > kFusedMaxTokens || layers_.empty()) return false;
  s.layers = stack_layers_.as<StackLayer>() + first;
  s.count = count; s.tokens = T; s.top_k = cfg_.top_k; s.hidden = cfg_.hidden; s.ffn = cfg_.expert_ffn;
  s.n_experts = cfg_.n_experts; s.eps = cfg_.rms_eps; s.q8 = q8; s.racy = racy;
  s.hin = ws_.hin.as<float>(); s.ha = ws_.ha.as<float>(); s.hb = ws_.hb.as<float>();
  s.act = ws_.act.as<float>(); s.logits = ws_.logits.as<float>(); s.barrier = ws_.barrier.as<unsigned>();
  s.probs = ws_.probs.as<float>(); s.experts = ws_.experts.as<std::int32_t>(); s.weights = ws_.weights.as<float>();
  s.trace = ws_.trace.as<unsigned long long>();
  if (s.trace) s.trace_blocks = block_stamps(count);
  s.gate_type = layers_[first].g.type; s.up_type = layers_[first].u.type; s.down_type = layers_[first].d.type;
  for (int i = first; i < first + count; ++i) {
    if (layers_[i].g.type != s.gate_type) s.gate_type = 0;
    if (layers_[i].u.type != s.up_type) s.up_type = 0;
    if (layers_[i].d.type != s.down_type) s.down_type = 0;
    s.gate_row_bytes = std::max(s.gate_row_bytes, layers_[i].g.row_bytes);
    s.up_row_bytes = std::max(s.up_row_bytes, layers_[i].u.row_bytes);
    s.down_row_bytes = std::max(s.down_row_bytes, layers_[i].d.row_bytes);
  }
  return plan_stack(s, sm_count_, smem_optin_);
}

bool CudaMoeEngine::fused_decode_fits(int first, int count, int T, ActivationMode mode) const {
  StackArgs s;
  return stack_args(first, count, T, mode == ActivationMode::q8, false, s);
}

void CudaMoeEngine::enqueue_layers(int first, int count, int T, ActivationMode mode, bool racy) {
  const std::size_t H = cfg_.hidden, E = cfg_.n_experts, K = cfg_.top_k;
  const bool q8 = mode == ActivationMode::q8;
  if (StackArgs s; stack_args(first, count, T, q8, racy, s)) {
    launch_stack(s, stream_);
    return;
  }
  for (int i = 0; i < count; ++i) {
    const Layer& L = layers_[first + i];
    const float* src = i == 0 ? ws_.hin.as<float>() : (i % 2 == 1 ? ws_.ha.as<float>() : ws_.hb.as<float>());
    float* dst = (i % 2 == 0) ? ws_.ha.as<float>() : ws_.hb.as<float>();
    std::int32_t* experts = ws_.experts.as<std::int32_t>() + i * T * K;
    float* weights = ws_.weights.as<float>() + i * T * K;
    const bool grouped = q8 && T > kDecodeMaxTokens;

    RouterArgs r;
    r.h = src; r.norm = L.norm.as<float>(); r.router = L.router.as<float>();
    r.tokens = T; r.hidden = int(H); r.n_experts = int(E); r.top_k = int(K);
    r.eps = cfg_.rms_eps; r.q8 = q8; r.racy = racy;
    r.xn = ws_.xn.as<float>(); 
    if (grouped) {
      r.xq = ws_.xq.as<std::int8_t>(); r.xd = ws_.xd.as<float>(); r.xsd = ws_.xsd.as<float>();
    }
    r.probs = ws_.probs.as<float>() + i * T * E; r.experts = experts; r.weights = weights;
    r.logits = ws_.logits.as<float>(); r.tickets = ws_.tickets.as<int>(); r.sm_count = sm_count_;
    r.pdl = !grouped && T <= kDecodeMaxTokens;
    launch_router(r, stream_);

    if (!grouped) {
      DecodeArgs d;
      d.gate = L.g; d.up = L.u; d.down = L.d;
      d.tokens = T; d.top_k = int(K); d.hidden = int(H); d.ffn = cfg_.expert_ffn; d.q8 = q8;
      d.h = src; d.xn = ws_.xn.as<float>(); d.experts = experts; d.weights = weights;
      d.act = ws_.act.as<float>(); d.act_sum = ws_.act_sum.as<float>(); d.out = dst;
      d.act_q = ws_.act_q.as<std::int8_t>(); d.act_d = ws_.act_d.as<float>();
      d.act_sd = ws_.act_sd.as<float>(); d.act_s16 = ws_.act_s16.as<int>();
      launch_decode(d, stream_);
    } else {
      GroupedArgs g;
      g.gate = L.g; g.up = L.u; g.down = L.d;
      g.tokens = T; g.top_k = int(K); g.hidden = int(H); g.ffn = cfg_.expert_ffn; g.n_experts = int(E);
      g.h = src; g.xq = ws_.xq.as<std::int8_t>(); g.xd = ws_.xd.as<float>(); g.xsd = ws_.xsd.as<float>(); g.experts = experts; g.weights = weights;
      g.sorted = ws_.sorted.as<std::int32_t>(); g.tiles = ws_.tiles.as<std::int32_t>(); g.act = ws_.act.as<float>();
      g.act_q = ws_.act_q.as<std::int8_t>(); g.act_d = ws_.act_d.as<float>();
      g.act_sd = ws_.act_sd.as<float>(); g.y = ws_.y.as<float>(); g.out = dst;
      launch_grouped(g, stream_);
    }
  }
}

cudaGraphExec_t CudaMoeEngine::graph_for(int first, int count, int T, ActivationMode mode) {
  const bool racy = PV_FAULT(cuda_reduction_race);
  const GraphKey key{first, count, T, int(mode), racy};
  if (auto it = graphs_.find(key); it != graphs_.end()) return it->second;
  cudaGraph_t graph = nullptr;
  PV_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
  try {
    enqueue_layers(first, count, T, mode, racy);
  } catch (...) {
    cudaStreamEndCapture(stream_, &graph);
    if (graph) cudaGraphDestroy(graph);
    throw;
  }
  PV_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
  cudaGraphExec_t exec = nullptr;
  const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  PV_CUDA_CHECK(e);
  graphs_[key] = exec;
  return exec;
}

ForwardResult CudaMoeEngine::forward(int first, int count, const float* h, int T, const ForwardOptions& opt) {
  check_args(first, count, h, T);
  ensure_workspace(T, count);
  const std::size_t H = cfg_.hidden, E = cfg_.n_experts, K = cfg_.top_k;
  const std::size_t bytes = T * H * sizeof(float);
  cudaGraphExec_t g = graph_for(first, count, T, opt.mode);
  std::memcpy(ws_.pin_h, h, bytes);
  PV_CUDA_CHECK(cudaMemcpyAsync(ws_.hin.as<void>(), ws_.pin_h, bytes, cudaMemcpyHostToDevice, stream_));
  PV_CUDA_CHECK(cudaGraphLaunch(g, stream_));
  PV_CUDA_CHECK(cudaMemcpyAsync(ws_.pin_h, final_buffer(count), bytes, cudaMemcpyDeviceToHost, stream_));
  PV_CUDA_CHECK(cudaStreamSynchronize(stream_));
  ForwardResult r;
  r.backend = "cuda";
  r.mode = opt.mode;
  r.hidden.assign(ws_.pin_h, ws_.pin_h + T * H);
  const int runs = opt.capture_routing ? count : 1;
  for (int i = 0; i < runs; ++i) {
    Routing rt;
    rt.tokens = T;
    rt.n_experts = int(E);
    rt.top_k = int(K);
    rt.probs.resize(T * E);
    rt.experts.resize(T * K);
    rt.weights.resize(T * K);
    PV_CUDA_CHECK(cudaMemcpy(rt.probs.data(), ws_.probs.as<float>() + i * T * E, T * E * 4, cudaMemcpyDeviceToHost));
    PV_CUDA_CHECK(cudaMemcpy(rt.experts.data(), ws_.experts.as<std::int32_t>() + i * T * K, T * K * 4, cudaMemcpyDeviceToHost));
    PV_CUDA_CHECK(cudaMemcpy(rt.weights.data(), ws_.weights.as<float>() + i * T * K, T * K * 4, cudaMemcpyDeviceToHost));
    r.routing.push_back(std::move(rt));
  }
  return r;
}

double CudaMoeEngine::device_forward_ms(int first, int count, int T, const ForwardOptions& opt, int reps) {
  if (layers_.empty()) throw std::logic_error("CUDA engine: device_forward_ms() before load()");
  static const float dummy = 0.f;  // no host input: the graph reuses the last forward()'s h
  check_args(first, count, &dummy, T);
  ensure_workspace(T, count);
  cudaGraphExec_t g = graph_for(first, count, T, opt.mode);
  cudaEvent_t a = nullptr, b = nullptr;
  PV_CUDA_CHECK(cudaEventCreate(&a));
  PV_CUDA_CHECK(cudaEventCreate(&b));
  std::vector<float> ms;
  try {
    for (int i = 0; i < 3; ++i) PV_CUDA_CHECK(cudaGraphLaunch(g, stream_));  // warm-up
    for (int i = 0; i < std::max(1, reps); ++i) {
      PV_CUDA_CHECK(cudaEventRecord(a, stream_));
      PV_CUDA_CHECK(cudaGraphLaunch(g, stream_));
      PV_CUDA_CHECK(cudaEventRecord(b, stream_));
      PV_CUDA_CHECK(cudaEventSynchronize(b));
      float t = 0.f;
      PV_CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
      ms.push_back(t);
    }
  } catch (...) {
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    throw;
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  if (trace_ && fused_decode_fits(first, count, T, opt.mode)) print_stack_trace(count, T);
  return median(ms);
}

// Where the fused kernel's time goes, from the last replay: per phase the median over layers
// of the time between consecutive stamps of block 0.
void CudaMoeEngine::print_stack_trace(int count, int T) const {
  std::vector<unsigned long long> t(std::size_t(count) * kStackMarks);
  PV_CUDA_CHECK(cudaMemcpy(t.data(), ws_.trace.as<void>(), t.size() * 8, cudaMemcpyDeviceToHost));
  std::fprintf(stderr, "stack trace T=%d (block 0, median over %d layers, us):", T, count);
  auto over_layers = [&](auto&& us) {
    std::vector<double> d;
    for (int l = 0; l < count; ++l) d.push_back(us(&t[std::size_t(l) * kStackMarks]));
    return median(std::move(d));
  };
  for (int k = 1; k <= kMarkLayerBarrier; ++k) {
    const double us = over_layers([&](auto* m) { return double(m[k] - m[k - 1]) * 1e-3; });
    std::fprintf(stderr, " %s %.2f |", kStackMarkNames[k], us);
  }
  std::fprintf(stderr, " layer %.2f | %s %.2f after block 0's\n",
               over_layers([](auto* m) { return double(m[kMarkLayerBarrier] - m[kMarkLayer]) * 1e-3; }),
               kStackMarkNames[kMarkGuLast],
               over_layers([](auto* m) { return (double(m[kMarkGuLast]) - double(m[kMarkGuDone])) * 1e-3; }));
  print_block_spread(count, T);
}

// The trace's per-block stamps of a `count`-layer launch: [count][2][blocks], after its marks.
unsigned long long* CudaMoeEngine::block_stamps(int count) const {
  return ws_.trace.as<unsigned long long>() + std::size_t(count) * kStackMarks;
}

// How far apart the blocks finish phases G and D: per layer the quantiles of the blocks' end
// times after the earliest block's, then the median of each over layers.
void CudaMoeEngine::print_block_spread(int count, int T) const {
  const std::size_t nb = std::size_t(sm_count_);
  std::vector<unsigned long long> t(std::size_t(count) * 2 * nb);
  PV_CUDA_CHECK(cudaMemcpy(t.data(), block_stamps(count), t.size() * 8, cudaMemcpyDeviceToHost));
  for (int ph = 0; ph < 2; ++ph) {
    std::vector<double> q[4];  // per layer: p10, p50, p90, max
    for (int l = 0; l < count; ++l) {
      const unsigned long long* b = &t[(std::size_t(l) * 2 + ph) * nb];
      std::vector<double> d(b, b + nb);
      std::sort(d.begin(), d.end());
      const double lo = d.front();  // the earliest block's end
      for (double& x : d) x = (x - lo) * 1e-3;
      const double at[4] = {d[nb / 10], d[nb / 2], d[nb * 9 / 10], d.back()};
      for (int i = 0; i < 4; ++i) q[i].push_back(at[i]);
    }
    std::fprintf(stderr, "stack trace T=%d: blocks' end of phase %s after the first block's (us, median over layers): "
                 "p10 %.2f | p50 %.2f | p90 %.2f | max %.2f\n", T, ph == 0 ? "G" : "D", median(q[0]), median(q[1]),
                 median(q[2]), median(q[3]));
  }
}

}  // namespace pv::engine::cuda

namespace pv::engine {

std::unique_ptr<MoeEngine> make_cuda_engine(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    if (why)
      *why = e != cudaSuccess ? std::string("no usable CUDA device: cudaGetDeviceCount failed with ") +
                                    cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")"
                              : std::string("no CUDA device present");
    cudaGetLastError();
    return nullptr;
  }
  try {
    return std::make_unique<cuda::CudaMoeEngine>();
  } catch (const std::exception& ex) {
    if (why) *why = std::string("CUDA device present but the engine could not start: ") + ex.what();
    return nullptr;
  }
}

}  // namespace pv::engine
