// Connection pool, retry loop and row accessors shared by both engines.
#include "annotate/db.h"

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
    // Become the leader: commit everything queued so far (ours included) in one go;
    // callers arriving meanwhile queue up for the next batch.
    group_leader_active_ = true;
    std::vector<GroupJob*> batch;
    batch.swap(group_queue_);
    lock.unlock();
    commit_group(batch);
    lock.lock();
    group_leader_active_ = false;
    for (GroupJob* j : batch) {
      j->done = true;
      if (j != &job) j->cv.notify_one();
    }
    if (!group_queue_.empty()) group_queue_.front()->cv.notify_one();
  }
  if (job.error) std::rethrow_exception(job.error);
}

void Database::commit_group(const std::vector<GroupJob*>& batch) {
  // Never throws: the leader must always hand leadership back (see run_grouped). Only the
  // leader touches writer_, so it needs no lock.
  if (!writer_) {
    try {
      writer_ = connect();
    } catch (...) {
      for (GroupJob* j : batch) j->error = std::current_exception();
      return;
    }
  }
  Connection& conn = *writer_;
  auto undo = [&] {
    conn.rollback();
    if (group_reset_) group_reset_();
  };
  for (int attempt = 0;; ++attempt) {
    try {
      conn.begin(true);
      for (GroupJob* j : batch) {
        j->error = nullptr;
        conn.exec_script("SAVEPOINT grouped_job");
        bool ran = false;
        try {
          (*j->fn)(conn);
          ran = true;
          conn.exec_script("RELEASE grouped_job");
        } catch (...) {
          j->error = std::current_exception();
          // A job that completed has mirrored its effects; undoing them needs a reset.
          if (ran && group_reset_) group_reset_();
          conn.exec_script("ROLLBACK TO grouped_job; RELEASE grouped_job");
        }
      }
      conn.commit();
      return;
    } catch (const std::exception& e) {
      undo();
      if (attempt < 50 && conn.retryable(e)) {
        backoff(attempt);
        continue;
      }
      // The shared commit failed: nothing of this batch is acknowledged.
      for (GroupJob* j : batch) j->error = std::current_exception();
      return;
    } catch (...) {
      undo();
      for (GroupJob* j : batch) j->error = std::current_exception();
      return;
    }
  }
}

void Database::backoff(int attempt) {
  // Jittered exponential backoff so that conflicting writers do not collide again.
  thread_local std::mt19937 rng{std::random_device{}()};
  const int cap = 1 << std::min(attempt, 6);
  std::uniform_int_distribution<int> dist(0, cap);
  std::this_thread::sleep_for(std::chrono::milliseconds(1 + dist(rng)));
}

}  // namespace emonet::annotate
