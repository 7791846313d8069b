// The backend factory: cpu always, cuda only where built, never a silent fallback.
#include <catch2/catch.hpp>

#include "engine/moe/engine.hpp"

using namespace pv::engine;

TEST_CASE("make_engine gives the cpu engine and names unknown backends") {
  std::string why;
  auto cpu = make_engine("cpu", &why);
  REQUIRE(cpu != nullptr);
  CHECK(cpu->name() == "cpu");
  CHECK(make_engine("tpu", &why) == nullptr);
  CHECK_THAT(why, Catch::Contains("unknown backend 'tpu'"));
  CHECK(known_backends() == std::vector<std::string>{"cpu", "cuda"});
}

TEST_CASE("make_engine(cuda) is a cuda engine or nothing and never the cpu engine") {
  std::string why;
  auto e = make_engine("cuda", &why);
  if (e) CHECK(e->name() == "cuda");
  else CHECK_FALSE(why.empty());
}
