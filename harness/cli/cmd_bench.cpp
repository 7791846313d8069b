// `pv bench`: MoE sublayer throughput of a backend on a model too large for any cache, next to
// the memory bandwidth measured in the same run.
#include <fmt/core.h>

#include <boost/program_options.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/bench/bandwidth.hpp"
#include "engine/bench/moe_bench.hpp"
#include "engine/gguf/qwen3moe.hpp"
#include "engine/gguf/reader.hpp"
#include "engine/moe/engine.hpp"
#include "harness/cli/command.hpp"
#include "harness/cli/options.hpp"
#ifdef PV_HAVE_CUDA
#include "engine/cuda/device_info.hpp"
#endif

namespace po = boost::program_options;

namespace {

std::vector<int> parse_tokens(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t pos = 0;
    const int v = std::stoi(item, &pos);
    if (pos != item.size() || v <= 0) throw std::invalid_argument("--tokens: '" + item + "' is not a positive integer");
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument("--tokens is empty");
  return out;
}

int run_bench(const std::vector<std::string>& args) {
  po::options_description desc(
      "pv bench: MoE sublayer throughput on weights that do not fit in cache\n\n"
      "usage: pv bench --backend cpu|cuda [--model FILE.gguf | --synth-layers N] [--tokens 1,8,64,512]\n"
      "                [--mode exact|q8|both] [--threads N] [--min-seconds S] [--out FILE]\n\n"
      "Without --model: a qwen3-30b-a3b-shaped model (d 2048, 128 experts, k 8, ffn 768, Q4_K gate/up,\n"
      "Q6_K down, 391 MB of experts per layer) built in memory with N distinct layers. Each timed run\n"
      "uses new random tokens over all layers. GB/s counts the distinct experts actually selected.\n\noptions");
  desc.add_options()("help,h", "this help")("backend", po::value<std::string>()->default_value("cpu"), "cpu or cuda")(
      "model", po::value<std::string>(), "GGUF Qwen3-MoE model (all its layers are run)")(
      "synth-layers", po::value<int>()->default_value(4), "layers of the in-memory synthetic model")(
      "tokens", po::value<std::string>()->default_value("1,8,64,512"), "token counts T")(
      "mode", po::value<std::string>()->default_value("both"), "exact, q8 or both")(
      "threads", po::value<int>()->default_value(0), "CPU threads (0: all cores)")(
      "min-seconds", po::value<double>()->default_value(1.0), "measured time per point")(
      "seed", po::value<std::uint64_t>()->default_value(1), "seed of the synthetic model and inputs")(
      "out", po::value<std::string>(), "also write the table to this file");
  po::variables_map vm;
  if (auto rc = pv::cli::parse_or_help("pv bench", args, desc, vm)) return *rc;
  using namespace pv::engine;
  bench::MoeBenchOptions opt;
  opt.tokens = parse_tokens(vm["tokens"].as<std::string>());
  opt.threads = vm["threads"].as<int>();
  opt.min_seconds = vm["min-seconds"].as<double>();
  opt.seed = vm["seed"].as<std::uint64_t>();
  const std::string mode = vm["mode"].as<std::string>();
  if (mode == "both") opt.modes = {ActivationMode::exact, ActivationMode::q8};
  else opt.modes = {activation_mode_from_string(mode)};

  std::string why;
  auto engine = make_engine(vm["backend"].as<std::string>(), &why);
  if (!engine) {
    fmt::print(stderr, "pv bench: backend {} unavailable: {}\n", vm["backend"].as<std::string>(), why);
    return pv::cli::kExitUsage;
  }
  auto run = [&](const MoeModel& model) {
    std::string device;
    bench::MoeBenchReport rep;
#ifdef PV_HAVE_CUDA
    if (engine->name() == "cuda") {
      // The GPU's roofline: device-to-device cudaMemcpy of 2 GiB (far beyond the L2), measured
      // in the same run, before the model is uploaded.
      const cuda::DeviceInfo d = cuda::device_info();
      device = fmt::format("device: {} ({} SMs, {:.1f} GiB, L2 {:.0f} MB), driver API {}, runtime {}\n", d.name,
                           d.sm_count, double(d.total_bytes) / (1u << 30), double(d.l2_bytes) / 1e6,
                           d.driver_version, d.runtime_version);
      const double gbs = cuda::copy_bandwidth(std::size_t(1) << 31, 20) / 1e9;
      rep = bench::run_moe_bench(*engine, model, opt);
      rep.memory_gb_per_second = gbs;
      rep.memory_method = "cudaMemcpy device-to-device of 2 GiB, read + write bytes, median of 20";
    }
#endif
    if (rep.backend.empty()) {
      // Expert weights are only read, so the engine is compared with the read bandwidth of all
      // threads (a summing loop over 512 MiB); the copy figure is printed next to it.
      bench::BandwidthOptions bo;
      bo.threads = opt.threads > 0 ? opt.threads : int(std::max(1u, std::thread::hardware_concurrency()));
      const bench::Bandwidth bw = bench::measure_bandwidth(bo);
      rep = bench::run_moe_bench(*engine, model, opt);
      rep.memory_gb_per_second = bw.read_gbs;
      rep.memory_method = fmt::format("read of {} MiB by {} threads; memcpy {:.2f} GB/s copied", bw.bytes >> 20,
                                      bw.threads, bw.copy_gbs);
    }
    std::string table = device + bench::format_report(rep);
    // Other processes compete for the cores and the memory bus: say how busy the machine was.
    std::ifstream la("/proc/loadavg");
    std::string l1, l5, l15;
    if (la >> l1 >> l5 >> l15)
      table += fmt::format("{} hardware threads; load average at the end {} {} {}\n",
                           std::thread::hardware_concurrency(), l1, l5, l15);
    fmt::print("{}", table);
    if (vm.count("out")) {
      std::ofstream out(vm["out"].as<std::string>());
      out << table;
      if (!out) {
        fmt::print(stderr, "pv bench: cannot write {}\n", vm["out"].as<std::string>());
        return pv::cli::kExitUsage;
      }
    }
    return pv::cli::kExitOk;
  };
  if (vm.count("model")) {
    const gguf::File file = gguf::File::open(vm["model"].as<std::string>());
    return run(gguf::qwen3moe_model(file));
  }
  bench::BenchModelSpec spec;
  spec.layers = vm["synth-layers"].as<int>();
  spec.seed = opt.seed;
  if (spec.layers <= 0) {
    fmt::print(stderr, "pv bench: --synth-layers must be positive\n");
    return pv::cli::kExitUsage;
  }
  fmt::print("pv bench: building a {}-layer qwen3-30b-a3b-shaped model in memory (seed {})\n", spec.layers, spec.seed);
  const auto synth = bench::make_bench_model(spec);
  return run(synth->model);
}

}  // namespace

PV_COMMAND(bench, "bench", "MoE throughput and memory bandwidth of a backend", run_bench);
