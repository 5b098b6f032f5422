// Store implementation: every public method is one transaction (see store.h).
#include "annotate/store.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "annotate/assignment_index.h"
#include "annotate/context.h"
#include "annotate/store_schema.h"

namespace emonet::annotate {
namespace {

constexpr std::size_t kItemCols = 13;

#define PROJECT_COLS                                                                   \
  "p.id, p.name, p.protocol, p.overlap, p.lease_seconds, p.images_dir, p.guide_json, " \
  "p.created_ms, p.item_count"

#define EVENT_COLS                                                                    \
  "e.id, e.item_id, e.user_id, u.name, i.image, i.emotion, e.answer, e.response_ms, " \
  "e.created_ms, e.kind, e.idempotency_key"

// Live leases of other experts on item $1 at time $2 (excluding user $3).
#define LIVE_LEASES                                                                        \
  "(SELECT count(*) FROM assignments l WHERE l.item_id = i.id AND l.state = 'leased' AND " \
  "l.expires_ms > $4)"

const Statement kInsertUser{"insert_user",
                            "INSERT INTO users(name, role, password_hash, created_ms) "
                            "VALUES($1, $2, $3, $4) RETURNING id"};
const Statement kFindUser{"find_user",
                          "SELECT id, name, role, password_hash FROM users WHERE name = $1"};
const Statement kUsers{"users", "SELECT id, name, role, created_ms FROM users ORDER BY id"};

const Statement kInsertSession{"insert_session",
                               "INSERT INTO sessions(token_hash, user_id, csrf_token, "
                               "created_ms, expires_ms) VALUES($1, $2, $3, $4, $5)"};
const Statement kFindSession{
    "find_session",
    "SELECT u.id, u.name, u.role, s.csrf_token, s.expires_ms FROM sessions s "
    "JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_ms > $2"};
const Statement kDeleteSession{"delete_session", "DELETE FROM sessions WHERE token_hash = $1"};
const Statement kPurgeSessions{"purge_sessions", "DELETE FROM sessions WHERE expires_ms <= $1"};

const Statement kInsertProject{
    "insert_project",
    "INSERT INTO projects(name, protocol, overlap, lease_seconds, images_dir, guide_json, "
    "created_ms) VALUES($1, $2, $3, $4, $5, $6, $7) RETURNING id"};
const Statement kProjectById{"project_by_id",
                             "SELECT " PROJECT_COLS " FROM projects p WHERE p.id = $1"};
const Statement kProjectByName{"project_by_name",
                               "SELECT " PROJECT_COLS " FROM projects p WHERE p.name = $1"};
const Statement kProjects{"projects", "SELECT " PROJECT_COLS " FROM projects p ORDER BY p.id"};
const Statement kInsertItem{
    "insert_item",
    "INSERT INTO items(project_id, pos, image, emotion, item_role, text, metadata, profiles, "
    "target_votes, max_parallel, votes, is_open) "
    "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 1)"};
const Statement kItem{"item",
                      "SELECT " ITEM_COLS " FROM items i WHERE i.id = $1 AND i.project_id = $2"};
const Statement kItemForUpdate{
    "item_for_update", "SELECT " ITEM_COLS " FROM items i WHERE i.id = $1 AND i.project_id = $2",
    "SELECT " ITEM_COLS " FROM items i WHERE i.id = $1 AND i.project_id = $2 FOR UPDATE"};
const Statement kItems{"items", "SELECT " ITEM_COLS
                                " FROM items i WHERE i.project_id = $1 "
                                "ORDER BY i.pos LIMIT $3 OFFSET $2"};
const Statement kItemsWithLeases{
    "items_with_leases",
    "SELECT " ITEM_COLS
    ", (SELECT count(*) FROM assignments l WHERE l.item_id = i.id AND l.state = 'leased' "
    "AND l.expires_ms > $4) FROM items i WHERE i.project_id = $1 ORDER BY i.pos LIMIT $3 "
    "OFFSET $2"};

const Statement kResumeLeases{
    "resume_leases",
    "SELECT a.swap, a.expires_ms, " ITEM_COLS
    " FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.user_id = $1 AND "
    "a.project_id = $2 AND a.state = 'leased' AND a.expires_ms > $3 ORDER BY i.pos LIMIT $4"};
const Statement kExtendLease{
    "extend_lease", "UPDATE assignments SET expires_ms = $1 WHERE item_id = $2 AND user_id = $3"};
// The next item user $2 may take in project $1 after position $3 at time $4.
#define CANDIDATE_WHERE                                                                    \
  " i.is_open = 1 AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND " \
  "a.user_id = $2 AND (a.state = 'done' OR (a.state = 'leased' AND a.expires_ms > $4))) "  \
  "AND " LIVE_LEASES " < i.max_parallel AND i.votes + " LIVE_LEASES " < i.target_votes"
const Statement kCandidate{
    "candidate",
    "SELECT i.id, i.pos FROM items i WHERE i.project_id = $1 AND i.pos > $3 AND " CANDIDATE_WHERE
    " ORDER BY i.pos LIMIT 1",
    "SELECT i.id, i.pos FROM items i WHERE i.project_id = $1 AND i.pos > $3 AND " CANDIDATE_WHERE
    " ORDER BY i.pos LIMIT 1 FOR UPDATE OF i SKIP LOCKED"};
// The same search waiting for locked rows instead of skipping them. SKIP LOCKED alone
// would report "nothing left" while the last item an expert may take is briefly locked
// by another transaction (e.g. a vote being written for it), and the expert would stop
// although the item still needs their vote. Rows are locked in position order, so
// waiting cannot form a cycle with another item search.
const Statement kCandidateWaiting{
    "candidate_waiting",
    "SELECT i.id, i.pos FROM items i WHERE i.project_id = $1 AND i.pos > $3 AND " CANDIDATE_WHERE
    " ORDER BY i.pos LIMIT 1",
    "SELECT i.id, i.pos FROM items i WHERE i.project_id = $1 AND i.pos > $3 AND " CANDIDATE_WHERE
    " ORDER BY i.pos LIMIT 1 FOR UPDATE OF i"};
// Re-check under the row lock with a fresh snapshot (PostgreSQL READ COMMITTED).
const Statement kRecheck{
    "recheck",
    "SELECT i.id FROM items i WHERE i.project_id = $1 AND i.id = $3 AND " CANDIDATE_WHERE};
const Statement kExpireStale{"expire_stale",
                             "UPDATE assignments SET state = 'expired' WHERE item_id = $1 AND "
                             "state = 'leased' AND expires_ms <= $2"};
const Statement kUpsertLease{
    "upsert_lease",
    "INSERT INTO assignments(item_id, user_id, project_id, state, leased_ms, expires_ms, swap) "
    "VALUES($1, $2, $3, 'leased', $4, $5, $6) ON CONFLICT(item_id, user_id) DO UPDATE SET "
    "state = 'leased', leased_ms = excluded.leased_ms, expires_ms = excluded.expires_ms, "
    "swap = excluded.swap"};
const Statement kUpsertDone{
    "upsert_done",
    "INSERT INTO assignments(item_id, user_id, project_id, state, leased_ms, expires_ms, swap) "
    "VALUES($1, $2, $3, 'done', $4, $4, 0) ON CONFLICT(item_id, user_id) DO UPDATE SET "
    "state = 'done'"};

const Statement kCloseProject{"close_project",
                              "UPDATE items SET is_open = 0 WHERE project_id = $1"};
const Statement kAnswered{"answered",
                          "SELECT count(*) FROM assignments WHERE user_id = $1 AND "
                          "project_id = $2 AND state = 'done'"};
const Statement kOpenItems{"open_items",
                           "SELECT count(*) FROM items WHERE project_id = $1 AND is_open = 1"};
const Statement kMyOpenDone{
    "my_open_done",
    "SELECT count(*) FROM assignments a JOIN items i ON i.id = a.item_id WHERE "
    "a.user_id = $2 AND a.project_id = $1 AND a.state = 'done' AND i.is_open = 1"};
const Statement kItemCount{"item_count", "SELECT item_count FROM projects WHERE id = $1"};
const Statement kSetItemCount{"set_item_count",
                              "UPDATE projects SET item_count = $2 WHERE id = $1"};
const Statement kAssignedAny{"assigned_any",
                             "SELECT 1 FROM assignments WHERE user_id = $1 AND item_id = $2"};
const Statement kAssignment{
    "assignment", "SELECT a.swap, a.expires_ms, a.state, " ITEM_COLS
                  " FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.user_id = $1 AND "
                  "i.project_id = $2 AND a.item_id = $3"};
const Statement kAssignmentState{
    "assignment_state",
    "SELECT state, expires_ms, swap FROM assignments WHERE item_id = $1 AND user_id = $2"};
const Statement kOtherLiveLeases{
    "other_live_leases",
    "SELECT count(*) FROM assignments WHERE item_id = $1 AND state = 'leased' AND "
    "expires_ms > $2 AND user_id <> $3"};

const Statement kEventByKey{"event_by_key",
                            "SELECT id, item_id, answer FROM events WHERE user_id = $1 AND "
                            "idempotency_key = $2"};
const Statement kLatestEvent{
    "latest_event",
    "SELECT id, answer FROM events WHERE project_id = $1 AND item_id = $2 AND user_id = $3 "
    "ORDER BY id DESC LIMIT 1"};
const Statement kInsertEvent{
    "insert_event",
    "INSERT INTO events(project_id, item_id, user_id, idempotency_key, answer, response_ms, "
    "created_ms, kind) VALUES($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"};
const Statement kMarkDone{"mark_done",
                          "UPDATE assignments SET state = 'done' WHERE item_id = $1 AND "
                          "user_id = $2"};
const Statement kCountVote{
    "count_vote",
    "UPDATE items SET votes = votes + 1, is_open = CASE WHEN $2 = 1 OR votes + 1 >= "
    "target_votes THEN 0 ELSE 1 END WHERE id = $1"};

const Statement kLatestAnswers{
    "latest_answers",
    "SELECT " EVENT_COLS
    " FROM events e JOIN users u ON u.id = e.user_id JOIN items i ON i.id = e.item_id "
    "WHERE e.project_id = $1 AND e.id = (SELECT max(e2.id) FROM events e2 WHERE "
    "e2.project_id = e.project_id AND e2.item_id = e.item_id AND e2.user_id = e.user_id) "
    "ORDER BY i.pos, u.name"};
const Statement kEvents{"events", "SELECT " EVENT_COLS
                                  " FROM events e JOIN users u ON u.id = e.user_id JOIN items i ON "
                                  "i.id = e.item_id WHERE e.project_id = $1 ORDER BY e.id"};
const Statement kUserEvents{"user_events",
                            "SELECT " EVENT_COLS
                            " FROM events e JOIN users u ON u.id = e.user_id JOIN items i ON "
                            "i.id = e.item_id WHERE e.project_id = $1 AND e.user_id = $2 AND "
                            "($3 < 0 OR e.item_id = $3) ORDER BY e.id"};

const Statement kExpertProgress{
    "expert_progress",
    "SELECT u.id, u.name, "
    "(SELECT count(*) FROM assignments a WHERE a.user_id = u.id AND a.project_id = $1 AND "
    "a.state = 'done'), "
    "(SELECT count(*) FROM assignments a WHERE a.user_id = u.id AND a.project_id = $1 AND "
    "a.state = 'leased' AND a.expires_ms > $2), "
    "(SELECT avg(e.response_ms) FROM events e WHERE e.user_id = u.id AND e.project_id = $1) "
    "FROM users u WHERE EXISTS (SELECT 1 FROM assignments a WHERE a.user_id = u.id AND "
    "a.project_id = $1) ORDER BY u.name"};

const Statement kInsertAudit{"insert_audit",
                             "INSERT INTO audit(user_id, action, detail, created_ms) "
                             "VALUES($1, $2, $3, $4)"};
const Statement kAudit{"audit",
                       "SELECT a.id, COALESCE(u.name, ''), a.action, a.detail, a.created_ms "
                       "FROM audit a LEFT JOIN users u ON u.id = a.user_id ORDER BY a.id DESC "
                       "LIMIT $1"};

Project project_from(const Row& r) {
  Project p;
  p.id = r.i64(0);
  p.name = r.str(1);
  p.protocol = parse_protocol(r.str(2));
  p.overlap = static_cast<int>(r.i64(3));
  p.lease_seconds = r.i64(4);
  p.images_dir = r.str(5);
  p.guide_json = r.str(6);
  p.created_ms = r.i64(7);
  p.item_count = r.i64(8);
  return p;
}

Event event_from(const Row& r) {
  Event e;
  e.id = r.i64(0);
  e.item_id = r.i64(1);
  e.user_id = r.i64(2);
  e.user_name = r.str(3);
  e.image = r.str(4);
  e.emotion = r.str(5);
  e.answer = r.str(6);
  if (!r.null(7)) e.response_ms = r.i64(7);
  e.created_ms = r.i64(8);
  e.kind = r.str(9);
  e.idempotency_key = r.str(10);
  return e;
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr std::int64_t kSessionCacheMs = 5000;

bool random_swap() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::bernoulli_distribution(0.5)(rng);
}

}  // namespace

Store::Store(std::unique_ptr<Database> db) : db_(std::move(db)) {
  db_->exec_script(schema_sql(db_->dialect()));
  if (db_->dialect() == Dialect::sqlite) {
    index_ = std::make_unique<AssignmentIndex>();
    db_->set_group_reset([index = index_.get()] { index->reset(); });
  }
}

Store::~Store() = default;

User Store::create_user(const std::string& name, const std::string& password_hash, Role role,
                        std::int64_t now_ms) {
  return db_->transact(true, [&](Connection& c) {
    if (!c.exec(kFindUser, {p(name)}).empty()) {
      throw HttpError(409, "user '" + name + "' already exists", "username");
    }
    auto rows = c.exec(kInsertUser,
                       {p(name), p(std::string(role_name(role))), p(password_hash), p(now_ms)});
    return User{rows.at(0).i64(0), name, role};
  });
}

std::optional<std::pair<User, std::string>> Store::find_user(const std::string& name) {
  return db_->transact(false, [&](Connection& c) -> std::optional<std::pair<User, std::string>> {
    auto rows = c.exec(kFindUser, {p(name)});
    if (rows.empty()) return std::nullopt;
    const auto& r = rows[0];
    return std::make_pair(User{r.i64(0), r.str(1), parse_role(r.str(2))}, r.str(3));
  });
}

std::vector<User> Store::users() {
  return db_->transact(false, [&](Connection& c) {
    std::vector<User> out;
    for (const auto& r : c.exec(kUsers, {}))
      out.push_back({r.i64(0), r.str(1), parse_role(r.str(2)), r.i64(3)});
    return out;
  });
}

User Store::ensure_user(Connection& c, const std::string& name, std::int64_t now_ms) {
  auto rows = c.exec(kFindUser, {p(name)});
  if (!rows.empty()) return {rows[0].i64(0), rows[0].str(1), parse_role(rows[0].str(2))};
  // "!" is never produced by crypto_pwhash_str, so nobody can log in as this user.
  auto ins = c.exec(kInsertUser, {p(name), p("expert"), p("!"), p(now_ms)});
  return {ins.at(0).i64(0), name, Role::expert};
}

void Store::create_session(const std::string& token_hash, std::int64_t user_id,
                           const std::string& csrf_token, std::int64_t now_ms,
                           std::int64_t expires_ms) {
  db_->transact(true, [&](Connection& c) {
    c.exec(kPurgeSessions, {p(now_ms)});
    c.exec(kInsertSession, {p(token_hash), p(user_id), p(csrf_token), p(now_ms), p(expires_ms)});
  });
}

std::optional<Session> Store::find_session(const std::string& token_hash, std::int64_t now_ms) {
  const bool cached = db_->dialect() == Dialect::sqlite;
  if (cached) {
    std::lock_guard<std::mutex> lock(session_mutex_);
    auto it = session_cache_.find(token_hash);
    if (it != session_cache_.end()) {
      if (steady_ms() - it->second.fetched_ms < kSessionCacheMs &&
          it->second.session.expires_ms > now_ms) {
        return it->second.session;
      }
      session_cache_.erase(it);
    }
  }
  auto found = db_->transact(false, [&](Connection& c) -> std::optional<Session> {
    auto rows = c.exec(kFindSession, {p(token_hash), p(now_ms)});
    if (rows.empty()) return std::nullopt;
    const auto& r = rows[0];
    return Session{User{r.i64(0), r.str(1), parse_role(r.str(2))}, r.str(3), r.i64(4)};
  });
  if (cached && found) {
    std::lock_guard<std::mutex> lock(session_mutex_);
    if (session_cache_.size() > 10000) session_cache_.clear();
    session_cache_[token_hash] = {*found, steady_ms()};
  }
  return found;
}

void Store::delete_session(const std::string& token_hash) {
  {
    std::lock_guard<std::mutex> lock(session_mutex_);
    session_cache_.erase(token_hash);
  }
  db_->transact(true, [&](Connection& c) { c.exec(kDeleteSession, {p(token_hash)}); });
  // A lookup that raced with the delete may have cached it again.
  std::lock_guard<std::mutex> lock(session_mutex_);
  session_cache_.erase(token_hash);
}

Project Store::create_project(const ProjectSpec& spec, const std::vector<NewItem>& items,
                              std::int64_t now_ms) {
  const std::int64_t id = db_->transact(true, [&](Connection& c) {
    if (!c.exec(kProjectByName, {p(spec.name)}).empty()) {
      throw HttpError(409, "project '" + spec.name + "' already exists", "name");
    }
    auto rows = c.exec(kInsertProject,
                       {p(spec.name), p(std::string(protocol_name(spec.protocol))), p(spec.overlap),
                        p(spec.lease_seconds), p(spec.images_dir), p(spec.guide_json), p(now_ms)});
    const std::int64_t pid = rows.at(0).i64(0);
    std::int64_t pos = 0;
    for (const auto& it : items) {
      c.exec(kInsertItem, {p(pid), p(pos++), p(it.image), p(it.emotion), p(it.role), p(it.text),
                           p(it.metadata.empty() ? std::string("{}") : it.metadata),
                           p(it.profiles.empty() ? std::string("{}") : it.profiles),
                           p(it.target_votes), p(it.max_parallel)});
    }
    c.exec(kSetItemCount, {p(pid), p(pos)});
    if (index_) index_->drop(pid);
    return pid;
  });
  return *project(id);
}

std::optional<Project> Store::project(std::int64_t id) {
  {
    std::lock_guard<std::mutex> lock(project_mutex_);
    auto it = project_cache_.find(id);
    if (it != project_cache_.end()) return it->second;
  }
  auto found = db_->transact(false, [&](Connection& c) -> std::optional<Project> {
    auto rows = c.exec(kProjectById, {p(id)});
    if (rows.empty()) return std::nullopt;
    return project_from(rows[0]);
  });
  if (found) {
    std::lock_guard<std::mutex> lock(project_mutex_);
    project_cache_.emplace(id, *found);
  }
  return found;
}

std::optional<Project> Store::find_project(const std::string& name) {
  return db_->transact(false, [&](Connection& c) -> std::optional<Project> {
    auto rows = c.exec(kProjectByName, {p(name)});
    if (rows.empty()) return std::nullopt;
    return project_from(rows[0]);
  });
}

std::vector<Project> Store::projects() {
  return db_->transact(false, [&](Connection& c) {
    std::vector<Project> out;
    for (const auto& r : c.exec(kProjects, {})) out.push_back(project_from(r));
    return out;
  });
}

std::optional<Item> Store::item(std::int64_t project_id, std::int64_t item_id) {
  return db_->transact(false, [&](Connection& c) -> std::optional<Item> {
    auto rows = c.exec(kItem, {p(item_id), p(project_id)});
    if (rows.empty()) return std::nullopt;
    return item_from(rows[0], 0);
  });
}

std::vector<Item> Store::items(std::int64_t project_id, std::int64_t offset, std::int64_t limit) {
  return db_->transact(false, [&](Connection& c) {
    std::vector<Item> out;
    for (const auto& r : c.exec(kItems, {p(project_id), p(offset), p(limit)})) {
      out.push_back(item_from(r, 0));
    }
    return out;
  });
}

std::vector<Lease> Store::next_items_indexed(Connection& c, std::int64_t user_id,
                                             const Project& project, int count,
                                             std::int64_t now_ms) {
  const std::int64_t expires = now_ms + project.lease_seconds * 1000;
  index_->sync(c);
  std::vector<Lease> out;
  try {
    // Resume: the expert's own live leases first, extended.
    for (auto& pick : index_->live_leases(c, project.id, user_id, count, now_ms)) {
      c.exec(kExtendLease, {p(expires), p(pick.item.id), p(user_id)});
      index_->extended(project.id, pick.item.id, user_id, expires);
      Lease l;
      l.swap = pick.swap;
      l.item = std::move(pick.item);
      l.expires_ms = expires;
      out.push_back(std::move(l));
    }
    std::size_t from = 0;
    while (static_cast<int>(out.size()) < count) {
      auto pick = index_->candidate(c, project.id, user_id, from, now_ms);
      if (!pick) break;
      from = pick->slot + 1;
      Lease l;
      l.swap = project.protocol == Protocol::compare && random_swap();
      c.exec(kExpireStale, {p(pick->item.id), p(now_ms)});
      c.exec(kUpsertLease, {p(pick->item.id), p(user_id), p(project.id), p(now_ms), p(expires),
                            p(l.swap ? 1 : 0)});
      index_->leased(project.id, pick->item.id, user_id, now_ms, expires, l.swap);
      l.item = std::move(pick->item);
      l.expires_ms = expires;
      out.push_back(std::move(l));
    }
  } catch (...) {
    // This job's savepoint is rolled back, but the index may already mirror part of it.
    index_->reset();
    throw;
  }
  return out;
}

std::vector<Lease> Store::next_items(std::int64_t user_id, const Project& project, int count,
                                     std::int64_t now_ms) {
  return db_->write_grouped(
      [&](Connection& c) { return lease_next(c, user_id, project, count, now_ms); });
}

std::vector<Lease> Store::lease_next(Connection& c, std::int64_t user_id, const Project& project,
                                     int count, std::int64_t now_ms) {
  if (index_) return next_items_indexed(c, user_id, project, count, now_ms);
  const std::int64_t expires = now_ms + project.lease_seconds * 1000;
  std::vector<Lease> out;
  // Resume: the expert's own live leases first, extended.
  for (const auto& r : c.exec(kResumeLeases, {p(user_id), p(project.id), p(now_ms), p(count)})) {
    Lease l;
    l.swap = r.i64(0) != 0;
    l.item = item_from(r, 2);
    l.expires_ms = expires;
    c.exec(kExtendLease, {p(expires), p(l.item.id), p(user_id)});
    out.push_back(std::move(l));
  }
  std::int64_t after = -1;
  while (static_cast<int>(out.size()) < count) {
    auto cand = c.exec(kCandidate, {p(project.id), p(user_id), p(after), p(now_ms)});
    if (cand.empty())
      cand = c.exec(kCandidateWaiting, {p(project.id), p(user_id), p(after), p(now_ms)});
    if (cand.empty()) break;
    const std::int64_t item_id = cand[0].i64(0);
    after = cand[0].i64(1);
    if (c.exec(kRecheck, {p(project.id), p(user_id), p(item_id), p(now_ms)}).empty()) continue;
    c.exec(kExpireStale, {p(item_id), p(now_ms)});
    Lease l;
    l.swap = project.protocol == Protocol::compare && random_swap();
    c.exec(kUpsertLease,
           {p(item_id), p(user_id), p(project.id), p(now_ms), p(expires), p(l.swap ? 1 : 0)});
    l.item = item_from(c.exec(kItem, {p(item_id), p(project.id)}).at(0), 0);
    l.expires_ms = expires;
    out.push_back(std::move(l));
  }
  return out;
}

Progress Store::progress(std::int64_t user_id, std::int64_t project_id, std::int64_t) {
  if (index_) {
    if (auto pr = index_->progress(project_id, user_id)) return *pr;
  }
  return db_->transact(false, [&](Connection& c) {
    Progress pr;
    pr.answered = c.exec(kAnswered, {p(user_id), p(project_id)}).at(0).i64(0);
    pr.open_for_me = std::max<std::int64_t>(
        0,
        open_items(c, project_id) - c.exec(kMyOpenDone, {p(project_id), p(user_id)}).at(0).i64(0));
    pr.items = c.exec(kItemCount, {p(project_id)}).at(0).i64(0);
    return pr;
  });
}

std::int64_t Store::open_items(Connection& c, std::int64_t project_id) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  {
    std::lock_guard<std::mutex> lock(open_mutex_);
    auto it = open_cache_.find(project_id);
    if (it != open_cache_.end() && now - it->second.second < 1000) return it->second.first;
  }
  const std::int64_t n = c.exec(kOpenItems, {p(project_id)}).at(0).i64(0);
  std::lock_guard<std::mutex> lock(open_mutex_);
  open_cache_[project_id] = {n, now};
  return n;
}

