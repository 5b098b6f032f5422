// The inference server for real on loopback with the tiny model: answers equal to
// `emonet predict` under concurrency (batches > 1 in the metrics, promtool accepts them),
// the body forms, faces/top, embed, models, health while loading, and the drain.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "emonet/npy.h"
#include "emonet/serve.h"
#include "emonet/serve_demo.h"
#include "serve_test_util.h"

namespace emonet {
namespace {

using test::RunningServer;

std::string base64(const std::string& bytes) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 |
                       (unsigned char)bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += t[(v >> s) & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = (unsigned char)bytes[i] << 16;
    out += t[(v >> 18) & 63], out += t[(v >> 12) & 63], out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8;
    out += t[(v >> 18) & 63], out += t[(v >> 12) & 63], out += t[(v >> 6) & 63], out += '=';
  }
  return out;
}

// Runs promtool's exposition-format linter on `text`; "" when it passes.
std::string promtool_check(const std::string& text, bool& ran) {
  ran = std::system("command -v promtool >/dev/null 2>&1") == 0;
  if (!ran) return "";
  test::TempDir tmp;
  const std::string in = tmp.file("metrics.txt"), out = tmp.file("out.txt");
  std::ofstream(in) << text;
  const int rc = std::system(("promtool check metrics <'" + in + "' >'" + out + "' 2>&1").c_str());
  return rc == 0 ? "" : "promtool failed: " + test::slurp(out);
}

TEST(Server, ConcurrentRequestsEqualPredictRecordsAndBatchTogether) {
  std::string paths;
  for (const char* n : test::kImages) paths += " '" + test::tiny_image(n) + "'";
  const auto expected = test::predict_records(paths);
  ASSERT_EQ(expected.size(), 3u);

  auto o = test::tiny_options();
  o.max_batch = 8;
  o.max_delay_ms = 100;  // wide enough that concurrent requests meet in one batch
  RunningServer s(o);
  constexpr int kThreads = 12, kRounds = 2;
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto c = s.client();
      for (int r = 0; r < kRounds; ++r) {
        const std::string path = test::tiny_image(test::kImages[(t + r) % 3]);
        const auto res = c.Post(("/v1/predict?name=" + test::query_value(path)).c_str(),
                                test::slurp(path), "image/png");
        if (!res || res->status != 200) {
          ++failures;
          continue;
        }
        if (res->body != expected.at(path)) ++mismatches;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(mismatches, 0) << "a served record differs from `emonet predict`'s line";

  auto c = s.client();
  const auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200);
  const double images = test::metric(m->body, "emonet_images_processed_total");
  const double batches = test::metric(m->body, "emonet_batch_size_images_count");
  EXPECT_EQ(images, kThreads * kRounds);
  EXPECT_LT(batches, images) << "no batch held more than one image:\n" << m->body;
  EXPECT_GT(
      test::metric(m->body, "emonet_http_requests_total{route=\"/v1/predict\",status=\"200\"}"), 0);
  EXPECT_GT(test::metric(m->body, "emonet_model_load_seconds"), 0);
  bool ran = false;
  const std::string problem = promtool_check(m->body, ran);
  EXPECT_EQ(problem, "");
  if (!ran) GTEST_SKIP() << "promtool (Debian's prometheus package) is not installed";
}

TEST(Server, ALoneRequestRunsAtOnceUnlessTheBatchWaitIsAlways) {
  // --max-delay-ms is far longer than a tiny-model forward pass, so the elapsed time says
  // whether the batch waited for it (a bound on behaviour, not a speed measurement).
  const std::string png = test::slurp(test::tiny_image("a_rgb.png"));
  const auto elapsed_ms = [&](serve::BatchWait wait, double delay_ms) {
    auto o = test::tiny_options();
    o.max_delay_ms = delay_ms;
    o.batch_wait = wait;
    RunningServer s(o);
    auto c = s.client();
    const auto warm = c.Post("/v1/predict", png, "image/png");  // first-pass allocations
    EXPECT_TRUE(warm && warm->status == 200);
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = c.Post("/v1/predict", png, "image/png");
    const auto t1 = std::chrono::steady_clock::now();
    EXPECT_TRUE(r && r->status == 200);
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
  };
  EXPECT_LT(elapsed_ms(serve::BatchWait::arrivals, 20000), 10000)
      << "a lone request waited for a batch that nothing was coming to fill";

  // Requests answered without reaching the batcher (422, 415) must withdraw their
  // announcement, or a later request on another connection waits for them.
  auto o = test::tiny_options();
  o.max_delay_ms = 20000;
  RunningServer s(o);
  const std::string corrupt = test::slurp(test::kTiny + "/images_bad/b_corrupt.jpg");
  for (int i = 0; i < 3; ++i) {
    auto bad = s.client();
    const auto r = bad.Post("/v1/predict", corrupt, "image/jpeg");
    EXPECT_TRUE(r && r->status == 422);
    const auto t = bad.Post("/v1/predict", "text", "text/plain");
    EXPECT_TRUE(t && t->status == 415);
  }
  auto good = s.client();
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = good.Post("/v1/predict", png, "image/png");
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(r && r->status == 200);
  EXPECT_LT(ms, 10000) << "an answered bad request left its announcement behind";
  EXPECT_GE(elapsed_ms(serve::BatchWait::always, 800), 800)
      << "--batch-wait always did not wait out --max-delay-ms";
}

TEST(Server, MultipartAndJsonBodiesAnswerPredictionsInOrder) {
  std::string paths;
  for (const char* n : test::kImages) paths += " '" + test::tiny_image(n) + "'";
  const auto expected = test::predict_records(paths);
  RunningServer s(test::tiny_options());
  auto c = s.client();

  httplib::MultipartFormDataItems parts;
  for (const char* n : test::kImages)
    parts.push_back({"image", test::slurp(test::tiny_image(n)), test::tiny_image(n), "image/png"});
  const auto mp = c.Post("/v1/predict", parts);
  ASSERT_TRUE(mp);
  ASSERT_EQ(mp->status, 200) << mp->body;
  std::string want = "{\"predictions\":[";
  for (int i = 0; i < 3; ++i)
    want += (i ? "," : "") + expected.at(test::tiny_image(test::kImages[i]));
  EXPECT_EQ(mp->body, want + "]}");

  nlohmann::json body;
  for (const char* n : test::kImages)
    body["images"].push_back(base64(test::slurp(test::tiny_image(n))));
  const auto js = c.Post("/v1/predict", body.dump(), "application/json");
  ASSERT_TRUE(js);
  ASSERT_EQ(js->status, 200) << js->body;
  const auto j = nlohmann::json::parse(js->body);
  ASSERT_EQ(j["predictions"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto want_j = nlohmann::json::parse(expected.at(test::tiny_image(test::kImages[i])));
    EXPECT_EQ(j["predictions"][i]["image_path"], "images[" + std::to_string(i) + "]");
    EXPECT_EQ(j["predictions"][i]["results"], want_j["results"]);
  }
}

TEST(Server, TopFacesEmbedModelsAndStaticDocuments) {
  RunningServer s(test::tiny_options());
  auto c = s.client();
  const std::string png = test::slurp(test::tiny_image("a_rgb.png"));

  const auto top = c.Post("/v1/predict?top=3&faces=true", png, "image/png");
  ASSERT_TRUE(top);
  ASSERT_EQ(top->status, 200) << top->body;
  const auto j = nlohmann::json::parse(top->body);
  ASSERT_EQ(j["top"].size(), 3u);
  std::vector<std::pair<double, std::string>> softmax;
  for (const auto& [key, v] : j["results"].items())
    if (!v["softmax"].is_null()) softmax.emplace_back(v["softmax"].get<double>(), key);
  std::stable_sort(softmax.begin(), softmax.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(j["top"][i]["key"], softmax[i].second);
    EXPECT_EQ(j["top"][i]["score"].get<double>(), softmax[i].first);
    EXPECT_TRUE(j["top"][i]["emotion"].is_string());
  }
  // The random test images hold no face: the array is there, and empty.
  ASSERT_TRUE(j["faces"].is_array());

  const auto emb = c.Post("/v1/embed", png, "image/png");
  ASSERT_TRUE(emb);
  ASSERT_EQ(emb->status, 200) << emb->body;
  const auto e = nlohmann::json::parse(emb->body);
  ASSERT_EQ(e["embeddings"].size(), 1u);
  EXPECT_EQ(e["embeddings"][0]["embedding"].size(), e["dimension"].get<std::size_t>());

  const auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  ASSERT_EQ(models->status, 200);
  const auto mj = nlohmann::json::parse(models->body)["models"][0];
  EXPECT_EQ(mj["precision"], "fp32");
  EXPECT_EQ(mj["heads"].size(), 44u);
  EXPECT_EQ(mj["taxonomy"].size(), 44u);
  EXPECT_GT(mj["load_seconds"].get<double>(), 0);

  const auto api = c.Get("/openapi.json");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->body, test::slurp(test::source_path("src/serve/openapi.json")));
  const auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, std::string(serve::demo_page_html()));
  const auto live = c.Get("/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
}

TEST(Server, FacesAreScoredAsEmonetPredictFacesScoresThem) {
  // faces.png (tests/fixtures/image_reference.py) holds shaded faces the Haar cascade finds.
  const std::string path = test::kImageFixtures + "/faces.png";
  const auto whole = test::predict_records("'" + path + "'");
  const auto r = test::run_cli("-q predict --faces --model '" + test::tiny_model() +
                               "' --threads 1 --precision fp32 --format jsonl '" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> faces;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) faces.push_back(nlohmann::json::parse(line));
  ASSERT_GE(faces.size(), 1u);

  RunningServer s(test::tiny_options());
  auto c = s.client();
  const auto res = c.Post(("/v1/predict?faces=true&name=" + test::query_value(path)).c_str(),
                          test::slurp(path), "image/png");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["results"], nlohmann::json::parse(whole.at(path))["results"]);
  ASSERT_EQ(j["faces"].size(), faces.size());
  for (std::size_t i = 0; i < faces.size(); ++i) {
    EXPECT_EQ(j["faces"][i]["face"], faces[i]["face"]);
    EXPECT_EQ(j["faces"][i]["box"], faces[i]["box"]);
    EXPECT_EQ(j["faces"][i]["results"], faces[i]["results"]) << "face " << i;
  }
}

