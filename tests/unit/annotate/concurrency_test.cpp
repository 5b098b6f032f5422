// Several server instances on one database (two Store objects, each with its own
// connection pool) and many concurrent experts: nobody gets an item twice, no item gets
// more than k votes, every vote is stored once. SQLite here; PostgreSQL in
// integration_annotate_postgres (same source, EMONET_TEST_POSTGRES).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "annotate/context.h"
#include "annotate/projects.h"
#include "annotate/protocol.h"
#include "annotate/store.h"
#include "integration/annotate/annotate_support.h"

namespace emonet::annotate {
namespace {

using nlohmann::json;

class Concurrency : public ::testing::TestWithParam<std::string> {};

TEST_P(Concurrency, TwoInstancesAndManyExpertsNeverOverAssign) {
  test::TempDir tmp;
  const std::string url = GetParam() == "postgres" ? test::PgCluster::instance().create_database()
                                                   : tmp.file("annotate.sqlite");
  test::write_images(tmp.path() / "img", 40);
  Store first(Database::open(url, 8));
  Store second(Database::open(url, 8));
  ProjectSpec spec;
  spec.name = "race";
  spec.overlap = 3;
  spec.lease_seconds = 600;
  ProjectSource src;
  src.images_dir = (tmp.path() / "img").string();
  const Project p = first.create_project(spec, build_items(spec, src), 1);

  constexpr int kExperts = 12;
  std::vector<User> users;
  for (int i = 0; i < kExperts; ++i) {
    users.push_back(first.create_user("e" + std::to_string(i), "!", Role::expert, 1));
  }
  std::mutex mutex;
  std::map<std::int64_t, int> votes;  // item -> acknowledged votes
  std::vector<std::thread> threads;
  for (int i = 0; i < kExperts; ++i) {
    threads.emplace_back([&, i] {
      Store& store = i % 2 ? second : first;
      int n = 0;
      for (;;) {
        auto leases = store.next_items(users[i].id, p, 2, 1000);
        if (leases.empty()) break;
        for (const auto& l : leases) {
          const json body = {{"ratings", {{"Awe", 1 + (i + n) % 7}}}};
          auto check = [&](const Item& it, bool swap) { return check_answer(p, it, swap, body); };
          auto r = store.submit(users[i], p, l.item.id,
                                "k" + std::to_string(i) + "-" + std::to_string(n++), check,
                                std::nullopt, 1000);
          EXPECT_FALSE(r.duplicate);
          std::lock_guard<std::mutex> lock(mutex);
          ++votes[l.item.id];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(votes.size(), 40u);
  for (const auto& [item, n] : votes) EXPECT_EQ(n, 3) << "item " << item;
  const auto events = first.events(p.id);
  EXPECT_EQ(events.size(), 120u);
  std::map<std::pair<std::int64_t, std::int64_t>, int> per_pair;
  for (const auto& e : events) {
    const int seen = ++per_pair[std::make_pair(e.item_id, e.user_id)];
    EXPECT_EQ(seen, 1);
  }
}

// Group commit: concurrent submissions share transactions, and the refused ones (a 422
// all-zero form, a 409 reused idempotency key) roll back only their own savepoint. Each
// accepted answer also leases the next item in the same job (then_lease).
TEST_P(Concurrency, RefusedAnswersInAGroupDoNotFailTheOthers) {
  test::TempDir tmp;
  const std::string url = GetParam() == "postgres" ? test::PgCluster::instance().create_database()
                                                   : tmp.file("annotate.sqlite");
  test::write_images(tmp.path() / "img", 60);
  Store store(Database::open(url, 8));
  ProjectSpec spec;
  spec.name = "groups";
  spec.overlap = 2;
  spec.lease_seconds = 600;
  ProjectSource src;
  src.images_dir = (tmp.path() / "img").string();
  const Project p = store.create_project(spec, build_items(spec, src), 1);
  constexpr int kExperts = 16;
  std::vector<User> users;
  for (int i = 0; i < kExperts; ++i) {
    users.push_back(store.create_user("g" + std::to_string(i), "!", Role::expert, 1));
  }
  const GroupCommitStats before = store.db().group_stats();
  std::atomic<int> refused{0}, accepted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kExperts; ++i) {
    threads.emplace_back([&, i] {
      auto leases = store.next_items(users[i].id, p, 1, 1000);
      for (int n = 0; !leases.empty(); ++n) {
        const std::int64_t item = leases[0].item.id;
        const std::string key = "g" + std::to_string(i) + "-" + std::to_string(n);
        const json zero = {{"ratings", json::object()}};  // all zero, no_emotion false: 422
        auto check_zero = [&](const Item& it, bool swap) {
          return check_answer(p, it, swap, zero);
        };
        try {
          store.submit(users[i], p, item, key + "z", check_zero, std::nullopt, 1000);
          ADD_FAILURE() << "an all-zero form was accepted";
        } catch (const HttpError& e) {
          EXPECT_EQ(e.status(), 422);
          ++refused;
        }
        const json body = {{"ratings", {{"Awe", 1 + (i + n) % 7}}}};
        auto check = [&](const Item& it, bool swap) { return check_answer(p, it, swap, body); };
        std::vector<Lease> next;
        auto r = store.submit(users[i], p, item, key, check, std::nullopt, 1000, 1, &next);
        EXPECT_FALSE(r.duplicate);
        ++accepted;
        // The same key for a different answer: 409, and the stored vote stays.
        const json other = {{"ratings", {{"Awe", 1 + (i + n + 1) % 7}}}};
        auto check_other = [&](const Item& it, bool swap) {
          return check_answer(p, it, swap, other);
        };
        try {
          store.submit(users[i], p, item, key, check_other, std::nullopt, 1000);
          ADD_FAILURE() << "a reused idempotency key was accepted";
        } catch (const HttpError& e) {
          EXPECT_EQ(e.status(), 409);
          ++refused;
        }
        leases = std::move(next);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 120);
  EXPECT_EQ(refused.load(), 240);
  const auto events = store.events(p.id);
  EXPECT_EQ(events.size(), 120u);
  std::map<std::pair<std::int64_t, std::int64_t>, int> per_pair;
  for (const auto& e : events) EXPECT_EQ(++per_pair[std::make_pair(e.item_id, e.user_id)], 1);
  const GroupCommitStats after = store.db().group_stats();
  // 120 leases + 120 answers (with their next lease) + 240 refusals, some in shared groups.
  EXPECT_GE(after.jobs - before.jobs, 16 + 120 + 240);
  EXPECT_LT(after.batches - before.batches, after.jobs - before.jobs);
  EXPECT_GT(after.largest, 1);
  EXPECT_LE(after.largest, static_cast<std::int64_t>(Database::kMaxGroup));
}

#ifdef EMONET_TEST_POSTGRES
INSTANTIATE_TEST_SUITE_P(Postgres, Concurrency, ::testing::Values("postgres"));
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, Concurrency, ::testing::Values("sqlite"));
#endif

}  // namespace
}  // namespace emonet::annotate