bool Store::assigned(std::int64_t user_id, std::int64_t item_id) {
  return db_->transact(false, [&](Connection& c) {
    return !c.exec(kAssignedAny, {p(user_id), p(item_id)}).empty();
  });
}

std::optional<Lease> Store::assignment(std::int64_t user_id, std::int64_t project_id,
                                       std::int64_t item_id) {
  return db_->transact(false, [&](Connection& c) -> std::optional<Lease> {
    auto rows = c.exec(kAssignment, {p(user_id), p(project_id), p(item_id)});
    if (rows.empty()) return std::nullopt;
    Lease l;
    l.swap = rows[0].i64(0) != 0;
    l.expires_ms = rows[0].i64(1);
    l.item = item_from(rows[0], 3);
    return l;
  });
}

SubmitResult Store::submit(const User& user, const Project& project, std::int64_t item_id,
                           const std::string& idempotency_key, const AnswerCheck& check,
                           std::optional<std::int64_t> response_ms, std::int64_t now_ms,
                           int then_lease, std::vector<Lease>* leased) {
  // The vote and the next lease are one job: one savepoint in one group commit, so the
  // expert's next item costs no second commit (and no second request).
  return db_->write_grouped([&](Connection& c) {
    SubmitResult r =
        submit_in(c, user, project, item_id, idempotency_key, check, response_ms, now_ms);
    if (then_lease > 0 && leased) *leased = lease_next(c, user.id, project, then_lease, now_ms);
    return r;
  });
}

