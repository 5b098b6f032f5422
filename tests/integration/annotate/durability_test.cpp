// Never lose a vote: the server runs as a child process, concurrent experts submit as fast
// as they can, the server is killed with SIGKILL mid-burst and restarted; every answer
// it acknowledged with 200 must be in the export, exactly once, and a retry of any
// acknowledged submission must be recognised as a duplicate. Once with 12 experts logging
// in over HTTP, once at full load (200 experts) where votes are group-committed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <set>

#include "integration/annotate/annotate_support.h"

namespace emonet::test {
namespace {

using nlohmann::json;

// `emonet annotate serve` as a child; reads "listening <port>" from its stdout.
class ServerProcess {
 public:
  // threads = 0: the server's default worker count.
  explicit ServerProcess(const std::string& db, int threads = 16) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    const std::string cli = cli_path(), thread_count = std::to_string(threads);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      if (threads > 0) {
        ::execl(cli.c_str(), cli.c_str(), "--quiet", "annotate", "serve", "--db", db.c_str(),
                "--listen", "127.0.0.1:0", "--threads", thread_count.c_str(),
                static_cast<char*>(nullptr));
      } else {
        ::execl(cli.c_str(), cli.c_str(), "--quiet", "annotate", "serve", "--db", db.c_str(),
                "--listen", "127.0.0.1:0", static_cast<char*>(nullptr));
      }
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
    std::string line;
    char c;
    while (::read(out_, &c, 1) == 1 && c != '\n') line += c;
    if (line.rfind("listening ", 0) != 0) throw std::runtime_error("server did not start: " + line);
    port_ = std::stoi(line.substr(10));
  }
  // SIGTERM, as an operator or a service manager stops it; returns the exit status and
  // puts the rest of its standard output in `rest`.
  int terminate(std::string& rest) {
    ::kill(pid_, SIGTERM);
    char buf[256];
    for (ssize_t n; (n = ::read(out_, buf, sizeof buf)) > 0;) rest.append(buf, n);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void kill_hard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
};

struct Ack {
  std::string user;
  std::int64_t item;
  std::string key;
  json answer;
  std::int64_t event_id;
};

std::string expert_name(int i) {
  return "expert" + std::to_string(i);
}

// Experts answer as fast as the server lets them until the server is SIGKILLed once
// `kill_after` answers were acknowledged. `sign_in(browser, i)` logs expert i in; `before_kill`
// runs just before the kill (while the burst is in full swing).
std::vector<Ack> burst_and_kill(ServerProcess& server, std::int64_t pid, int experts,
                                std::size_t kill_after,
                                const std::function<bool(Browser&, int)>& sign_in,
                                const std::function<void()>& before_kill = {},
                                const std::function<void()>& kill = {}) {
  std::mutex mutex;
  std::vector<Ack> acks;
  std::atomic<std::size_t> acked{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < experts; ++i) {
    threads.emplace_back([&, i] {
      Browser b(server.port());
      const std::string user = expert_name(i);
      if (!sign_in(b, i)) return;
      int n = 0;
      while (!stop) {
        auto r = b.get("/api/projects/" + std::to_string(pid) + "/next?count=1");
        if (r.status != 200) return;  // server gone (or nothing left)
        const auto item = r.json()["items"][0]["item_id"].get<std::int64_t>();
        const json answer = {{"ratings", {{"Anger", (i + n) % 7 + 1}}}};
        const std::string key = user + "-k" + std::to_string(n++);
        auto a = b.answer(pid, item, answer, key);
        if (a.status == 200) {
          std::lock_guard<std::mutex> lock(mutex);
          acks.push_back({user, item, key, answer, a.json()["event_id"].get<std::int64_t>()});
          ++acked;
        } else if (a.status == 0) {
          return;  // connection dropped by the kill
        }
      }
    });
  }
  // Kill while the burst is in full swing.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (acked < kill_after && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (before_kill) before_kill();
  if (kill) {
    kill();
  } else {
    server.kill_hard();
  }
  stop = true;
  for (auto& t : threads) t.join();
  return acks;
}

// After a restart on the same database: every acknowledged vote is in the export exactly
// once, and a retry of acknowledged submissions is recognised as a duplicate.
void expect_all_acknowledged_votes_stored(const std::string& db, std::int64_t pid,
                                          const std::vector<Ack>& acks, int experts,
                                          const std::function<bool(Browser&, int)>& sign_in) {
  ServerProcess server(db);
  auto exported = run_cli("annotate export burst --db '" + db + "' --as events.jsonl");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::map<std::pair<std::string, std::int64_t>, int> stored;
  std::set<std::int64_t> event_ids;
  std::istringstream lines(exported.out);
  for (std::string line; std::getline(lines, line);) {
    const json e = json::parse(line);
    ++stored[{e["annotator"].get<std::string>(), e["item_id"].get<std::int64_t>()}];
    event_ids.insert(e["event_id"].get<std::int64_t>());
  }
  for (const auto& a : acks) {
    EXPECT_EQ(stored[std::make_pair(a.user, a.item)], 1) << a.user << " item " << a.item;
    EXPECT_TRUE(event_ids.count(a.event_id)) << a.event_id;
  }
  for (const auto& [key, count] : stored) EXPECT_EQ(count, 1) << key.first << " " << key.second;

  // Retrying acknowledged submissions after the restart is idempotent.
  for (int i = 0; i < experts; ++i) {
    Browser b(server.port());
    ASSERT_TRUE(sign_in(b, i));
    for (const auto& a : acks) {
      if (a.user != expert_name(i)) continue;
      auto r = b.answer(pid, a.item, a.answer, a.key);
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_TRUE(r.json()["duplicate"].get<bool>());
      EXPECT_EQ(r.json()["event_id"], a.event_id);
      break;  // one per expert keeps the test short
    }
  }
  // The hq.csv export has one row per acknowledged (expert, item) too.
  auto hq = run_cli("annotate export burst --db '" + db + "' --as hq.csv");
  EXPECT_EQ(std::count(hq.out.begin(), hq.out.end(), '\n'), static_cast<long>(stored.size()) + 1);
}

std::int64_t create_burst_project(TempDir& tmp, const std::string& db, int images, int overlap) {
  write_images(tmp.path() / "faces", images);
  auto created =
      run_cli("annotate create-project burst --db '" + db + "' --images '" + tmp.file("faces") +
              "' --overlap " + std::to_string(overlap) + " --format json");
  EXPECT_EQ(created.exit_code, 0) << created.err;
  return json::parse(created.out)["id"].get<std::int64_t>();
}

// Users expert0..expert{n-1} plus "admin", each with a live session written straight into
// the database (n Argon2id logins would take most of a minute). Returns (token, CSRF token)
// per expert, the admin's last.
std::vector<std::pair<std::string, std::string>> insert_sessions(const std::string& db, int n) {
  std::vector<std::pair<std::string, std::string>> sessions;
  annotate::Store store(annotate::Database::open(db, 1));
  const std::string hash = annotate::hash_password("password-unused");
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::int64_t expires = now + 3600 * 1000;
  for (int i = 0; i <= n; ++i) {
    const auto user = i < n ? store.create_user(expert_name(i), hash, annotate::Role::expert, now)
                            : store.create_user("admin", hash, annotate::Role::admin, now);
    sessions.emplace_back(annotate::random_token(), annotate::random_token());
    store.create_session(annotate::sha256_hex(sessions.back().first), user.id,
                         sessions.back().second, now, expires);
  }
  return sessions;
}

// Signs expert i in with the i-th inserted session (for burst_and_kill).
std::function<bool(Browser&, int)> session_sign_in(
    const std::vector<std::pair<std::string, std::string>>& sessions) {
  return [&sessions](Browser& b, int i) {
    b.use_session(sessions.at(static_cast<std::size_t>(i)).first,
                  sessions.at(static_cast<std::size_t>(i)).second);
    return true;
  };
}

// SIGTERM (an operator, systemd, Kubernetes) stops the server cleanly in the middle of a
// burst: it exits 0, reports its group commits, and every acknowledged vote is stored once.
TEST(Durability, SigtermStopsCleanlyMidBurst) {
  TempDir tmp;
  const std::string db = tmp.file("annotate.sqlite");
  constexpr int kExperts = 32;
  const auto sessions = insert_sessions(db, kExperts);
  const std::int64_t pid = create_burst_project(tmp, db, 600, 2);
  const auto use_session = session_sign_in(sessions);
  std::vector<Ack> acks;
  int exit_code = -1;
  std::string rest;
  {
    ServerProcess server(db, 0);
    acks = burst_and_kill(server, pid, kExperts, 300, use_session, {},
                          [&] { exit_code = server.terminate(rest); });
  }
  EXPECT_EQ(exit_code, 0) << rest;
  EXPECT_NE(rest.find("stopped group_commits="), std::string::npos) << rest;
  ASSERT_GE(acks.size(), 300u);
  expect_all_acknowledged_votes_stored(db, pid, acks, kExperts, use_session);
}

TEST(Durability, EveryAcknowledgedVoteSurvivesSigkill) {
  TempDir tmp;
  const std::string db = tmp.file("annotate.sqlite");
  constexpr int kExperts = 12;
  // Users through the library (add-user reads passwords from a terminal or stdin).
  {
    annotate::Store store(annotate::Database::open(db, 1));
    for (int i = 0; i < kExperts; ++i) {
      if (!store.find_user(expert_name(i))) {
        store.create_user(expert_name(i), annotate::hash_password("password-" + std::to_string(i)),
                          annotate::Role::expert, 1);
      }
    }
  }
  const std::int64_t pid = create_burst_project(tmp, db, 400, 3);
  auto login = [](Browser& b, int i) {
    return b.login(expert_name(i), "password-" + std::to_string(i)).status == 200;
  };
  std::vector<Ack> acks;
  {
    ServerProcess server(db);
    acks = burst_and_kill(server, pid, kExperts, 150, login);
  }
  ASSERT_GE(acks.size(), 150u);
  expect_all_acknowledged_votes_stored(db, pid, acks, kExperts, login);
}

// The same guarantee at the benchmark's load: 200 experts on the server's default worker
// count, so votes and leases are group-committed (many callers per transaction and fsync)
// when the server is killed; the server's own counters show the groups.
TEST(Durability, EveryAcknowledgedVoteSurvivesSigkillUnderGroupCommitAtFullLoad) {
  TempDir tmp;
  const std::string db = tmp.file("annotate.sqlite");
  constexpr int kExperts = 200;
  const auto sessions = insert_sessions(db, kExperts);
  const std::string admin_token = sessions.back().first, admin_csrf = sessions.back().second;
  const std::int64_t pid = create_burst_project(tmp, db, 1500, 2);
  const auto use_session = session_sign_in(sessions);
  std::vector<Ack> acks;
  json group;
  {
    ServerProcess server(db, 0);
    acks = burst_and_kill(server, pid, kExperts, 1000, use_session, [&] {
      Browser admin(server.port());
      admin.use_session(admin_token, admin_csrf);
      auto r = admin.get("/api/admin/stats");
      if (r.status == 200) group = r.json()["group_commit"];
    });
  }
  ASSERT_GE(acks.size(), 1000u);
  ASSERT_TRUE(group.is_object()) << "no group-commit counters before the kill";
  // Grouping happened: some transaction served several callers, fewer commits than jobs.
  EXPECT_GT(group["largest"].get<std::int64_t>(), 1) << group.dump();
  EXPECT_LT(group["batches"].get<std::int64_t>(), group["jobs"].get<std::int64_t>())
      << group.dump();
  EXPECT_LE(group["largest"].get<std::int64_t>(), group["max_group"].get<std::int64_t>());
  expect_all_acknowledged_votes_stored(db, pid, acks, kExperts, use_session);
}

}  // namespace
}  // namespace emonet::test
