// The JSON API over real HTTP (in-process server on an ephemeral port): sessions, roles,
// CSRF, rate limiting, blind access, limits and the protocols end to end.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "annotate/projects.h"
#include "integration/annotate/annotate_support.h"

namespace emonet::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class Http : public ::testing::Test {
 protected:
  void SetUp() override {
    write_images(tmp_.path() / "faces", 4);
    annotate::ServerOptions o;
    o.images_root = tmp_.path().string();
    o.max_body = 64 * 1024;
    o.login_failures_per_account = 3;
    o.login_failures_per_ip = 6;
    server_ = std::make_unique<TestServer>(tmp_.file("annotate.sqlite"), o);
    server_->add_user("admin", "admin-password", true);
    server_->add_user("alice", "alice-password");
    server_->add_user("bob", "bob-password");
    admin_ = std::make_unique<Browser>(server_->port());
    ASSERT_EQ(admin_->login("admin", "admin-password").status, 200);
  }
  std::int64_t create(const json& body) {
    auto r = admin_->post_json("/api/admin/projects", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["project"]["id"].get<std::int64_t>();
  }
  std::unique_ptr<Browser> expert(const std::string& name) {
    auto b = std::make_unique<Browser>(server_->port());
    EXPECT_EQ(b->login(name, name + "-password").status, 200);
    return b;
  }

  TempDir tmp_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Browser> admin_;
};

TEST_F(Http, WrongPasswordThenRateLimit) {
  Browser b(server_->port());
  EXPECT_EQ(b.login("alice", "wrong-password").status, 401);
  EXPECT_EQ(b.login("nobody", "wrong-password").status, 401);
  EXPECT_EQ(b.login("alice", "wrong-password").status, 401);
  EXPECT_EQ(b.login("alice", "wrong-password").status, 401);
  // Three failures for alice: even the right password is refused for a while.
  auto r = b.login("alice", "alice-password");
  EXPECT_EQ(r.status, 429);
  EXPECT_FALSE(r.header("Retry-After").empty());
  // bob is not blocked by alice's failures...
  EXPECT_EQ(b.login("bob", "bob-password").status, 200);
  // ...until this IP's budget (6 failures) is spent too.
  for (int i = 0; i < 3; ++i) b.login("carol" + std::to_string(i), "x-password");
  EXPECT_EQ(b.login("bob", "bob-password").status, 429);
  server_->clock().advance_s(301);
  EXPECT_EQ(b.login("alice", "alice-password").status, 200);
}

TEST_F(Http, SessionCookieIsHttpOnlyAndStrict) {
  Browser b(server_->port());
  auto r = b.login("alice", "alice-password");
  const std::string cookie = r.header("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(b.get("/api/me").json()["user"]["name"], "alice");
  EXPECT_EQ(b.post_json("/api/logout", json::object()).status, 200);
  EXPECT_EQ(b.get("/api/me").status, 401);
}

TEST_F(Http, CsrfTokenIsRequiredOnEveryStateChange) {
  const auto pid = create({{"name", "p"}, {"protocol", "intensity"}, {"images", "faces"}});
  auto alice = expert("alice");
  const auto item = alice->next(pid)["items"][0]["item_id"].get<std::int64_t>();
  const std::string path =
      "/api/projects/" + std::to_string(pid) + "/items/" + std::to_string(item) + "/answer";
  const std::string body = R"({"idempotency_key":"csrf-test-1","no_emotion":true})";
  EXPECT_EQ(alice->post_raw(path, body, "application/json", "").status, 403);
  EXPECT_EQ(alice->post_raw(path, body, "application/json", "wrong-token").status, 403);
  EXPECT_EQ(alice->post_raw(path, body, "application/json", admin_->csrf()).status, 403);
  EXPECT_EQ(alice->post_raw(path, body, "text/plain", "").status, 403);
  EXPECT_EQ(alice->post_raw(path, body, "application/json", alice->csrf()).status, 200);
  // Admin writes too.
  EXPECT_EQ(admin_
                ->post_raw("/api/admin/users", R"({"username":"x","password":"long-enough-pw"})",
                           "application/json", "")
                .status,
            403);
  // A cross-site login form is refused.
  httplib::Client c("127.0.0.1", server_->port());
  auto res = c.Post("/api/login", {{"Origin", "https://evil.example"}},
                    R"({"username":"alice","password":"alice-password"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

TEST_F(Http, RolesAreEnforced) {
  auto alice = expert("alice");
  EXPECT_EQ(alice->get("/api/admin/users").status, 403);
  EXPECT_EQ(alice->get("/api/admin/audit").status, 403);
  EXPECT_EQ(alice
                ->post_json(
                    "/api/admin/users",
                    {{"username", "mallory"}, {"password", "mallory-password"}, {"role", "admin"}})
                .status,
            403);
  Browser anonymous(server_->port());
  EXPECT_EQ(anonymous.get("/api/projects").status, 401);
  EXPECT_EQ(anonymous.get("/images/1/1").status, 401);
  EXPECT_EQ(anonymous.post_json("/api/admin/users", json::object(), false).status, 401);
  // Admin actions are audited.
  EXPECT_EQ(
      admin_
          ->post_json("/api/admin/users",
                      {{"username", "carol"}, {"password", "carol-password"}, {"role", "expert"}})
          .status,
      201);
  auto audit = admin_->get("/api/admin/audit").json();
  EXPECT_EQ(audit["events"][0]["action"], "create_user");
  EXPECT_EQ(audit["events"][0]["user"], "admin");
  // The user list has the documented fields, created_ms included.
  auto users = admin_->get("/api/admin/users").json()["users"];
  ASSERT_GE(users.size(), 2u);
  bool saw_carol = false;
  for (const auto& u : users) {
    for (const char* key : {"id", "name", "role", "created_ms"})
      EXPECT_TRUE(u.contains(key)) << key;
    EXPECT_GT(u["created_ms"].get<std::int64_t>(), 0);
    saw_carol = saw_carol || u["name"] == "carol";
  }
  EXPECT_TRUE(saw_carol);
}

TEST_F(Http, ExpertsSeeOnlyTheirOwnAnswersAndAssignedImages) {
  const auto pid =
      create({{"name", "p"}, {"protocol", "intensity"}, {"images", "faces"}, {"overlap", 1}});
  auto alice = expert("alice");
  auto bob = expert("bob");
  const auto a_item = alice->next(pid)["items"][0]["item_id"].get<std::int64_t>();
  ASSERT_EQ(alice->answer(pid, a_item, {{"ratings", {{"Anger", 4}}}}, "alice-ans-1").status, 200);
  const std::string img = "/images/" + std::to_string(pid) + "/" + std::to_string(a_item);
  // bob: not assigned → no image, no answers of alice's.
  EXPECT_EQ(bob->get(img).status, 403);
  EXPECT_EQ(bob->get("/api/projects/" + std::to_string(pid) + "/items/" + std::to_string(a_item) +
                     "/my-answer")
                .status,
            403);
  auto bob_answers = bob->get("/api/projects/" + std::to_string(pid) + "/my-answers").json();
  EXPECT_TRUE(bob_answers["answers"].empty());
  EXPECT_EQ(bob->answer(pid, a_item, {{"no_emotion", true}}, "bob-steal-1").status, 403);
  // alice: her image with caching headers, her own answer.
  auto r = alice->get(img);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "image/png");
  EXPECT_EQ(r.header("Cache-Control"), "private, max-age=86400");
  ASSERT_FALSE(r.header("ETag").empty());
  EXPECT_FALSE(r.header("Last-Modified").empty());
  EXPECT_EQ(alice->get(img, {{"If-None-Match", r.header("ETag")}}).status, 304);
  auto mine = alice->get("/api/projects/" + std::to_string(pid) + "/my-answers").json();
  ASSERT_EQ(mine["answers"].size(), 1u);
  EXPECT_EQ(mine["answers"][0]["answer"]["ratings"]["Negative High-Energy Emotions|Anger"], 4);
}

TEST_F(Http, PathTraversalIsImpossible) {
  // Through the URL: only numeric ids route to images.
  EXPECT_EQ(admin_->get("/images/1/..%2F..%2Fetc%2Fpasswd").status, 404);
  EXPECT_EQ(admin_->get("/images/../../etc/passwd").status, 404);
  // Through project creation: paths must stay under --images-root.
  for (const char* bad : {"../", "/etc", "faces/../..", "faces/../../etc"}) {
    auto r = admin_->post_json("/api/admin/projects",
                               {{"name", "bad"}, {"protocol", "intensity"}, {"images", bad}});
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
  }
  // Through a symlink inside the folder pointing outside it.
  fs::create_directories(tmp_.path() / "linked");
  std::ofstream(tmp_.path() / "secret.png") << "secret";
  fs::create_symlink(tmp_.path() / "secret.png", tmp_.path() / "linked" / "evil.png");
  const auto pid = create({{"name", "linked"}, {"protocol", "intensity"}, {"images", "linked"}});
  auto alice = expert("alice");
  const auto item = alice->next(pid)["items"][0]["item_id"].get<std::int64_t>();
  EXPECT_EQ(alice->get("/images/" + std::to_string(pid) + "/" + std::to_string(item)).status, 404);
}

TEST_F(Http, OversizedBodiesAreRefused) {
  const std::string big(100 * 1024, 'x');
  auto r = admin_->post_raw("/api/admin/users", "{\"username\":\"" + big + "\"}",
                            "application/json", admin_->csrf());
  EXPECT_EQ(r.status, 413);
  // The server is still healthy afterwards.
  EXPECT_EQ(admin_->get("/api/me").status, 200);
}

TEST_F(Http, SqlMetacharactersInEveryField) {
  const std::string evil = "x'); DROP TABLE events; --\"\\%_";
  auto r = admin_->post_json("/api/admin/users",
                             {{"username", evil}, {"password", evil + "pw"}, {"role", "expert"}});
  ASSERT_EQ(r.status, 201) << r.body;
  Browser e(server_->port());
  ASSERT_EQ(e.login(evil, evil + "pw").status, 200);
  EXPECT_EQ(e.get("/api/me").json()["user"]["name"], evil);
  const auto pid = create({{"name", evil}, {"protocol", "intensity"}, {"images", "faces"}});
  EXPECT_EQ(admin_->get("/api/admin/projects").json()["projects"][0]["name"], evil);
  const auto item = e.next(pid)["items"][0]["item_id"].get<std::int64_t>();
  EXPECT_EQ(e.answer(pid, item, {{"ratings", {{evil, 3}}}}, "sql-meta-01").status, 400);
  EXPECT_EQ(e.answer(pid, item, {{"no_emotion", true}}, evil).status, 400);  // key charset
  EXPECT_EQ(
      e.answer(pid, item, {{"no_emotion", true}, {"response_ms", evil}}, "sql-meta-02").status,
      400);
  EXPECT_EQ(e.answer(pid, item, {{"no_emotion", true}}, "sql-meta-03").status, 200);
  EXPECT_EQ(e.get("/api/projects/" + std::to_string(pid) + "/next?count=" + evil).status, 400);
  auto nul = admin_->post_json("/api/admin/users",
                               {{"username", std::string("a\0b", 3)}, {"password", "password-1"}});
  EXPECT_EQ(nul.status, 400);
  // Every table is still there and the answer was stored once.
  auto csv = admin_->get("/api/admin/projects/" + std::to_string(pid) + "/export?format=hq.csv");
  EXPECT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find(evil.substr(0, 4)), std::string::npos);
}

TEST_F(Http, BinarySequentialRoutingOverHttp) {
  std::ofstream(tmp_.path() / "faces" / "design.csv")
      << "image,emotion,contrast_emotion\nimg_0000.png,Elation,Sadness\n";
  const auto pid =
      create({{"name", "bin"}, {"protocol", "binary"}, {"manifest", "faces/design.csv"}});
  server_->add_user("carol", "carol-password");
  auto alice = expert("alice"), bob = expert("bob"), carol = expert("carol");
  auto first = alice->next(pid, 2);
  ASSERT_EQ(first["items"].size(), 2u);
  EXPECT_EQ(first["items"][0]["emotion"], "Elation");
  EXPECT_EQ(first["items"][0]["role"], "target");
  EXPECT_EQ(first["items"][1]["role"], "contrast");
  const auto target = first["items"][0]["item_id"].get<std::int64_t>();
  const auto contrast = first["items"][1]["item_id"].get<std::int64_t>();
  EXPECT_TRUE(bob->next(pid).is_null());  // one expert at a time
  EXPECT_EQ(
      alice->answer(pid, target, {{"value", true}, {"response_ms", 900}}, "bin-a-target").status,
      200);
  EXPECT_EQ(alice->answer(pid, contrast, {{"value", true}}, "bin-a-contrast").status, 200);
  EXPECT_TRUE(alice->next(pid).is_null());  // never the same expert twice
  auto b = bob->next(pid);
  ASSERT_FALSE(b.is_null());
  ASSERT_EQ(b["items"].size(), 1u);  // the contrast item had its single vote
  EXPECT_EQ(b["items"][0]["item_id"], target);
  EXPECT_EQ(bob->answer(pid, target, {{"value", false}}, "bin-b-target").status, 200);
  EXPECT_TRUE(carol->next(pid).is_null());  // a No ends the item
  auto outcomes = admin_->get("/api/admin/projects/" + std::to_string(pid) + "/agreement").json();
  EXPECT_EQ(outcomes["outcomes"]["1-1"], 1);
  EXPECT_EQ(outcomes["outcomes"]["1:Yes"], 1);
  auto csv =
      admin_->get("/api/admin/projects/" + std::to_string(pid) + "/export?format=binary.csv");
  EXPECT_EQ(csv.body,
            "path,annotator,value,emotion\nimg_0000.png,alice,True,Elation\n"
            "img_0000.png,alice,True,Sadness\nimg_0000.png,bob,False,Elation\n");
}

TEST_F(Http, LeasesExpireOverHttp) {
  const auto pid = create({{"name", "lease"},
                           {"protocol", "intensity"},
                           {"images", "faces"},
                           {"overlap", 1},
                           {"lease_seconds", 60}});
  auto alice = expert("alice"), bob = expert("bob");
  EXPECT_EQ(alice->next(pid, 5)["items"].size(), 4u);
  EXPECT_TRUE(bob->next(pid).is_null());
  server_->clock().advance_s(61);
  auto b = bob->next(pid, 5);
  ASSERT_FALSE(b.is_null());
  EXPECT_EQ(b["items"].size(), 4u);
}

TEST_F(Http, IdempotentResubmission) {
  const auto pid = create({{"name", "idem"}, {"protocol", "intensity"}, {"images", "faces"}});
  auto alice = expert("alice");
  const auto item = alice->next(pid)["items"][0]["item_id"].get<std::int64_t>();
  const json answer = {{"ratings", {{"Awe", 2}, {"Interest", 5}}}};
  auto r1 = alice->answer(pid, item, answer, "same-key-123");
  auto r2 = alice->answer(pid, item, answer, "same-key-123");
  ASSERT_EQ(r1.status, 200);
  ASSERT_EQ(r2.status, 200);
  EXPECT_EQ(r1.json()["event_id"], r2.json()["event_id"]);
  EXPECT_FALSE(r1.json()["duplicate"].get<bool>());
  EXPECT_TRUE(r2.json()["duplicate"].get<bool>());
  EXPECT_EQ(alice->answer(pid, item, {{"ratings", {{"Awe", 3}}}}, "same-key-123").status, 409);
  auto events =
      admin_->get("/api/admin/projects/" + std::to_string(pid) + "/export?format=events.jsonl");
  EXPECT_EQ(std::count(events.body.begin(), events.body.end(), '\n'), 1);
}

TEST_F(Http, AnswerCanLeaseTheNextItem) {
  const auto pid = create({{"name", "chain"}, {"protocol", "intensity"}, {"images", "faces"}});
  auto alice = expert("alice");
  auto item = alice->next(pid)["items"][0]["item_id"].get<std::int64_t>();
  std::set<std::int64_t> seen{item};
  for (int n = 0; n < 4; ++n) {
    json body = {{"ratings", {{"Awe", 2}}}, {"next", 1}};
    auto r = alice->answer(pid, item, body, "chain-key-" + std::to_string(n));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(r.json()["duplicate"].get<bool>());
    const json next = r.json()["next"]["items"];
    ASSERT_TRUE(next.is_array()) << r.body;
    if (n == 3) {
      EXPECT_TRUE(next.empty()) << "4 images, all answered";
      break;
    }
    ASSERT_EQ(next.size(), 1u) << r.body;
    item = next[0]["item_id"].get<std::int64_t>();
    EXPECT_TRUE(seen.insert(item).second) << "item " << item << " leased twice";
  }
  // A refused answer leases nothing; a bad "next" is a 400 naming the field.
  auto zero = alice->answer(pid, item, {{"ratings", json::object()}, {"next", 1}}, "chain-zero-1");
  EXPECT_EQ(zero.status, 422);
  EXPECT_FALSE(zero.json().contains("next"));
  auto bad = alice->answer(pid, item, {{"ratings", {{"Awe", 1}}}, {"next", 9}}, "chain-bad-1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("next"), std::string::npos);
  // Group-commit counters (admin only).
  EXPECT_EQ(alice->get("/api/admin/stats").status, 403);
  auto stats = admin_->get("/api/admin/stats");
  ASSERT_EQ(stats.status, 200);
  EXPECT_GE(stats.json()["group_commit"]["jobs"].get<std::int64_t>(), 5);
}

TEST_F(Http, AdminViews) {
  const auto pid =
      create({{"name", "views"}, {"protocol", "intensity"}, {"images", "faces"}, {"overlap", 2}});
  auto alice = expert("alice"), bob = expert("bob");
  for (auto* who : {alice.get(), bob.get()}) {
    auto items = who->next(pid, 4)["items"];
    int k = 0;
    for (const auto& it : items) {
      const int v = (who == alice.get()) ? k % 8 : (k * 3) % 8;
      json body =
          v ? json{{"ratings", {{"Anger", v}, {"Fear", 7 - v}}}} : json{{"ratings", {{"Fear", 7}}}};
      EXPECT_EQ(
          who->answer(pid, it["item_id"], body,
                      "views-" + who->get("/api/me").json()["user"]["name"].get<std::string>() +
                          std::to_string(k))
              .status,
          200);
      ++k;
    }
  }
  auto progress = admin_->get("/api/admin/projects/" + std::to_string(pid) + "/progress").json();
  ASSERT_EQ(progress["experts"].size(), 2u);
  EXPECT_EQ(progress["experts"][0]["answered"], 4);
  EXPECT_EQ(progress["items"]["complete"], 4);
  auto agreement = admin_->get("/api/admin/projects/" + std::to_string(pid) + "/agreement").json();
  EXPECT_EQ(agreement["kind"], "intensity");
  EXPECT_EQ(agreement["items_with_2plus"], 4);
  EXPECT_TRUE(agreement["alpha"]["value"].is_number());
  auto worst =
      admin_->get("/api/admin/projects/" + std::to_string(pid) + "/disagreement?limit=2").json();
  EXPECT_EQ(worst["items"].size(), 2u);
  EXPECT_GE(worst["items"][0]["spread"].get<double>(), worst["items"][1]["spread"].get<double>());
}

}  // namespace
}  // namespace emonet::test
