// The store's assignment and voting rules, run against SQLite (unit_annotate) and, compiled
// with EMONET_TEST_POSTGRES, against a throwaway PostgreSQL cluster.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "annotate/context.h"
#include "annotate/exchange.h"
#include "annotate/projects.h"
#include "annotate/protocol.h"
#include "annotate/store.h"
#include "emonet/csv.h"
#include "emonet/pydict.h"
#include "emonet/taxonomy.h"
#include "integration/annotate/annotate_support.h"

namespace emonet::annotate {
namespace {

using nlohmann::json;
using test::FakeClock;

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = GetParam() == "postgres" ? test::PgCluster::instance().create_database()
                                    : tmp_.file("annotate.sqlite");
    store_ = std::make_unique<Store>(Database::open(url_, 4));
    test::write_images(tmp_.path() / "img", 6);
  }
  std::int64_t now() const { return clock_.now->load(); }

  User user(const std::string& name) { return store_->create_user(name, "!", Role::expert, now()); }
  Project intensity(int overlap, std::int64_t lease_seconds = 60) {
    ProjectSpec spec;
    spec.name = "hq-" + std::to_string(++projects_);
    spec.overlap = overlap;
    spec.lease_seconds = lease_seconds;
    ProjectSource src;
    src.images_dir = (tmp_.path() / "img").string();
    return store_->create_project(spec, build_items(spec, src), now());
  }
  Project binary(const std::string& manifest_text) {
    const std::string manifest = tmp_.file("img/manifest" + std::to_string(projects_) + ".csv");
    std::ofstream(manifest) << manifest_text;
    ProjectSpec spec;
    spec.name = "bin-" + std::to_string(++projects_);
    spec.protocol = Protocol::binary;
    spec.lease_seconds = 60;
    ProjectSource src;
    src.manifest = manifest;
    return store_->create_project(spec, build_items(spec, src), now());
  }
  std::vector<std::int64_t> next_ids(const User& u, const Project& p, int count = 1) {
    std::vector<std::int64_t> ids;
    for (const auto& l : store_->next_items(u.id, p, count, now())) ids.push_back(l.item.id);
    return ids;
  }
  SubmitResult submit(const User& u, const Project& p, std::int64_t item, const json& body,
                      const std::string& key) {
    auto check = [&](const Item& it, bool swap) { return check_answer(p, it, swap, body); };
    return store_->submit(u, p, item, key, check, 1234, now());
  }
  static json rating(const std::string& emotion, int value) {
    return {{"ratings", {{emotion, value}}}, {"no_emotion", false}};
  }
  int status_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const HttpError& e) {
      return e.status();
    }
    return 200;
  }

  test::TempDir tmp_;
  FakeClock clock_;
  std::string url_;
  std::unique_ptr<Store> store_;
  int projects_ = 0;
};

TEST_P(StoreTest, OverlapHandsEachItemToKExpertsAndNeverTwiceToOne) {
  const Project p = intensity(/*overlap=*/2);
  ASSERT_EQ(p.item_count, 6);
  User a = user("a"), b = user("b"), c = user("c");
  EXPECT_EQ(next_ids(a, p, 5).size(), 5u);
  EXPECT_EQ(next_ids(b, p, 5).size(), 5u);
  // Items 1..5 have two live leases: c only gets the sixth.
  auto c_ids = next_ids(c, p, 5);
  ASSERT_EQ(c_ids.size(), 1u);
  // a answers everything it holds; it is never offered those items again.
  for (auto id : next_ids(a, p, 5))
    submit(a, p, id, rating("Anger", 3), "key-a-" + std::to_string(id));
  auto again = next_ids(a, p, 5);
  ASSERT_EQ(again.size(), 1u);  // only the sixth item, which c and nobody else holds
  EXPECT_EQ(again[0], c_ids[0]);
  EXPECT_EQ(store_->progress(a.id, p.id, now()).answered, 5);
}

