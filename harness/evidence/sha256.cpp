// Content hashes that tie evidence to the sources it was produced from (OpenSSL EVP SHA-256).
//
// sha256_tree(dir) hashes an unambiguous serialisation of the tree, entries sorted by their
// relative path (generic '/' form, byte order):
//   regular file: "F" path '\0' <decimal size> '\0' <bytes>
//   directory:    "D" path '\0'            (so adding an empty folder changes the hash)
//   symlink:      "L" path '\0' <target> '\0'   (not followed: no cycles, no escaping the tree)
// Anything else (socket, FIFO, device) and any unreadable entry is an error: nothing is skipped
// silently, because a skipped file would let a changed source keep its old evidence fresh.
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "harness/evidence/evidence.hpp"

namespace pv::evidence {
namespace {

namespace fs = std::filesystem;

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      throw EvidenceError("OpenSSL: cannot initialise SHA-256");
  }
  void update(const void* data, std::size_t n) {
    if (n != 0 && EVP_DigestUpdate(ctx_.get(), data, n) != 1) throw EvidenceError("OpenSSL: SHA-256 update failed");
  }
  void update(const std::string& s) { update(s.data(), s.size()); }
  void update_nul_terminated(const std::string& s) { update(s.c_str(), s.size() + 1); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) throw EvidenceError("OpenSSL: SHA-256 final failed");
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// Streams a file's bytes into `h`; returns the byte count.
std::uintmax_t hash_contents(Sha256& h, const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw EvidenceError(path.string() + ": cannot open for hashing: " + std::strerror(errno));
  std::array<char, 1 << 16> buf;
  std::uintmax_t total = 0;
  while (in) {
    in.read(buf.data(), buf.size());
    std::streamsize n = in.gcount();
    h.update(buf.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uintmax_t>(n);
  }
  if (in.bad()) throw EvidenceError(path.string() + ": read error while hashing");
  return total;
}

}  // namespace

std::string sha256_text(const std::string& text) {
  Sha256 h;
  h.update(text.data(), text.size());
  return h.hex();
}

std::string sha256_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw EvidenceError(path + ": not a regular file, cannot hash it");
  Sha256 h;
  hash_contents(h, path);
  return h.hex();
}

std::string sha256_tree(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw EvidenceError(dir + ": not a directory, cannot hash it as a tree");
  std::vector<fs::path> entries;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) throw EvidenceError(dir + ": cannot list: " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw EvidenceError(dir + ": cannot list: " + ec.message());
    entries.push_back(it->path());
  }
  if (ec) throw EvidenceError(dir + ": cannot list: " + ec.message());
  std::vector<std::pair<std::string, fs::path>> sorted;
  for (const auto& p : entries) sorted.emplace_back(p.lexically_relative(dir).generic_string(), p);
  std::sort(sorted.begin(), sorted.end());

  Sha256 h;
  for (const auto& [rel, p] : sorted) {
    fs::file_status st = fs::symlink_status(p, ec);
    if (ec) throw EvidenceError(p.string() + ": cannot stat: " + ec.message());
    if (fs::is_symlink(st)) {
      fs::path target = fs::read_symlink(p, ec);
      if (ec) throw EvidenceError(p.string() + ": cannot read symlink: " + ec.message());
      h.update("L");
      h.update_nul_terminated(rel);
      h.update_nul_terminated(target.generic_string());
    } else if (fs::is_directory(st)) {
      h.update("D");
      h.update_nul_terminated(rel);
    } else if (fs::is_regular_file(st)) {
      // Size first, then bytes: the serialisation stays unambiguous whatever a file contains.
      h.update("F");
      h.update_nul_terminated(rel);
      h.update_nul_terminated(std::to_string(fs::file_size(p)));
      hash_contents(h, p);
    } else {
      throw EvidenceError(p.string() + ": neither file, directory nor symlink; refusing to hash a tree containing it");
    }
  }
  return h.hex();
}

std::string sha256_path(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return sha256_tree(path);
  return sha256_file(path);
}

}  // namespace pv::evidence