TEST(Server, EmbedAnswersThePooledEmbeddingsOfEmonetPredict) {
  const std::string path = test::tiny_image("c_rgba.png");
  test::TempDir tmp;
  const auto r = test::run_cli("-q predict --model '" + test::tiny_model() +
                               "' --threads 1 --precision fp32 --embeddings '" +
                               tmp.file("emb.npy") + "' '" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const NpyArray want = read_npy(tmp.file("emb.npy"));
  ASSERT_EQ(want.shape.size(), 2u);
  RunningServer s(test::tiny_options());
  auto c = s.client();
  const auto res = c.Post("/v1/embed", test::slurp(path), "image/png");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto j = nlohmann::json::parse(res->body);
  ASSERT_EQ(j["dimension"].get<std::size_t>(), want.shape[1]);
  const auto& got = j["embeddings"][0]["embedding"];
  ASSERT_EQ(got.size(), want.shape[1]);
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(float(got[i].get<double>()), want.data[i]) << "element " << i;
}

TEST(Server, ReadinessIs503WhileTheModelLoadsThen200) {
  test::TempDir tmp;
  test::BlockedModel blocked(tmp.path() / "model");
  auto o = test::tiny_options();
  o.model = blocked.path();
  RunningServer s(o, /*wait_ready=*/false);
  auto c = s.client();
  const auto ready = c.Get("/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(nlohmann::json::parse(ready->body)["status"], "loading");
  const auto live = c.Get("/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  const auto pred = c.Post("/v1/predict", test::slurp(test::tiny_image("a_rgb.png")), "image/png");
  ASSERT_TRUE(pred);
  EXPECT_EQ(pred->status, 503);
  EXPECT_TRUE(pred->has_header("Retry-After"));
  EXPECT_NE(nlohmann::json::parse(pred->body)["error"].get<std::string>().find("loading"),
            std::string::npos);

  blocked.release();
  ASSERT_TRUE(test::eventually([&] {
    const auto r = c.Get("/health/ready");
    return r && r->status == 200;
  }));
  const auto after = c.Post("/v1/predict", test::slurp(test::tiny_image("a_rgb.png")), "image/png");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST(Server, DrainAnswersQueuedRequestsAndTurnsReadinessOff) {
  auto o = test::tiny_options();
  o.max_delay_ms = 1500;  // the requests sit in the queue when the drain starts
  o.batch_wait = serve::BatchWait::always;
  o.max_batch = 64;
  RunningServer s(o);
  const std::string png = test::slurp(test::tiny_image("a_rgb.png"));
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i)
    clients.emplace_back([&] {
      auto c = s.client();
      const auto r = c.Post("/v1/predict", png, "image/png");
      if (r && r->status == 200) ++ok;
    });
  auto c = s.client();
  ASSERT_TRUE(test::eventually([&] {
    const auto m = c.Get("/metrics");
    return m && test::metric(m->body, "emonet_queue_depth_images") == 4;
  }));
  std::thread drainer([&] { s.server().drain(); });
  EXPECT_TRUE(test::eventually([&] { return !s.server().ready(); }));
  for (auto& t : clients) t.join();
  drainer.join();
  s.stop();
  EXPECT_EQ(ok, 4) << "a request accepted before the drain was not answered";
}

}  // namespace
}  // namespace emonet
