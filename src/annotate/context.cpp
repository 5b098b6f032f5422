// AppContext: sessions from cookies and the JSON documents shared by API and pages.
#include "annotate/context.h"

#include <chrono>

#include "annotate/auth.h"
#include "annotate/http_message.h"
#include "annotate/protocol.h"
#include "annotate/store.h"

namespace emonet::annotate {

using json = nlohmann::json;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

AppContext::AppContext(Store& store, ServerOptions options, Clock clock)
    : store_(store),
      options_(std::move(options)),
      clock_(std::move(clock)),
      limiter_(std::make_unique<LoginLimiter>(options_.login_failures_per_ip,
                                              options_.login_failures_per_account,
                                              options_.login_window_seconds * 1000)) {}

AppContext::~AppContext() = default;

std::string session_token(const http::Request& req) {
  const std::string cookies = req.get_header_value("Cookie");
  const std::string name = std::string(kSessionCookie) + "=";
  std::size_t pos = 0;
  while (pos < cookies.size()) {
    while (pos < cookies.size() && (cookies[pos] == ' ' || cookies[pos] == ';')) ++pos;
    std::size_t end = cookies.find(';', pos);
    if (end == std::string::npos) end = cookies.size();
    if (cookies.compare(pos, name.size(), name) == 0) {
      return cookies.substr(pos + name.size(), end - pos - name.size());
    }
    pos = end;
  }
  return {};
}

std::optional<Session> AppContext::session(const http::Request& req) {
  const std::string token = session_token(req);
  if (token.size() != 43) return std::nullopt;
  return store_.find_session(sha256_hex(token), now_ms());
}

bool AppContext::csrf_ok(const http::Request& req, const Session& session) {
  std::string sent = req.get_header_value("X-CSRF-Token");
  if (sent.empty() && req.has_param("csrf_token")) sent = req.get_param_value("csrf_token");
  return equal_constant_time(sent, session.csrf_token);
}

namespace {

json progress_json(const Progress& p) {
  return {{"answered", p.answered}, {"open_for_me", p.open_for_me}, {"items", p.items}};
}

json project_summary(Store& store, const User& user, const Project& p, std::int64_t now) {
  return {{"id", p.id},
          {"name", p.name},
          {"protocol", std::string(protocol_name(p.protocol))},
          {"items", p.item_count},
          {"overlap", p.overlap},
          {"progress", progress_json(store.progress(user.id, p.id, now))}};
}

}  // namespace

json AppContext::projects_json(const User& user) {
  json list = json::array();
  for (const auto& p : store_.projects())
    list.push_back(project_summary(store_, user, p, now_ms()));
  return {{"projects", std::move(list)}};
}

json AppContext::project_json(const User& user, std::int64_t project_id) {
  auto p = store_.project(project_id);
  if (!p) throw HttpError(404, "no such project");
  json j = project_summary(store_, user, *p, now_ms());
  j["lease_seconds"] = p->lease_seconds;
  if (p->protocol == Protocol::intensity) j["form"] = intensity_form(*p);
  if (p->protocol == Protocol::binary) j["question"] = "Are the emotions present in the image?";
  if (p->protocol == Protocol::compare) j["question"] = "Which description fits the face better?";
  return j;
}

json AppContext::next_items_json(const User& user, std::int64_t project_id, int count) {
  auto p = store_.project(project_id);
  if (!p) throw HttpError(404, "no such project");
  count = std::clamp(count, 1, 5);
  const std::int64_t now = now_ms();
  json items = json::array();
  for (const auto& lease : store_.next_items(user.id, *p, count, now)) {
    items.push_back(item_json(*p, lease.item, lease.swap, lease.expires_ms));
  }
  return {{"items", std::move(items)},
          {"progress", progress_json(store_.progress(user.id, p->id, now))}};
}

}  // namespace emonet::annotate
