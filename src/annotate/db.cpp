// Connection pool, retry loop and row accessors shared by both engines.
#include "annotate/db.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "emonet/error.h"
#include "emonet/strings.h"

namespace emonet::annotate {

const std::string& Row::str(std::size_t i) const {
  static const std::string empty;
  const auto& c = cells.at(i);
  return c ? *c : empty;
}

std::int64_t Row::i64(std::size_t i) const {
  const auto& c = cells.at(i);
  if (!c || c->empty()) return 0;
  return parse_int(*c, "database column");
}

std::unique_ptr<Database> Database::open(const std::string& url, int pool_size) {
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    return open_postgres(url, pool_size);
  }
  return open_sqlite(url, pool_size);
}

void Database::exec_script(const std::string& sql) {
  auto lease = acquire();
  lease->exec_script(sql);
}

Database::Lease Database::acquire() {
  return Lease(this, take_connection());
}

std::unique_ptr<Connection> Database::take_connection() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
  }
  return connect();
}

void Database::release(std::unique_ptr<Connection> conn) {
  if (!conn) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (static_cast<int>(idle_.size()) < pool_size_) idle_.push_back(std::move(conn));
}

void Database::run_grouped(const std::function<void(Connection&)>& fn) {
  GroupJob job;
  job.fn = &fn;
  std::unique_lock<std::mutex> lock(group_mutex_);
  group_queue_.push_back(&job);
  while (!job.done) {
    if (group_leader_active_) {
      // Each caller sleeps on its own condition variable: the leader wakes exactly the
      // callers it committed, plus one queued caller to lead the next batch (a shared
      // notify_all woke every waiting thread after every batch).
      job.cv.wait(lock);
      continue;
    }
    // Become the leader: commit what is queued so far (at most kMaxGroup callers, oldest
    // first, so one transaction stays short) in one go; callers arriving meanwhile queue
    // up for the next batch.
    group_leader_active_ = true;
    std::vector<GroupJob*> batch;
    if (group_queue_.size() <= kMaxGroup) {
      batch.swap(group_queue_);
    } else {
      const auto cut = group_queue_.begin() + static_cast<std::ptrdiff_t>(kMaxGroup);
      batch.assign(group_queue_.begin(), cut);
      group_queue_.erase(group_queue_.begin(), cut);
      // If our own job is not in this batch we still lead it, then lead or wait again.
    }
    lock.unlock();
    const int retries = commit_group(batch);
    lock.lock();
    group_leader_active_ = false;
    ++stats_.batches;
    stats_.jobs += static_cast<std::int64_t>(batch.size());
    stats_.largest =
        std::max<std::int64_t>(stats_.largest, static_cast<std::int64_t>(batch.size()));
    stats_.retries += retries;
    for (GroupJob* j : batch) {
      j->done = true;
      if (j != &job) j->cv.notify_one();
    }
    if (!group_queue_.empty()) group_queue_.front()->cv.notify_one();
  }
  if (job.error) std::rethrow_exception(job.error);
}

namespace {
// Thrown out of a job's savepoint to roll the whole batch back and run it again.
struct RetryBatch {
  std::exception_ptr cause;
};
}  // namespace

int Database::commit_group(const std::vector<GroupJob*>& batch) {
  // Never throws: the leader must always hand leadership back (see run_grouped). Only the
  // leader touches writer_, so it needs no lock. Returns how often the batch was retried.
  if (!writer_) {
    try {
      writer_ = connect();
      // Each job's savepoint keeps the original of every page it changes in a statement
      // journal, which SQLite spills to a temporary file past 64 KiB: a group of votes
      // reaches that, and then every vote cost about ten more writes to that file. The
      // writer keeps it in memory. It is only needed to roll one job back inside the open
      // transaction, never for recovery (the WAL makes commits durable).
      if (dialect_ == Dialect::sqlite) writer_->exec_script("PRAGMA temp_store=MEMORY");
    } catch (...) {
      for (GroupJob* j : batch) j->error = std::current_exception();
      return 0;
    }
  }
  Connection& conn = *writer_;
  auto undo = [&] {
    conn.rollback();
    if (group_reset_) group_reset_();
  };
  auto fail_all = [&](const std::exception_ptr& e) {
    for (GroupJob* j : batch) j->error = e;
  };
  for (int attempt = 0;; ++attempt) {
    try {
      conn.begin(true);
      for (GroupJob* j : batch) {
        j->error = nullptr;
        conn.savepoint();
        bool ran = false;
        try {
          (*j->fn)(conn);
          ran = true;
          conn.release_savepoint();
        } catch (const std::exception& e) {
          // A conflict with another writer (another process, another PostgreSQL
          // instance) is not this job's fault: retry the whole batch.
          if (conn.retryable(e)) throw RetryBatch{std::current_exception()};
          j->error = std::current_exception();
          // A job that completed has mirrored its effects; undoing them needs a reset.
          if (ran && group_reset_) group_reset_();
          conn.rollback_to_savepoint();
        } catch (...) {
          j->error = std::current_exception();
          if (ran && group_reset_) group_reset_();
          conn.rollback_to_savepoint();
        }
      }
      conn.commit();
      return attempt;
    } catch (const RetryBatch& r) {
      undo();
      if (attempt < 50) {
        backoff(attempt);
        continue;
      }
      fail_all(r.cause);
      return attempt;
    } catch (const std::exception& e) {
      undo();
      if (attempt < 50 && conn.retryable(e)) {
        backoff(attempt);
        continue;
      }
      // The shared commit failed: nothing of this batch is acknowledged.
      fail_all(std::current_exception());
      return attempt;
    } catch (...) {
      undo();
      fail_all(std::current_exception());
      return attempt;
    }
  }
}

GroupCommitStats Database::group_stats() {
  std::lock_guard<std::mutex> lock(group_mutex_);
  return stats_;
}

void Database::backoff(int attempt) {
  // Jittered exponential backoff so that conflicting writers do not collide again.
  thread_local std::mt19937 rng{std::random_device{}()};
  const int cap = 1 << std::min(attempt, 6);
  std::uniform_int_distribution<int> dist(0, cap);
  std::this_thread::sleep_for(std::chrono::milliseconds(1 + dist(rng)));
}

}  // namespace emonet::annotate