// Progress and the assignment rules after answers, lease expiry and restarts (on SQLite
// the Store mirrors the assignment state in memory and rebuilds it from the database).
TEST_P(StoreTest, AssignmentStateIsExactAfterExpiryAndRestart) {
  const Project p = intensity(/*overlap=*/2, /*lease_seconds=*/30);  // 6 items, 2 votes each
  const auto all = store_->items(p.id, 0, 10);
  ASSERT_EQ(all.size(), 6u);
  std::vector<std::int64_t> id;
  for (const auto& it : all) id.push_back(it.id);
  User a = user("a"), b = user("b"), c = user("c");
  EXPECT_EQ(next_ids(a, p, 3), (std::vector<std::int64_t>{id[0], id[1], id[2]}));
  submit(a, p, id[0], rating("Anger", 3), "state-a-0001");
  submit(a, p, id[1], rating("Anger", 3), "state-a-0002");
  EXPECT_EQ(next_ids(b, p, 2), (std::vector<std::int64_t>{id[0], id[1]}));
  submit(b, p, id[0], rating("Fear", 2), "state-b-0001");  // item 0 has its 2 votes: closed
  auto check = [&](const User& u, std::int64_t answered, std::int64_t open_for_me) {
    const Progress pr = store_->progress(u.id, p.id, now());
    EXPECT_EQ(pr.answered, answered) << u.name;
    // PostgreSQL caches the project's open-item count for a second (store.h).
    if (GetParam() == "sqlite") {
      EXPECT_EQ(pr.open_for_me, open_for_me) << u.name;
    }
    EXPECT_EQ(pr.items, 6) << u.name;
  };
  check(a, 2, 4);  // open: items 1..5; a answered item 1
  check(b, 1, 5);
  clock_.advance_s(31);  // a's lease on item 2 and b's on item 1 run out
  store_ = std::make_unique<Store>(Database::open(url_, 4));  // restart
  check(a, 2, 4);
  check(b, 1, 5);
  // Expired leases no longer count: c gets items 1 (1 vote) and 2, then 3.
  EXPECT_EQ(next_ids(c, p, 3), (std::vector<std::int64_t>{id[1], id[2], id[3]}));
  // a may take item 2 again (its own lease expired); item 1 it answered.
  EXPECT_EQ(next_ids(a, p, 1), (std::vector<std::int64_t>{id[2]}));
  // Items 1 and 2 are full (vote + lease, two leases): b gets item 3.
  EXPECT_EQ(next_ids(b, p, 1), (std::vector<std::int64_t>{id[3]}));
  // b's late vote on item 1 is refused: its lease expired and c holds the last place.
  EXPECT_EQ(status_of([&] { submit(b, p, id[1], rating("Fear", 2), "state-b-0002"); }), 409);
  submit(c, p, id[1], rating("Anger", 4), "state-c-0001");  // item 1 closed
  check(c, 1, 4);
  store_ = std::make_unique<Store>(Database::open(url_, 4));  // restart again
  check(a, 2, 4);
  check(c, 1, 4);
  // The leases survive the restart: everyone resumes what they hold.
  EXPECT_EQ(next_ids(a, p, 1), (std::vector<std::int64_t>{id[2]}));
  EXPECT_EQ(next_ids(c, p, 2), (std::vector<std::int64_t>{id[2], id[3]}));
  EXPECT_EQ(next_ids(b, p, 1), (std::vector<std::int64_t>{id[3]}));
}

// Imported answers close the project's items: nobody is handed them afterwards, even
// when the assignment state was already in use (loaded) before the import.
TEST_P(StoreTest, ImportClosesItemsThatWereInUse) {
  const Project p = intensity(/*overlap=*/2);
  User a = user("a"), b = user("b");
  const auto a_ids = next_ids(a, p, 1);
  ASSERT_EQ(a_ids.size(), 1u);
  store_->import_answers(p.id, {{a_ids[0], "imported-expert", R"({"ratings":{}})"}}, now());
  EXPECT_TRUE(next_ids(b, p, 5).empty());
  EXPECT_EQ(store_->progress(b.id, p.id, now()).open_for_me, 0);
  // a still holds its lease (resume) and its vote counts; the item stays closed for others.
  EXPECT_EQ(next_ids(a, p, 5), a_ids);
}

TEST_P(StoreTest, ResumeReturnsTheSameLease) {
  const Project p = intensity(1);
  User a = user("a");
  auto first = next_ids(a, p);
  auto second = next_ids(a, p);
  EXPECT_EQ(first, second);
}

