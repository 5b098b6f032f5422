// `emonet eval vlm` against a stand-in OpenAI-compatible server on 127.0.0.1 that answers
// from a script per image: valid, fenced, prose-wrapped, wrong key counts, zeros,
// malformed JSON, 429 + Retry-After, 500, a stall past the timeout, a dropped connection,
// and yes/no logprob lists from the NumPy reference fixture.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "emonet/eval.h"
#include "emonet/files.h"
#include "emonet/taxonomy.h"
#include "support/test_paths.h"
#include "vlm_stand_in.h"

namespace emonet::eval {
namespace {

using namespace test_stand_in;  // NOLINT: the stand-in is this file's vocabulary
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Writes files named <tag>.png holding the bytes "<tag>" (the client never decodes them).
std::string_view trim_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<VlmImage> make_images(const test::TempDir& dir, const std::vector<std::string>& tags) {
  for (const auto& t : tags) write_file_atomic(dir.file("imgs/" + t + ".png"), t);
  return collect_vlm_images({dir.file("imgs")});
}

std::map<std::string, json> read_jsonl(const std::string& path) {
  std::map<std::string, json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line);
    out[j["image_path"].get<std::string>().substr(
        0, j["image_path"].get<std::string>().find('.'))] = j;
  }
  return out;
}

VlmOptions options(const StandIn& s, const test::TempDir& dir) {
  VlmOptions o;
  o.endpoint = s.url();
  o.model = "stand-in-vlm";
  o.out_path = dir.file("out.jsonl");
  o.cache_path = dir.file("cache.sqlite");
  o.retry_base_s = 0.01;
  o.timeout_s = 30;
  o.progress = false;
  return o;
}

