// HTTP routes of the annotation server (contract: docs/annotate-api.md).
#include "annotate/server.h"

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <regex>

#include "annotate/agreement.h"
#include "annotate/auth.h"
#include "annotate/db.h"
#include "annotate/event_server.h"
#include "annotate/exchange.h"
#include "annotate/pages.h"
#include "annotate/projects.h"
#include "annotate/protocol.h"
#include "annotate/store.h"
#include "emonet/files.h"
#include "emonet/strings.h"

namespace emonet::annotate {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Request = http::Request;
using Response = http::Response;
using Handler = http::Handler;

void reply(Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), "application/json");
}

void reply_error(Response& res, int status, const std::string& message,
                 const std::string& field = {}) {
  json body{{"error", message}};
  if (!field.empty()) body["field"] = field;
  reply(res, status, body);
}

Handler guarded(Handler fn) {
  return [fn = std::move(fn)](const Request& req, Response& res) {
    try {
      fn(req, res);
    } catch (const HttpError& e) {
      reply_error(res, e.status(), e.message(), e.context().field);
    } catch (const DatabaseError& e) {
      std::cerr << "emonet annotate: database error on " << req.method << " " << req.path << ": "
                << e.what() << "\n";
      if (e.transient()) {
        res.set_header("Retry-After", "1");
        reply_error(res, 503, "the database is busy; retry");
      } else {
        reply_error(res, 500, "internal error");
      }
    } catch (const Error& e) {
      reply_error(res, 400, e.message(), e.context().field);
    } catch (const std::exception& e) {
      std::cerr << "emonet annotate: internal error on " << req.method << " " << req.path << ": "
                << e.what() << "\n";
      reply_error(res, 500, "internal error");
    }
  };
}

bool is_form(const Request& req) {
  const std::string type = to_lower(req.get_header_value("Content-Type"));
  return starts_with(type, "application/x-www-form-urlencoded") ||
         starts_with(type, "multipart/form-data");
}

json parse_body(const Request& req) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    throw HttpError(400, "request body must be a JSON object");
  }
  return body;
}

std::string string_field(const json& body, const char* name, bool required = true) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) throw HttpError(400, std::string("missing field '") + name + "'", name);
    return {};
  }
  if (!it->is_string()) throw HttpError(400, std::string("'") + name + "' must be a string", name);
  std::string s = it->get<std::string>();
  if (s.find('\0') != std::string::npos) {
    throw HttpError(400, std::string("'") + name + "' contains a NUL character", name);
  }
  return s;
}

std::int64_t id_match(const Request& req, std::size_t index) {
  try {
    return std::stoll(req.matches[index].str());
  } catch (const std::exception&) {
    throw HttpError(404, "no such resource");
  }
}

