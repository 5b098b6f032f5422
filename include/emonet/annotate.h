// emonet::annotate — the expert annotation platform (`emonet annotate ...`).
//
// A self-hosted HTTP service for the authors' three protocols (intensity sliders,
// sequential binary votes, profile comparison) with server-side blind assignment,
// leases, append-only vote events, admin views and the authors' CSV formats.
// This header is the library surface the command line uses; the HTTP API is described in
// docs/annotate-api.md and the operator guide in docs/annotate.md.
//
// Every function opens the database named by `db` ("postgresql://..." or a SQLite path),
// does its work in transactions and closes it again: they are safe to call while a
// server is running on the same database. Failures throw emonet::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace emonet::annotate {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;          // 0 = pick a free port (tests)
  std::string images_root;  // folder admin-created projects must live under ("" = none)
  int threads = 64;  // worker threads running requests (one event-loop thread reads them all)
  std::size_t max_body = 1 << 20;  // bytes; larger requests get 413
  int read_timeout_s = 10;
  int write_timeout_s = 10;
  std::int64_t session_seconds = 12 * 3600;
  bool secure_cookies = false;  // add `Secure` to the cookie (when served behind TLS)
  // Failed logins allowed per window before 429, per client IP and per account.
  int login_failures_per_ip = 20;
  int login_failures_per_account = 5;
  std::int64_t login_window_seconds = 300;
  bool log_requests = false;
};

// What a server did, reported when it stops: the shared commits of its writes (on SQLite
// every write; on PostgreSQL the votes and leases) and how many writes they carried.
struct ServeSummary {
  std::int64_t group_commits = 0;
  std::int64_t grouped_writes = 0;
  std::int64_t largest_group = 0;
  std::int64_t group_retries = 0;  // groups rolled back and run again
};

// Runs the server until SIGINT/SIGTERM. `on_listening(port)` is called once bound.
ServeSummary serve(const std::string& db, const ServerOptions& options,
                   const std::function<void(int port)>& on_listening = {});

// Creates a user; role "expert" or "admin". Password: at least 8 characters.
void add_user(const std::string& db, const std::string& name, const std::string& password,
              bool admin);

struct CreateProjectOptions {
  std::string name;
  std::string protocol = "intensity";  // intensity | binary | compare
  std::string images;                  // folder of images (or the manifest's folder)
  std::string manifest;                // CSV or JSONL, "" = every image in `images`
  std::string guide;                   // the authors' guide.json (synonyms), optional
  int overlap = 1;
  std::int64_t lease_seconds = 900;
};
struct ProjectInfo {
  std::int64_t id = 0;
  std::string name;
  std::string protocol;
  std::int64_t items = 0;
};
ProjectInfo create_project(const std::string& db, const CreateProjectOptions& options);

// Export: format "hq.csv" | "binary.csv" | "compare.csv" | "csv" (the protocol's CSV) |
// "jsonl" | "events.jsonl".
std::string export_answers(const std::string& db, const std::string& project,
                           const std::string& format);

struct ImportResult {
  std::int64_t project_id = 0;
  std::int64_t items = 0;
  std::int64_t answers = 0;
  std::int64_t skipped = 0;
};
// Creates project `project` from the authors' binary.csv or hq.csv.
ImportResult import_answers(const std::string& db, const std::string& project,
                            const std::string& csv, const std::string& images,
                            const std::string& guide);

}  // namespace emonet::annotate