TEST(VlmRun, ZeroShotScriptsGiveExactAttemptsAndValues) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "imgs");
  StandIn s;
  const Action http429{Action::kStatus, {}, 429, "1"};
  const Action http500{Action::kStatus, {}, 500, {}};
  s.script("a-valid", {say(value_reply(25))});
  s.script("b-fenced", {say("```json\n" + value_reply(25) + "\n```")});
  s.script("c-prose",
           {say("Sure! " + value_reply(25) + " Hope this helps."), say(value_reply(25))});
  s.script("d-counts", {say(value_reply(24)), say(value_reply(26)), say(value_reply(25))});
  s.script("e-zero", {say(value_reply(25, 0)), say(value_reply(25))});
  s.script("f-malformed", {say("{\"value\": {\"a\": ")});
  s.script("g-429", {http429, say(value_reply(25))});
  s.script("h-500", {http500, http500, say(value_reply(25))});
  s.script("i-drop", {{Action::kDrop, {}, 200, {}}, say(value_reply(25))});
  const auto images = make_images(dir, {"a-valid", "b-fenced", "c-prose", "d-counts", "e-zero",
                                        "f-malformed", "g-429", "h-500", "i-drop"});
  auto o = options(s, dir);
  o.concurrency = 3;
  const auto sum = run_vlm_eval(images, o);
  EXPECT_EQ(sum.images, 9u);
  EXPECT_EQ(sum.ok, 8u);
  EXPECT_EQ(sum.failed, 1u);
  EXPECT_LE(s.max_in_flight(), 3);

  const auto out = read_jsonl(o.out_path);
  const std::map<std::string, int> attempts = {
      {"a-valid", 1},      {"b-fenced", 1}, {"c-prose", 2}, {"d-counts", 3}, {"e-zero", 2},
      {"f-malformed", 20}, {"g-429", 1},    {"h-500", 1},   {"i-drop", 1}};
  const std::map<std::string, int> sent = {{"g-429", 2}, {"h-500", 3}, {"i-drop", 2}};
  for (const auto& [tag, n] : attempts) {
    SCOPED_TRACE(tag);
    ASSERT_TRUE(out.count(tag));
    EXPECT_EQ(out.at(tag)["attempts"], n);
    const int expect_sent = sent.count(tag) ? sent.at(tag) : n;
    EXPECT_EQ(s.requests(tag), expect_sent);
    EXPECT_EQ(out.at(tag)["requests_sent"], expect_sent);
    EXPECT_EQ(out.at(tag)["protocol"], "zs-v1");
    EXPECT_EQ(out.at(tag)["model"], "stand-in-vlm");
    if (tag == "f-malformed") continue;
    EXPECT_EQ(out.at(tag)["status"], "ok");
    const auto& ann = out.at(tag)["annotations"];
    EXPECT_EQ(ann.size(), 40u);
    for (std::size_t i = 0; i < 40; ++i)  // missing key = 0
      EXPECT_EQ(ann[std::string(emotions()[i].hq_key)], i < 25 ? 1 + i % 7 : 0) << i;
    EXPECT_EQ(out.at(tag)["usage"]["prompt_tokens"], 100 * n);
  }
  const auto& bad = out.at("f-malformed");
  EXPECT_EQ(bad["status"], "parse_failed");
  EXPECT_EQ(bad["raw"], "{\"value\": {\"a\": ");
  EXPECT_EQ(bad["parse_errors"].size(), 20u);
  EXPECT_FALSE(bad.contains("annotations"));

  // Re-asks carry the addendum; the first ask does not.
  const auto d = s.bodies("d-counts");
  const auto text = [](const json& b) {
    return b["messages"][0]["content"][1]["text"].get<std::string>();
  };
  EXPECT_EQ(text(d[0]).find("Aha moment"), std::string::npos);
  EXPECT_NE(text(d[1]).find("Aha moment"), std::string::npos);
  EXPECT_FALSE(d[0].contains("temperature"));  // as the authors: only max_tokens is set
  EXPECT_EQ(d[0]["max_tokens"], 1000);

  // Retry-After: 1 is honoured although the backoff step is 10 ms (order of magnitude).
  const auto t = s.times("g-429");
  ASSERT_EQ(t.size(), 2u);
  const double gap = std::chrono::duration<double>(t[1] - t[0]).count();
  EXPECT_GE(gap, 0.9);
  EXPECT_LT(gap, 15.0);

  // A rerun with the same cache sends nothing.
  const int before = s.total();
  const auto again = run_vlm_eval(images, o);
  EXPECT_EQ(s.total(), before);
  EXPECT_EQ(again.requests_sent, 0u);
  EXPECT_EQ(read_jsonl(o.out_path).at("d-counts")["attempts"], 3);
  EXPECT_EQ(read_jsonl(o.out_path).at("c-prose")["annotations"], out.at("c-prose")["annotations"]);
}

TEST(VlmRun, StallPastTheTimeoutIsRetriedAndClientErrorsAreFinal) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "imgs");
  StandIn s;
  s.script("stall", {{Action::kStall, {}, 200, {}}, say(value_reply(25))});
  s.script("bad-request", {{Action::kStatus, {}, 400, {}}});
  s.script("always-500", {{Action::kStatus, {}, 503, {}}});
  const auto images = make_images(dir, {"stall", "bad-request", "always-500"});
  auto o = options(s, dir);
  o.timeout_s = 2;
  o.max_retries = 3;
  run_vlm_eval(images, o);
  const auto out = read_jsonl(o.out_path);
  EXPECT_EQ(out.at("stall")["status"], "ok");
  EXPECT_EQ(s.requests("stall"), 2);
  EXPECT_EQ(out.at("bad-request")["status"], "http_error");
  EXPECT_EQ(out.at("bad-request")["error"], "HTTP 400");
  EXPECT_EQ(s.requests("bad-request"), 1);
  EXPECT_EQ(out.at("always-500")["status"], "http_error");
  EXPECT_EQ(s.requests("always-500"), 4);  // 1 + 3 retries
}