std::string http_date(std::time_t t) {
  char buf[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string mime_type(const std::string& path) {
  const std::string lower = to_lower(path);
  if (ends_with(lower, ".png")) return "image/png";
  if (ends_with(lower, ".webp")) return "image/webp";
  if (ends_with(lower, ".jpg") || ends_with(lower, ".jpeg")) return "image/jpeg";
  return "application/octet-stream";
}

bool valid_idempotency_key(const std::string& key) {
  if (key.size() < 8 || key.size() > 128) return false;
  for (char c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return true;
}

json user_json(const User& u) {
  return {{"id", u.id}, {"name", u.name}, {"role", std::string(role_name(u.role))}};
}

json event_json(const Event& e) {
  json j{{"item_id", e.item_id},
         {"event_id", e.id},
         {"created_ms", e.created_ms},
         {"answer", json::parse(e.answer, nullptr, false)},
         {"kind", e.kind}};
  j["response_ms"] = e.response_ms ? json(*e.response_ms) : json(nullptr);
  return j;
}

// A password hash to verify against when the user does not exist, so that a wrong name
// and a wrong password take the same time.
const std::string& dummy_hash() {
  static const std::string hash = hash_password("timing-equaliser-not-a-password");
  return hash;
}

// The transport's settings from the server's: security headers on every response,
// including the transport's own error answers.
http::EventServerOptions transport_options(const ServerOptions& o) {
  http::EventServerOptions t;
  t.workers = std::max(1, o.threads);
  t.max_body = o.max_body;
  t.read_timeout_s = o.read_timeout_s;
  t.write_timeout_s = o.write_timeout_s;
  t.keep_alive_timeout_s = 5;
  t.default_headers = {{"X-Content-Type-Options", "nosniff"},
                       {"X-Frame-Options", "DENY"},
                       {"Referrer-Policy", "same-origin"}};
  return t;
}

}  // namespace

Server::Server(Store& store, ServerOptions options, Clock clock)
    : ctx_(store, std::move(options), std::move(clock)),
      http_(std::make_unique<http::EventServer>(transport_options(ctx_.options()))) {
  if (ctx_.options().log_requests) {
    http_->set_logger([](const Request& req, const Response& res) {
      std::cerr << req.remote_addr << " " << req.method << " " << req.path << " " << res.status
                << "\n";
    });
  }
  http_->set_error_handler([](const Request&, Response& res) {
    const char* msg = res.status == 413   ? "request body too large"
                      : res.status == 404 ? "not found"
                      : res.status >= 500 ? "internal error"
                                          : "request failed";
    reply_error(res, res.status, msg);
  });

  // CSRF and authentication for every state-changing request, before routing.
  http_->set_pre_routing_handler([this](const Request& req, Response& res) {
    if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") {
      return http::EventServer::PreRouting::unhandled;
    }
    try {
      if (req.path == "/login" || req.path == "/api/login") {
        const std::string origin = req.get_header_value("Origin");
        const std::string host = req.get_header_value("Host");
        if (!origin.empty() && origin != "http://" + host && origin != "https://" + host) {
          reply_error(res, 403, "cross-origin login refused");
          return http::EventServer::PreRouting::handled;
        }
        return http::EventServer::PreRouting::unhandled;
      }
      auto session = ctx_.session(req);
      if (!session) {
        if (req.path == "/logout") {
          res.set_redirect("/login", 303);
        } else {
          reply_error(res, 401, "login required");
        }
        return http::EventServer::PreRouting::handled;
      }
      // Form bodies are read after routing: their handlers check the form field.
      if (!is_form(req) && !ctx_.csrf_ok(req, *session)) {
        reply_error(res, 403, "csrf token missing or wrong");
        return http::EventServer::PreRouting::handled;
      }
    } catch (const std::exception&) {
      reply_error(res, 500, "internal error");
      return http::EventServer::PreRouting::handled;
    }
    return http::EventServer::PreRouting::unhandled;
  });

  register_api();
  register_pages(http_->router(), ctx_);
}

Server::~Server() = default;

int Server::bind() {
  const ServerOptions& o = ctx_.options();
  return http_->bind(o.host, o.port);
}

void Server::run() {
  http_->run();
}
void Server::stop() {
  http_->stop();
}

void Server::register_api() {
  AppContext& ctx = ctx_;
  http::Router& routes = http_->router();
  auto require_session = [&ctx](const Request& req) {
    auto s = ctx.session(req);
    if (!s) throw HttpError(401, "login required");
    return *s;
  };
  auto require_admin = [require_session](const Request& req) {
    Session s = require_session(req);
    if (!s.user.is_admin()) throw HttpError(403, "admins only");
    return s;
  };
  auto load_project = [&ctx](const Request& req) {
    auto p = ctx.store().project(id_match(req, 1));
    if (!p) throw HttpError(404, "no such project");
    return *p;
  };

  // Login: returns the session on success; throws HttpError 401/429.
  auto login = [&ctx](const Request& req, const std::string& name, const std::string& password,
                      Response& res) {
    const std::int64_t now = ctx.now_ms();
    const std::string ip = req.remote_addr;
    if (auto wait = ctx.login_limiter().retry_after_s(ip, name, now); wait > 0) {
      res.set_header("Retry-After", std::to_string(wait));
      throw HttpError(429, "too many failed logins; try again later");
    }
    auto found = name.size() <= 200 ? ctx.store().find_user(name) : std::nullopt;
    const bool ok = found ? verify_password(password, found->second)
                          : (verify_password(password, dummy_hash()), false);
    if (!ok) {
      ctx.login_limiter().record_failure(ip, name, now);
      throw HttpError(401, "wrong username or password");
    }
    ctx.login_limiter().record_success(name);
    const std::string token = random_token();
    Session s{found->first, random_token(), now + ctx.options().session_seconds * 1000};
    ctx.store().create_session(sha256_hex(token), s.user.id, s.csrf_token, now, s.expires_ms);
    res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + token +
                                     "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                     std::to_string(ctx.options().session_seconds) +
                                     (ctx.options().secure_cookies ? "; Secure" : ""));
    return s;
  };
  auto clear_cookie = [&ctx](Response& res) {
    res.set_header("Set-Cookie", std::string(kSessionCookie) +
                                     "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
                                     (ctx.options().secure_cookies ? "; Secure" : ""));
  };

  routes.Post("/login", [login](const Request& req, Response& res) {
    std::string next = req.get_param_value("next");
    if (next.empty() || next[0] != '/' ||
        (next.size() > 1 && (next[1] == '/' || next[1] == '\\'))) {
      next = "/";
    }
    try {
      login(req, req.get_param_value("username"), req.get_param_value("password"), res);
      res.set_redirect(next, 303);
    } catch (const HttpError& e) {
      res.set_redirect(e.status() == 429 ? "/login?error=rate" : "/login?error=1", 303);
    } catch (const std::exception&) {
      res.set_redirect("/login?error=1", 303);
    }
  });
  routes.Post("/api/login", guarded([login](const Request& req, Response& res) {
                const json body = parse_body(req);
                Session s =
                    login(req, string_field(body, "username"), string_field(body, "password"), res);
                reply(res, 200, {{"user", user_json(s.user)}, {"csrf_token", s.csrf_token}});
              }));
  routes.Post("/logout", [&ctx, clear_cookie](const Request& req, Response& res) {
    auto s = ctx.session(req);
    if (s && ctx.csrf_ok(req, *s)) {
      ctx.store().delete_session(sha256_hex(session_token(req)));
      clear_cookie(res);
      res.set_redirect("/login", 303);
      return;
    }
    reply_error(res, 403, "csrf token missing or wrong");
  });
  routes.Post("/api/logout", guarded([&ctx, clear_cookie](const Request& req, Response& res) {
                ctx.store().delete_session(sha256_hex(session_token(req)));
                clear_cookie(res);
                reply(res, 200, json::object());
              }));
  routes.Get("/api/me", guarded([require_session](const Request& req, Response& res) {
               Session s = require_session(req);
               reply(res, 200, {{"user", user_json(s.user)}, {"csrf_token", s.csrf_token}});
             }));

  // ---- expert routes ----
  routes.Get("/api/projects", guarded([&ctx, require_session](const Request& req, Response& res) {
               reply(res, 200, ctx.projects_json(require_session(req).user));
             }));
  routes.Get(R"(/api/projects/(\d+))",
             guarded([&ctx, require_session](const Request& req, Response& res) {
               Session s = require_session(req);
               reply(res, 200, ctx.project_json(s.user, id_match(req, 1)));
             }));
  routes.Get(R"(/api/projects/(\d+)/next)",
             guarded([&ctx, require_session](const Request& req, Response& res) {
               Session s = require_session(req);
               int count = 1;
               if (req.has_param("count")) {
                 count = static_cast<int>(parse_int(req.get_param_value("count"), "count"));
               }
               json out = ctx.next_items_json(s.user, id_match(req, 1), count);
               if (out["items"].empty()) {
                 res.status = 204;
                 res.set_header("Cache-Control", "no-store");
                 return;
               }
               reply(res, 200, out);
             }));
  routes.Post(
      R"(/api/projects/(\d+)/items/(\d+)/answer)",
      guarded([&ctx, require_session, load_project](const Request& req, Response& res) {
        Session s = require_session(req);
        const Project project = load_project(req);
        const std::int64_t item_id = id_match(req, 2);
        const json body = parse_body(req);
        const std::string key = string_field(body, "idempotency_key");
        if (!valid_idempotency_key(key)) {
          throw HttpError(400, "idempotency_key must be 8..128 characters [A-Za-z0-9_-]",
                          "idempotency_key");
        }
        std::optional<std::int64_t> response_ms;
        if (auto it = body.find("response_ms"); it != body.end() && !it->is_null()) {
          if (!it->is_number_integer() || it->get<long long>() < 0) {
            throw HttpError(400, "'response_ms' must be a non-negative integer", "response_ms");
          }
          response_ms = it->get<std::int64_t>();
        }
        const std::int64_t now = ctx.now_ms();
        auto check = [&](const Item& item, bool swap) {
          return check_answer(project, item, swap, body);
        };
        // "next": n (1..5) also leases the expert's next items in the same commit.
        int then_lease = 0;
        if (auto it = body.find("next"); it != body.end() && !it->is_null()) {
          if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > 5) {
            throw HttpError(400, "'next' must be an integer from 0 to 5", "next");
          }
          then_lease = it->get<int>();
        }
        std::vector<Lease> leased;
        SubmitResult r = ctx.store().submit(s.user, project, item_id, key, check, response_ms, now,
                                            then_lease, &leased);
        const Progress pr = ctx.store().progress(s.user.id, project.id, now);
        json out = {
            {"event_id", r.event_id},
            {"duplicate", r.duplicate},
            {"edit", r.edit},
            {"progress",
             {{"answered", pr.answered}, {"open_for_me", pr.open_for_me}, {"items", pr.items}}}};
        if (then_lease > 0) {
          json items = json::array();
          for (const auto& l : leased)
            items.push_back(item_json(project, l.item, l.swap, l.expires_ms));
          out["next"] = {{"items", std::move(items)}};
        }
        reply(res, 200, out);
      }));
  routes.Get(
      R"(/api/projects/(\d+)/items/(\d+)/my-answer)",
      guarded([&ctx, require_session, load_project](const Request& req, Response& res) {
        Session s = require_session(req);
        const Project project = load_project(req);
        const std::int64_t item_id = id_match(req, 2);
        auto lease = ctx.store().assignment(s.user.id, project.id, item_id);
        if (!lease) throw HttpError(403, "this item is not assigned to you");
        json answers = json::array();
        for (const auto& e : ctx.store().user_events(project.id, s.user.id, item_id)) {
          answers.push_back(event_json(e));
        }
        reply(res, 200,
              {{"item", item_json(project, lease->item, lease->swap, 0)}, {"answers", answers}});
      }));
  routes.Get(R"(/api/projects/(\d+)/my-answers)",
             guarded([&ctx, require_session, load_project](const Request& req, Response& res) {
               Session s = require_session(req);
               const Project project = load_project(req);
               std::map<std::int64_t, Event> latest;
               for (auto& e : ctx.store().user_events(project.id, s.user.id, std::nullopt)) {
                 latest[e.item_id] = std::move(e);
               }
               json answers = json::array();
               for (const auto& [id, e] : latest) answers.push_back(event_json(e));
               reply(res, 200, {{"answers", answers}});
             }));

  routes.Get(R"(/images/(\d+)/(\d+))",
             guarded([&ctx, require_session, load_project](const Request& req, Response& res) {
               Session s = require_session(req);
               const Project project = load_project(req);
               const std::int64_t item_id = id_match(req, 2);
               auto item = ctx.store().item(project.id, item_id);
               if (!item) throw HttpError(404, "no such item");
               if (!s.user.is_admin() && !ctx.store().assigned(s.user.id, item_id)) {
                 throw HttpError(403, "this image is not assigned to you");
               }
               // The path comes from the database, never from the request; still refuse
               // anything that would leave the project folder (symlinks included).
               if (!safe_relative_path(item->image) || project.images_dir.empty()) {
                 throw HttpError(404, "image not found");
               }
               std::error_code ec;
               const fs::path root = fs::weakly_canonical(project.images_dir, ec);
               const fs::path file = fs::weakly_canonical(root / item->image, ec);
               const std::string prefix = root.string() + "/";
               if (ec || file.string().compare(0, prefix.size(), prefix) != 0) {
                 throw HttpError(404, "image not found");
               }
               struct stat st {};
               if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
                 throw HttpError(404, "image not found");
               }
               const std::string etag = "\"" + std::to_string(st.st_size) + "-" +
                                        std::to_string(st.st_mtim.tv_sec) + "." +
                                        std::to_string(st.st_mtim.tv_nsec) + "\"";
               const std::string modified = http_date(st.st_mtim.tv_sec);
               res.set_header("ETag", etag);
               res.set_header("Last-Modified", modified);
               res.set_header("Cache-Control", "private, max-age=86400");
               const std::string inm = req.get_header_value("If-None-Match");
               if ((!inm.empty() && inm == etag) ||
                   (inm.empty() && req.get_header_value("If-Modified-Since") == modified)) {
                 res.status = 304;
                 return;
               }
               res.set_content(read_file(file.string()), mime_type(file.string()).c_str());
             }));

  // ---- admin routes ----
  // Group-commit counters of this instance (how many votes and leases shared a commit).
  routes.Get("/api/admin/stats", guarded([&ctx, require_admin](const Request& req, Response& res) {
               require_admin(req);
               const GroupCommitStats g = ctx.store().db().group_stats();
               reply(res, 200,
                     {{"group_commit",
                       {{"batches", g.batches},
                        {"jobs", g.jobs},
                        {"largest", g.largest},
                        {"retries", g.retries},
                        {"max_group", Database::kMaxGroup}}}});
             }));
  routes.Get("/api/admin/users", guarded([&ctx, require_admin](const Request& req, Response& res) {
               require_admin(req);
               json users = json::array();
               for (const auto& u : ctx.store().users()) {
                 json j = user_json(u);
                 j["created_ms"] = u.created_ms;
                 users.push_back(std::move(j));
               }
               reply(res, 200, {{"users", users}});
             }));
  routes.Post("/api/admin/users", guarded([&ctx, require_admin](const Request& req, Response& res) {
                Session s = require_admin(req);
                const json body = parse_body(req);
                const std::string name = string_field(body, "username");
                const std::string password = string_field(body, "password");
                const std::string role = string_field(body, "role", false);
                if (name.empty() || name.size() > 200) {
                  throw HttpError(400, "username must be 1..200 characters", "username");
                }
                Role r = Role::expert;
                try {
                  r = role.empty() ? Role::expert : parse_role(role);
                } catch (const Error& e) {
                  throw HttpError(400, e.message(), "role");
                }
                std::string hash;
                try {
                  hash = hash_password(password);
                } catch (const Error& e) {
                  throw HttpError(400, e.message(), "password");
                }
                User u = ctx.store().create_user(name, hash, r, ctx.now_ms());
                ctx.store().audit(s.user.id, "create_user",
                                  json{{"name", name}, {"role", role_name(r)}}.dump(),
                                  ctx.now_ms());
                reply(res, 201, {{"user", user_json(u)}});
              }));
  routes.Get("/api/admin/projects",
             guarded([&ctx, require_admin](const Request& req, Response& res) {
               require_admin(req);
               json list = json::array();
               for (const auto& p : ctx.store().projects()) {
                 list.push_back({{"id", p.id},
                                 {"name", p.name},
                                 {"protocol", std::string(protocol_name(p.protocol))},
                                 {"items", p.item_count},
                                 {"overlap", p.overlap},
                                 {"lease_seconds", p.lease_seconds},
                                 {"created_ms", p.created_ms}});
               }
               reply(res, 200, {{"projects", list}});
             }));
  routes.Post("/api/admin/projects",
              guarded([&ctx, require_admin](const Request& req, Response& res) {
                Session s = require_admin(req);
                const json body = parse_body(req);
                if (ctx.options().images_root.empty()) {
                  throw HttpError(403,
                                  "the server runs without --images-root: create projects with "
                                  "`emonet annotate create-project`");
                }
                const fs::path root = fs::weakly_canonical(ctx.options().images_root);
                auto inside_root = [&](const std::string& rel, const char* field) -> std::string {
                  if (rel.empty()) return {};
                  if (!safe_relative_path(rel)) {
                    throw HttpError(400, "path must be relative to the images root", field);
                  }
                  const fs::path full = fs::weakly_canonical(root / rel);
                  const std::string prefix = root.string() + "/";
                  if (full.string().compare(0, prefix.size(), prefix) != 0) {
                    throw HttpError(400, "path leaves the images root", field);
                  }
                  return full.string();
                };
                ProjectSpec spec;
                spec.name = string_field(body, "name");
                if (spec.name.empty() || spec.name.size() > 200) {
                  throw HttpError(400, "name must be 1..200 characters", "name");
                }
                spec.protocol = parse_protocol(string_field(body, "protocol"));
                if (auto it = body.find("overlap"); it != body.end()) {
                  if (!it->is_number_integer())
                    throw HttpError(400, "'overlap' must be an integer", "overlap");
                  spec.overlap = it->get<int>();
                }
                if (auto it = body.find("lease_seconds"); it != body.end()) {
                  if (!it->is_number_integer()) {
                    throw HttpError(400, "'lease_seconds' must be an integer", "lease_seconds");
                  }
                  spec.lease_seconds = it->get<std::int64_t>();
                }
                ProjectSource source;
                source.images_dir = inside_root(string_field(body, "images", false), "images");
                source.manifest = inside_root(string_field(body, "manifest", false), "manifest");
                source.guide = inside_root(string_field(body, "guide", false), "guide");
                auto items = build_items(spec, source);
                Project p = ctx.store().create_project(spec, items, ctx.now_ms());
                ctx.store().audit(
                    s.user.id, "create_project",
                    json{{"project_id", p.id}, {"name", p.name}, {"items", items.size()}}.dump(),
                    ctx.now_ms());
                reply(res, 201,
                      {{"project",
                        {{"id", p.id},
                         {"name", p.name},
                         {"protocol", std::string(protocol_name(p.protocol))},
                         {"items", p.item_count}}}});
              }));
  routes.Get(
      R"(/api/admin/projects/(\d+)/progress)",
      guarded([&ctx, require_admin, load_project](const Request& req, Response& res) {
        require_admin(req);
        const Project p = load_project(req);
        reply(res, 200,
              progress_json(
                  ctx.store(), p,
                  req.has_param("offset") ? parse_int(req.get_param_value("offset"), "offset") : 0,
                  req.has_param("limit") ? parse_int(req.get_param_value("limit"), "limit") : 100,
                  ctx.now_ms()));
      }));
  routes.Get(R"(/api/admin/projects/(\d+)/agreement)",
             guarded([&ctx, require_admin, load_project](const Request& req, Response& res) {
               require_admin(req);
               reply(res, 200, agreement_json(ctx.store(), load_project(req)));
             }));
  routes.Get(R"(/api/admin/projects/(\d+)/disagreement)",
             guarded([&ctx, require_admin, load_project](const Request& req, Response& res) {
               require_admin(req);
               const std::int64_t limit =
                   req.has_param("limit") ? parse_int(req.get_param_value("limit"), "limit") : 20;
               reply(res, 200, disagreement_json(ctx.store(), load_project(req), limit));
             }));
  routes.Get(R"(/api/admin/projects/(\d+)/export)",
             guarded([&ctx, require_admin, load_project](const Request& req, Response& res) {
               Session s = require_admin(req);
               const Project p = load_project(req);
               std::string format = req.has_param("format") ? req.get_param_value("format") : "csv";
               const std::string text = export_project(ctx.store(), p, format);
               if (format == "csv") {
                 format = p.protocol == Protocol::intensity ? "hq.csv"
                          : p.protocol == Protocol::binary  ? "binary.csv"
                                                            : "compare.csv";
               }
               ctx.store().audit(s.user.id, "export",
                                 json{{"project_id", p.id}, {"format", format}}.dump(),
                                 ctx.now_ms());
               res.set_header("Content-Disposition", "attachment; filename=\"" + format + "\"");
               res.set_header("Cache-Control", "no-store");
               res.set_content(text, ends_with(format, ".csv") ? "text/csv; charset=utf-8"
                                                               : "application/x-ndjson");
             }));
  routes.Get(
      "/api/admin/audit", guarded([&ctx, require_admin](const Request& req, Response& res) {
        require_admin(req);
        const std::int64_t limit =
            req.has_param("limit") ? parse_int(req.get_param_value("limit"), "limit") : 100;
        json events = json::array();
        for (const auto& a : ctx.store().audit_log(std::clamp<std::int64_t>(limit, 1, 10000))) {
          events.push_back({{"id", a.id},
                            {"user", a.user},
                            {"action", a.action},
                            {"detail", a.detail},
                            {"created_ms", a.created_ms}});
        }
        reply(res, 200, {{"events", events}});
      }));
}

}  // namespace emonet::annotate
