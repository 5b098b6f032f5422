// Store: everything the annotation platform persists, on SQLite or PostgreSQL.
//
// Tables: users, sessions (token hashes only), projects, items, assignments (one row per
// expert and item: a lease while working, `done` once answered), events (append-only
// answers; edits are new rows, the latest per expert and item counts), audit (admin
// actions). Assignment rules, enforced in one transaction per call:
//   - an expert never holds or answers the same item twice;
//   - an item is handed out while votes + live leases < target_votes and
//     live leases < max_parallel (binary items: 1, so votes are sequential);
//   - leases expire: an expired lease no longer counts, so the item returns to the pool;
//   - next_items() first returns the expert's live leases (resume), then new items in
//     project order.
// Thread-safe: every method runs in its own transaction on a pooled connection; several
// processes may share one PostgreSQL database (row locks, SKIP LOCKED) or one SQLite file
// (BEGIN IMMEDIATE).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "annotate/db.h"
#include "annotate/types.h"

namespace emonet::annotate {

struct ProjectSpec {
  std::string name;
  Protocol protocol = Protocol::intensity;
  int overlap = 1;                   // experts per item (intensity, compare)
  std::int64_t lease_seconds = 900;  // how long a handed-out item stays reserved
  std::string images_dir;            // absolute folder the item images live in
  std::string guide_json;            // the authors' guide.json text, "" if none
};

struct Project : ProjectSpec {
  std::int64_t id = 0;
  std::int64_t created_ms = 0;
  std::int64_t item_count = 0;
};

struct NewItem {
  std::string image;     // path relative to the project's images_dir
  std::string emotion;   // binary: display name of the emotion asked about
  std::string role;      // binary: "target" or "contrast"
  std::string text;      // binary: text shown with the question ("" = derive)
  std::string metadata;  // JSON object from the manifest ("{}" if none)
  std::string profiles;  // compare: JSON {"sources": [{"name", "ratings": {key: v}}, x2]}
  int target_votes = 1;
  int max_parallel = 1;
};

struct Item : NewItem {
  std::int64_t id = 0;
  std::int64_t project_id = 0;
  std::int64_t position = 0;
  int votes = 0;
  bool open = true;
};

struct Lease {
  Item item;
  std::int64_t expires_ms = 0;
  bool swap = false;  // compare: sources shown right/left instead of left/right
};

struct Progress {
  std::int64_t answered = 0;
  std::int64_t open_for_me = 0;
  std::int64_t items = 0;
};

// What an answer becomes once validated against its item: canonical JSON to store and
// whether it closes the item (a binary No).
struct CheckedAnswer {
  std::string json;
  bool closes_item = false;
};
// Validates the client's answer for this item and lease; throws HttpError (422/400).
using AnswerCheck = std::function<CheckedAnswer(const Item& item, bool swap)>;

struct SubmitResult {
  std::int64_t event_id = 0;
  bool duplicate = false;
  bool edit = false;
};

struct Event {
  std::int64_t id = 0;
  std::int64_t item_id = 0;
  std::int64_t user_id = 0;
  std::string user_name;
  std::string image;
  std::string emotion;
  std::string answer;  // canonical JSON
  std::optional<std::int64_t> response_ms;
  std::int64_t created_ms = 0;
  std::string kind;  // "answer", "edit", "import"
  std::string idempotency_key;
};

struct ExpertProgress {
  std::int64_t user_id = 0;
  std::string name;
  std::int64_t answered = 0;
  std::int64_t leased = 0;
  double mean_response_ms = 0;
};

struct AuditEntry {
  std::int64_t id = 0;
  std::string user;
  std::string action;
  std::string detail;
  std::int64_t created_ms = 0;
};

class AssignmentIndex;

class Store {
 public:
  explicit Store(std::unique_ptr<Database> db);  // creates the schema if missing
  ~Store();
  Database& db() { return *db_; }

  // Users. create_user throws HttpError(409) for a taken name.
  User create_user(const std::string& name, const std::string& password_hash, Role role,
                   std::int64_t now_ms);
  // The user and their password hash.
  std::optional<std::pair<User, std::string>> find_user(const std::string& name);
  std::vector<User> users();
  // Creates the user with an unusable password if missing (imported annotators).
  User ensure_user(Connection& c, const std::string& name, std::int64_t now_ms);

  // Sessions, keyed by the SHA-256 of the cookie token.
  void create_session(const std::string& token_hash, std::int64_t user_id,
                      const std::string& csrf_token, std::int64_t now_ms, std::int64_t expires_ms);
  std::optional<Session> find_session(const std::string& token_hash, std::int64_t now_ms);
  void delete_session(const std::string& token_hash);

