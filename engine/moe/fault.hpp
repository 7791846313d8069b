#pragma once
// Fault injection: planted bugs that prove the falsifier suite can fail.
// Compiled in only with -DPV_FAULT_INJECTION=ON; in a release build PV_FAULT(x) is the
// constant false and the optimiser removes the faulty branch entirely.
// The active fault is read once from the environment variable PV_FAULT (its name below).
#include <string>
#include <vector>

namespace pv::engine {

enum class Fault {
  none,
  drop_renormalisation,   // top-k weights left as raw softmax probabilities
  softmax_over_topk,      // softmax taken over the selected k logits only
  expert_off_by_one,      // selected expert index + 1 (mod E) used for the weights
  q4k_scale_unpack,       // Q4_K sub-blocks >= 4 unpack scale and min swapped
  missing_residual,       // h' = MoE(RMSNorm(h)) without + h
  cuda_reduction_race,    // the router's RMSNorm result read by other warps without the __syncthreads
};

const char* to_string(Fault f);
std::vector<Fault> all_faults();  // every fault except none
Fault active_fault();             // from PV_FAULT; none unless compiled with injection

}  // namespace pv::engine

#ifdef PV_FAULT_INJECTION
#define PV_FAULT(name) (::pv::engine::active_fault() == ::pv::engine::Fault::name)
#else
#define PV_FAULT(name) false
#endif
