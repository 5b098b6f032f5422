// `emonet data generate` against the stand-in ComfyUI, A1111 and OpenAI-images servers of
// fake_image_servers.h, with faults (500, 429 + Retry-After, malformed JSON, stalls past
// the timeout, a queue that never finishes), and a run killed with SIGKILL then resumed.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "emonet/csv.h"
#include "emonet/data_generate.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/strings.h"
#include "fake_image_servers.h"
#include "support/test_paths.h"

extern char** environ;

namespace emonet::data {
namespace {

namespace fs = std::filesystem;
using test::FakeImageServer;
using ::testing::HasSubstr;
using Fault = FakeImageServer::Fault;

struct DesignRow {
  std::string id, prompt;
  std::int64_t seed;
};

// A design.csv in the shared format (what `emonet data design` writes).
std::vector<DesignRow> write_design(const std::string& path, int n, const std::string& marker = "",
                                    int marked = -1) {
  std::ofstream f(path);
  CsvWriter w(f);
  w.write_row({"id", "file_name", "prompt", "ethnicity", "age", "gender", "emotion", "seed"});
  std::vector<DesignRow> rows;
  for (int i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%05d", i);
    DesignRow r{id, "a focused close-up photo, row " + std::to_string(i) + ", \"quoted\"",
                1000 + 7 * i};
    if (i == marked) r.prompt += " " + marker;
    w.write_row({r.id, "images/" + r.id + ".png", r.prompt, "Asian", "30", "woman", "Awe",
                 std::to_string(r.seed)});
    rows.push_back(r);
  }
  return rows;
}

GenerateOptions options(const FakeImageServer& s, const std::string& backend,
                        const std::string& design, const std::string& out) {
  GenerateOptions o;
  o.design = design;
  o.backend = backend;
  o.endpoint = s.endpoint();
  o.out = out;
  o.concurrency = 3;
  o.retries = 5;
  o.retry_base_s = 0.01;
  // Generous for a loaded machine, yet shorter than the stand-in's 5 s stall.
  o.request_timeout_s = 2.0;
  o.poll_interval_s = 0.02;
  o.queue_timeout_s = 3.0;
  o.progress = false;
  if (backend == "comfyui") o.workflow = test::source_path("examples/comfyui_txt2img_api.json");
  return o;
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  CsvReader r = CsvReader::open(path);
  std::vector<std::vector<std::string>> rows{r.read_header()};
  CsvRecord rec;
  while (r.next(rec)) rows.push_back(rec.fields);
  return rows;
}

// Every row in `rows` has its image (from its own prompt and seed), its sidecar, and one
// metadata.csv row, in design order.
void expect_complete(const std::string& out, const std::vector<DesignRow>& rows, bool seeded) {
  const auto csv = read_csv(out + "/metadata.csv");
  ASSERT_EQ(csv.size(), rows.size() + 1);
  EXPECT_EQ(csv[0][0], "id");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].id);
    EXPECT_EQ(csv[i + 1][0], rows[i].id);
    EXPECT_EQ(csv[i + 1][1], "images/" + rows[i].id + ".png");
    EXPECT_EQ(read_file(out + "/images/" + rows[i].id + ".png"),
              test::fake_image(rows[i].prompt, seeded ? rows[i].seed : 0));
    const auto side = nlohmann::json::parse(read_file(out + "/images/" + rows[i].id + ".json"));
    EXPECT_EQ(side["row"]["prompt"], rows[i].prompt);
    EXPECT_EQ(side["row"]["seed"], std::to_string(rows[i].seed));
    EXPECT_EQ(side["image"]["sha256"].get<std::string>().size(), 64u);
  }
  // The state file names each row once.
  std::map<std::string, int> seen;
  for (const auto& line : split(read_file(out + "/generate-state.jsonl"), '\n')) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) ++seen[j["id"].get<std::string>()];
  }
  EXPECT_EQ(seen.size(), rows.size());
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
}

