// Storage of a GGUF file: a read-only memory mapping, or owned bytes; and the look-ups.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/gguf/reader.hpp"

namespace pv::engine::gguf {

struct File::Storage {
  void* map = nullptr;
  std::size_t map_size = 0;
  std::vector<std::uint8_t> bytes;
  ~Storage() {
    if (map != nullptr) munmap(map, map_size);
  }
};

File::~File() = default;

File File::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(Errc::io_error, path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st{};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(Errc::io_error, path, "not a regular file");
  }
  File f;
  f.storage_ = std::make_unique<Storage>();
  f.source_ = path;
  f.size_ = static_cast<std::uint64_t>(st.st_size);
  if (f.size_ > 0) {
    void* m = mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      fail(Errc::io_error, path, std::string("cannot map: ") + std::strerror(err));
    }
    f.storage_->map = m;
    f.storage_->map_size = f.size_;
    f.base_ = static_cast<const std::uint8_t*>(m);
  }
  ::close(fd);  // the mapping stays valid
  f.parse();
  return f;
}

File File::from_bytes(std::vector<std::uint8_t> bytes, std::string source) {
  File f;
  f.storage_ = std::make_unique<Storage>();
  f.storage_->bytes = std::move(bytes);
  f.base_ = f.storage_->bytes.data();
  f.size_ = f.storage_->bytes.size();
  f.source_ = std::move(source);
  f.parse();
  return f;
}

const Value* File::find(const std::string& key) const {
  for (const auto& [k, v] : kv_)
    if (k == key) return &v;
  return nullptr;
}

const TensorInfo* File::find_tensor(const std::string& name) const {
  for (const TensorInfo& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace pv::engine::gguf
