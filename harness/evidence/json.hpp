#pragma once
// JSON pieces of the evidence format (FORMAT.md) that other writers reuse, so a number or a
// measurement reads the same in an evidence file and in `pv report --format json`.
#include <nlohmann/json.hpp>

#include "harness/evidence/evidence.hpp"

namespace pv::evidence {

// JSON has no NaN or infinity: NaN (nothing measured) becomes null, infinities the strings
// "inf" / "-inf" so an overflowing error is not confused with a missing one.
nlohmann::json number_to_json(double v);

// {"metric", "value", "op", "threshold", "unit", "passed"}, numbers as number_to_json writes them.
nlohmann::json measurement_to_json(const Measurement& m);

// {"hostname", "cpu_model", "cpu_threads", "gpu_name", "gpu_driver", "cuda_version"}.
nlohmann::json machine_to_json(const Machine& m);

}  // namespace pv::evidence