SubmitResult Store::submit_in(Connection& c, const User& user, const Project& project,
                              std::int64_t item_id, const std::string& idempotency_key,
                              const AnswerCheck& check, std::optional<std::int64_t> response_ms,
                              std::int64_t now_ms) {
  auto items = c.exec(kItemForUpdate, {p(item_id), p(project.id)});
  if (items.empty()) throw HttpError(404, "no such item in this project");
  const Item item = item_from(items[0], 0);
  auto asg = c.exec(kAssignmentState, {p(item_id), p(user.id)});
  if (asg.empty()) throw HttpError(403, "this item is not assigned to you");
  const std::string state = asg[0].str(0);
  const std::int64_t lease_expires = asg[0].i64(1);
  const CheckedAnswer answer = check(item, asg[0].i64(2) != 0);

  auto previous = c.exec(kEventByKey, {p(user.id), p(idempotency_key)});
  if (!previous.empty()) {
    if (previous[0].i64(1) == item_id && previous[0].str(2) == answer.json) {
      return SubmitResult{previous[0].i64(0), true, false};
    }
    throw HttpError(409, "idempotency key already used for a different answer", "idempotency_key");
  }
  const Param resp = response_ms ? p(*response_ms) : p_null();
  if (state == "done") {
    auto latest = c.exec(kLatestEvent, {p(project.id), p(item_id), p(user.id)});
    if (!latest.empty() && latest[0].str(1) == answer.json) {
      return SubmitResult{latest[0].i64(0), true, false};
    }
    if (project.protocol == Protocol::binary) {
      throw HttpError(409, "binary answers are final: this item was already answered");
    }
    auto ev = c.exec(kInsertEvent, {p(project.id), p(item_id), p(user.id), p(idempotency_key),
                                    p(answer.json), resp, p(now_ms), p("edit")});
    return SubmitResult{ev.at(0).i64(0), false, true};
  }
  // A live lease, or an expired one: the vote still counts if the item needs it.
  if (state != "leased" || lease_expires <= now_ms || !item.open) {
    const std::int64_t others =
        c.exec(kOtherLiveLeases, {p(item_id), p(now_ms), p(user.id)}).at(0).i64(0);
    if (!item.open || item.votes + others >= item.target_votes || others >= item.max_parallel) {
      throw HttpError(409, "your lease on this item expired and it went to another expert");
    }
  }
  const std::int64_t event_id =
      c.exec(kInsertEvent, {p(project.id), p(item_id), p(user.id), p(idempotency_key),
                            p(answer.json), resp, p(now_ms), p("answer")})
          .at(0)
          .i64(0);
  c.exec(kMarkDone, {p(item_id), p(user.id)});
  c.exec(kCountVote, {p(item_id), p(answer.closes_item ? 1 : 0)});
  if (index_) {
    index_->sync(c);  // before mirroring: drops a stale copy instead of patching it
    index_->answered(project.id, item_id, user.id, answer.closes_item);
  }
  return SubmitResult{event_id, false, false};
}