TEST(VlmRun, ConcurrencyIsTheNumberOfRequestsInFlight) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "imgs");
  StandIn s;
  s.latency(std::chrono::milliseconds(100));
  std::vector<std::string> tags;
  for (int i = 0; i < 16; ++i) {
    tags.push_back("img" + std::to_string(10 + i));
    s.script(tags.back(), {say(value_reply(25))});
  }
  auto o = options(s, dir);
  o.concurrency = 4;
  o.cache_path.clear();
  const auto sum = run_vlm_eval(make_images(dir, tags), o);
  EXPECT_EQ(sum.ok, 16u);
  EXPECT_LE(s.max_in_flight(), 4);
  EXPECT_GE(s.max_in_flight(), 2);
  // Each slot keeps its connection open across images (keep-alive): no reconnects.
  EXPECT_LE(s.connections(), 4u);
}

TEST(VlmRun, YesNoMatchesTheNumPyReference) {
  const json ref = json::parse(read_file(EMONET_EVAL_YESNO_REFERENCE));
  const std::vector<json> cases(ref["cases"].begin(), ref["cases"].end());
  ASSERT_EQ(cases.size(), 40u);
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "imgs");
  StandIn s;
  s.yes_no_cases(cases);
  auto o = options(s, dir);
  o.protocol = VlmProtocol::kYesNo;
  o.api_key = "sk-test";
  const auto images = make_images(dir, {"face"});
  run_vlm_eval(images, o);
  EXPECT_EQ(s.requests("face"), 40);
  EXPECT_EQ(s.last_authorization(), "Bearer sk-test");
  const auto rec = read_jsonl(o.out_path).at("face");
  EXPECT_EQ(rec["protocol"], "yesno-v1");
  EXPECT_EQ(rec["attempts"], 40);
  EXPECT_EQ(rec["status"], "parse_failed");  // the last two cases hold no yes/no token
  for (std::size_t i = 0; i < 40; ++i) {
    SCOPED_TRACE(i);
    const std::string key(emotions()[i].hq_key);
    EXPECT_NEAR(rec["yes_no_share"][key].get<double>(), cases[i]["share"].get<double>(), 1e-12);
    if (cases[i]["p_yes"].is_null()) {
      EXPECT_FALSE(rec["p_yes"].contains(key));
      EXPECT_TRUE(rec["failures"].contains(key));
    } else {
      const double p = cases[i]["p_yes"].get<double>();
      EXPECT_NEAR(rec["p_yes"][key].get<double>(), p, 1e-12);
      EXPECT_EQ(rec["annotations"][key], std::lround(7 * p));
    }
  }
  const json b = s.bodies("face")[0];
  EXPECT_EQ(b["messages"][1]["role"], "assistant");
  EXPECT_EQ(b["messages"][1]["content"], "Answer:");
  EXPECT_EQ(b["logprobs"], true);
  EXPECT_EQ(b["top_logprobs"], 20);
  EXPECT_EQ(b["max_tokens"], 1);
  EXPECT_EQ(b["messages"][0]["content"][0]["type"], "image_url");  // shared image prefix

  run_vlm_eval(images, o);
  EXPECT_EQ(s.requests("face"), 40);  // all from the cache
}

TEST(VlmRun, KilledRunResumesWithoutRepeatingFinishedRequests) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "imgs");
  StandIn s;
  s.latency(std::chrono::milliseconds(150));
  std::vector<std::string> tags;
  for (int i = 0; i < 8; ++i) {
    tags.push_back("k" + std::to_string(i));
    s.script(tags.back(), {say(value_reply(25))});
  }
  make_images(dir, tags);
  const std::vector<std::string> args = {test::cli_path(), "--quiet",
                                         "eval",           "vlm",
                                         "--endpoint",     s.url(),
                                         "--model",        "m",
                                         "--concurrency",  "1",
                                         "--cache",        dir.file("c.sqlite"),
                                         "--out",          dir.file("o.jsonl"),
                                         dir.file("imgs")};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  // Kill it once three requests reached the stand-in (bounded wait).
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (s.total() < 3 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const int before = s.total();
  ASSERT_GE(before, 3);
  ASSERT_LT(before, 8);
  EXPECT_FALSE(std::filesystem::exists(dir.file("o.jsonl")));

  std::string cmd;
  for (const auto& a : args) cmd += "'" + a + "' ";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  // Only the request in flight at the kill may be sent again (concurrency 1).
  int repeated = 0;
  for (const auto& t : tags) {
    EXPECT_GE(s.requests(t), 1) << t;
    EXPECT_LE(s.requests(t), 2) << t;
    repeated += s.requests(t) - 1;
  }
  EXPECT_LE(repeated, 1);
  EXPECT_EQ(read_jsonl(dir.file("o.jsonl")).size(), 8u);
}

