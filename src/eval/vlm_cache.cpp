// The SQLite cache of VLM requests and raw responses (see vlm_internal.h).
#include <sodium.h>

#include "emonet/error.h"
#include "eval/vlm_internal.h"

namespace emonet::eval::detail {

std::string hash_hex(std::string_view data) {
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), nullptr, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char b : out) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

namespace {
void exec(sqlite3* db, const char* sql, const std::string& path) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error("cache " + path + ": " + msg);
  }
}
}  // namespace

ResponseCache::ResponseCache(const std::string& path) {
  if (path.empty()) return;
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error("cannot open cache " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);
  exec(db_, "PRAGMA journal_mode=WAL", path);
  exec(db_,
       "CREATE TABLE IF NOT EXISTS vlm_responses (key TEXT PRIMARY KEY, request TEXT NOT NULL, "
       "response TEXT NOT NULL, created_julian REAL NOT NULL DEFAULT (julianday('now')))",
       path);
}

ResponseCache::~ResponseCache() {
  if (db_) sqlite3_close(db_);
}

std::optional<std::string> ResponseCache::get(const std::string& key) {
  if (!db_) return std::nullopt;
  std::lock_guard lock(mutex_);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, "SELECT response FROM vlm_responses WHERE key = ?", -1, &st, nullptr);
  sqlite3_bind_text(st, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  std::optional<std::string> out;
  if (sqlite3_step(st) == SQLITE_ROW) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    out = std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
  }
  sqlite3_finalize(st);
  return out;
}

void ResponseCache::put(const std::string& key, const std::string& request,
                        const std::string& response) {
  if (!db_) return;
  std::lock_guard lock(mutex_);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(
      db_, "INSERT OR REPLACE INTO vlm_responses (key, request, response) VALUES (?, ?, ?)", -1,
      &st, nullptr);
  sqlite3_bind_text(st, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, request.c_str(), static_cast<int>(request.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, response.c_str(), static_cast<int>(response.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) throw Error(std::string("cache write failed: ") + sqlite3_errmsg(db_));
}

}  // namespace emonet::eval::detail
