// SQLite driver: WAL journal, synchronous=FULL (a commit returns only after fsync, so an
// acknowledged vote survives a crash or power cut), BEGIN IMMEDIATE for writers.
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "annotate/db.h"
#include "emonet/error.h"

namespace emonet::annotate {
namespace {

class SqliteError : public DatabaseError {
 public:
  SqliteError(const std::string& message, int code)
      : DatabaseError(message, (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED),
        code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// $1 → ?1 (SQLite numbers ?NNN parameters the same way PostgreSQL numbers $N).
std::string to_sqlite_placeholders(const char* sql) {
  std::string out(sql);
  for (auto& c : out) {
    if (c == '$') c = '?';
  }
  return out;
}

class SqliteConnection : public Connection {
 public:
  explicit SqliteConnection(const std::string& path) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw Error("cannot open database: " + msg, {path, 0, ""});
    }
    sqlite3_busy_timeout(db_, 5000);
    // mmap: pages of the database file are read in place instead of copied by pread
    // (a connection's page cache is discarded whenever another connection commits).
    // wal_autocheckpoint=0: the WAL is copied back into the database by the background
    // checkpointer of SqliteDatabase, not by whichever commit crosses 1,000 pages (that
    // commit, and every vote grouped into it, would wait for the copy and its fsync).
    exec_script(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
        "PRAGMA mmap_size=268435456; PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=0;");
  }
  ~SqliteConnection() override {
    for (auto& [name, st] : cache_) sqlite3_finalize(st);
    sqlite3_close(db_);
  }

  void begin(bool write) override { exec_script(write ? "BEGIN IMMEDIATE" : "BEGIN"); }
  void commit() override { exec_script("COMMIT"); }
  void rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  Rows exec(const Statement& st, const std::vector<Param>& params) override {
    sqlite3_stmt* s = prepared(st);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i + 1);
      const Param& v = params[i];
      int rc = SQLITE_OK;
      switch (v.kind) {
        case Param::Kind::null:
          rc = sqlite3_bind_null(s, idx);
          break;
        case Param::Kind::integer:
          rc = sqlite3_bind_int64(s, idx, v.integer);
          break;
        case Param::Kind::text:
          rc = sqlite3_bind_text(s, idx, v.text.data(), static_cast<int>(v.text.size()),
                                 SQLITE_TRANSIENT);
          break;
      }
      check(rc, st.name);
    }
    Rows rows;
    const int ncol = sqlite3_column_count(s);
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        check(rc, st.name);
      }
      Row row;
      row.cells.reserve(ncol);
      for (int c = 0; c < ncol; ++c) {
        if (sqlite3_column_type(s, c) == SQLITE_NULL) {
          row.cells.emplace_back(std::nullopt);
        } else {
          auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
          row.cells.emplace_back(std::string(text, sqlite3_column_bytes(s, c)));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_reset(s);
    return rows;
  }

  void exec_script(const std::string& sql) override {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw SqliteError("sqlite: " + msg, rc);
    }
  }

  bool retryable(const std::exception& e) const override {
    auto* se = dynamic_cast<const SqliteError*>(&e);
    if (!se) return false;
    const int primary = se->code() & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  }

 private:
  sqlite3_stmt* prepared(const Statement& st) {
    auto it = cache_.find(st.name);
    if (it != cache_.end()) return it->second;
    const std::string sql = to_sqlite_placeholders(st.sql);
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) {
      throw SqliteError(std::string("sqlite: preparing ") + st.name + ": " + sqlite3_errmsg(db_),
                        rc);
    }
    cache_.emplace(st.name, s);
    return s;
  }

  void check(int rc, const char* what) {
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
    const int ext = sqlite3_extended_errcode(db_);
    throw SqliteError(std::string("sqlite: ") + what + ": " + sqlite3_errmsg(db_), ext ? ext : rc);
  }

  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> cache_;
};

// Copies committed WAL frames back into the database file every kInterval on its own
// connection (PASSIVE: never blocks readers or the writer), so commits only append to
// the WAL and fsync it. Closing the last connection checkpoints the rest, as usual.
class Checkpointer {
 public:
  static constexpr std::chrono::milliseconds kInterval{200};

  explicit Checkpointer(std::string path) : path_(std::move(path)), thread_([this] { run(); }) {}
  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    sqlite3* db = nullptr;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, kInterval, [this] { return stop_; })) {
      lock.unlock();
      if (!db && sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                 nullptr) != SQLITE_OK) {
        sqlite3_close(db);  // not created yet: try again next time
        db = nullptr;
      }
      // Failures (SQLITE_BUSY while another checkpoint runs) only delay the copy. A connection that
      // has not read the database yet does not know it is in WAL mode and would checkpoint nothing,
      // so read the schema cookie first (cheap).
      if (db && sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr) == SQLITE_OK)
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
    lock.unlock();
    sqlite3_close(db);
  }

  std::string path_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

class SqliteDatabase : public Database {
 public:
  SqliteDatabase(const std::string& path, int pool_size)
      : Database(Dialect::sqlite, path, pool_size), checkpointer_(path) {}

 private:
  Checkpointer checkpointer_;

 protected:
  std::unique_ptr<Connection> connect() override {
    return std::make_unique<SqliteConnection>(url());
  }
};

}  // namespace

std::unique_ptr<Database> open_sqlite(const std::string& path, int pool_size) {
  return std::make_unique<SqliteDatabase>(path, pool_size);
}

}  // namespace emonet::annotate
