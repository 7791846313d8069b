// The malformed corpus: every file is rejected with its own expected error code, and a message
// that says where (a byte offset, or the tensor / key name).
#include <catch2/catch.hpp>

#include "engine/gguf/malformed.hpp"
#include "engine/gguf/reader.hpp"

using namespace pv::engine::gguf;

TEST_CASE("the valid base of the corpus parses") {
  const File f = File::from_bytes(small_valid_gguf());
  CHECK(f.tensors().size() == 2);
  CHECK(f.metadata().size() == 5);
}

TEST_CASE("every malformed file gets its expected error") {
  const auto corpus = malformed_corpus();
  REQUIRE(corpus.size() >= 20);
  for (const MalformedCase& c : corpus) {
    INFO(c.name << ": " << c.mutation);
    try {
      File::from_bytes(c.bytes, c.name);
      FAIL_CHECK("accepted");
    } catch (const Error& e) {
      CHECK(std::string(to_string(e.code())) == to_string(c.expected));
      const std::string msg = e.what();
      INFO(msg);
      CHECK(msg.rfind(c.name + ": ", 0) == 0);  // names the file
      CHECK((msg.find("at byte ") != std::string::npos || msg.find("tensor '") != std::string::npos ||
             msg.find("key '") != std::string::npos || msg.find("general.alignment") != std::string::npos));
    }
  }
}

TEST_CASE("every prefix of a valid file is rejected cleanly, never crashes") {
  const std::vector<std::uint8_t> good = small_valid_gguf();
  for (std::size_t n = 0; n < good.size(); ++n) {
    std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    INFO("prefix of " << n << " bytes");
    CHECK_THROWS_AS(File::from_bytes(cut), Error);
  }
}

TEST_CASE("single-byte corruptions of the header never crash") {
  const std::vector<std::uint8_t> good = small_valid_gguf();
  const File base = File::from_bytes(good);
  int rejected = 0;
  for (std::size_t i = 0; i < base.data_offset(); ++i)
    for (std::uint8_t x : {0x00, 0xFF, 0x80}) {
      std::vector<std::uint8_t> bad = good;
      bad[i] = x;
      try {
        File::from_bytes(bad);
      } catch (const Error&) {
        ++rejected;
      }
    }
  CHECK(rejected > 0);
}
