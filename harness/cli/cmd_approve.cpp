// `pv approve`: accepts regenerated golden fixtures. falsifiers/golden/make_fixtures.py
// leaves a fixture that would change as <name>.unapproved.<ext> beside it; after a person has
// looked at the difference, this moves it into place and records its new SHA-256 and size in
// manifest.json (written atomically). The falsifiers refuse fixtures whose hash does not match
// the manifest, so a fixture never changes without this step.
#include <fmt/core.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "harness/cli/command.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

std::string sha256_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

// "qk/q4_k.expected.unapproved.npy" -> "qk/q4_k.expected.npy"
std::string approved_name(const std::string& rel) {
  const auto at = rel.rfind(".unapproved");
  return rel.substr(0, at) + rel.substr(at + std::string(".unapproved").size());
}

std::vector<std::string> pending(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string().find(".unapproved") != std::string::npos)
      out.push_back(fs::relative(e.path(), dir).generic_string());
  std::sort(out.begin(), out.end());
  return out;
}

int run(const std::vector<std::string>& argv) {
  std::string dir = "falsifiers/golden";
  std::vector<std::string> files;
  bool list = false;
  po::options_description desc(
      "pv approve [options] [FILE...]: accept regenerated golden fixtures (*.unapproved.*) and\n"
      "update their SHA-256 in manifest.json. Without FILE, every pending one.\n\noptions");
  desc.add_options()("help,h", "show this help")("fixtures", po::value(&dir), "fixtures directory (default falsifiers/golden)")(
      "list", po::bool_switch(&list), "list pending fixtures, approve nothing")("files", po::value(&files), "");
  po::positional_options_description pos;
  pos.add("files", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argv).options(desc).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "pv approve: {}\n`pv approve --help` lists the options\n", e.what());
    return pv::cli::kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return pv::cli::kExitOk;
  }
  const fs::path root(dir), manifest_path = root / "manifest.json";
  if (!fs::is_regular_file(manifest_path)) {
    fmt::print(stderr, "pv approve: {} not found (use --fixtures DIR)\n", manifest_path.string());
    return pv::cli::kExitUsage;
  }
  auto todo = files.empty() ? pending(root) : files;
  if (list || todo.empty()) {
    if (todo.empty()) fmt::print("pv approve: nothing to approve in {}\n", dir);
    for (const auto& f : todo) fmt::print("pending: {}\n", f);
    return pv::cli::kExitOk;
  }
  nlohmann::json manifest;
  try {
    std::ifstream in(manifest_path);
    manifest = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    fmt::print(stderr, "pv approve: {}: {}\n", manifest_path.string(), e.what());
    return pv::cli::kExitUsage;
  }
  auto& entries = manifest["files"];
  for (const auto& rel : todo) {
    if (rel.find(".unapproved") == std::string::npos || !fs::is_regular_file(root / rel)) {
      fmt::print(stderr, "pv approve: {} is not a pending *.unapproved.* file under {}\n", rel, dir);
      return pv::cli::kExitUsage;
    }
    const std::string target = approved_name(rel);
    if (!entries.contains(target)) {
      fmt::print(stderr, "pv approve: {} is not listed in {} (regenerate with make_fixtures.py)\n", target, manifest_path.string());
      return pv::cli::kExitUsage;
    }
    entries[target]["sha256"] = sha256_of(root / rel);
    entries[target]["bytes"] = fs::file_size(root / rel);
    fs::rename(root / rel, root / target);
    fmt::print("approved {}\n", target);
  }
  const fs::path tmp = manifest_path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << manifest.dump(1) << "\n";
    if (!out.flush()) {
      fmt::print(stderr, "pv approve: cannot write {}\n", tmp.string());
      return pv::cli::kExitUsage;
    }
  }
  fs::rename(tmp, manifest_path);
  fmt::print("pv approve: {} updated\n", manifest_path.string());
  return pv::cli::kExitOk;
}

}  // namespace

PV_COMMAND(approve, "approve", "accept regenerated golden fixtures (*.unapproved.*) into the manifest", run);