TEST(DataGenerate, A1111RetriesServerErrorsRateLimitsMalformedRepliesAndStalls) {
  FakeImageServer s;
  s.inject(Fault::Http500, 2);
  s.inject(Fault::RateLimited, 1);
  s.inject(Fault::Malformed, 1);
  s.inject(Fault::Stall, 1);
  s.set_retry_after(1);
  test::TempDir tmp;
  const auto rows = write_design(tmp.file("design.csv"), 12);
  auto o = options(s, "a1111", tmp.file("design.csv"), tmp.file("out"));
  o.concurrency = 1;  // so the request after the 429 is the one that was told to wait
  const auto r = generate_dataset(o);
  EXPECT_TRUE(r.failures.empty()) << r.failures.front();
  EXPECT_EQ(r.generated, 12u);
  expect_complete(tmp.file("out"), rows, true);
  // The 429 said "Retry-After: 1"; no request came sooner.
  EXPECT_GE(s.wait_after_429(), 0.9);
  const auto side = nlohmann::json::parse(read_file(tmp.file("out/images/00003.json")));
  EXPECT_EQ(side["generator"]["backend"], "a1111");
  EXPECT_EQ(side["generator"]["parameters"]["seed"], rows[3].seed);
}

TEST(DataGenerate, ComfyUiPollsHistoryAndTimesOutAQueueThatNeverFinishes) {
  FakeImageServer s;
  test::TempDir tmp;
  const auto rows = write_design(tmp.file("design.csv"), 6, "STUCK", 4);
  auto o = options(s, "comfyui", tmp.file("design.csv"), tmp.file("out"));
  const auto r = generate_dataset(o);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_THAT(r.failures[0], HasSubstr("00004"));
  EXPECT_THAT(r.failures[0], HasSubstr("did not finish"));
  EXPECT_EQ(r.generated, 5u);
  ASSERT_EQ(s.deleted().size(), 1u);  // taken off the queue
  EXPECT_EQ(read_csv(tmp.file("out/metadata.csv")).size(), 6u);
  EXPECT_FALSE(fs::exists(tmp.file("out/images/00004.png")));
  // Once the server recovers, a rerun makes only the missing row.
  s.unstick();
  const int before = s.total_produced();
  const auto again = generate_dataset(o);
  EXPECT_TRUE(again.failures.empty());
  EXPECT_EQ(again.generated, 1u);
  EXPECT_EQ(again.skipped, 5u);
  EXPECT_EQ(s.total_produced(), before + 1);
  expect_complete(tmp.file("out"), rows, true);
  const auto side = nlohmann::json::parse(read_file(tmp.file("out/images/00004.json")));
  EXPECT_EQ(side["generator"]["backend"], "comfyui");
  EXPECT_THAT(side["generator"]["prompt_id"].get<std::string>(), HasSubstr("job-"));
}

TEST(DataGenerate, OpenAiSendsTheKeyFromTheNamedVariableAndA400IsFinal) {
  FakeImageServer s;
  s.set_api_key("sk-test-123");
  test::TempDir tmp;
  const auto rows = write_design(tmp.file("design.csv"), 4, "REJECT", 2);
  const std::string cmd =
      "EMONET_TEST_IMAGES_KEY=sk-test-123 '" + test::cli_path() + "' --quiet data generate '" +
      tmp.file("design.csv") + "' --backend openai --endpoint " + s.endpoint() +
      " --api-key-env EMONET_TEST_IMAGES_KEY --retry-base 0.01 --out '" + tmp.file("out") +
      "' --format json >'" + tmp.file("o") + "' 2>'" + tmp.file("e") + "'";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1) << read_file(tmp.file("e"));
  EXPECT_THAT(read_file(tmp.file("e")), HasSubstr("00002"));
  EXPECT_THAT(read_file(tmp.file("e")), HasSubstr("HTTP 400"));
  EXPECT_EQ(s.rejected(), 1);  // not retried
  const auto j = nlohmann::json::parse(read_file(tmp.file("o")));
  EXPECT_EQ(j["generated"], 3);
  EXPECT_EQ(read_file(tmp.file("out/images/00001.png")), test::fake_image(rows[1].prompt, 0));
  // A variable that is not set is an error before any request.
  auto o = options(s, "openai", tmp.file("design.csv"), tmp.file("out2"));
  o.api_key_env = "EMONET_TEST_NO_SUCH_VARIABLE";
  EXPECT_THROW(generate_dataset(o), Error);
}

