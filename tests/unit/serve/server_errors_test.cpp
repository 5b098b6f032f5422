// Bad input, overload and security paths of the server: every refusal is a JSON
// {"error"} with the right status, and the server keeps answering afterwards.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "emonet/serve_keys.h"
#include "serve_test_util.h"

namespace emonet {
namespace {

using test::RunningServer;

// The status, and that the body is {"error": "<non-empty>"}; returns the message.
std::string expect_error(const httplib::Result& r, int status) {
  EXPECT_TRUE(r) << "no answer";
  if (!r) return "";
  EXPECT_EQ(r->status, status) << r->body;
  const auto j = nlohmann::json::parse(r->body, nullptr, false);
  EXPECT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << r->body;
  return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : "";
}

// A PNG signature and IHDR chunk declaring width x height, and nothing else.
std::string png_header(std::uint32_t width, std::uint32_t height) {
  std::string s("\x89PNG\r\n\x1a\n", 8);
  s += std::string("\0\0\0\x0d", 4) + "IHDR";
  for (std::uint32_t v : {width, height})
    for (int shift = 24; shift >= 0; shift -= 8) s += char((v >> shift) & 0xff);
  s += std::string("\x08\x02\0\0\0", 5) + std::string("\0\0\0\0", 4);  // 8-bit RGB, CRC
  return s;
}

TEST(ServerErrors, BadInputGetsNamedJsonErrorsAndTheServerStaysUp) {
  auto o = test::tiny_options();
  o.max_body = 256 * 1024;
  o.max_pixels = 4'000'000;
  o.max_images = 2;
  RunningServer s(o);
  auto c = s.client();
  const std::string png = test::slurp(test::tiny_image("a_rgb.png"));

  EXPECT_NE(expect_error(c.Post("/v1/predict", "hello", "text/plain"), 415).find("text/plain"),
            std::string::npos);
  const std::string corrupt = test::slurp(test::kTiny + "/images_bad/b_corrupt.jpg");
  EXPECT_NE(expect_error(c.Post("/v1/predict?name=corrupt.jpg", corrupt, "image/jpeg"), 422)
                .find("corrupt.jpg"),
            std::string::npos);
  const std::string truncated = png.substr(0, png.size() / 2);
  EXPECT_NE(expect_error(c.Post("/v1/predict?name=half.png", truncated, "image/png"), 422)
                .find("half.png"),
            std::string::npos);
  expect_error(c.Post("/v1/predict", "GIF89a....", "image/png"), 422);
  // A body over --max-body is refused by size alone.
  expect_error(c.Post("/v1/predict", std::string(300 * 1024, 'x'), "image/png"), 413);
  // A 33-byte PNG declaring 100000 x 100000 pixels: refused from its header.
  const std::string bomb_msg =
      expect_error(c.Post("/v1/predict", png_header(100000, 100000), "image/png"), 413);
  EXPECT_NE(bomb_msg.find("100000x100000"), std::string::npos) << bomb_msg;
  expect_error(c.Post("/v1/predict", "{\"images\": [", "application/json"), 400);
  expect_error(c.Post("/v1/predict", R"({"images": ["@@@"]})", "application/json"), 400);
  expect_error(c.Post("/v1/predict", R"({"pictures": []})", "application/json"), 400);
  expect_error(c.Post("/v1/predict", "--x\r\nContent-Disposition: form-data; name=\"image\"\r\n",
                      "multipart/form-data"),
               400);
  httplib::MultipartFormDataItems other = {{"file", png, "a.png", "image/png"}};
  expect_error(c.Post("/v1/predict", other), 400);
  expect_error(c.Post("/v1/predict?top=99", png, "image/png"), 400);
  httplib::MultipartFormDataItems three = {{"image", png, "1.png", "image/png"},
                                           {"image", png, "2.png", "image/png"},
                                           {"image", png, "3.png", "image/png"}};
  EXPECT_NE(expect_error(c.Post("/v1/predict", three), 413).find("3 images"), std::string::npos);
  expect_error(c.Get("/v2/nothing"), 404);
  const auto wrong = c.Get("/v1/predict");
  expect_error(wrong, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "POST, OPTIONS");
  expect_error(c.Post("/health/ready", "", "text/plain"), 405);

  const auto fine = c.Post("/v1/predict", png, "image/png");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

TEST(ServerErrors, FullQueueGets429AndAWaitPastTheTimeoutGets503) {
  const std::string png = test::slurp(test::tiny_image("a_rgb.png"));
  {
    auto o = test::tiny_options();
    o.queue = 1;
    o.max_delay_ms = 2000;  // the first request holds the only slot for 2 s
    o.batch_wait = serve::BatchWait::always;
    RunningServer s(o);
    std::thread first([&] {
      auto c = s.client();
      const auto r = c.Post("/v1/predict", png, "image/png");
      EXPECT_TRUE(r && r->status == 200);
    });
    auto c = s.client();
    ASSERT_TRUE(test::eventually([&] {
      const auto m = c.Get("/metrics");
      return m && test::metric(m->body, "emonet_queue_depth_images") == 1;
    }));
    const auto full = c.Post("/v1/predict", png, "image/png");
    expect_error(full, 429);
    EXPECT_EQ(full->get_header_value("Retry-After"), "1");
    first.join();
  }
  {
    auto o = test::tiny_options();
    o.max_delay_ms = 3000;
    o.batch_wait = serve::BatchWait::always;
    o.timeout_ms = 200;  // shorter than the batch delay: the request gives up first
    RunningServer s(o);
    auto c = s.client();
    const auto late = c.Post("/v1/predict", png, "image/png");
    EXPECT_NE(expect_error(late, 503).find("timeout"), std::string::npos);
    EXPECT_TRUE(late->has_header("Retry-After"));
  }
}

TEST(ServerErrors, AClientThatHangsUpLosesItsQueueSlot) {
  auto o = test::tiny_options();
  o.max_delay_ms = 1000;
  o.batch_wait = serve::BatchWait::always;
  RunningServer s(o);
  const std::string png = test::slurp(test::tiny_image("a_rgb.png"));
  // A raw socket sends a whole request, then closes before the batch runs.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(std::uint16_t(s.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string req =
      "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
      "Content-Length: " +
      std::to_string(png.size()) + "\r\n\r\n" + png;
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
  auto c = s.client();
  ASSERT_TRUE(test::eventually([&] {
    const auto m = c.Get("/metrics");
    return m && test::metric(m->body, "emonet_queue_depth_images") == 1;
  }));
  ::close(fd);
  const auto r = c.Post("/v1/predict", png, "image/png");  // joins the same batch window
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(test::metric(m->body, "emonet_images_processed_total"), 1)
      << "the image of the client that hung up was scored";
}

TEST(ServerErrors, ApiKeysGuardTheApiWithOneAnswerForEveryBadKey) {
  test::TempDir tmp;
  const auto k1 = serve::generate_api_key("one"), k2 = serve::generate_api_key("two");
  std::ofstream(tmp.file("keys.txt")) << "# keys\n"
                                      << k1.hash_line << "\n\n"
                                      << k2.hash_line << "\n";
  auto o = test::tiny_options();
  o.api_keys_file = tmp.file("keys.txt");
  o.public_health = true;
  RunningServer s(o);
  auto c = s.client();
  const std::string png = test::slurp(test::tiny_image("a_rgb.png"));

  const auto none = c.Post("/v1/predict", png, "image/png");
  const std::string msg = expect_error(none, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  // One character off: the last one changed to a character it is not (a random key can
  // end in any character, so a fixed replacement would sometimes leave it unchanged).
  std::string off_by_one = k1.key;
  off_by_one.back() = off_by_one.back() == '0' ? '1' : '0';
  httplib::Headers wrong = {{"Authorization", "Bearer " + off_by_one}};
  EXPECT_EQ(expect_error(c.Post("/v1/predict", wrong, png, "image/png"), 401), msg);
  httplib::Headers basic = {{"Authorization", "Basic dXNlcjpwYXNz"}};
  EXPECT_EQ(expect_error(c.Post("/v1/predict", basic, png, "image/png"), 401), msg);
  expect_error(c.Get("/metrics"), 401);  // not made public

  for (const auto* k : {&k1, &k2}) {
    httplib::Headers good = {{"Authorization", "Bearer " + k->key}};
    const auto ok = c.Post("/v1/predict", good, png, "image/png");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
  }
  const auto health = c.Get("/health/ready");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
}

TEST(ServerErrors, CorsIsOffUnlessAnOriginIsConfigured) {
  const std::string png = test::slurp(test::tiny_image("a_rgb.png"));
  httplib::Headers from_app = {{"Origin", "https://app.example"}};
  {
    RunningServer s(test::tiny_options());
    auto c = s.client();
    const auto r = c.Post("/v1/predict", from_app, png, "image/png");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  }
  auto o = test::tiny_options();
  o.cors_origin = "https://app.example";
  RunningServer s(o);
  auto c = s.client();
  const auto r = c.Post("/v1/predict", from_app, png, "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
  httplib::Headers other = {{"Origin", "https://evil.example"}};
  const auto r2 = c.Post("/v1/predict", other, png, "image/png");
  ASSERT_TRUE(r2);
  EXPECT_FALSE(r2->has_header("Access-Control-Allow-Origin"));
  httplib::Headers preflight = {{"Origin", "https://app.example"},
                                {"Access-Control-Request-Method", "POST"},
                                {"Access-Control-Request-Headers", "authorization, content-type"}};
  const auto pre = c.Options("/v1/predict", preflight);
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  EXPECT_EQ(pre->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);
}

}  // namespace
}  // namespace emonet
