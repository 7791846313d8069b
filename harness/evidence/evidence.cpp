// Evidence files: verdict names, reading from disk and writing atomically.
// The JSON mapping itself lives in json.cpp, hashing in sha256.cpp.
#include "harness/evidence/evidence.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pv::evidence {

namespace {
constexpr struct {
  Verdict v;
  const char* name;
} kVerdicts[] = {{Verdict::PASS, "PASS"},   {Verdict::FAIL, "FAIL"},   {Verdict::SKIP, "SKIP"},
                 {Verdict::ERROR, "ERROR"}, {Verdict::CRASH, "CRASH"}, {Verdict::TIMEOUT, "TIMEOUT"}};

std::string errno_text() { return std::strerror(errno); }

// Writes all of `data` to fd, retrying short writes and EINTR.
void write_all(int fd, const std::string& data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw EvidenceError(path + ": cannot write: " + errno_text());
    done += static_cast<std::size_t>(n);
  }
}

// fsync the directory so the rename itself survives a power loss.
void sync_parent_dir(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  int dfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return;  // best effort: the file itself is already synced
  ::fsync(dfd);
  ::close(dfd);
}
}  // namespace

const char* to_string(Verdict v) {
  for (const auto& e : kVerdicts)
    if (e.v == v) return e.name;
  return "ERROR";
}

Verdict verdict_from_string(const std::string& s) {
  for (const auto& e : kVerdicts)
    if (s == e.name) return e.v;
  throw EvidenceError("unknown verdict '" + s + "' (expected PASS, FAIL, SKIP, ERROR, CRASH or TIMEOUT)");
}

void write_atomic(const EvidenceFile& ev, const std::string& path) {
  const std::string text = to_json_text(ev);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw EvidenceError(tmp + ": cannot create: " + errno_text());
  try {
    write_all(fd, text, tmp);
    if (::fsync(fd) != 0) throw EvidenceError(tmp + ": fsync failed: " + errno_text());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw EvidenceError(tmp + ": close failed: " + errno_text());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw EvidenceError(path + ": cannot rename " + tmp + " over it: " + why);
  }
  sync_parent_dir(path);
}

EvidenceFile read(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw EvidenceError(path + ": is a directory, not an evidence file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw EvidenceError(path + ": cannot open: " + errno_text());
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw EvidenceError(path + ": read error");
  return from_json_text(buf.str(), path);
}

}  // namespace pv::evidence