TEST(VlmRun, MaxCostStopsBeforeTheBudgetIsExceeded) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "imgs");
  StandIn s;
  std::vector<std::string> tags;
  for (int i = 0; i < 8; ++i) {
    tags.push_back("c" + std::to_string(i));
    s.script(tags.back(), {say(value_reply(25))});
  }
  auto o = options(s, dir);
  o.concurrency = 3;
  // Each reply reports 100 prompt + 10 completion tokens: 0.001 + 0.001 = 0.002 a request.
  o.price_in = 10;
  o.price_out = 100;
  o.max_cost = 0.0105;
  const auto sum = run_vlm_eval(make_images(dir, tags), o);
  EXPECT_EQ(s.total(), 5);
  EXPECT_TRUE(sum.budget_exhausted);
  EXPECT_NEAR(sum.cost, 0.010, 1e-12);
  EXPECT_LE(sum.cost, *o.max_cost);
  EXPECT_EQ(sum.ok, 5u);
  const auto out = read_jsonl(o.out_path);
  int ok = 0;
  for (const auto& [tag, rec] : out) {
    if (rec["status"] == "ok")
      ++ok;
    else
      EXPECT_EQ(rec["status"], "budget_exhausted") << tag;
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(out.size() + sum.not_started, 8u);

  // A rerun with a larger budget pays only for the rest: the first five are cached.
  o.max_cost = 1.0;
  const auto rest = run_vlm_eval(make_images(dir, tags), o);
  EXPECT_EQ(s.total(), 8);
  EXPECT_EQ(rest.ok, 8u);
  EXPECT_NEAR(rest.cost, 0.006, 1e-12);
}

TEST(VlmRun, AblationsSendGreyOrAnotherImagesPixels) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "imgs");
  StandIn s;
  const auto images = make_images(dir, {"s0", "s1", "s2"});
  auto o = options(s, dir);
  o.ablation = VlmAblation::kShuffle;
  run_vlm_eval(images, o);
  auto out = read_jsonl(o.out_path);
  EXPECT_EQ(out.at("s0")["pixels_of"], "s1.png");
  EXPECT_EQ(out.at("s2")["pixels_of"], "s0.png");
  EXPECT_EQ(out.at("s2")["ablation"], "shuffle");
  const auto first_text = [&](const std::string& tag) {
    return s.bodies(tag).at(0)["messages"][0]["content"][1]["text"].get<std::string>();
  };
  // s1's pixels were sent with s0's prompt (its file name).
  EXPECT_NE(first_text("s1").find("\"s0.png\""), std::string::npos);

  // grey: real PNGs of two sizes (written by PIL); PIL must read what was sent as uniform grey.
  test::TempDir real;
  const std::string make =
      "/usr/bin/python3 -c \"from PIL import Image; "
      "Image.new('RGB', (5, 3), (200, 10, 30)).save('" +
      real.file("a.png") + "'); Image.new('RGB', (4, 7), (1, 2, 3)).save('" + real.file("b.png") +
      "')\"";
  ASSERT_EQ(std::system(make.c_str()), 0);
  StandIn g;
  o = options(g, real);
  o.ablation = VlmAblation::kGrey;
  run_vlm_eval(collect_vlm_images({real.file("a.png"), real.file("b.png")}), o);
  const auto sent = g.tags();
  ASSERT_EQ(sent.size(), 2u);
  std::vector<std::string> sizes;
  for (std::size_t k = 0; k < sent.size(); ++k) {
    const std::string f = real.file("sent" + std::to_string(k) + ".png");
    write_file_atomic(f, sent[k]);
    const std::string check = "/usr/bin/python3 -c \"from PIL import Image; im = Image.open('" + f +
                              "'); assert im.mode == 'RGB' and set(im.getdata()) == "
                              "{(128, 128, 128)}; print(im.size)\" > " +
                              f + ".txt";
    ASSERT_EQ(std::system(check.c_str()), 0);
    sizes.push_back(std::string(trim_newline(read_file(f + ".txt"))));
  }
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<std::string>{"(4, 7)", "(5, 3)"}));
  EXPECT_EQ(read_jsonl(o.out_path).size(), 2u);
}

