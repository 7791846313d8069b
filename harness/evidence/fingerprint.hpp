#pragma once
// The fingerprint that ties evidence to a contract: SHA-256 over what its falsifiers were run
// against (each falsification test's id, kind, backends, thresholds and parameters), in a
// canonical text form. Descriptions, equations and the declared stage statuses are left out on
// purpose: writing the status the evidence supports must not make that evidence stale, while
// changing a threshold must.
#include <string>

#include "harness/contract/model.hpp"

namespace pv::evidence {

std::string contract_fingerprint(const contract::Contract& c);

}  // namespace pv::evidence
