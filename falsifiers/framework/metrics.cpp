#include "falsifiers/framework/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>

#include "falsifiers/framework/falsifier.hpp"

namespace pv::falsify {

double cosine(const double* a, const double* b, std::size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa == 0 && bb == 0) return 1;
  if (aa == 0 || bb == 0) return 0;
  return ab / std::sqrt(aa * bb);
}

namespace {
std::vector<int> topk_indices(const double* v, int n, int k) {
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int x, int y) { return v[x] > v[y] || (v[x] == v[y] && x < y); });
  idx.resize(k);
  std::sort(idx.begin(), idx.end());
  return idx;
}
}  // namespace

ParityStats parity(const std::vector<float>& a, const std::vector<double>& r, int rows, int k) {
  if (a.size() != r.size() || rows <= 0 || a.size() % rows != 0)
    throw FalsifierError("parity: result has " + std::to_string(a.size()) + " values, reference " +
                         std::to_string(r.size()) + ", rows " + std::to_string(rows));
  ParityStats s;
  s.rows = rows;
  s.cols = static_cast<int>(a.size() / rows);
  std::vector<double> ad(a.begin(), a.end());
  double num = 0, den = 0, rmax = 0;
  for (std::size_t i = 0; i < ad.size(); ++i) {
    if (!std::isfinite(ad[i])) ++s.non_finite;
    double d = ad[i] - r[i];
    num += d * d;
    den += r[i] * r[i];
    s.max_abs_error = std::max(s.max_abs_error, std::fabs(d));
    rmax = std::max(rmax, std::fabs(r[i]));
  }
  if (s.non_finite > 0) s.max_abs_error = NAN;
  s.nmse = den > 0 ? num / den : (num > 0 ? INFINITY : 0);
  s.max_rel_error = rmax > 0 ? s.max_abs_error / rmax : (s.max_abs_error > 0 ? INFINITY : 0);
  s.cosine = cosine(ad.data(), r.data(), ad.size());
  s.cosine_min = 1;
  const int kk = std::min(k, s.cols);
  double agree = 0;
  for (int t = 0; t < rows; ++t) {
    const double* pa = ad.data() + static_cast<std::size_t>(t) * s.cols;
    const double* pr = r.data() + static_cast<std::size_t>(t) * s.cols;
    s.cosine_min = std::min(s.cosine_min, cosine(pa, pr, s.cols));
    auto ta = topk_indices(pa, s.cols, kk), tr = topk_indices(pr, s.cols, kk);
    std::vector<int> both;
    std::set_intersection(ta.begin(), ta.end(), tr.begin(), tr.end(), std::back_inserter(both));
    agree += kk > 0 ? static_cast<double>(both.size()) / kk : 1;
  }
  if (s.non_finite > 0) s.cosine = s.cosine_min = NAN;
  s.topk_agreement = agree / rows;
  return s;
}

ParityStats parity(const std::vector<float>& a, const std::vector<float>& r, int rows, int k) {
  return parity(a, std::vector<double>(r.begin(), r.end()), rows, k);
}

namespace {
double min_nan(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b); }
double max_nan(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b); }
}  // namespace

ParityStats worst_of(const ParityStats& a, const ParityStats& b) {
  ParityStats w = a;
  w.cosine = min_nan(a.cosine, b.cosine);
  w.cosine_min = min_nan(a.cosine_min, b.cosine_min);
  w.max_rel_error = max_nan(a.max_rel_error, b.max_rel_error);
  w.max_abs_error = max_nan(a.max_abs_error, b.max_abs_error);
  w.nmse = max_nan(a.nmse, b.nmse);
  w.topk_agreement = min_nan(a.topk_agreement, b.topk_agreement);
  w.non_finite = a.non_finite + b.non_finite;
  w.rows = a.rows + b.rows;
  return w;
}

double expert_set_agreement(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b, int k) {
  if (a.size() != b.size() || k <= 0 || a.size() % k != 0)
    throw FalsifierError("expert_set_agreement: mismatched routing sizes");
  const std::size_t rows = a.size() / k;
  if (rows == 0) return 1;
  std::size_t same = 0;
  for (std::size_t t = 0; t < rows; ++t) {
    std::set<std::int32_t> sa(a.begin() + t * k, a.begin() + (t + 1) * k);
    std::set<std::int32_t> sb(b.begin() + t * k, b.begin() + (t + 1) * k);
    same += sa == sb;
  }
  return static_cast<double>(same) / static_cast<double>(rows);
}

bool record_parity(Context& ctx, const ParityStats& s, const std::string& prefix) {
  const std::pair<const char*, double> all[] = {
      {"cosine", s.cosine},       {"cosine_min", s.cosine_min},
      {"max_rel_error", s.max_rel_error}, {"max_abs_error", s.max_abs_error},
      {"nmse", s.nmse},           {"topk_agreement", s.topk_agreement},
      {"non_finite_outputs", static_cast<double>(s.non_finite)}};
  bool ok = true;
  for (const auto& [name, v] : all) {
    std::string metric = prefix + name;
    if (ctx.has_threshold(metric)) ok = ctx.check(metric, v) && ok;
    else ctx.record(metric, v);
  }
  return ok;
}

}  // namespace pv::falsify
