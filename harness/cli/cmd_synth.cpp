// `pv synth`: write a synthetic Qwen3-MoE GGUF file from a seed (engine/synth).
#include <fmt/core.h>

#include <boost/program_options.hpp>

#include "engine/synth/synth.hpp"
#include "harness/cli/command.hpp"
#include "harness/cli/options.hpp"

namespace po = boost::program_options;

namespace {

int run_synth(const std::vector<std::string>& args) {
  pv::engine::synth::Options o;
  std::string out;
  po::options_description desc(
      "pv synth: write a synthetic Qwen3-MoE GGUF file; the same options give a byte-identical file\n"
      "usage: pv synth --preset tiny --out tiny.gguf [--layers N] [--seed S] [--quant-mix SPEC]\n"
      "options");
  desc.add_options()
      ("help,h", "show this help")
      ("preset", po::value(&o.preset)->default_value("tiny"),
       "tiny (hidden 256, 8 experts, top-2, ffn 256, 2 layers) or qwen3-30b-a3b (2048, 128, top-8, 768, 48 layers)")
      ("layers", po::value(&o.layers)->default_value(0), "number of layers (0: the preset's)")
      ("seed", po::value(&o.seed)->default_value(1), "PRNG seed")
      ("quant-mix", po::value(&o.quant_mix)->default_value("llama-q4km"),
       "q4k | q6k | llama-q4km (down Q6_K in the first/last eighth and every third layer between) | GATE,UP,DOWN "
       "each q4k or q6k")
      ("threads", po::value(&o.threads)->default_value(0), "quantisation threads (0: all cores; bytes unchanged)")
      ("out", po::value(&out), "output .gguf path (required)")
      ("quiet", "no progress lines on stderr");
  po::variables_map vm;
  if (auto rc = pv::cli::parse_or_help("pv synth", args, desc, vm)) return *rc;
  if (out.empty()) {
    fmt::print(stderr, "pv synth: --out is required (pv synth --help)\n");
    return pv::cli::kExitUsage;
  }
  o.progress = !vm.count("quiet");
  const auto p = pv::engine::synth::preset(o.preset);  // validates before any work
  const int layers = o.layers > 0 ? o.layers : p.default_layers;
  pv::engine::synth::parse_quant_mix(o.quant_mix, layers);
  fmt::print(stderr, "pv synth: preset {} layers {} seed {} quant-mix {} -> {}\n", o.preset, layers, o.seed,
             o.quant_mix, out);
  const std::uint64_t bytes = pv::engine::synth::write_model(o, out);
  fmt::print("{}: {} bytes, {} layers, seed {}\n", out, bytes, layers, o.seed);
  return pv::cli::kExitOk;
}

}  // namespace

PV_COMMAND(synth, "synth", "write a synthetic Qwen3-MoE GGUF file from a seed", run_synth);
