// `pv forward`: the MoE sublayer of one or more layers of a GGUF model on hidden states from a
// .npy file; writes the output .npy and, on request, the routing as JSON.
#include <fmt/core.h>

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engine/gguf/qwen3moe.hpp"
#include "engine/gguf/reader.hpp"
#include "engine/io/npy.hpp"
#include "engine/moe/engine.hpp"
#include "harness/cli/command.hpp"
#include "harness/cli/options.hpp"

namespace po = boost::program_options;

namespace {

// "--layer L" or "--layers A:B" (half-open, as a Python slice) into [first, first + count).
bool parse_layers(const po::variables_map& vm, int n_layers, int* first, int* count, std::string* err) {
  if (vm.count("layer") && vm.count("layers")) return *err = "give --layer or --layers, not both", false;
  if (vm.count("layer")) {
    *first = vm["layer"].as<int>();
    *count = 1;
  } else if (vm.count("layers")) {
    const std::string s = vm["layers"].as<std::string>();
    const auto colon = s.find(':');
    try {
      if (colon == std::string::npos) throw std::invalid_argument(s);
      std::size_t p1 = 0, p2 = 0;
      const int a = std::stoi(s.substr(0, colon), &p1), b = std::stoi(s.substr(colon + 1), &p2);
      if (p1 != colon || p2 != s.size() - colon - 1) throw std::invalid_argument(s);
      *first = a;
      *count = b - a;
    } catch (const std::exception&) {
      return *err = "--layers '" + s + "' is not A:B (layers A to B-1)", false;
    }
  } else {
    return *err = "one of --layer L or --layers A:B is required", false;
  }
  if (*first < 0 || *count <= 0 || *first + *count > n_layers)
    return *err = fmt::format("layers [{}, {}) are outside the model's {} layers (0..{})", *first, *first + *count,
                              n_layers, n_layers - 1),
           false;
  return true;
}

nlohmann::json routing_json(const pv::engine::ForwardResult& r, int first) {
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t l = 0; l < r.routing.size(); ++l) {
    const pv::engine::Routing& R = r.routing[l];
    nlohmann::json tokens = nlohmann::json::array();
    for (int t = 0; t < R.tokens; ++t) {
      nlohmann::json ex = nlohmann::json::array(), pr = nlohmann::json::array(), w = nlohmann::json::array();
      for (int j = 0; j < R.top_k; ++j) {
        const int e = R.experts[std::size_t(t) * R.top_k + j];
        ex.push_back(e);
        pr.push_back(R.probs[std::size_t(t) * R.n_experts + e]);
        w.push_back(R.weights[std::size_t(t) * R.top_k + j]);
      }
      tokens.push_back({{"experts", ex}, {"probs", pr}, {"weights", w}});
    }
    layers.push_back({{"layer", first + int(l)}, {"tokens", tokens}});
  }
  return {{"backend", r.backend}, {"mode", pv::engine::to_string(r.mode)}, {"n_experts", r.routing.empty() ? 0 : r.routing[0].n_experts},
          {"top_k", r.routing.empty() ? 0 : r.routing[0].top_k}, {"layers", layers}};
}

int run_forward(const std::vector<std::string>& args) {
  po::options_description desc(
      "pv forward: h' = h + MoE(RMSNorm(h)) for layers of a GGUF Qwen3-MoE model\n\n"
      "usage: pv forward --model FILE.gguf (--layer L | --layers A:B) --input X.npy --output Y.npy\n"
      "                  [--backend cpu|cuda] [--mode exact|q8] [--routing R.json] [--threads N]\n\n"
      "X.npy is float32 [T, hidden]; Y.npy gets the same shape. --layers A:B runs A..B-1 in order.\n"
      "Input with NaN or Inf is rejected, naming the token and column.\n\noptions");
  desc.add_options()("help,h", "this help")("model", po::value<std::string>(), "GGUF model file")(
      "layer", po::value<int>(), "run one layer")("layers", po::value<std::string>(), "run layers A..B-1 (A:B)")(
      "input", po::value<std::string>(), "input hidden states, .npy float32 [T, hidden]")(
      "output", po::value<std::string>(), "output .npy file")(
      "backend", po::value<std::string>()->default_value("cpu"), "cpu or cuda (never falls back)")(
      "mode", po::value<std::string>()->default_value("exact"), "activations: exact (f32) or q8")(
      "routing", po::value<std::string>(), "write per-token routing (experts, probs, weights) as JSON")(
      "threads", po::value<int>()->default_value(0), "CPU threads (0: all cores)");
  po::variables_map vm;
  if (auto rc = pv::cli::parse_or_help("pv forward", args, desc, vm)) return *rc;
  for (const char* req : {"model", "input", "output"})
    if (!vm.count(req)) {
      fmt::print(stderr, "pv forward: --{} is required (pv forward --help)\n", req);
      return pv::cli::kExitUsage;
    }
  using namespace pv::engine;
  ForwardOptions opt;
  opt.mode = activation_mode_from_string(vm["mode"].as<std::string>());
  opt.threads = vm["threads"].as<int>();
  opt.capture_routing = vm.count("routing") > 0;
  const gguf::File file = gguf::File::open(vm["model"].as<std::string>());
  const MoeModel model = gguf::qwen3moe_model(file);
  int first = 0, count = 0;
  std::string err;
  if (!parse_layers(vm, int(model.layers.size()), &first, &count, &err)) {
    fmt::print(stderr, "pv forward: {}\n", err);
    return pv::cli::kExitUsage;
  }
  const io::Matrix in = io::read_npy(vm["input"].as<std::string>());
  if (in.cols != std::size_t(model.config.hidden)) {
    fmt::print(stderr, "pv forward: {} is [{}, {}] but the model's hidden size is {}\n", vm["input"].as<std::string>(),
               in.rows, in.cols, model.config.hidden);
    return pv::cli::kExitUsage;
  }
  std::string why;
  auto engine = make_engine(vm["backend"].as<std::string>(), &why);
  if (!engine) {
    fmt::print(stderr, "pv forward: backend {} unavailable: {}\n", vm["backend"].as<std::string>(), why);
    return pv::cli::kExitUsage;
  }
  engine->load(model);
  const ForwardResult r = engine->forward(first, count, in.data.data(), int(in.rows), opt);
  io::write_npy(vm["output"].as<std::string>(), r.hidden.data(), in.rows, in.cols);
  if (opt.capture_routing) {
    std::ofstream out(vm["routing"].as<std::string>());
    out << routing_json(r, first).dump(1) << "\n";
    if (!out) {
      fmt::print(stderr, "pv forward: cannot write {}\n", vm["routing"].as<std::string>());
      return pv::cli::kExitUsage;
    }
  }
  fmt::print("pv forward: {} tokens through layers {}..{} on {} ({} activations) -> {}\n", in.rows, first,
             first + count - 1, r.backend, to_string(r.mode), vm["output"].as<std::string>());
  return pv::cli::kExitOk;
}

}  // namespace

PV_COMMAND(forward, "forward", "run the MoE sublayer of GGUF layers on .npy hidden states", run_forward);
