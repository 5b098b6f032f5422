// A small SQL layer under the annotation store: one statement text, two engines.
//
// Statements are written once with PostgreSQL placeholders ($1, $2, ...) and an optional
// PostgreSQL-only variant; the SQLite driver rewrites $N to ?N. Every statement is
// prepared (and cached per connection) and every value is bound as a parameter: no SQL
// text is ever built from user input.
//
// A Database owns a pool of connections. Database::transact() borrows one, runs the
// callback inside a transaction (SQLite: BEGIN IMMEDIATE for writes, so writers are
// serialised; PostgreSQL: READ COMMITTED plus explicit row locks), commits, and retries
// the whole callback when the engine reports a transient conflict (SQLITE_BUSY,
// serialization failure, deadlock). The callback must therefore have no side effects
// outside the database. Thread-safe; a Connection is used by one thread at a time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace emonet::annotate {

enum class Dialect { sqlite, postgres };

// A failure of the database itself, not of the request: `transient` ones (SQLite still
// busy after its timeout) may succeed on retry; the server answers 503 with Retry-After
// for those and 500 for the rest.
class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(const std::string& what, bool transient)
      : std::runtime_error(what), transient_(transient) {}
  bool transient() const { return transient_; }

 private:
  bool transient_;
};

struct Statement {
  const char* name;              // unique; the prepared-statement cache key
  const char* sql;               // both engines, $N placeholders
  const char* pg_sql = nullptr;  // PostgreSQL variant (row locks), if different
};

// A bound parameter: NULL, text or a 64-bit integer.
struct Param {
  enum class Kind { null, text, integer } kind = Kind::null;
  std::string text;
  std::int64_t integer = 0;
};
inline Param p(std::int64_t v) {
  return {Param::Kind::integer, {}, v};
}
inline Param p(int v) {
  return p(static_cast<std::int64_t>(v));
}
inline Param p(const std::string& v) {
  return {Param::Kind::text, v, 0};
}
inline Param p(const char* v) {
  return {Param::Kind::text, v, 0};
}
inline Param p_null() {
  return {};
}

struct Row {
  std::vector<std::optional<std::string>> cells;
  bool null(std::size_t i) const { return !cells.at(i).has_value(); }
  const std::string& str(std::size_t i) const;  // "" for NULL
  std::int64_t i64(std::size_t i) const;        // 0 for NULL
};
using Rows = std::vector<Row>;

class Connection {
 public:
  virtual ~Connection() = default;
  virtual void begin(bool write) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  virtual Rows exec(const Statement& st, const std::vector<Param>& params) = 0;
  // Runs schema text (several statements, no parameters) outside any transaction.
  virtual void exec_script(const std::string& sql) = 0;
  // Whether `e` (thrown by this connection) is a transient conflict worth a retry.
  virtual bool retryable(const std::exception& e) const = 0;
  // Savepoints inside the open transaction (one job of a group commit each).
  virtual void savepoint() { exec_script("SAVEPOINT grouped_job"); }
  virtual void release_savepoint() { exec_script("RELEASE grouped_job"); }
  virtual void rollback_to_savepoint() {
    exec_script("ROLLBACK TO grouped_job; RELEASE grouped_job");
  }
};

// Counters of the group commit since the Database was opened (all callers together).
struct GroupCommitStats {
  std::int64_t batches = 0;  // shared transactions committed (or failed)
  std::int64_t jobs = 0;     // callers served by them
  std::int64_t largest = 0;  // the most callers one transaction served
  std::int64_t retries = 0;  // whole batches rolled back and run again (conflicts)
};

class Database {
 public:
  // "postgresql://..." or "postgres://..." → PostgreSQL, anything else is a SQLite path.
  static std::unique_ptr<Database> open(const std::string& url, int pool_size = 8);
  virtual ~Database() = default;

  Dialect dialect() const { return dialect_; }
  const std::string& url() const { return url_; }

