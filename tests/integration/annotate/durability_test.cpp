// Never lose a vote: the server runs as a child process, concurrent experts submit as fast
// as they can, the server is killed with SIGKILL mid-burst and restarted; every answer
// it acknowledged with 200 must be in the export, exactly once, and a retry of any
// acknowledged submission must be recognised as a duplicate.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>

#include "integration/annotate/annotate_support.h"

namespace emonet::test {
namespace {

using nlohmann::json;

// `emonet annotate serve` as a child; reads "listening <port>" from its stdout.
class ServerProcess {
 public:
  explicit ServerProcess(const std::string& db) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      const std::string cli = cli_path();
      ::execl(cli.c_str(), cli.c_str(), "--quiet", "annotate", "serve", "--db", db.c_str(),
              "--listen", "127.0.0.1:0", "--threads", "16", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    if (line.rfind("listening ", 0) != 0) throw std::runtime_error("server did not start: " + line);
    port_ = std::stoi(line.substr(10));
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
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

struct Ack {
  std::string user;
  std::int64_t item;
  std::string key;
  json answer;
  std::int64_t event_id;
};

TEST(Durability, EveryAcknowledgedVoteSurvivesSigkill) {
  TempDir tmp;
  const std::string db = tmp.file("annotate.sqlite");
  write_images(tmp.path() / "faces", 400);
  constexpr int kExperts = 12;
  // Users through the library (add-user reads passwords from a terminal or stdin).
  {
    annotate::Store store(annotate::Database::open(db, 1));
    for (int i = 0; i < kExperts; ++i) {
      if (!store.find_user("expert" + std::to_string(i))) {
        store.create_user("expert" + std::to_string(i),
                          annotate::hash_password("password-" + std::to_string(i)),
                          annotate::Role::expert, 1);
      }
    }
  }
  auto created = run_cli("annotate create-project burst --db '" + db + "' --images '" +
                         tmp.file("faces") + "' --overlap 3 --format json");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto pid = json::parse(created.out)["id"].get<std::int64_t>();

  auto server = std::make_unique<ServerProcess>(db);
  std::mutex mutex;
  std::vector<Ack> acks;
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kExperts; ++i) {
    threads.emplace_back([&, i] {
      Browser b(server->port());
      const std::string user = "expert" + std::to_string(i);
      if (b.login(user, "password-" + std::to_string(i)).status != 200) return;
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
  while (acked < 150) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server->kill_hard();
  stop = true;
  for (auto& t : threads) t.join();
  ASSERT_GE(acks.size(), 150u);

  // Restart on the same database: every acknowledged vote is there, once.
  server = std::make_unique<ServerProcess>(db);
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
  for (int i = 0; i < kExperts; ++i) {
    Browser b(server->port());
    ASSERT_EQ(b.login("expert" + std::to_string(i), "password-" + std::to_string(i)).status, 200);
    for (const auto& a : acks) {
      if (a.user != "expert" + std::to_string(i)) continue;
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

}  // namespace
}  // namespace emonet::test
