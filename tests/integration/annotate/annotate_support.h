// Test helpers for the annotation platform: a controllable clock, throwaway PostgreSQL
// clusters, image folders, an in-process server and a small cookie-keeping HTTP client.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "annotate/auth.h"
#include "annotate/server.h"
#include "annotate/store.h"
#include "support/test_paths.h"

namespace emonet::test {

// A clock the test moves by hand (milliseconds since the epoch).
struct FakeClock {
  std::shared_ptr<std::atomic<std::int64_t>> now =
      std::make_shared<std::atomic<std::int64_t>>(1'800'000'000'000);
  annotate::Clock fn() const {
    return [n = now] { return n->load(); };
  }
  void advance_s(std::int64_t seconds) { *now += seconds * 1000; }
};

inline int run_shell(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A PostgreSQL 15 cluster in a temporary folder, owned by the `postgres` user, listening
// only on a Unix socket in that folder. Started once per process; stopped at exit.
class PgCluster {
 public:
  static PgCluster& instance() {
    static PgCluster cluster;
    return cluster;
  }
  // A fresh, empty database; returns its URL.
  std::string create_database() {
    const std::string name = "emonet_test_" + std::to_string(++counter_);
    EXPECT_EQ(
        run_shell("psql -q '" + url("postgres") + "' -c 'CREATE DATABASE " + name + "' >/dev/null"),
        0);
    return url(name);
  }
  std::string url(const std::string& db) const {
    return "postgresql:///" + db + "?host=" + dir_ + "&port=" + std::to_string(port_) +
           "&user=postgres";
  }
  ~PgCluster() {
    run_shell("runuser -u postgres -- " + bin("pg_ctl") + " -D " + dir_ +
              "/data -m immediate stop >/dev/null 2>&1");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  PgCluster() {
    char tmpl[] = "/tmp/emonet-pg-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = 20000 + static_cast<int>(::getpid() % 20000);
    const std::string as_pg = "runuser -u postgres -- ";
    if (run_shell("chown postgres " + dir_) != 0 ||
        run_shell(as_pg + bin("initdb") + " -D " + dir_ + "/data -A trust -U postgres --no-sync >" +
                  dir_ + "/initdb.log 2>&1") != 0 ||
        run_shell(as_pg + bin("pg_ctl") + " -D " + dir_ + "/data -l " + dir_ + "/log -o \"-p " +
                  std::to_string(port_) + " -k " + dir_ +
                  " -c listen_addresses='' -c max_connections=200\" -w start >/dev/null") != 0) {
      throw std::runtime_error("cannot start a PostgreSQL cluster in " + dir_ +
                               " (needs root, the postgres user and PostgreSQL 15)");
    }
  }
  static std::string bin(const std::string& name) { return "/usr/lib/postgresql/15/bin/" + name; }
  std::string dir_;
  int port_ = 0;
  int counter_ = 0;
};

// `n` small files img_0000.png ... with distinct bytes (the server never decodes them).
inline void write_images(const std::filesystem::path& dir, int n) {
  std::filesystem::create_directories(dir);
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "img_%04d.png", i);
    std::ofstream(dir / name, std::ios::binary) << "\x89PNG fake image " << i;
  }
}

// An in-process server on 127.0.0.1 (free port) over a SQLite file or PostgreSQL URL.
class TestServer {
 public:
  explicit TestServer(const std::string& db, annotate::ServerOptions options = {},
                      FakeClock clock = {})
      : clock_(clock) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 8;
    store_ = std::make_unique<annotate::Store>(annotate::Database::open(db, 8));
    server_ = std::make_unique<annotate::Server>(*store_, options, clock_.fn());
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~TestServer() {
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  annotate::Store& store() { return *store_; }
  FakeClock& clock() { return clock_; }
  annotate::User add_user(const std::string& name, const std::string& password,
                          bool admin = false) {
    return store_->create_user(name, annotate::hash_password(password),
                               admin ? annotate::Role::admin : annotate::Role::expert,
                               clock_.now->load());
  }

 private:
  FakeClock clock_;
  std::unique_ptr<annotate::Store> store_;
  std::unique_ptr<annotate::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

// An HTTP client that keeps the session cookie and sends the CSRF header.
class Browser {
 public:
  explicit Browser(int port) : client_("127.0.0.1", port) {
    client_.set_read_timeout(30, 0);
    client_.set_write_timeout(30, 0);
  }
  struct Reply {
    int status = 0;
    std::string body;
    httplib::Headers headers;
    nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
    std::string header(const std::string& k) const {
      auto it = headers.find(k);
      return it == headers.end() ? std::string() : it->second;
    }
  };

  Reply login(const std::string& user, const std::string& password) {
    Reply r = post_json("/api/login", {{"username", user}, {"password", password}}, false);
    if (r.status == 200) {
      const std::string set = r.header("Set-Cookie");
      cookie_ = set.substr(0, set.find(';'));
      csrf_ = r.json()["csrf_token"].get<std::string>();
    }
    return r;
  }
  Reply get(const std::string& path, httplib::Headers extra = {}) {
    extra.emplace("Cookie", cookie_);
    return wrap(client_.Get(path.c_str(), extra));
  }
  Reply post_json(const std::string& path, const nlohmann::json& body, bool with_csrf = true) {
    return post_raw(path, body.dump(), "application/json", with_csrf ? csrf_ : std::string());
  }
  Reply post_raw(const std::string& path, const std::string& body, const std::string& type,
                 const std::string& csrf) {
    httplib::Headers h{{"Cookie", cookie_}};
    if (!csrf.empty()) h.emplace("X-CSRF-Token", csrf);
    return wrap(client_.Post(path.c_str(), h, body, type.c_str()));
  }
  const std::string& csrf() const { return csrf_; }
  const std::string& cookie() const { return cookie_; }
  // Uses a session created directly in the store (no Argon2id login per expert).
  void use_session(const std::string& token, const std::string& csrf) {
    cookie_ = "emonet_session=" + token;
    csrf_ = csrf;
  }

  // Leases the next item of a project; null JSON when nothing is left.
  nlohmann::json next(std::int64_t project, int count = 1) {
    Reply r =
        get("/api/projects/" + std::to_string(project) + "/next?count=" + std::to_string(count));
    if (r.status == 204) return nullptr;
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  Reply answer(std::int64_t project, std::int64_t item, nlohmann::json body,
               const std::string& key) {
    body["idempotency_key"] = key;
    return post_json(
        "/api/projects/" + std::to_string(project) + "/items/" + std::to_string(item) + "/answer",
        body);
  }

 private:
  static Reply wrap(const httplib::Result& res) {
    Reply r;
    if (res) {
      r.status = res->status;
      r.body = res->body;
      r.headers = res->headers;
    }
    return r;
  }
  httplib::Client client_;
  std::string cookie_;
  std::string csrf_;
};

}  // namespace emonet::test
