// AssignmentIndex: see assignment_index.h.
#include "annotate/assignment_index.h"

#include <algorithm>

#include "annotate/store_schema.h"

namespace emonet::annotate {
namespace {

const Statement kDataVersion{"data_version", "PRAGMA data_version"};
const Statement kIndexItems{"index_items", "SELECT " ITEM_COLS
                                           " FROM items i WHERE i.project_id = $1 "
                                           "ORDER BY i.pos"};
const Statement kIndexAssignments{"index_assignments",
                                  "SELECT item_id, user_id, state, expires_ms, swap FROM "
                                  "assignments WHERE project_id = $1 AND state <> 'expired'"};
const Statement kIndexItemCount{"index_item_count",
                                "SELECT item_count FROM projects WHERE id = $1"};

}  // namespace

void AssignmentIndex::reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  projects_.clear();
}

void AssignmentIndex::sync(Connection& c) {
  const std::int64_t version = c.exec(kDataVersion, {}).at(0).i64(0);
  std::lock_guard<std::mutex> lock(mutex_);
  if (data_version_ && *data_version_ != version) projects_.clear();
  data_version_ = version;
}

void AssignmentIndex::drop(std::int64_t project_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  projects_.erase(project_id);
}

AssignmentIndex::ProjectState* AssignmentIndex::find(std::int64_t project_id) {
  auto it = projects_.find(project_id);
  return it == projects_.end() ? nullptr : it->second.get();
}

std::optional<std::pair<AssignmentIndex::ProjectState*, std::size_t>> AssignmentIndex::locate(
    std::int64_t project_id, std::int64_t item_id) {
  ProjectState* ps = find(project_id);
  if (!ps) return std::nullopt;
  auto at = ps->slot_of.find(item_id);
  if (at == ps->slot_of.end()) return std::nullopt;
  return std::make_pair(ps, at->second);
}

AssignmentIndex::ProjectState& AssignmentIndex::load(Connection& c, std::int64_t project_id) {
  if (ProjectState* ps = find(project_id)) return *ps;
  auto ps = std::make_unique<ProjectState>();
  for (const auto& r : c.exec(kIndexItems, {p(project_id)})) {
    ItemState st;
    st.item = item_from(r, 0);
    ps->slot_of.emplace(st.item.id, ps->items.size());
    if (st.item.open) ++ps->open_count;
    ps->items.push_back(std::move(st));
  }
  for (const auto& r : c.exec(kIndexAssignments, {p(project_id)})) {
    auto at = ps->slot_of.find(r.i64(0));
    if (at == ps->slot_of.end()) continue;
    const std::int64_t user = r.i64(1);
    UserState& us = ps->users[user];
    if (r.str(2) == "done") {
      us.done.insert(at->second);
      ps->items[at->second].done_by.push_back(user);
      if (ps->items[at->second].item.open) ++us.done_open;
    } else if (r.str(2) == "leased") {
      us.leased[at->second] = r.i64(4) != 0;
      ps->items[at->second].leases.emplace_back(user, r.i64(3));
    }
  }
  auto count = c.exec(kIndexItemCount, {p(project_id)});
  ps->item_count = count.empty() ? static_cast<std::int64_t>(ps->items.size()) : count[0].i64(0);
  auto& slot = projects_[project_id];
  slot = std::move(ps);
  return *slot;
}

bool AssignmentIndex::live_lease_of(const ItemState& it, std::int64_t user_id,
                                    std::int64_t now_ms) {
  for (const auto& [user, expires] : it.leases) {
    if (user == user_id && expires > now_ms) return true;
  }
  return false;
}

void AssignmentIndex::set_open(ProjectState& ps, ItemState& it, bool open) {
  if (it.item.open == open) return;
  it.item.open = open;
  ps.open_count += open ? 1 : -1;
  for (std::int64_t user : it.done_by) ps.users[user].done_open += open ? 1 : -1;
  if (open) {
    const std::size_t slot = ps.slot_of.at(it.item.id);
    ps.first_open = std::min(ps.first_open, slot);
  }
}

std::vector<AssignmentIndex::Pick> AssignmentIndex::live_leases(Connection& c,
                                                                std::int64_t project_id,
                                                                std::int64_t user_id, int count,
                                                                std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  ProjectState& ps = load(c, project_id);
  std::vector<Pick> out;
  auto us = ps.users.find(user_id);
  if (us == ps.users.end()) return out;
  for (const auto& [slot, swap] : us->second.leased) {
    if (static_cast<int>(out.size()) >= count) break;
    if (!live_lease_of(ps.items[slot], user_id, now_ms)) continue;
    out.push_back({ps.items[slot].item, swap, slot});
  }
  return out;
}

