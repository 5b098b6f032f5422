// Several server instances on one database (two Store objects, each with its own
// connection pool) and many concurrent experts: nobody gets an item twice, no item gets
// more than k votes, every vote is stored once. SQLite here; PostgreSQL in
// integration_annotate_postgres (same source, EMONET_TEST_POSTGRES).
#include <gtest/gtest.h>

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

#ifdef EMONET_TEST_POSTGRES
INSTANTIATE_TEST_SUITE_P(Postgres, Concurrency, ::testing::Values("postgres"));
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, Concurrency, ::testing::Values("sqlite"));
#endif

}  // namespace
}  // namespace emonet::annotate