TEST_P(StoreTest, ExpiredLeaseReturnsTheItemToThePool) {
  const Project p = intensity(1, /*lease_seconds=*/30);
  User a = user("a"), b = user("b");
  auto a_ids = next_ids(a, p, 6);
  ASSERT_EQ(a_ids.size(), 6u);
  EXPECT_TRUE(next_ids(b, p).empty());
  clock_.advance_s(31);
  auto b_ids = next_ids(b, p);
  ASSERT_EQ(b_ids.size(), 1u);
  EXPECT_EQ(b_ids[0], a_ids[0]);
  // a's lease on it expired and b holds it now: a's late vote is refused...
  EXPECT_EQ(status_of([&] { submit(a, p, a_ids[0], rating("Fear", 2), "late-a-0001"); }), 409);
  // ...but a late vote on an item nobody took still counts.
  EXPECT_EQ(submit(a, p, a_ids[1], rating("Fear", 2), "late-a-0002").duplicate, false);
}

TEST_P(StoreTest, BinaryVotesAreSequentialAndANoEndsTheItem) {
  const Project p = binary(
      "image,emotion,contrast_emotion\nimg_0000.png,Anger,Contentment\n"
      "img_0001.png,Fear,Pleasure/Ecstasy\n");
  ASSERT_EQ(p.item_count, 4);  // target + contrast per image
  User a = user("a"), b = user("b"), c = user("c"), d = user("d");
  const auto items = store_->items(p.id, 0, 10);
  const auto target0 = items[0].id, contrast0 = items[1].id, target1 = items[2].id;
  EXPECT_EQ(items[0].role, "target");
  EXPECT_EQ(items[1].role, "contrast");

  // a takes all four; nobody else may hold them at the same time (one vote at a time).
  ASSERT_EQ(next_ids(a, p, 4).size(), 4u);
  EXPECT_TRUE(next_ids(b, p, 4).empty());
  submit(a, p, target0, {{"value", true}}, "a-target0");
  submit(a, p, contrast0, {{"value", false}}, "a-contr0");
  submit(a, p, target1, {{"value", false}}, "a-target1");
  // target0 (Yes) goes to a different expert; target1 (No) and contrast0 are finished.
  auto b_ids = next_ids(b, p, 4);
  ASSERT_EQ(b_ids.size(), 1u);
  EXPECT_EQ(b_ids[0], target0);
  EXPECT_TRUE(next_ids(a, p, 4).size() == 1u);  // a still holds the 4th item only
  submit(b, p, target0, {{"value", true}}, "b-target0");
  auto c_ids = next_ids(c, p, 4);
  ASSERT_FALSE(c_ids.empty());
  EXPECT_EQ(c_ids[0], target0);
  submit(c, p, target0, {{"value", false}}, "c-target0");
  // Three votes: closed, even though one was a No.
  for (auto id : next_ids(d, p, 4)) EXPECT_NE(id, target0);
  auto item = store_->item(p.id, target0);
  EXPECT_EQ(item->votes, 3);
  EXPECT_FALSE(item->open);
  EXPECT_FALSE(store_->item(p.id, target1)->open);
  EXPECT_EQ(store_->item(p.id, target1)->votes, 1);
}

TEST_P(StoreTest, SubmissionsAreIdempotentAndEditsKeepHistory) {
  const Project p = intensity(1);
  User a = user("a");
  auto id = next_ids(a, p).at(0);
  auto first = submit(a, p, id, rating("Anger", 3), "idem-key-1");
  auto again = submit(a, p, id, rating("Anger", 3), "idem-key-1");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.event_id, first.event_id);
  EXPECT_EQ(status_of([&] { submit(a, p, id, rating("Anger", 4), "idem-key-1"); }), 409);
  auto edit = submit(a, p, id, rating("Anger", 5), "idem-key-2");
  EXPECT_TRUE(edit.edit);
  EXPECT_EQ(store_->events(p.id).size(), 2u);
  auto latest = store_->latest_answers(p.id);
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(intensity_ratings(latest[0].answer)[lookup("Anger").index], 5);
  EXPECT_EQ(store_->item(p.id, id)->votes, 1);  // an edit is not a second vote
}

TEST_P(StoreTest, BinaryAnswersAreFinal) {
  const Project p = binary("image,emotion\nimg_0000.png,Awe\n");
  User a = user("a");
  auto id = next_ids(a, p).at(0);
  submit(a, p, id, {{"value", true}}, "final-0001");
  EXPECT_TRUE(submit(a, p, id, {{"value", true}}, "final-0002").duplicate);
  EXPECT_EQ(status_of([&] { submit(a, p, id, {{"value", false}}, "final-0003"); }), 409);
}