  // Runs fn(conn) in a transaction, retrying on transient conflicts; returns its result.
  // On SQLite every write transaction goes through the group commit below, so all writes
  // of this process use one connection (no SQLITE_BUSY between our own connections, and
  // a warm page cache for the writer).
  template <typename F>
  auto transact(bool write, F&& fn) {
    if (write && dialect_ == Dialect::sqlite) return write_grouped(std::forward<F>(fn));
    return transact_on_pool(write, std::forward<F>(fn));
  }
  // Like transact(true, fn), but concurrent callers share one transaction and one fsync
  // ("group commit", both engines): each fn runs inside its own SAVEPOINT, so an
  // exception in one (a 409, a validation error) rolls back only that one, and every
  // caller returns only after the shared COMMIT is durable. With synchronous=FULL a disk
  // that does ~150 fsyncs/s would otherwise cap the server at ~150 votes/s. A batch holds
  // at most kMaxGroup callers and its leader never waits to fill it (it commits what is
  // queued at once), so a caller waits for at most the commit in progress plus its own.
  // A transient conflict (SQLITE_BUSY from another process; a PostgreSQL deadlock or
  // serialization failure) rolls the whole batch back and runs it again.
  static constexpr std::size_t kMaxGroup = 128;
  template <typename F>
  auto write_grouped(F&& fn) {
    using R = decltype(fn(std::declval<Connection&>()));
    if constexpr (std::is_void_v<R>) {
      const std::function<void(Connection&)> job = [&](Connection& c) { fn(c); };
      run_grouped(job);
    } else {
      std::optional<R> result;
      const std::function<void(Connection&)> job = [&](Connection& c) { result.emplace(fn(c)); };
      run_grouped(job);
      return std::move(*result);
    }
  }

  // Called (by the thread committing a group) whenever a grouped batch is rolled back as
  // a whole — before it is retried, or when it failed: the jobs' effects are undone, so
  // anything mirrored from them must be dropped. Set once, before serving.
  void set_group_reset(std::function<void()> fn) { group_reset_ = std::move(fn); }

  GroupCommitStats group_stats();

 private:
  template <typename F>
  auto transact_on_pool(bool write, F&& fn) {
    auto lease = acquire();
    for (int attempt = 0;; ++attempt) {
      lease->begin(write);
      try {
        if constexpr (std::is_void_v<decltype(fn(*lease))>) {
          fn(*lease);
          lease->commit();
          return;
        } else {
          auto result = fn(*lease);
          lease->commit();
          return result;
        }
      } catch (const std::exception& e) {
        lease->rollback();
        if (attempt < 50 && lease->retryable(e)) {
          backoff(attempt);
          continue;
        }
        throw;
      }
    }
  }

 public:
  // Runs the schema script on one connection.
  void exec_script(const std::string& sql);

 protected:
  Database(Dialect dialect, std::string url, int pool_size)
      : dialect_(dialect), url_(std::move(url)), pool_size_(pool_size) {}
  virtual std::unique_ptr<Connection> connect() = 0;

 private:
  struct Lease {
    Database* db;
    std::unique_ptr<Connection> conn;
    Lease(Database* d, std::unique_ptr<Connection> c) : db(d), conn(std::move(c)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { db->release(std::move(conn)); }
    Connection* operator->() { return conn.get(); }
    Connection& operator*() { return *conn; }
  };
  Lease acquire();
  std::unique_ptr<Connection> take_connection();
  void release(std::unique_ptr<Connection> conn);
  static void backoff(int attempt);

  struct GroupJob {
    const std::function<void(Connection&)>* fn = nullptr;
    std::exception_ptr error;
    bool done = false;
    std::condition_variable cv;  // signalled when done, or to lead the next batch
  };
  void run_grouped(const std::function<void(Connection&)>& fn);
  int commit_group(const std::vector<GroupJob*>& batch);

  Dialect dialect_;
  std::string url_;
  int pool_size_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;

  std::mutex group_mutex_;
  std::vector<GroupJob*> group_queue_;
  bool group_leader_active_ = false;
  std::unique_ptr<Connection> writer_;  // the connection every group commits on
  std::function<void()> group_reset_;
  GroupCommitStats stats_;  // under group_mutex_
};

std::unique_ptr<Database> open_sqlite(const std::string& path, int pool_size);
std::unique_ptr<Database> open_postgres(const std::string& url, int pool_size);

}  // namespace emonet::annotate