  // Projects and items. create_project throws HttpError(409) for a taken name.
  Project create_project(const ProjectSpec& spec, const std::vector<NewItem>& items,
                         std::int64_t now_ms);
  std::optional<Project> project(std::int64_t id);
  std::optional<Project> find_project(const std::string& name);
  std::vector<Project> projects();
  std::optional<Item> item(std::int64_t project_id, std::int64_t item_id);
  std::vector<Item> items(std::int64_t project_id, std::int64_t offset, std::int64_t limit);

  // Assignment. On SQLite the assignment state is mirrored in memory (AssignmentIndex,
  // assignment_index.h), so next_items() and progress() need no range scans. On
  // PostgreSQL progress().open_for_me may lag by up to a second: the project's open-item
  // count is cached for 1 s because counting 20,000 items on every request costs more
  // than the rest of the request.
  std::vector<Lease> next_items(std::int64_t user_id, const Project& project, int count,
                                std::int64_t now_ms);
  Progress progress(std::int64_t user_id, std::int64_t project_id, std::int64_t now_ms);
  // Whether the user holds or held an assignment for the item (image access).
  bool assigned(std::int64_t user_id, std::int64_t item_id);
  std::optional<Lease> assignment(std::int64_t user_id, std::int64_t project_id,
                                  std::int64_t item_id);

  // Appends an answer event; see docs/annotate-api.md for the rules. With then_lease > 0
  // the same job (one savepoint of the same group commit) then leases up to then_lease
  // next items into *leased, as next_items() would; nothing is leased if the answer is
  // refused.
  SubmitResult submit(const User& user, const Project& project, std::int64_t item_id,
                      const std::string& idempotency_key, const AnswerCheck& check,
                      std::optional<std::int64_t> response_ms, std::int64_t now_ms,
                      int then_lease = 0, std::vector<Lease>* leased = nullptr);

  // Events. latest_answers: the latest event per (item, user), ordered by item position
  // then user name. events: every event in id order.
  std::vector<Event> latest_answers(std::int64_t project_id);
  std::vector<Event> events(std::int64_t project_id);
  std::vector<Event> user_events(std::int64_t project_id, std::int64_t user_id,
                                 std::optional<std::int64_t> item_id);

  // Bulk import of finished answers (authors' CSVs): one transaction. Each answer's user
  // is created if missing; the item must belong to the project.
  struct ImportedAnswer {
    std::int64_t item_id;
    std::string annotator;
    std::string answer_json;
  };
  void import_answers(std::int64_t project_id, const std::vector<ImportedAnswer>& answers,
                      std::int64_t now_ms);

  // Admin views.
  std::vector<ExpertProgress> expert_progress(std::int64_t project_id, std::int64_t now_ms);
  // Items with their live lease count.
  std::vector<std::pair<Item, int>> item_progress(std::int64_t project_id, std::int64_t offset,
                                                  std::int64_t limit, std::int64_t now_ms);

  void audit(std::int64_t user_id, const std::string& action, const std::string& detail,
             std::int64_t now_ms);
  std::vector<AuditEntry> audit_log(std::int64_t limit);

 private:
  std::int64_t open_items(Connection& c, std::int64_t project_id);
  std::vector<Lease> lease_next(Connection& c, std::int64_t user_id, const Project& project,
                                int count, std::int64_t now_ms);
  SubmitResult submit_in(Connection& c, const User& user, const Project& project,
                         std::int64_t item_id, const std::string& idempotency_key,
                         const AnswerCheck& check, std::optional<std::int64_t> response_ms,
                         std::int64_t now_ms);
  std::vector<Lease> next_items_indexed(Connection& c, std::int64_t user_id, const Project& project,
                                        int count, std::int64_t now_ms);

  std::unique_ptr<Database> db_;
  std::unique_ptr<AssignmentIndex> index_;  // SQLite only

  // Projects never change once created: cached by id.
  std::mutex project_mutex_;
  std::map<std::int64_t, Project> project_cache_;
  // SQLite only: sessions looked up in the last few seconds (logout removes them at once;
  // another process sharing the file is seen within kSessionCacheMs).
  struct CachedSession {
    Session session;
    std::int64_t fetched_ms;  // steady clock
  };
  std::mutex session_mutex_;
  std::unordered_map<std::string, CachedSession> session_cache_;
  std::mutex open_mutex_;
  // project id -> (open items, steady-clock ms when counted)
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> open_cache_;
};

}  // namespace emonet::annotate