TEST(VlmRun, MultiShotOneAttempt) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "imgs");
  StandIn s;
  json em = json::object();
  for (const auto& c : emotions())
    em[std::string(c.name)] = {{"rating", c.name == "Sadness" ? 5 : 0}, {"reasoning", "r"}};
  json extras = {{"Arousal", {{"rating", 2}}},
                 {"Valence", {{"rating", -2.0}}},
                 {"Dominance", {{"rating", -1}}},
                 {"Emotional Vulnerability", {{"rating", 4}}}};
  s.script("good", {say(json{{"emotions", em}, {"extra_dimensions", extras}}.dump())});
  extras["Valence"]["rating"] = 9;
  s.script("bad", {say(json{{"emotions", em}, {"extra_dimensions", extras}}.dump())});
  auto o = options(s, dir);
  o.protocol = VlmProtocol::kMultiShot;
  run_vlm_eval(make_images(dir, {"good", "bad"}), o);
  const auto out = read_jsonl(o.out_path);
  const auto& g = out.at("good");
  EXPECT_EQ(g["status"], "ok");
  EXPECT_EQ(g["protocol"], "ms-v1");
  EXPECT_EQ(g["attempts"], 1);
  EXPECT_EQ(g["annotations"]["Negative Low-Energy Emotions|Sadness"], 5);
  EXPECT_EQ(g["annotations"]["Positive High-Energy Emotions|Amusement"], 0);
  EXPECT_EQ(g["annotations"].size(), 40u);
  EXPECT_EQ(g["extra_dimensions"]["Valence"], -2);
  EXPECT_EQ(out.at("bad")["status"], "parse_failed");
  EXPECT_EQ(out.at("bad")["attempts"], 1);
  EXPECT_EQ(s.requests("bad"), 1);
  EXPECT_EQ(s.bodies("good")[0]["max_tokens"], 2000);
}

TEST(VlmRun, CommandLine) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "imgs");
  StandIn s;
  s.script("one", {say(value_reply(25))});
  make_images(dir, {"one"});
  const std::string cmd = "EMONET_TEST_KEY=sk-cli " + test::cli_path() +
                          " --quiet eval vlm --endpoint " + s.url() +
                          "/v1 --model m --protocol zs --api-key-env EMONET_TEST_KEY --out " +
                          dir.file("o.jsonl") + " " + dir.file("imgs");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(s.last_authorization(), "Bearer sk-cli");
  EXPECT_EQ(read_jsonl(dir.file("o.jsonl")).at("one")["status"], "ok");
  const std::string missing = test::cli_path() + " --quiet eval vlm --endpoint " + s.url() +
                              " --model m --api-key-env EMONET_NO_SUCH_VAR --out " +
                              dir.file("p.jsonl") + " " + dir.file("imgs") + " 2>/dev/null";
  EXPECT_NE(std::system(missing.c_str()), 0);
}

}  // namespace
}  // namespace emonet::eval
