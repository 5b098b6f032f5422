// `emonet data generate`: the run (see data_generate.h) — design rows, the state file,
// worker threads, images + sidecars, metadata.csv.
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <curl/curl.h>

#include "data/generate_internal.h"
#include "emonet/csv.h"
#include "emonet/files.h"
#include "emonet/progress.h"
#include "emonet/strings.h"

namespace emonet::data {
namespace fs = std::filesystem;
using json = nlohmann::json;
using detail::Row;

namespace {

constexpr const char* kStateFile = "generate-state.jsonl";

bool safe_id(const std::string& id) {
  if (id.empty() || id.size() > 200 || id.front() == '.') return false;
  for (unsigned char c : id)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

bool safe_relative(const std::string& p) {
  if (p.empty() || p.front() == '/' || p.find('\\') != std::string::npos) return false;
  for (const auto& part : split(p, '/'))
    if (part.empty() || part == "." || part == "..") return false;
  return true;
}

struct Design {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> cells;
  std::vector<Row> rows;
};

Design read_design(const std::string& path) {
  Design d;
  CsvReader r = CsvReader::open(path);
  d.header = r.read_header();
  const std::size_t id_col = r.column("id"), prompt_col = r.column("prompt");
  const auto seed_col = r.find_column("seed"), file_col = r.find_column("file_name");
  std::set<std::string> ids, files;
  CsvRecord rec;
  while (r.next(rec)) {
    Row row;
    row.id = std::string(trim(rec[id_col]));
    if (!safe_id(row.id))
      throw Error("id must be letters, digits, '-', '_' or '.'", {path, rec.line, "id"});
    if (!ids.insert(row.id).second) throw Error("duplicate id " + row.id, {path, rec.line, "id"});
    row.prompt = rec[prompt_col];
    if (trim(row.prompt).empty()) throw Error("empty prompt", {path, rec.line, "prompt"});
    if (seed_col && !trim(rec[*seed_col]).empty()) {
      const std::string s(trim(rec[*seed_col]));
      char* end = nullptr;
      errno = 0;
      row.seed = std::strtoll(s.c_str(), &end, 10);
      if (errno || *end) throw Error("seed is not an integer: " + s, {path, rec.line, "seed"});
    }
    row.file_name = file_col && !trim(rec[*file_col]).empty() ? std::string(trim(rec[*file_col]))
                                                              : "images/" + row.id + ".png";
    if (!safe_relative(row.file_name))
      throw Error("file_name must be a relative path inside the output folder",
                  {path, rec.line, "file_name"});
    if (!files.insert(row.file_name).second)
      throw Error("duplicate file_name " + row.file_name, {path, rec.line, "file_name"});
    row.fields = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < d.header.size(); ++i) row.fields[d.header[i]] = rec[i];
    row.fields["file_name"] = row.file_name;
    d.cells.push_back(rec.fields);
    d.rows.push_back(std::move(row));
  }
  if (d.rows.empty()) throw Error("the design has no rows", {path, 0, ""});
  return d;
}

// Ids finished by earlier runs. A torn last line (the process was killed mid-write) and
// ids whose image has gone missing are not counted.
std::set<std::string> read_state(const fs::path& out, const Design& d) {
  std::set<std::string> done;
  const fs::path state = out / kStateFile;
  if (!fs::exists(state)) return done;
  std::map<std::string, const Row*> by_id;
  for (const auto& r : d.rows) by_id[r.id] = &r;
  for (const auto& line : split(read_file(state.string()), '\n')) {
    const json j = json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) continue;
    const auto it = by_id.find(j["id"].get<std::string>());
    if (it == by_id.end()) continue;
    if (fs::is_regular_file(out / it->second->file_name)) done.insert(it->first);
  }
  return done;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

std::string sidecar_path(const std::string& file_name) {
  const auto dot = file_name.rfind('.');
  const auto slash = file_name.rfind('/');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? file_name.substr(0, dot) : file_name) + ".json";
}

// Appends one line with a single write() to an O_APPEND descriptor: a kill leaves either
// the whole line or a torn tail that read_state() ignores.
class StateLog {
 public:
  explicit StateLog(const fs::path& path) : path_(path.string()) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(std::string("cannot open: ") + std::strerror(errno), {path_, 0, ""});
    // A torn line from a killed run must not glue onto the next record.
    if (fs::file_size(path) > 0) {
      const std::string text = read_file(path_);
      if (!text.empty() && text.back() != '\n') write_all("\n");
    }
  }
  ~StateLog() { ::close(fd_); }
  StateLog(const StateLog&) = delete;
  StateLog& operator=(const StateLog&) = delete;
  void append(const json& record) {
    std::lock_guard lock(mutex_);
    write_all(record.dump() + "\n");
  }

