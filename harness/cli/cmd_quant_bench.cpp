// `pv quant-bench`: dequantisation and dot-product throughput for Q4_K and Q6_K (f32 and Q8_K
// activations, scalar and AVX2) in GB/s of quantised bytes, next to memcpy bandwidth measured
// in the same run.
#include <fmt/core.h>

#include <boost/program_options.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/bench/bandwidth.hpp"
#include "engine/bench/quant_bench.hpp"
#include "harness/cli/command.hpp"
#include "harness/cli/options.hpp"

namespace po = boost::program_options;
namespace bench = pv::engine::bench;

namespace {

int run_quant_bench(const std::vector<std::string>& args) {
  int mb = 512, reps = 3, threads = 1;
  std::string json_out;
  po::options_description desc(
      "pv quant-bench: Q4_K/Q6_K dequantisation and dot-product throughput (GB/s of quantised bytes)\n"
      "next to memcpy bandwidth measured in the same run\n"
      "usage: pv quant-bench [--mb 512] [--reps 3] [--threads 1] [--json FILE]\noptions");
  desc.add_options()
      ("help,h", "show this help")
      ("mb", po::value(&mb)->default_value(512), "MiB of quantised weights per type (and per memcpy buffer); keep >> L3")
      ("reps", po::value(&reps)->default_value(3), "repetitions; the best is reported")
      ("threads", po::value(&threads)->default_value(1), "threads (0: all cores)")
      ("json", po::value(&json_out), "also write the figures as JSON to FILE");
  po::variables_map vm;
  if (auto rc = pv::cli::parse_or_help("pv quant-bench", args, desc, vm)) return *rc;
  if (mb < 1 || reps < 1 || threads < 0) {
    fmt::print(stderr, "pv quant-bench: --mb and --reps must be >= 1, --threads >= 0\n");
    return pv::cli::kExitUsage;
  }
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::size_t bytes = static_cast<std::size_t>(mb) << 20;
  const bench::Bandwidth bw = bench::measure_bandwidth({bytes, reps + 2, threads});
  fmt::print("memory ({} MiB buffers, {} thread(s)): memcpy {:.2f} GB/s (bytes copied), read {:.2f} GB/s\n", mb,
             threads, bw.copy_gbs, bw.read_gbs);
  bench::QuantBenchOptions qo;
  qo.bytes = bytes;
  qo.reps = reps;
  qo.threads = threads;
  const auto results = bench::run_quant_bench(qo);
  fmt::print("{:<6} {:<8} {:<7} {:>14} {:>14} {:>12}\n", "type", "op", "isa", "GB/s (quant)", "Gweights/s", "x memcpy");
  nlohmann::json j;
  j["memcpy_gbs"] = bw.copy_gbs;
  j["read_gbs"] = bw.read_gbs;
  j["threads"] = threads;
  j["buffer_mib"] = mb;
  for (const auto& r : results) {
    fmt::print("{:<6} {:<8} {:<7} {:>14.2f} {:>14.2f} {:>12.2f}\n", pv::engine::quant::name(r.type), r.op, r.isa,
               r.gbs, r.gvalues, r.gbs / bw.copy_gbs);
    j["results"].push_back({{"type", pv::engine::quant::name(r.type)}, {"op", r.op}, {"isa", r.isa},
                            {"gbs", r.gbs}, {"gweights_per_s", r.gvalues}});
  }
  if (!json_out.empty()) {
    std::ofstream f(json_out);
    f << j.dump(2) << "\n";
    if (!f) {
      fmt::print(stderr, "pv quant-bench: cannot write {}\n", json_out);
      return pv::cli::kExitUsage;
    }
  }
  return pv::cli::kExitOk;
}

}  // namespace

PV_COMMAND(quant_bench, "quant-bench", "Q4_K/Q6_K dequant and dot throughput vs memcpy bandwidth", run_quant_bench);