std::vector<Event> Store::latest_answers(std::int64_t project_id) {
  return db_->transact(false, [&](Connection& c) {
    std::vector<Event> out;
    for (const auto& r : c.exec(kLatestAnswers, {p(project_id)})) out.push_back(event_from(r));
    return out;
  });
}

std::vector<Event> Store::events(std::int64_t project_id) {
  return db_->transact(false, [&](Connection& c) {
    std::vector<Event> out;
    for (const auto& r : c.exec(kEvents, {p(project_id)})) out.push_back(event_from(r));
    return out;
  });
}

std::vector<Event> Store::user_events(std::int64_t project_id, std::int64_t user_id,
                                      std::optional<std::int64_t> item_id) {
  return db_->transact(false, [&](Connection& c) {
    std::vector<Event> out;
    for (const auto& r :
         c.exec(kUserEvents, {p(project_id), p(user_id), p(item_id.value_or(-1))})) {
      out.push_back(event_from(r));
    }
    return out;
  });
}

void Store::import_answers(std::int64_t project_id, const std::vector<ImportedAnswer>& answers,
                           std::int64_t now_ms) {
  db_->transact(true, [&](Connection& c) {
    std::map<std::string, std::int64_t> user_ids;
    std::int64_t n = 0;
    for (const auto& a : answers) {
      auto it = user_ids.find(a.annotator);
      if (it == user_ids.end()) {
        it = user_ids.emplace(a.annotator, ensure_user(c, a.annotator, now_ms).id).first;
      }
      if (c.exec(kItem, {p(a.item_id), p(project_id)}).empty()) {
        throw Error("imported answer for an item outside the project");
      }
      c.exec(kUpsertDone, {p(a.item_id), p(it->second), p(project_id), p(now_ms)});
      c.exec(kInsertEvent, {p(project_id), p(a.item_id), p(it->second),
                            p("import-" + std::to_string(project_id) + "-" + std::to_string(n++)),
                            p(a.answer_json), p_null(), p(now_ms), p("import")});
      c.exec(kCountVote, {p(a.item_id), p(0)});
    }
    // Imported items are finished history: nobody is asked about them again.
    c.exec(kCloseProject, {p(project_id)});
    if (index_) index_->drop(project_id);
  });
}