TEST_P(StoreTest, UnassignedItemsCannotBeAnswered) {
  const Project p = intensity(1);
  User a = user("a"), b = user("b");
  auto id = next_ids(a, p).at(0);
  EXPECT_EQ(status_of([&] { submit(b, p, id, rating("Anger", 1), "not-mine-01"); }), 403);
  EXPECT_FALSE(store_->assigned(b.id, id));
  EXPECT_TRUE(store_->assigned(a.id, id));
}

TEST_P(StoreTest, IntensityFormRules) {
  const Project p = intensity(1);
  User a = user("a");
  auto id = next_ids(a, p).at(0);
  EXPECT_EQ(status_of([&] { submit(a, p, id, {{"ratings", json::object()}}, "zero-form1"); }), 422);
  EXPECT_EQ(status_of([&] {
              submit(a, p, id, {{"ratings", {{"Anger", 1}}}, {"no_emotion", true}}, "zero-form2");
            }),
            422);
  EXPECT_EQ(status_of([&] { submit(a, p, id, rating("Anger", 8), "zero-form3"); }), 400);
  EXPECT_EQ(status_of([&] {
              submit(a, p, id, rating("Anger'; DROP TABLE events; --", 1), "zero-form4");
            }),
            400);
  EXPECT_EQ(status_of([&] { submit(a, p, id, {{"no_emotion", true}}, "zero-form5"); }), 200);
}

TEST_P(StoreTest, SqlMetacharactersAreJustData) {
  const std::string evil = "Robert'); DROP TABLE users; -- \"%_\\";
  User u = store_->create_user(evil, "!", Role::expert, now());
  auto found = store_->find_user(evil);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->first.id, u.id);
  EXPECT_EQ(found->first.name, evil);
  EXPECT_FALSE(store_->find_user("Robert").has_value());
  EXPECT_EQ(store_->users().size(), 1u);
}

TEST_P(StoreTest, HqExportHasAll40KeysInTheAuthorsFormat) {
  const Project p = intensity(2);
  User a = user("human-1"), b = user("human-2");
  for (auto id : next_ids(a, p, 2))
    submit(a, p, id, rating("Jealousy & Envy", 6), "hq-a-" + std::to_string(id));
  for (auto id : next_ids(b, p, 1))
    submit(b, p, id, {{"no_emotion", true}}, "hq-b-" + std::to_string(id));
  const std::string text = export_project(*store_, p, "hq.csv");
  CsvReader reader(text, "hq.csv");
  EXPECT_EQ(reader.read_header(),
            (std::vector<std::string>{"image", "annotator", "human", "annotations"}));
  CsvRecord rec;
  int rows = 0;
  while (reader.next(rec)) {
    ++rows;
    EXPECT_EQ(rec[2], "True");
    const auto dict = parse_python_dict(rec[3]);
    ASSERT_EQ(dict.size(), kNumEmotions);
    for (std::size_t i = 0; i < kNumEmotions; ++i) EXPECT_EQ(dict[i].first, emotions()[i].hq_key);
    const double envy = dict[lookup("Jealousy & Envy").index].second;
    EXPECT_EQ(envy, rec[1] == "human-1" ? 6.0 : 0.0);
  }
  EXPECT_EQ(rows, 3);
}

TEST_P(StoreTest, CompareRecordsThePickedSourceWhateverTheSide) {
  const std::string manifest = tmp_.file("img/compare.jsonl");
  std::ofstream(manifest)
      << R"({"image": "img_0000.png", "sources": {"human-median": {"Anger": 5}, "model": {"Fear": 4}}})"
      << "\n";
  ProjectSpec spec;
  spec.name = "cmp";
  spec.protocol = Protocol::compare;
  spec.overlap = 40;
  ProjectSource src;
  src.manifest = manifest;
  const Project p = store_->create_project(spec, build_items(spec, src), now());
  int swapped = 0;
  for (int i = 0; i < 40; ++i) {
    User u = user("e" + std::to_string(i));
    auto leases = store_->next_items(u.id, p, 1, now());
    ASSERT_EQ(leases.size(), 1u);
    const json shown = item_json(p, leases[0].item, leases[0].swap, 0);
    const std::string left_top = shown["left"]["emotions"][0]["emotion"];
    swapped += leases[0].swap;
    submit(u, p, leases[0].item.id, {{"pick", "left"}}, "cmp-pick-" + std::to_string(i));
    const auto mine = store_->user_events(p.id, u.id, leases[0].item.id);
    ASSERT_EQ(mine.size(), 1u);
    const json stored = json::parse(mine[0].answer);
    EXPECT_EQ(stored["source"], left_top == "Anger" ? "human-median" : "model");
  }
  // Sides are randomised: both orders occur (probability of failure 2 * 0.5^40).
  EXPECT_GT(swapped, 0);
  EXPECT_LT(swapped, 40);
}