 private:
  void write_all(const std::string& s) {
    if (::write(fd_, s.data(), s.size()) != static_cast<ssize_t>(s.size()))
      throw Error(std::string("cannot append: ") + std::strerror(errno), {path_, 0, ""});
  }
  std::string path_;
  int fd_ = -1;
  std::mutex mutex_;
};

std::string api_key(const GenerateOptions& o) {
  std::string var = o.api_key_env;
  const bool explicit_var = !var.empty();
  if (!explicit_var && o.backend == "openai") var = "OPENAI_API_KEY";
  if (var.empty()) return "";
  const char* v = std::getenv(var.c_str());
  if (!v || !*v) {
    if (explicit_var) throw Error("--api-key-env names " + var + ", which is not set");
    return "";
  }
  return v;
}

}  // namespace

GenerateResult generate_dataset(const GenerateOptions& options) {
  GenerateOptions o = options;
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  if (o.endpoint.empty()) throw Error("--endpoint URL is required");
  if (o.concurrency < 1 || o.concurrency > 256) throw Error("--concurrency must be 1..256");
  if (o.out.empty()) throw Error("--out DIR is required");
  static std::once_flag once;
  std::call_once(once, [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (sodium_init() < 0) throw Error("libsodium initialisation failed");
  });

  const Design design = read_design(o.design);
  const detail::Backend backend = detail::make_backend(o);
  const std::string token = api_key(o);
  const fs::path out = o.out;
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw Error("cannot create folder: " + ec.message(), {o.out, 0, ""});

  GenerateResult result;
  result.rows = design.rows.size();
  std::set<std::string> done = read_state(out, design);
  result.skipped = done.size();
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < design.rows.size(); ++i)
    if (!done.count(design.rows[i].id)) pending.push_back(i);

  StateLog state(out / kStateFile);
  std::optional<Progress> bar;
  if (o.progress) bar.emplace("generate " + o.backend, pending.size());
  std::atomic<std::size_t> next{0};
  std::mutex mutex;  // guards done, failures
  auto worker = [&] {
    detail::HttpClient http(o, token);
    for (std::size_t k; (k = next.fetch_add(1)) < pending.size();) {
      const Row& row = design.rows[pending[k]];
      try {
        detail::Generated g = backend(row, http);
        const fs::path image = out / row.file_name;
        std::error_code dir_ec;
        fs::create_directories(image.parent_path(), dir_ec);
        if (dir_ec)
          throw Error("cannot create folder: " + dir_ec.message(),
                      {image.parent_path().string(), 0, ""});
        write_file_atomic(image.string(), g.image);
        nlohmann::ordered_json side;
        side["row"] = row.fields;
        side["generator"] = g.generator;
        side["image"] = {{"file_name", row.file_name},
                         {"bytes", g.image.size()},
                         {"sha256", sha256_hex(g.image)}};
        side["generated_at"] = utc_now();
        write_file_atomic((out / sidecar_path(row.file_name)).string(), side.dump(2) + "\n");
        state.append({{"id", row.id}, {"file_name", row.file_name}, {"bytes", g.image.size()}});
        std::lock_guard lock(mutex);
        done.insert(row.id);
        ++result.generated;
      } catch (const Error& e) {
        std::lock_guard lock(mutex);
        result.failures.push_back(row.id + ": " + e.what());
      }
      if (bar) bar->tick();
    }
  };
  std::vector<std::thread> threads;
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(o.concurrency),
                                              std::max<std::size_t>(pending.size(), 1));
  for (std::size_t t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (bar) bar->finish();

  // metadata.csv: the design's columns for every finished row, in design order.
  std::ostringstream csv;
  CsvWriter w(csv);
  const auto file_col = std::find(design.header.begin(), design.header.end(), "file_name");
  std::vector<std::string> header = design.header;
  if (file_col == design.header.end()) header.insert(header.begin(), "file_name");
  w.write_row(header);
  for (std::size_t i = 0; i < design.rows.size(); ++i) {
    if (!done.count(design.rows[i].id)) continue;
    std::vector<std::string> cells = design.cells[i];
    if (file_col == design.header.end())
      cells.insert(cells.begin(), design.rows[i].file_name);
    else
      cells[static_cast<std::size_t>(file_col - design.header.begin())] = design.rows[i].file_name;
    w.write_row(cells);
  }
  result.metadata_csv = (out / "metadata.csv").string();
  write_file_atomic(result.metadata_csv, csv.str());
  std::sort(result.failures.begin(), result.failures.end());
  return result;
}

}  // namespace emonet::data
