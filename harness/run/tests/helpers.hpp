#pragma once
#include <string>

#include "falsifiers/framework/registry.hpp"
#include "harness/run/task.hpp"

// A task for a test falsifier with threshold m <= 1.
inline pv::run::Task test_task(const std::string& id, const std::string& backend = "cpu") {
  pv::run::Task t;
  t.id = id;
  t.contract = "test-contract";
  t.backend = backend;
  t.kind = "property";
  t.info = pv::falsify::find_falsifier(id);
  t.ctx.id = id;
  t.ctx.thresholds["m"] = pv::falsify::Limit{"<=", 1.0, ""};
  t.ctx.seed = 42;
  t.ctx.reproduce = "pv run --only " + id + " --backend " + backend + " --seed 42";
  return t;
}
