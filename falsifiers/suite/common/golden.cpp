#include "falsifiers/suite/common/golden.hpp"

#include <fmt/core.h>
#include <openssl/evp.h>

#include <fstream>

#include "engine/io/npy.hpp"

namespace pv::falsify::suite {

std::string sha256_hex(const std::uint8_t* data, std::size_t n) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data, n, md, &len, EVP_sha256(), nullptr) != 1) throw FalsifierError("SHA-256 failed");
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

Golden::Golden(const Context& ctx) : dir_(ctx.fixtures_dir), id_(ctx.id) {
  const std::string p = dir_ + "/manifest.json";
  std::ifstream in(p);
  if (!in) throw FalsifierError(fmt::format("{}: cannot read the golden manifest {}", id_, p));
  try {
    manifest_ = nlohmann::json::parse(in);
    if (manifest_.at("format") != "pv-golden-manifest" || manifest_.at("version") != 1)
      throw FalsifierError(fmt::format("{}: {} is not a pv-golden-manifest v1", id_, p));
  } catch (const nlohmann::json::exception& e) {
    throw FalsifierError(fmt::format("{}: {}: {}", id_, p, e.what()));
  }
}

std::vector<std::uint8_t> Golden::bytes(const std::string& rel) const {
  const auto& files = manifest_.at("files");
  if (!files.contains(rel)) throw FalsifierError(fmt::format("{}: {} is not in the golden manifest", id_, rel));
  std::ifstream in(path(rel), std::ios::binary);
  if (!in) throw FalsifierError(fmt::format("{}: cannot read fixture {}", id_, path(rel)));
  std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string want = files.at(rel).at("sha256").get<std::string>();
  const std::string got = sha256_hex(b.data(), b.size());
  if (got != want)
    throw FalsifierError(fmt::format("{}: fixture {} has SHA-256 {} but the manifest says {}; regenerate with "
                                     "falsifiers/golden/make_fixtures.py and accept with `pv approve`",
                                     id_, path(rel), got, want));
  return b;
}

std::vector<float> Golden::npy(const std::string& rel, std::size_t* rows, std::size_t* cols) const {
  bytes(rel);  // integrity check first
  auto m = engine::io::read_npy(path(rel));
  if (rows) *rows = m.rows;
  if (cols) *cols = m.cols;
  return std::move(m.data);
}

}  // namespace pv::falsify::suite
