// `data audit` statistics against tests/fixtures/audit_reference.py (NumPy/SciPy/sklearn):
// χ² per axis and over the cells, largest deviations, unplanned cells; unreadable images,
// exact and near duplicates; per-group means and κ with bootstrap CIs (the same resampling
// indices: default_rng(seed + 1000·axis + group)), disparity ratios, permutation p-values.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "emonet/data_audit.h"
#include "support/test_paths.h"

namespace emonet::test {
namespace {

using json = nlohmann::json;
const std::string kFixtures = EMONET_AUDIT_FIXTURES;

json expected() {
  std::ifstream f(kFixtures + "/expected.json");
  EXPECT_TRUE(f) << "fixture missing: run ctest -R data_audit (generate_reference first)";
  return json::parse(f);
}

// Relative 1e-9 (absolute near 0): the reference sums in a different order in places.
void expect_close(double actual, const json& want, const std::string& what) {
  if (want.is_null()) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": expected null, got " << actual;
    return;
  }
  const double w = want.get<double>();
  EXPECT_NEAR(actual, w, 1e-9 * std::max(1.0, std::fabs(w))) << what;
}

struct Audit {
  data::AuditOptions options;
  data::AuditResult result;
};

const Audit& audit() {
  static const Audit a = [] {
    Audit x;
    const std::string d = kFixtures + "/data";
    auto& o = x.options;
    o.input = d;
    o.out = kFixtures + "/report";
    o.design = d + "/design.csv";
    o.predictions = d + "/predictions.jsonl";
    o.hq = d + "/hq.csv";
    o.hq_model = "Model A";
    o.quality.embeddings = d + "/embeddings.npy";
    o.quality.progress = false;
    o.quality.threads = 2;
    const auto e = expected();
    o.groups.seed = e["seed"].get<std::uint64_t>();
    o.groups.bootstrap = e["bootstrap"].get<std::size_t>();
    o.groups.permutations = e["permutations"].get<std::size_t>();
    x.result = data::run_audit(o);
    return x;
  }();
  return a;
}

TEST(DataAuditReference, BalanceChiSquareMatchesScipy) {
  const auto e = expected()["balance"];
  const auto& b = audit().result.balance;
  EXPECT_EQ(b.reference, "design");
  ASSERT_EQ(b.axes.size(), 5u);
  for (const auto& a : b.axes) {
    const auto& want = e["axes"][a.axis];
    ASSERT_EQ(a.levels.size(), want["levels"].size()) << a.axis;
    for (const auto& l : a.levels) {
      const auto& w = want["levels"][l.level];
      EXPECT_EQ(l.observed, w[0].get<double>()) << a.axis << " " << l.level;
      expect_close(l.expected, w[1], a.axis + " expected " + l.level);
    }
    expect_close(a.chi2, want["chi2"], a.axis + " chi2");
    expect_close(a.p, want["p"], a.axis + " p");
    EXPECT_EQ(a.df, want["df"].get<double>()) << a.axis;
  }
  EXPECT_EQ(b.cells.size(), e["cells"]["count"].get<std::size_t>());
  expect_close(b.cells_chi2, e["cells"]["chi2"], "cells chi2");
  expect_close(b.cells_p, e["cells"]["p"], "cells p");
  ASSERT_EQ(b.largest.size(), e["largest"].size());
  for (std::size_t i = 0; i < b.largest.size(); ++i) {
    const auto& c = b.largest[i];
    const auto& w = e["largest"][i];
    EXPECT_EQ(c.ethnicity + "|" + c.age + "|" + c.gender + "|" + c.emotion,
              w[0].get<std::string>() + "|" + w[1].get<std::string>() + "|" +
                  w[2].get<std::string>() + "|" + w[3].get<std::string>())
        << "rank " << i;
    expect_close(c.residual, w[4], "residual rank " + std::to_string(i));
  }
  ASSERT_EQ(b.unplanned.size(), e["unplanned"].size());
  EXPECT_EQ(b.unplanned[0].ethnicity, e["unplanned"][0][0].get<std::string>());
}

TEST(DataAuditReference, QualityFindsUnreadableAndDuplicates) {
  const auto e = expected()["quality"];
  const auto& q = audit().result.quality;
  EXPECT_EQ(q.images, e["images"].get<std::size_t>());
  ASSERT_EQ(q.unreadable, e["unreadable"].size());
  std::vector<std::string> unreadable;
  for (const auto& p : q.problems)
    if (p.problem == "unreadable") unreadable.push_back(p.id);
  EXPECT_EQ(json(unreadable), e["unreadable"]);
  ASSERT_EQ(q.exact_groups.size(), e["exact_groups"].size());
  EXPECT_EQ(json(q.exact_groups[0]), e["exact_groups"][0]);
  // Smooth gradients hold no face: every readable image is reported as such.
  EXPECT_TRUE(q.faces_checked);
  EXPECT_EQ(q.no_face, q.images - q.unreadable);
  EXPECT_TRUE(q.near_checked);
  ASSERT_EQ(q.near_pairs.size(), e["near_pairs"].size());
  for (std::size_t i = 0; i < q.near_pairs.size(); ++i) {
    EXPECT_EQ(q.near_pairs[i].a, e["near_pairs"][i][0].get<std::string>());
    EXPECT_EQ(q.near_pairs[i].b, e["near_pairs"][i][1].get<std::string>());
    EXPECT_NEAR(q.near_pairs[i].similarity, e["near_pairs"][i][2].get<double>(), 1e-12);
  }
}

TEST(DataAuditReference, GroupMeansAndKappaWithBootstrapCis) {
  const auto e = expected()["groups"];
  ASSERT_TRUE(audit().result.groups);
  const auto& g = *audit().result.groups;
  std::map<std::string, const data::GroupMetric*> got;
  for (const auto& m : g.metrics) got[m.axis + "/" + m.group + "/" + m.metric] = &m;
  ASSERT_EQ(got.size(), e["metrics"].size());
  for (const auto& w : e["metrics"]) {
    const std::string key = w["axis"].get<std::string>() + "/" + w["group"].get<std::string>() +
                            "/" + w["metric"].get<std::string>();
    ASSERT_TRUE(got.count(key)) << key;
    const auto& m = *got[key];
    EXPECT_EQ(m.n, w["n"].get<std::size_t>()) << key;
    expect_close(m.estimate.value, w["value"], key + " value");
    expect_close(m.estimate.low, w["ci_low"], key + " ci_low");
    expect_close(m.estimate.high, w["ci_high"], key + " ci_high");
  }
  EXPECT_EQ(g.kappa_model, "Model A");
  EXPECT_EQ(g.kappa_humans.size(), 3u);
}

TEST(DataAuditReference, DisparityRatiosAndPermutationTests) {
  const auto e = expected()["groups"];
  const auto& g = *audit().result.groups;
  ASSERT_EQ(g.disparities.size(), e["disparities"].size());
  std::map<std::string, const data::Disparity*> got;
  for (const auto& d : g.disparities) got[d.axis + "/" + d.metric] = &d;
  bool any_flag = false;
  for (const auto& w : e["disparities"]) {
    const std::string key = w["axis"].get<std::string>() + "/" + w["metric"].get<std::string>();
    ASSERT_TRUE(got.count(key)) << key;
    const auto& d = *got[key];
    EXPECT_EQ(d.max_group, w["max_group"].get<std::string>()) << key;
    EXPECT_EQ(d.min_group, w["min_group"].get<std::string>()) << key;
    expect_close(d.ratio, w["ratio"], key + " ratio");
    EXPECT_EQ(d.flagged, w["flagged"].get<bool>()) << key;
    any_flag = any_flag || d.flagged;
  }
  EXPECT_TRUE(any_flag) << "the fixture plants a bias the 0.8 rule must flag";
  ASSERT_EQ(g.permutations.size(), e["permutations"].size());
  for (std::size_t i = 0; i < g.permutations.size(); ++i) {
    const auto& p = g.permutations[i];
    const auto& w = e["permutations"][i];
    EXPECT_EQ(p.axis, w["axis"].get<std::string>());
    EXPECT_EQ(p.metric, w["metric"].get<std::string>());
    expect_close(p.statistic, w["statistic"], p.axis + " " + p.metric + " statistic");
    EXPECT_EQ(p.p, w["p"].get<double>()) << p.axis << " " << p.metric;
  }
}

TEST(DataAuditReference, WritesReportJsonAndCsvs) {
  const auto& r = audit().result;
  for (const char* name :
       {"report.html", "audit.json", "balance_axes.csv", "balance_cells.csv", "quality.csv",
        "duplicates.csv", "groups.csv", "disparities.csv", "permutation_tests.csv"})
    EXPECT_TRUE(std::filesystem::exists(audit().options.out + "/" + name)) << name;
  std::ifstream f(audit().options.out + "/audit.json");
  const auto j = json::parse(f);
  EXPECT_EQ(j["format"], "emonet-audit-1");
  EXPECT_EQ(j["quality"]["unreadable"].get<std::size_t>(), r.quality.unreadable);
  const std::string html = data::audit_html(audit().options, r);
  EXPECT_NE(html.find("class=\"margins\""), std::string::npos);
  EXPECT_NE(html.find("class=\"heatmap\""), std::string::npos);
  EXPECT_NE(html.find("class=\"ci\""), std::string::npos);
  for (const char* outside : {"<script", "<link", "src=", "url("})
    EXPECT_EQ(html.find(outside), std::string::npos) << "self-contained: no " << outside;
}

}  // namespace
}  // namespace emonet::test
