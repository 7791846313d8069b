// SHA-256 of files and trees: known vectors, and every kind of change alters a tree's hash.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/evidence/evidence.hpp"

using namespace pv::evidence;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag)
      : path(fs::temp_directory_path() / ("pv-sha-" + tag + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel, std::ios::binary) << text;
  }
  std::string hash() const { return sha256_tree(path.string()); }
};
}  // namespace

TEST_CASE("sha256_file: known vectors") {
  TempDir d("file");
  d.write("abc", "abc");
  d.write("empty", "");
  // FIPS 180-2 test vector and the hash of no bytes.
  REQUIRE(sha256_file((d.path / "abc").string()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(sha256_file((d.path / "empty").string()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  REQUIRE(sha256_path((d.path / "abc").string()) == sha256_file((d.path / "abc").string()));
  REQUIRE_THROWS_AS(sha256_file((d.path / "missing").string()), EvidenceError);
  REQUIRE_THROWS_AS(sha256_file(d.path.string()), EvidenceError);
}

TEST_CASE("sha256_tree: content, names, moves, new files and empty folders all change it") {
  TempDir d("tree");
  d.write("a.cpp", "int a;");
  d.write("sub/b.cpp", "int b;");
  const std::string base = d.hash();
  REQUIRE(base == d.hash());  // deterministic
  REQUIRE(sha256_path(d.path.string()) == base);

  d.write("sub/b.cpp", "int c;");
  REQUIRE(d.hash() != base);
  d.write("sub/b.cpp", "int b;");
  REQUIRE(d.hash() == base);  // restoring the content restores the hash

  fs::rename(d.path / "sub/b.cpp", d.path / "sub/c.cpp");
  REQUIRE(d.hash() != base);
  fs::rename(d.path / "sub/c.cpp", d.path / "sub/b.cpp");

  // Moving bytes between files keeps the concatenation but must change the hash.
  d.write("a.cpp", "int a;int");
  d.write("sub/b.cpp", " b;");
  REQUIRE(d.hash() != base);
  d.write("a.cpp", "int a;");
  d.write("sub/b.cpp", "int b;");

  fs::create_directories(d.path / "empty");
  REQUIRE(d.hash() != base);
  fs::remove(d.path / "empty");
  d.write(".hidden", "");
  REQUIRE(d.hash() != base);  // hidden files are not skipped
}

TEST_CASE("sha256_tree: same tree built in another order hashes the same") {
  TempDir a("order-a"), b("order-b");
  a.write("x/1", "one");
  a.write("y", "two");
  b.write("y", "two");
  b.write("x/1", "one");
  REQUIRE(a.hash() == b.hash());
}

TEST_CASE("sha256_tree: symlinks are hashed by target, special files are an error") {
  TempDir d("special");
  d.write("f", "x");
  const std::string base = d.hash();
  fs::create_symlink("f", d.path / "link");
  const std::string with_link = d.hash();
  REQUIRE(with_link != base);
  fs::remove(d.path / "link");
  fs::create_symlink("elsewhere", d.path / "link");
  REQUIRE(d.hash() != with_link);
  fs::remove(d.path / "link");
  REQUIRE(::mkfifo((d.path / "pipe").c_str(), 0600) == 0);
  REQUIRE_THROWS_WITH(d.hash(), Catch::Contains("pipe") && Catch::Contains("refusing"));
  REQUIRE_THROWS_AS(sha256_tree((d.path / "missing").string()), EvidenceError);
}
