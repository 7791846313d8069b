// One MoE layer on the CPU.
//
// Phases (each a parallel_for; items write disjoint outputs, so results never depend on the
// thread count or on scheduling):
//   1. per token: x = RMSNorm(h) (and its Q8_K form in q8 mode)
//   2. per (token, block of experts): router logits in f32 from the F32 router
//   3. per token: softmax over all E, top-k, renormalise (routing.cpp)
//   4. group the T*k (token, slot) pairs by expert (counting sort, ascending slot order)
//   5. per (expert, block of F rows): act[slot][r] = silu(gate_r . x) * (up_r . x) for every
//      slot routed to the expert; each row is read once per batch and reused from L1
//   6. q8 mode: act rows to Q8_K
//   7. down in chunks of C = min(d, F) output rows: per (expert, row block) y[slot][r] =
//      down_r . act[slot]; then per token out = h + sum_j w_j y_j in the token's slot order
//      (descending probability), so a token's output is bitwise independent of the others
//      in its batch: every value it depends on is one dot product of its own data.
#include "engine/cpu/layer.hpp"

#include <algorithm>
#include <cmath>

#include "engine/cpu/dequant_row.hpp"
#include "engine/cpu/dot_exact.hpp"
#include "engine/cpu/dot_multi.hpp"
#include "engine/cpu/routing.hpp"
#include "engine/moe/fault.hpp"
#include "engine/quant/quantize.hpp"