#ifndef EMONET_TEST_POSTGRES
// An intensity project of `images` items, one expert per item, in `store`.
Project single_overlap_project(Store& store, const test::TempDir& tmp, int images,
                               std::int64_t now) {
  test::write_images(tmp.path() / "img", images);
  ProjectSpec spec;
  spec.name = "sqlite";
  spec.overlap = 1;
  ProjectSource src;
  src.images_dir = (tmp.path() / "img").string();
  return store.create_project(spec, build_items(spec, src), now);
}

// A second process on the same SQLite file (here: a second Store with its own
// connections) leases items; this Store must see those leases before handing out more.
TEST(StoreSqlite, LeasesTakenByAnotherProcessAreRespected) {
  test::TempDir tmp;
  FakeClock clock;
  const std::int64_t now = clock.now->load();
  const std::string url = tmp.file("annotate.sqlite");
  Store first(Database::open(url, 4));
  const Project p = single_overlap_project(first, tmp, 6, now);
  const User a = first.create_user("a", "!", Role::expert, now);
  const User b = first.create_user("b", "!", Role::expert, now);
  const User c = first.create_user("c", "!", Role::expert, now);
  ASSERT_EQ(first.next_items(a.id, p, 1, now).size(), 1u);  // first's state is in use
  Store second(Database::open(url, 4));
  EXPECT_EQ(second.next_items(b.id, p, 5, now).size(), 5u);  // the five other items
  EXPECT_TRUE(first.next_items(c.id, p, 5, now).empty());
  // An item the other process answered is closed here too.
  const auto held = second.next_items(b.id, p, 1, now);
  ASSERT_EQ(held.size(), 1u);
  auto check = [&](const Item& it, bool swap) {
    return check_answer(p, it, swap, {{"ratings", {{"Anger", 3}}}, {"no_emotion", false}});
  };
  second.submit(b, p, held[0].item.id, "other-process-1", check, 10, now);
  clock.advance_s(p.lease_seconds + 1);
  const std::int64_t later = clock.now->load();
  const auto c_ids = first.next_items(c.id, p, 6, later);
  EXPECT_EQ(c_ids.size(), 5u);  // every item but the answered one
  for (const auto& l : c_ids) EXPECT_NE(l.item.id, held[0].item.id);
}

// Commits only append to the WAL (no commit pays for copying it back); the background
// checkpointer must still bring acknowledged votes into the database file itself while
// the server runs, so a copy of that file alone (a naive backup) holds them.
TEST(StoreSqlite, VotesReachTheDatabaseFileWhileTheServerRuns) {
  test::TempDir tmp;
  FakeClock clock;
  const std::int64_t now = clock.now->load();
  const std::string url = tmp.file("annotate.sqlite");
  Store store(Database::open(url, 4));
  const Project p = single_overlap_project(store, tmp, 3, now);
  const User a = store.create_user("a", "!", Role::expert, now);
  auto check = [&](const Item& it, bool swap) {
    return check_answer(p, it, swap, {{"ratings", {{"Anger", 3}}}, {"no_emotion", false}});
  };
  const auto leases = store.next_items(a.id, p, 3, now);
  ASSERT_EQ(leases.size(), 3u);
  for (const auto& l : leases)
    store.submit(a, p, l.item.id, "vote-" + std::to_string(l.item.id), check, 10, now);

  std::size_t in_file = 0;
  for (int attempt = 0; attempt < 50 && in_file < 3; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string copy = tmp.file("copy-" + std::to_string(attempt) + ".sqlite");
    std::filesystem::copy_file(url, copy);  // the main file only, no -wal
    Store reader(Database::open(copy, 1));
    in_file = reader.events(p.id).size();
  }
  EXPECT_EQ(in_file, 3u) << "votes stayed in the WAL instead of reaching the database file";
}
#endif

#ifdef EMONET_TEST_POSTGRES
INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest, ::testing::Values("postgres"));
#else
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values("sqlite"));
#endif

}  // namespace
}  // namespace emonet::annotate