// Spawns `emonet ARGS...` and returns its pid.
pid_t spawn_cli(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv{test::cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, (log + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("posix_spawn failed");
  return pid;
}

std::size_t state_lines(const std::string& path) {
  if (!fs::exists(path)) return 0;
  const std::string s = read_file(path);
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST(DataGenerate, AKilledRunResumesAndWritesEveryRowExactlyOnce) {
  FakeImageServer s;
  s.set_delay_ms(40);  // slow enough that the kill lands mid-run
  test::TempDir tmp;
  const int n = 40;
  const auto rows = write_design(tmp.file("design.csv"), n);
  const std::vector<std::string> args = {
      "--quiet",      "data",       "generate", tmp.file("design.csv"), "--backend",     "a1111",
      "--endpoint",   s.endpoint(), "--out",    tmp.file("out"),        "--concurrency", "3",
      "--retry-base", "0.01"};
  const pid_t pid = spawn_cli(args, tmp.file("run1.log"));
  const std::string state = tmp.file("out/generate-state.jsonl");
  // Bounded wait (60 s) for a few finished rows, then SIGKILL.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (state_lines(state) < 8 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run ended before it could be killed";
  const std::size_t finished = state_lines(state);
  ASSERT_GE(finished, 8u);
  ASSERT_LT(finished, static_cast<std::size_t>(n)) << "the run finished before the kill";
  EXPECT_FALSE(fs::exists(tmp.file("out/metadata.csv")));

  const pid_t again = spawn_cli(args, tmp.file("run2.log"));
  ASSERT_EQ(::waitpid(again, &status, 0), again);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << read_file(tmp.file("run2.log.err"));
  expect_complete(tmp.file("out"), rows, true);
  // Finished rows were not generated again; at most the 3 in flight at the kill were.
  EXPECT_LE(s.total_produced(), n + 3);
  for (const auto& [prompt, count] : s.produced()) EXPECT_LE(count, 2) << prompt;
}

TEST(DataGenerate, RepliesAndWorkflowsAreValidated) {
  EXPECT_THROW(parse_a1111_reply("{\"images\": [\"trunc", "a"), Error);
  EXPECT_THROW(parse_a1111_reply("{\"images\": []}", "a"), Error);
  EXPECT_THROW(parse_a1111_reply("{\"images\": [\"@@not base64@@\"]}", "a"), Error);
  EXPECT_EQ(parse_a1111_reply("{\"images\": [\"data:image/png;base64,aGk=\"]}", "a"), "hi");
  EXPECT_EQ(parse_openai_images_reply(R"({"data":[{"b64_json":"aGk="}]})", "o"), "hi");
  EXPECT_THROW(parse_openai_images_reply(R"({"data":[{"url":"http://x"}]})", "o"), Error);
  EXPECT_THROW(parse_comfyui_queued(R"({"error":"x","node_errors":{"6":"bad"}})", "c"), Error);
  EXPECT_THROW(parse_comfyui_queued(R"({"prompt_id":"../x"})", "c"), Error);
  EXPECT_FALSE(parse_comfyui_history("{}", "p1", "h").has_value());
  EXPECT_THROW(parse_comfyui_history(R"({"p1":{"status":{"status_str":"error"}}})", "p1", "h"),
               Error);
  try {
    substitute_workflow(nlohmann::json::parse(R"({"6":{"inputs":{"text":"fixed"}}})"), "p", "", 1,
                        "wf.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("wf.json"));
    EXPECT_THAT(e.what(), HasSubstr("{prompt}"));
  }
  const auto w = substitute_workflow(
      nlohmann::json::parse(R"({"3":{"inputs":{"seed":5}},"6":{"inputs":{"text":"x {prompt}"}}})"),
      "a \"face\"", "", 42, "wf.json");
  EXPECT_EQ(w["6"]["inputs"]["text"], "x a \"face\"");
  EXPECT_EQ(w["3"]["inputs"]["seed"], 42);
}

TEST(DataGenerate, DesignErrorsNameTheLineAndField) {
  test::TempDir tmp;
  write_file_atomic(tmp.file("d.csv"), "id,prompt,seed\n1,a,3\n1,b,4\n");
  GenerateOptions o;
  o.design = tmp.file("d.csv");
  o.backend = "a1111";
  o.endpoint = "http://127.0.0.1:9";
  o.out = tmp.file("out");
  try {
    generate_dataset(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("d.csv:3"));
    EXPECT_THAT(e.what(), HasSubstr("duplicate id"));
  }
  write_file_atomic(tmp.file("d.csv"), "id,prompt,seed\n1,a,x3\n");
  EXPECT_THROW(generate_dataset(o), Error);
}

}  // namespace
}  // namespace emonet::data