namespace pv::engine::cpu {
namespace {

using std::size_t;
constexpr int kRowsPerItem = 16;    // rows of one expert matrix per work item
constexpr int kExpertsPerItem = 16; // router rows per work item

int chunk_rows(const MoeConfig& c) { return std::min(c.hidden, c.expert_ffn); }

float silu(float g) { return g / (1.0f + std::exp(-g)); }

// Dots of one weight row with the activations of the tokens routed to it, in the run's mode.
//  exact: quant::dot_f32 per token; when at least kExpandMin tokens share the row it is
//         expanded once to f32 in the worker's buffer and dotted with dot_expanded, which is
//         bit-identical to quant::dot_f32 (dequant_row.hpp): the unpacking is paid once per
//         batch and a token's bits do not depend on how many others share its expert.
//  q8:    dot_q8k_multi (dot_multi.hpp): one row against the Q8_K activations of all its
//         tokens, bit-identical to quant::dot_q8k per token.
constexpr int kExpandMin = 3;  // expanding costs about 0.6 fused dots; pays from 3 tokens
struct RowDot {
  ActivationMode mode;
  quant::Isa isa;
  float* wbuf;  // this worker's row buffer (exact mode)
  const float* prepare(const ExpertTensor& t, const std::uint8_t* row, std::ptrdiff_t tokens) const {
    if (mode == ActivationMode::q8 || t.type == quant::Type::F32 || tokens < kExpandMin) return nullptr;
    dequantise_row(t.type, row, wbuf, t.cols, isa);
    return wbuf;
  }
  float operator()(const ExpertTensor& t, const std::uint8_t* row, const float* wrow, const float* xf,
                   const quant::BlockQ8K* xq) const {
    (void)xq;
    if (wrow != nullptr) return dot_expanded(t.type, wrow, xf, t.cols, isa);
    return quant::dot_f32_unchecked(t.type, row, xf, t.cols, isa);
  }
};

// Work items (expert, first row) over rows [r_begin, r_end) of every selected expert.
void make_items(const Scratch& s, int E, bool off_by_one, int r_begin, int r_end,
                std::vector<WorkItem>& items) {
  items.clear();
  for (int e = 0; e < E; ++e) {
    if (s.slot_start[size_t(e) + 1] == s.slot_start[size_t(e)]) continue;
    const int weights_of = off_by_one ? (e + 1) % E : e;  // planted bug: neighbour's weights
    for (int r = r_begin; r < r_end; r += kRowsPerItem) items.push_back({weights_of, r});
  }
}

// Slots routed to expert e, where items carry the tensor index (which differs under the fault).
struct SlotRange {
  const std::int32_t* begin;
  const std::int32_t* end;
};

}  // namespace

void size_scratch(const MoeConfig& c, ActivationMode mode, int T, int threads, Scratch& s) {
  const size_t t = size_t(T), d = size_t(c.hidden), E = size_t(c.n_experts), k = size_t(c.top_k),
               F = size_t(c.expert_ffn), C = size_t(chunk_rows(c));
  s.x.resize(t * d);
  s.hbuf.resize(t * d);
  s.logits.resize(t * E);
  s.probs.resize(t * E);
  s.experts.resize(t * k);
  s.weights.resize(t * k);
  s.slot_start.resize(E + 1);
  s.slots.resize(t * k);
  s.act.resize(t * k * F);
  s.ydown.resize(t * k * C);
  const bool q8 = mode == ActivationMode::q8;
  s.xq.resize(q8 ? t * d / quant::QK_K : 0);
  s.actq.resize(q8 ? t * k * F / quant::QK_K : 0);
  // Per worker: one expanded row (exact mode) and the gate results of one row for its tokens.
  s.wrow.resize(q8 ? 0 : size_t(threads) * std::max(d, F));
  s.gtmp.resize(size_t(threads));
  s.utmp.resize(size_t(threads));
  s.qptr.resize(size_t(threads));
  for (auto& g : s.gtmp) g.resize(t * k);
  for (auto& g : s.utmp) g.resize(t * k);
  for (auto& g : s.qptr) g.resize(q8 ? t * k : 0);
  s.items.reserve(E * ((std::max(F, C) + kRowsPerItem - 1) / kRowsPerItem));
}

int run_layer(const LayerRun& run, const float* h, int T, float* out, Scratch& s, ThreadPool& pool) {
  const MoeConfig& c = *run.config;
  const MoeLayer& L = *run.layer;
  const int d = c.hidden, E = c.n_experts, k = c.top_k, F = c.expert_ffn, C = chunk_rows(c);
  const bool q8 = run.mode == ActivationMode::q8;
  const size_t xblocks = size_t(d) / quant::QK_K, ablocks = size_t(F) / quant::QK_K;
  const size_t wstride = size_t(std::max(d, F));
  auto dot_for = [&](int worker) {
    return RowDot{run.mode, run.isa, q8 ? nullptr : s.wrow.data() + size_t(worker) * wstride};
  };

  pool.parallel_for(size_t(T), [&](size_t t, int) {  // 1
    rms_norm(h + t * d, L.ffn_norm, d, c.rms_eps, &s.x[t * d]);
    if (q8) quant::quantize_row_q8k(&s.x[t * d], &s.xq[t * xblocks], d);
  });
  const size_t eblocks = size_t((E + kExpertsPerItem - 1) / kExpertsPerItem);
  pool.parallel_for(size_t(T) * eblocks, [&](size_t i, int) {  // 2
    const size_t t = i / eblocks;
    const int e0 = int(i % eblocks) * kExpertsPerItem, e1 = std::min(E, e0 + kExpertsPerItem);
    for (int e = e0; e < e1; ++e)
      s.logits[t * E + e] = quant::dot_f32(quant::Type::F32, L.router + size_t(e) * d, &s.x[t * d], d, run.isa);
  });
  pool.parallel_for(size_t(T), [&](size_t t, int) {  // 3
    route_token(&s.logits[t * E], E, k, &s.probs[t * E], &s.experts[t * k], &s.weights[t * k]);
  });

  // 4: counting sort of slots (t * k + j) by selected expert.
  std::fill(s.slot_start.begin(), s.slot_start.end(), 0);
  for (size_t i = 0; i < size_t(T) * k; ++i) ++s.slot_start[size_t(s.experts[i]) + 1];
  for (int e = 0; e < E; ++e) s.slot_start[size_t(e) + 1] += s.slot_start[size_t(e)];
  {
    std::vector<std::int32_t> fill(s.slot_start.begin(), s.slot_start.end() - 1);
    for (size_t i = 0; i < size_t(T) * k; ++i) s.slots[size_t(fill[size_t(s.experts[i])]++)] = std::int32_t(i);
  }
  int distinct = 0;
  for (int e = 0; e < E; ++e) distinct += s.slot_start[size_t(e) + 1] > s.slot_start[size_t(e)];
  const bool off_by_one = PV_FAULT(expert_off_by_one);
  auto slots_of = [&](int tensor_expert) {  // the routed expert whose slots use this tensor
    const int e = off_by_one ? (tensor_expert + E - 1) % E : tensor_expert;
    return SlotRange{&s.slots[size_t(s.slot_start[size_t(e)])], &s.slots[0] + s.slot_start[size_t(e) + 1]};
  };

  make_items(s, E, off_by_one, 0, F, s.items);  // 5
  pool.parallel_for(s.items.size(), [&](size_t i, int worker) {
    const WorkItem w = s.items[i];
    const SlotRange sr = slots_of(w.expert);
    const RowDot dot = dot_for(worker);
    float* gtmp = s.gtmp[size_t(worker)].data();
    float* utmp = s.utmp[size_t(worker)].data();
    const std::uint8_t* g0 = L.gate.expert(w.expert);
    const std::uint8_t* u0 = L.up.expert(w.expert);
    const int nt = int(sr.end - sr.begin);
    const quant::BlockQ8K** xq = s.qptr[size_t(worker)].data();
    if (q8)
      for (int n = 0; n < nt; ++n) xq[n] = &s.xq[size_t(sr.begin[n]) / size_t(k) * xblocks];
    const size_t grb = L.gate.row_bytes(), urb = L.up.row_bytes();  // a type-table lookup: once per item
    for (int r = w.row0; r < std::min(F, w.row0 + kRowsPerItem); ++r) {
      const std::uint8_t* grow = g0 + grb * size_t(r);
      const std::uint8_t* urow = u0 + urb * size_t(r);
      if (q8) {
        if (L.gate.type == L.up.type) {
          dot_q8k_pair(L.gate.type, grow, urow, d, xq, nt, gtmp, utmp, run.isa);
        } else {
          dot_q8k_multi(L.gate.type, grow, d, xq, nt, gtmp, run.isa);
          dot_q8k_multi(L.up.type, urow, d, xq, nt, utmp, run.isa);
        }
      } else if (nt < kExpandMin && L.gate.type == L.up.type) {  // rows not expanded: both at once
        for (int n = 0; n < nt; ++n)
          dot_f32_row_pair(L.gate.type, grow, urow, &s.x[size_t(sr.begin[n]) / size_t(k) * d], d, &gtmp[n], &utmp[n],
                           run.isa);
      } else {  // gate for every token first (the expanded gate row is reused), then up
        const float* gw = dot.prepare(L.gate, grow, nt);
        for (int n = 0; n < nt; ++n) gtmp[n] = dot(L.gate, grow, gw, &s.x[size_t(sr.begin[n]) / size_t(k) * d], nullptr);
        const float* uw = dot.prepare(L.up, urow, nt);
        for (int n = 0; n < nt; ++n) utmp[n] = dot(L.up, urow, uw, &s.x[size_t(sr.begin[n]) / size_t(k) * d], nullptr);
      }
      for (int n = 0; n < nt; ++n) s.act[size_t(sr.begin[n]) * F + r] = silu(gtmp[n]) * utmp[n];
    }
  });
  if (q8)  // 6
    pool.parallel_for(size_t(T) * k, [&](size_t slot, int) {
      quant::quantize_row_q8k(&s.act[slot * F], &s.actq[slot * ablocks], F);
    });

  const bool residual = !PV_FAULT(missing_residual);
  for (int c0 = 0; c0 < d; c0 += C) {  // 7
    const int c1 = std::min(d, c0 + C);
    make_items(s, E, off_by_one, c0, c1, s.items);
    pool.parallel_for(s.items.size(), [&](size_t i, int worker) {
      const WorkItem w = s.items[i];
      const SlotRange sr = slots_of(w.expert);
      const RowDot dot = dot_for(worker);
      const std::uint8_t* d0 = L.down.expert(w.expert);
      const int nt = int(sr.end - sr.begin);
      float* ytmp = s.gtmp[size_t(worker)].data();
      const quant::BlockQ8K** aq = s.qptr[size_t(worker)].data();
      if (q8)
        for (int n = 0; n < nt; ++n) aq[n] = &s.actq[size_t(sr.begin[n]) * ablocks];
      const size_t drb = L.down.row_bytes();
      for (int r = w.row0; r < std::min(c1, w.row0 + kRowsPerItem); ++r) {
        const std::uint8_t* drow = d0 + drb * size_t(r);
        if (q8) {
          dot_q8k_multi(L.down.type, drow, F, aq, nt, ytmp, run.isa);
        } else {
          const float* dw = dot.prepare(L.down, drow, nt);
          for (int n = 0; n < nt; ++n) ytmp[n] = dot(L.down, drow, dw, &s.act[size_t(sr.begin[n]) * F], nullptr);
        }
        for (int n = 0; n < nt; ++n) s.ydown[size_t(sr.begin[n]) * size_t(C) + size_t(r - c0)] = ytmp[n];
      }
    });
    pool.parallel_for(size_t(T), [&](size_t t, int) {
      for (int r = c0; r < c1; ++r) {
        float acc = 0.0f;
        for (int j = 0; j < k; ++j)
          acc += s.weights[t * k + j] * s.ydown[(t * k + j) * size_t(C) + size_t(r - c0)];
        out[t * d + r] = residual ? h[t * d + r] + acc : acc;
      }
    });
  }
  return distinct;
}

}  // namespace pv::engine::cpu