std::optional<AssignmentIndex::Pick> AssignmentIndex::candidate(Connection& c,
                                                                std::int64_t project_id,
                                                                std::int64_t user_id,
                                                                std::size_t from,
                                                                std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  ProjectState& ps = load(c, project_id);
  while (ps.first_open < ps.items.size() && !ps.items[ps.first_open].item.open) ++ps.first_open;
  auto us = ps.users.find(user_id);
  const UserState* mine = us == ps.users.end() ? nullptr : &us->second;
  for (std::size_t slot = std::max(from, ps.first_open); slot < ps.items.size(); ++slot) {
    const ItemState& it = ps.items[slot];
    if (!it.item.open) continue;
    if (mine && mine->done.count(slot)) continue;
    int live = 0;
    bool mine_live = false;
    for (const auto& [user, expires] : it.leases) {
      if (expires <= now_ms) continue;
      ++live;
      if (user == user_id) mine_live = true;
    }
    if (mine_live) continue;
    if (live < it.item.max_parallel && it.item.votes + live < it.item.target_votes) {
      return Pick{it.item, false, slot};
    }
  }
  return std::nullopt;
}

void AssignmentIndex::extended(std::int64_t project_id, std::int64_t item_id, std::int64_t user_id,
                               std::int64_t expires_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = locate(project_id, item_id);
  if (!found) return;
  for (auto& [user, expires] : found->first->items[found->second].leases) {
    if (user == user_id) expires = expires_ms;
  }
}

void AssignmentIndex::leased(std::int64_t project_id, std::int64_t item_id, std::int64_t user_id,
                             std::int64_t now_ms, std::int64_t expires_ms, bool swap) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = locate(project_id, item_id);
  if (!found) return;
  const auto [ps, slot] = *found;
  ItemState& it = ps->items[slot];
  // kExpireStale: leases that ran out become 'expired' (and the user's own old row is
  // replaced below).
  auto& leases = it.leases;
  for (auto l = leases.begin(); l != leases.end();) {
    if (l->second <= now_ms || l->first == user_id) {
      auto us = ps->users.find(l->first);
      if (us != ps->users.end()) us->second.leased.erase(slot);
      l = leases.erase(l);
    } else {
      ++l;
    }
  }
  // kUpsertLease.
  UserState& us = ps->users[user_id];
  if (us.done.erase(slot)) {  // never for a candidate; mirrors the upsert regardless
    it.done_by.erase(std::remove(it.done_by.begin(), it.done_by.end(), user_id), it.done_by.end());
    if (it.item.open) --us.done_open;
  }
  us.leased[slot] = swap;
  leases.emplace_back(user_id, expires_ms);
}

void AssignmentIndex::answered(std::int64_t project_id, std::int64_t item_id, std::int64_t user_id,
                               bool closes_item) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = locate(project_id, item_id);
  if (!found) return;
  const auto [ps, slot] = *found;
  ItemState& it = ps->items[slot];
  // kMarkDone.
  auto& leases = it.leases;
  leases.erase(std::remove_if(leases.begin(), leases.end(),
                              [&](const auto& l) { return l.first == user_id; }),
               leases.end());
  UserState& us = ps->users[user_id];
  us.leased.erase(slot);
  if (us.done.insert(slot).second) {
    it.done_by.push_back(user_id);
    if (it.item.open) ++us.done_open;
  }
  // kCountVote.
  ++it.item.votes;
  set_open(*ps, it, !(closes_item || it.item.votes >= it.item.target_votes));
}

std::optional<Progress> AssignmentIndex::progress(std::int64_t project_id, std::int64_t user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  ProjectState* ps = find(project_id);
  if (!ps) return std::nullopt;
  Progress pr;
  pr.items = ps->item_count;
  pr.open_for_me = ps->open_count;
  auto us = ps->users.find(user_id);
  if (us != ps->users.end()) {
    pr.answered = static_cast<std::int64_t>(us->second.done.size());
    pr.open_for_me -= us->second.done_open;
  }
  pr.open_for_me = std::max<std::int64_t>(0, pr.open_for_me);
  return pr;
}

}  // namespace emonet::annotate