std::vector<ExpertProgress> Store::expert_progress(std::int64_t project_id, std::int64_t now_ms) {
  return db_->transact(false, [&](Connection& c) {
    std::vector<ExpertProgress> out;
    for (const auto& r : c.exec(kExpertProgress, {p(project_id), p(now_ms)})) {
      ExpertProgress e;
      e.user_id = r.i64(0);
      e.name = r.str(1);
      e.answered = r.i64(2);
      e.leased = r.i64(3);
      e.mean_response_ms = r.null(4) ? 0.0 : std::stod(r.str(4));
      out.push_back(std::move(e));
    }
    return out;
  });
}

std::vector<std::pair<Item, int>> Store::item_progress(std::int64_t project_id, std::int64_t offset,
                                                       std::int64_t limit, std::int64_t now_ms) {
  return db_->transact(false, [&](Connection& c) {
    std::vector<std::pair<Item, int>> out;
    for (const auto& r :
         c.exec(kItemsWithLeases, {p(project_id), p(offset), p(limit), p(now_ms)})) {
      out.emplace_back(item_from(r, 0), static_cast<int>(r.i64(kItemCols)));
    }
    return out;
  });
}

void Store::audit(std::int64_t user_id, const std::string& action, const std::string& detail,
                  std::int64_t now_ms) {
  db_->transact(true, [&](Connection& c) {
    c.exec(kInsertAudit, {user_id > 0 ? p(user_id) : p_null(), p(action), p(detail), p(now_ms)});
  });
}

std::vector<AuditEntry> Store::audit_log(std::int64_t limit) {
  return db_->transact(false, [&](Connection& c) {
    std::vector<AuditEntry> out;
    for (const auto& r : c.exec(kAudit, {p(limit)})) {
      out.push_back({r.i64(0), r.str(1), r.str(2), r.str(3), r.i64(4)});
    }
    return out;
  });
}

}  // namespace emonet::annotate
