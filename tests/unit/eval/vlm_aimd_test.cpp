// `--concurrency auto`: the AIMD controller on its own (deterministic outcomes fed in), and
// a whole run against the stand-in that answers 429 above a concurrency threshold or slows
// down as requests queue: the controller converges below the threshold, and the most
// requests in flight that the stand-in saw is bounded by it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "emonet/error.h"
#include "emonet/eval.h"
#include "emonet/eval_aimd.h"
#include "emonet/files.h"
#include "support/test_paths.h"
#include "vlm_stand_in.h"

namespace emonet::eval {
namespace {

using namespace test_stand_in;  // NOLINT: the stand-in is this file's vocabulary
using Outcome = AimdController::Outcome;

// One window: as many requests in flight at once as the limit allows, all ending alike.
void window(AimdController& c, Outcome outcome, double latency_s) {
  std::vector<std::uint64_t> tickets;
  for (std::size_t i = 0, n = c.limit(); i < n; ++i) tickets.push_back(c.acquire());
  for (const auto t : tickets) c.release(t, outcome, latency_s);
}

TEST(VlmAimd, AdditiveIncreasePerWindowMultiplicativeDecreaseOnThrottle) {
  AimdController c({1, 10, 2, 0.5, 0});
  EXPECT_EQ(c.limit(), 2u);
  // A window is as many successes as the limit: 2 successes -> 3, 3 more -> 4.
  window(c, Outcome::kSuccess, 0.01);
  EXPECT_EQ(c.limit(), 3u);
  window(c, Outcome::kSuccess, 0.01);
  EXPECT_EQ(c.limit(), 4u);
  // Successes one at a time never fill the limit: no reason to raise it.
  for (int i = 0; i < 20; ++i) c.release(c.acquire(), Outcome::kSuccess, 0.01);
  EXPECT_EQ(c.limit(), 4u);
  // Two requests in flight both come back throttled: one decrease (4 -> 2), not two.
  const auto t1 = c.acquire(), t2 = c.acquire();
  c.release(t1, Outcome::kThrottled, 0.001);
  c.release(t2, Outcome::kThrottled, 0.001);
  EXPECT_EQ(c.limit(), 2u);
  EXPECT_EQ(c.decreases(), 1u);
  EXPECT_EQ(c.throttled(), 2u);
  // A request issued after the decrease may decrease again; never below min.
  c.release(c.acquire(), Outcome::kThrottled, 0.001);
  EXPECT_EQ(c.limit(), 1u);
  c.release(c.acquire(), Outcome::kThrottled, 0.001);
  EXPECT_EQ(c.limit(), 1u);
  // Other failures change nothing; growth stops at max.
  c.release(c.acquire(), Outcome::kFailed, 5);
  EXPECT_EQ(c.limit(), 1u);
  for (int i = 0; i < 30; ++i) window(c, Outcome::kSuccess, 0.01);
  EXPECT_EQ(c.limit(), 10u);
  EXPECT_EQ(c.peak_limit(), 10u);
  EXPECT_THROW(AimdController(AimdOptions{0, 4, 1, 0.5, 0}), Error);
  EXPECT_THROW(AimdController(AimdOptions{1, 4, 1, 1.0, 0}), Error);
}

TEST(VlmAimd, LatencyRiseDecreases) {
  AimdController c({1, 64, 4, 0.5, 2.0});
  window(c, Outcome::kSuccess, 0.010);  // the baseline
  EXPECT_EQ(c.limit(), 5u);
  window(c, Outcome::kSuccess, 0.015);  // < 2x
  EXPECT_EQ(c.limit(), 6u);
  window(c, Outcome::kSuccess, 0.030);  // > 2x
  EXPECT_EQ(c.limit(), 3u);
}

TEST(VlmAimd, AcquireBlocksAtTheLimit) {
  AimdController c({1, 4, 1, 0.5, 0});
  const auto t = c.acquire();
  std::atomic<bool> got{false};
  std::thread other([&] {
    c.release(c.acquire(), Outcome::kFailed, 0);
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(got);  // the one slot is held
  c.release(t, Outcome::kFailed, 0);
  other.join();
  EXPECT_TRUE(got);
}

std::vector<VlmImage> images_for(StandIn& s, const test::TempDir& dir, int n) {
  std::filesystem::create_directories(dir.path() / "imgs");
  for (int i = 0; i < n; ++i) {
    const std::string tag = "img" + std::to_string(1000 + i);
    s.script(tag, {say(value_reply(25))});
    write_file_atomic(dir.file("imgs/" + tag + ".png"), tag);
  }
  return collect_vlm_images({dir.file("imgs")});
}

VlmOptions auto_options(const StandIn& s, const test::TempDir& dir) {
  VlmOptions o;
  o.endpoint = s.url();
  o.model = "stand-in-vlm";
  o.out_path = dir.file("out.jsonl");
  o.retry_base_s = 0.005;
  o.retry_max_s = 0.05;
  o.max_retries = 50;
  o.timeout_s = 30;
  o.progress = false;
  o.concurrency_auto = true;
  o.max_concurrency = 32;
  return o;
}

TEST(VlmAimd, AutoConvergesBelowTheServersThrottleThreshold) {
  test::TempDir dir;
  StandIn s;
  constexpr int kThreshold = 8;
  s.throttle_above(kThreshold);
  s.latency(std::chrono::milliseconds(20));
  const auto images = images_for(s, dir, 240);
  auto o = auto_options(s, dir);
  o.aimd_latency_factor = 0;  // only the 429s steer here
  const auto sum = run_vlm_eval(images, o);
  EXPECT_EQ(sum.ok, 240u);
  EXPECT_GT(s.throttled(), 0);
  EXPECT_EQ(sum.throttled, static_cast<std::uint64_t>(s.throttled()));
  // It probed up to the threshold (one above it is what draws a 429; the client's limit
  // may run a little above what the server sees, requests being in transit) ...
  EXPECT_GE(sum.concurrency_peak, static_cast<std::size_t>(kThreshold));
  // ... the server never saw many more than it allows although 32 workers were ready
  // (here it sees threshold + 1), and the run spent its time below the threshold: few
  // requests were throttled (here about 2.5 %).
  EXPECT_LE(s.max_in_flight(), kThreshold + 3);
  EXPECT_GE(s.max_in_flight(), kThreshold);
  EXPECT_LT(static_cast<double>(sum.throttled), 0.1 * static_cast<double>(sum.requests_sent));
}

TEST(VlmAimd, AutoBacksOffWhenLatencyRises) {
  test::TempDir dir;
  StandIn s;
  // 20 ms up to 4 in flight, then +60 ms per extra request: a queueing server whose
  // latency quadruples at 5 in flight (a strong signal: this machine's own noise is tens
  // of milliseconds).
  s.latency(std::chrono::milliseconds(20));
  s.queue_above(4, std::chrono::milliseconds(60));
  const auto images = images_for(s, dir, 120);
  auto o = auto_options(s, dir);
  const auto sum = run_vlm_eval(images, o);
  EXPECT_EQ(sum.ok, 120u);
  EXPECT_EQ(sum.throttled, 0u);
  // Without the latency rule it climbs towards 32 (one window more per step).
  EXPECT_LE(s.max_in_flight(), 12);
  EXPECT_LE(sum.concurrency_peak, 12u);
}

TEST(VlmAimd, ProgressDetail) {
  EXPECT_EQ(vlm_progress_detail({3, 12345, 1, 0, false, 0}), "retries 3  failed 1  tokens 12.3k");
  EXPECT_EQ(vlm_progress_detail({0, 999, 0, 0.01234, true, 8}),
            "retries 0  failed 0  tokens 999  cost 0.0123  in-flight 8");
  EXPECT_EQ(vlm_progress_detail({0, 2500000, 0, 0, false, 0}), "retries 0  failed 0  tokens 2.5M");
}

}  // namespace
}  // namespace emonet::eval
