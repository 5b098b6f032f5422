// AssignmentIndex: an in-memory mirror of the assignment state of each project (items'
// votes and open flag, live leases, who answered what), used by the Store on SQLite so
// that handing out the next item and computing progress need no range scans.
//
// The database stays the source of truth. The index is loaded from it (inside the write
// transaction, on the connection that writes) the first time a project is used, and every
// write the Store makes to items or assignments is mirrored here by the same code path,
// after its SQL succeeded. Whenever the mirror may disagree with the database it is
// dropped and reloaded on next use:
//   - a grouped write batch was rolled back (Database's group reset hook);
//   - a job failed after it had updated the mirror;
//   - another connection committed (PRAGMA data_version changed: another process, or
//     the Store's own bulk writes such as create_project and import_answers).
// PostgreSQL never uses the index: several server instances may share that database.
//
// Thread-safety: every member function locks the index's mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "annotate/db.h"
#include "annotate/store.h"

namespace emonet::annotate {

class AssignmentIndex {
 public:
  // Drops every project's state (it is reloaded from the database on next use).
  void reset();
  // Drops the state if another connection committed since the last call on `c` (the
  // connection all grouped writes use).
  void sync(Connection& c);

  // A candidate or resumed lease: the item as stored in the index.
  struct Pick {
    Item item;
    bool swap = false;
    std::size_t slot = 0;  // where to continue a candidate search
  };

  // The expert's live leases in position order (at most `count`), loading the project if
  // needed. Extends nothing: the caller writes the new expiry and calls extended().
  std::vector<Pick> live_leases(Connection& c, std::int64_t project_id, std::int64_t user_id,
                                int count, std::int64_t now_ms);
  // The first item at or after slot `from` the expert may take now (same rules as the SQL
  // candidate query), or nothing.
  std::optional<Pick> candidate(Connection& c, std::int64_t project_id, std::int64_t user_id,
                                std::size_t from, std::int64_t now_ms);

  // Mirrors of the Store's writes (call after the SQL succeeded; no-ops for a project
  // that is not loaded).
  void extended(std::int64_t project_id, std::int64_t item_id, std::int64_t user_id,
                std::int64_t expires_ms);
  // kExpireStale + kUpsertLease for (item, user).
  void leased(std::int64_t project_id, std::int64_t item_id, std::int64_t user_id,
              std::int64_t now_ms, std::int64_t expires_ms, bool swap);
  // kMarkDone + kCountVote.
  void answered(std::int64_t project_id, std::int64_t item_id, std::int64_t user_id,
                bool closes_item);
  // Forgets one project (bulk changes: import, new project).
  void drop(std::int64_t project_id);

  // Progress from the mirror, or nothing when the project is not loaded.
  std::optional<Progress> progress(std::int64_t project_id, std::int64_t user_id);

 private:
  struct ItemState {
    Item item;
    // (user, expires_ms) of the rows in state 'leased' (live or not yet expired by SQL).
    std::vector<std::pair<std::int64_t, std::int64_t>> leases;
    std::vector<std::int64_t> done_by;  // users whose row is 'done'
  };
  struct UserState {
    // Slots are indexes into ProjectState::items (which is in position order).
    std::map<std::size_t, bool> leased;  // slot -> swap, rows in state 'leased'
    std::set<std::size_t> done;          // slots of rows in state 'done'
    std::int64_t done_open = 0;          // how many of those items are open
  };
  struct ProjectState {
    std::vector<ItemState> items;                           // in position order
    std::unordered_map<std::int64_t, std::size_t> slot_of;  // item id -> slot
    std::unordered_map<std::int64_t, UserState> users;
    std::size_t first_open = 0;  // no open item before this slot
    std::int64_t open_count = 0;
    std::int64_t item_count = 0;  // projects.item_count
  };

  ProjectState& load(Connection& c, std::int64_t project_id);
  ProjectState* find(std::int64_t project_id);
  // The loaded project holding `item_id` and the item's slot, or nothing when either is
  // not loaded (then the database alone is the truth and there is nothing to mirror).
  std::optional<std::pair<ProjectState*, std::size_t>> locate(std::int64_t project_id,
                                                              std::int64_t item_id);
  static bool live_lease_of(const ItemState& it, std::int64_t user_id, std::int64_t now_ms);
  static void set_open(ProjectState& ps, ItemState& it, bool open);

  std::mutex mutex_;
  std::unordered_map<std::int64_t, std::unique_ptr<ProjectState>> projects_;
  std::optional<std::int64_t> data_version_;
};

}  // namespace emonet::annotate
