#pragma once
// CudaMoeEngine: the MoeEngine on one GPU. Weights are uploaded once, in their quantised form
// (device bytes for experts == quantised bytes). forward() runs a cached CUDA graph per
// (first layer, layer count, T, mode, routing capture): the layers' kernels read and write
// device buffers only; the host copies h in and the result (and routing) out around it.
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include <cuda_runtime_api.h>

#include "engine/cuda/kernels.hpp"
#include "engine/moe/engine.hpp"

namespace pv::engine::cuda {

class DeviceBuffer {  // owning cudaMalloc'd bytes
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t bytes, const std::string& what);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; o.n_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  template <class T> T* as() const { return static_cast<T*>(p_); }
  std::size_t bytes() const { return n_; }
 private:
  void* p_ = nullptr;
  std::size_t n_ = 0;
};

class CudaMoeEngine final : public MoeEngine {
 public:
  CudaMoeEngine();
  ~CudaMoeEngine() override;
  std::string name() const override { return "cuda"; }
  void load(const MoeModel& model) override;
  ForwardResult forward(int first_layer, int layer_count, const float* h, int tokens,
                        const ForwardOptions& opt) override;
  std::size_t device_expert_bytes() const override { return expert_bytes_; }
  double device_forward_ms(int first_layer, int layer_count, int tokens,
                           const ForwardOptions& opt, int reps) override;

  // T at and below which the per-layer decode kernels run in q8 mode where the fused stack does
  // not fit (exact mode always uses them); above it, q8 runs the grouped batch path.
  static constexpr int kDecodeMaxTokens = 8;
  // T at and below which the fused stack kernel runs, in either mode, where it fits in shared
  // memory (phase R gives each token one of its 16 warps). Qwen3's shapes fit up to T = 16 in
  // q8 mode, where the stack beat the grouped path on the H100 (T = 9..14: 0.108-0.152 against
  // 0.161-0.204 ms a layer), and up to 9 in exact mode.
  static constexpr int kFusedMaxTokens = 16;
  // false: decode uses the per-layer kernels even where the fused stack fits (tests compare
  // the two bitwise). Default true.
  void set_fused_decode(bool on);
  // Whether forward() of these layers and tokens runs the fused decode kernel.
  bool fused_decode_fits(int first_layer, int layer_count, int tokens, ActivationMode mode) const;

 private:
  struct Layer {
    DeviceBuffer norm, router, gate, up, down;
    DevMat g, u, d;
  };
  struct Workspace {
    int tokens = 0, layers = 0;
    DeviceBuffer trace;          // PV_CUDA_STACK_TRACE: [layers][kStackMarks] u64
    DeviceBuffer barrier;        // the fused kernel's grid barrier counter
    DeviceBuffer hin, ha, hb, xn, xq, xd, xsd, act, act_sum, act_q, act_d, act_sd, act_s16, y, sorted, tiles, probs, experts, weights, logits, tickets;
    float* pin_h = nullptr;      // pinned [T, hidden], in and out
  };
  using GraphKey = std::tuple<int, int, int, int, bool>;  // first, count, T, mode, racy

  void check_args(int first_layer, int layer_count, const float* h, int tokens) const;
  void ensure_workspace(int tokens, int layers);
  void enqueue_layers(int first_layer, int layer_count, int tokens, ActivationMode mode, bool racy);
  cudaGraphExec_t graph_for(int first_layer, int layer_count, int tokens, ActivationMode mode);
  const float* final_buffer(int layer_count) const;
  void clear_graphs();

  bool stack_args(int first_layer, int layer_count, int tokens, bool q8, bool racy, StackArgs& s) const;

  MoeConfig cfg_{};
  std::vector<Layer> layers_;
  DeviceBuffer stack_layers_;  // [layers] StackLayer, for the fused decode kernel
  bool fused_decode_ = true;
  bool trace_ = false;  // PV_CUDA_STACK_TRACE set: device_forward_ms prints the fused kernel's phases
  void print_stack_trace(int layer_count, int tokens) const;
  void print_block_spread(int layer_count, int tokens) const;
  unsigned long long* block_stamps(int layer_count) const;
  int smem_optin_ = 0;
  std::size_t expert_bytes_ = 0;
  Workspace ws_;
  cudaStream_t stream_ = nullptr;
  int sm_count_ = 0;
  std::map<GraphKey, cudaGraphExec_t> graphs_;
};

}  // namespace pv::engine::cuda
