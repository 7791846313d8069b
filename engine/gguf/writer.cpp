#include "engine/gguf/writer.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "engine/gguf/error.hpp"

namespace pv::engine::gguf {

std::uint64_t TensorSpec::n_bytes() const {
  const quant::TypeInfo& ti = quant::info(type);
  if (dims.empty() || dims[0] % static_cast<std::uint64_t>(ti.block_values) != 0)
    throw std::invalid_argument("tensor '" + name + "': row length is not a multiple of the " + ti.name + " block size");
  std::uint64_t n = 1;
  for (std::uint64_t d : dims) n *= d;
  return n / static_cast<std::uint64_t>(ti.block_values) * ti.block_bytes;
}

Writer::Writer(std::uint32_t alignment) : alignment_(alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    throw std::invalid_argument("gguf writer: alignment " + std::to_string(alignment) + " is not a power of two");
  if (alignment != 32) set("general.alignment", Value::of_u32(alignment));
}

void Writer::set(const std::string& key, Value v) {
  for (const auto& kv : kv_)
    if (kv.first == key) throw std::invalid_argument("gguf writer: duplicate key '" + key + "'");
  kv_.emplace_back(key, std::move(v));
}

void Writer::add_tensor(TensorSpec spec) { add_tensor(std::move(spec), {}); }

void Writer::add_tensor(TensorSpec spec, std::vector<std::uint8_t> bytes) {
  for (const TensorSpec& s : specs_)
    if (s.name == spec.name) throw std::invalid_argument("gguf writer: duplicate tensor '" + spec.name + "'");
  if (!bytes.empty() && bytes.size() != spec.n_bytes())
    throw std::invalid_argument("gguf writer: tensor '" + spec.name + "' has " + std::to_string(bytes.size()) +
                                " bytes, its shape and type need " + std::to_string(spec.n_bytes()));
  specs_.push_back(std::move(spec));
  bytes_.push_back(std::move(bytes));
}

namespace {

template <class Sink, class T>
void put(Sink& s, T v) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  s(b, sizeof(T));
}

template <class Sink>
void put_string(Sink& s, const std::string& str) {
  put<Sink, std::uint64_t>(s, str.size());
  s(reinterpret_cast<const unsigned char*>(str.data()), str.size());
}

template <class Sink>
void put_value(Sink& s, const Value& v) {
  switch (v.type) {
    case ValueType::u8: put(s, static_cast<std::uint8_t>(v.u)); break;
    case ValueType::i8: put(s, static_cast<std::int8_t>(v.i)); break;
    case ValueType::u16: put(s, static_cast<std::uint16_t>(v.u)); break;
    case ValueType::i16: put(s, static_cast<std::int16_t>(v.i)); break;
    case ValueType::u32: put(s, static_cast<std::uint32_t>(v.u)); break;
    case ValueType::i32: put(s, static_cast<std::int32_t>(v.i)); break;
    case ValueType::u64: put(s, v.u); break;
    case ValueType::i64: put(s, v.i); break;
    case ValueType::f32: put(s, static_cast<float>(v.f)); break;
    case ValueType::f64: put(s, v.f); break;
    case ValueType::boolean: put(s, static_cast<std::uint8_t>(v.u != 0)); break;
    case ValueType::string: put_string(s, v.s); break;
    case ValueType::array:
      put(s, static_cast<std::uint32_t>(v.elem));
      put<Sink, std::uint64_t>(s, v.items.size());
      for (const Value& item : v.items) put_value(s, item);
      break;
  }
}

}  // namespace

template <class Sink>
void Writer::emit(Sink& sink, const TensorFill& fill) const {
  std::uint64_t pos = 0;
  auto out = [&](const unsigned char* p, std::size_t n) { sink(p, n); pos += n; };
  auto pad = [&](std::uint64_t to) {
    static const unsigned char zeros[64] = {};
    while (pos < to) out(zeros, static_cast<std::size_t>(std::min<std::uint64_t>(64, to - pos)));
  };
  out(reinterpret_cast<const unsigned char*>("GGUF"), 4);
  put(out, std::uint32_t{3});
  put<decltype(out), std::uint64_t>(out, specs_.size());
  put<decltype(out), std::uint64_t>(out, kv_.size());
  for (const auto& [k, v] : kv_) {
    put_string(out, k);
    put(out, static_cast<std::uint32_t>(v.type));
    put_value(out, v);
  }
  std::uint64_t off = 0;
  for (const TensorSpec& t : specs_) {
    put_string(out, t.name);
    put(out, static_cast<std::uint32_t>(t.dims.size()));
    for (std::uint64_t d : t.dims) put(out, d);
    put(out, static_cast<std::uint32_t>(t.type));
    put(out, off);
    off = (off + t.n_bytes() + alignment_ - 1) / alignment_ * alignment_;
  }
  const std::uint64_t data = (pos + alignment_ - 1) / alignment_ * alignment_;
  pad(data);
  std::vector<std::uint8_t> buf;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    pad((pos - data + alignment_ - 1) / alignment_ * alignment_ + data);
    const std::size_t n = static_cast<std::size_t>(specs_[i].n_bytes());
    if (!bytes_[i].empty()) {
      out(bytes_[i].data(), n);
      continue;
    }
    if (!fill) throw std::invalid_argument("gguf writer: tensor '" + specs_[i].name + "' has no bytes and no fill callback");
    buf.assign(n, 0);
    fill(i, specs_[i], buf.data(), n);
    out(buf.data(), n);
  }
}

std::vector<std::uint8_t> Writer::to_bytes(const TensorFill& fill) const {
  std::vector<std::uint8_t> v;
  auto sink = [&](const unsigned char* p, std::size_t n) { v.insert(v.end(), p, p + n); };
  emit(sink, fill);
  return v;
}

void Writer::write(const std::string& path, const TensorFill& fill) const {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) fail(Errc::io_error, path, "cannot create " + tmp);
  bool ok = true;
  auto sink = [&](const unsigned char* p, std::size_t n) { ok = ok && std::fwrite(p, 1, n, f) == n; };
  try {
    emit(sink, fill);
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail(Errc::io_error, path, "write failed (disk full?)");
  }
}

}  // namespace pv::engine::gguf
