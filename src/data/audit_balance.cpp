// `data audit` balance: margins and cells against the design (or uniform), Pearson's χ².
//
// Expected counts are the reference's proportions times the observed total of the rows
// that carry the label(s), as scipy.stats.chisquare rescales them. A level or cell the
// observed data has but the design does not plan (expected 0) cannot enter a χ² test: it
// is listed as unplanned and the test runs over the planned ones.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include "emonet/data_audit.h"
#include "emonet/error.h"
#include "emonet/stats/chi_square.h"

namespace emonet::data {
namespace {

bool is_number(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// Sorted by name, or numerically when every level is a number (ages).
void sort_levels(std::vector<std::string>& levels) {
  const bool numeric = std::all_of(levels.begin(), levels.end(), is_number);
  std::sort(levels.begin(), levels.end(), [&](const std::string& a, const std::string& b) {
    if (numeric) {
      const double x = std::strtod(a.c_str(), nullptr), y = std::strtod(b.c_str(), nullptr);
      if (x != y) return x < y;
    }
    return a < b;
  });
}

double residual(double o, double e) {
  return e > 0 ? (o - e) / std::sqrt(e) : kAuditNaN;
}

// χ² over the entries with expected > 0; NaN when fewer than two remain.
void chi_square(const std::vector<double>& obs, const std::vector<double>& exp, double& chi2,
                double& df, double& p) {
  std::vector<double> o, e;
  for (std::size_t i = 0; i < obs.size(); ++i)
    if (exp[i] > 0) {
      o.push_back(obs[i]);
      e.push_back(exp[i]);
    }
  double total = 0;
  for (double v : o) total += v;
  if (o.size() < 2 || total <= 0) return;
  const auto r = stats::chi_square_gof(o, e);
  chi2 = r.statistic;
  df = r.df;
  p = r.p_value;
}

AxisBalance axis_balance(const std::string& axis, const std::vector<AuditRow>& rows,
                         const std::vector<AuditRow>* design) {
  AxisBalance b;
  b.axis = axis;
  std::map<std::string, double> obs, ref;
  double n_obs = 0;
  for (const auto& r : rows) {
    const auto v = r.axis(axis);
    if (v.empty()) {
      ++b.missing;
      continue;
    }
    obs[v] += 1;
    n_obs += 1;
  }
  if (design)
    for (const auto& r : *design) ref[r.axis(axis)] += 1;
  else
    for (const auto& [v, c] : obs) ref[v] = 1;
  double n_ref = 0;
  for (const auto& [v, c] : ref) n_ref += c;
  std::vector<std::string> levels;
  for (const auto& [v, c] : ref) levels.push_back(v);
  for (const auto& [v, c] : obs)
    if (!ref.count(v)) levels.push_back(v);
  sort_levels(levels);
  std::vector<double> o, e;
  for (const auto& v : levels) {
    LevelCount l;
    l.level = v;
    l.observed = obs.count(v) ? obs[v] : 0;
    l.expected = ref.count(v) && n_ref > 0 ? ref[v] / n_ref * n_obs : 0;
    l.residual = residual(l.observed, l.expected);
    o.push_back(l.observed);
    e.push_back(l.expected);
    b.levels.push_back(l);
  }
  chi_square(o, e, b.chi2, b.df, b.p);
  return b;
}

using CellKey = std::array<std::string, 4>;

CellKey cell_of(const AuditRow& r) {
  return {r.ethnicity, r.age, r.gender, r.emotion};
}

bool complete(const CellKey& k) {
  return std::none_of(k.begin(), k.end(), [](const std::string& s) { return s.empty(); });
}

}  // namespace

BalanceReport audit_balance(const std::vector<AuditRow>& rows,
                            const std::vector<AuditRow>* design) {
  BalanceReport b;
  b.reference = design ? "design" : "uniform";
  b.rows = rows.size();
  for (const char* axis : {"ethnicity", "age", "gender", "emotion", "fairface"})
    b.axes.push_back(axis_balance(axis, rows, design));

  std::map<CellKey, double> obs, ref;
  double n_obs = 0;
  for (const auto& r : rows) {
    const auto k = cell_of(r);
    if (!complete(k)) {
      ++b.rows_without_cell;
      continue;
    }
    obs[k] += 1;
    n_obs += 1;
  }
  if (design) {
    for (const auto& r : *design) ref[cell_of(r)] += 1;
  } else if (!obs.empty()) {
    // Uniform over the product of the levels seen on each axis.
    std::array<std::set<std::string>, 4> levels;
    for (const auto& [k, c] : obs)
      for (int a = 0; a < 4; ++a) levels[a].insert(k[a]);
    for (const auto& e : levels[0])
      for (const auto& a : levels[1])
        for (const auto& g : levels[2])
          for (const auto& m : levels[3]) ref[{e, a, g, m}] = 1;
  }
  double n_ref = 0;
  for (const auto& [k, c] : ref) n_ref += c;
  std::vector<double> o, e;
  auto add = [&](const CellKey& k, double observed, double expected) {
    CellCount c{k[0], k[1], k[2], k[3], observed, expected, residual(observed, expected)};
    b.cells.push_back(c);
    o.push_back(observed);
    e.push_back(expected);
    if (expected <= 0) b.unplanned.push_back(c);
  };
  for (const auto& [k, c] : ref) {
    const auto it = obs.find(k);
    add(k, it == obs.end() ? 0 : it->second, n_ref > 0 ? c / n_ref * n_obs : 0);
  }
  for (const auto& [k, c] : obs)
    if (!ref.count(k)) add(k, c, 0);
  chi_square(o, e, b.cells_chi2, b.cells_df, b.cells_p);

  std::vector<CellCount> planned;
  for (const auto& c : b.cells)
    if (c.expected > 0) planned.push_back(c);
  std::stable_sort(planned.begin(), planned.end(), [](const CellCount& x, const CellCount& y) {
    return std::fabs(x.residual) > std::fabs(y.residual);
  });
  if (planned.size() > 20) planned.resize(20);
  b.largest = std::move(planned);
  return b;
}

}  // namespace emonet::data
