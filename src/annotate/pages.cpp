// The HTML routes of `emonet annotate serve`: login, the expert dashboard, the three
// annotation workspaces (intensity, binary, compare), the admin pages, and the embedded
// static assets. Pages are rendered on the server from the same JSON documents the API
// serves; app.js then drives the API (docs/annotate-api.md) for answers and navigation.
#include "annotate/pages.h"

#include <optional>
#include <string>

#include "annotate/context.h"
#include "annotate/html.h"
#include "annotate/http_router.h"
#include "annotate/page_guard.h"
#include "annotate/page_layout.h"
#include "annotate/pages_admin.h"
#include "annotate/pages_forms.h"

namespace emonet::annotate {
namespace {

// How many items the workspace asks for at once: the one on screen plus 3 preloaded.
constexpr int kItemsAhead = 4;

// A local path to return to after login; anything else (other hosts, "//evil") is dropped.
std::string safe_next(const std::string& next) {
  if (next.size() < 1 || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\')))
    return "/";
  for (char c : next) {
    if (static_cast<unsigned char>(c) < 0x20) return "/";
  }
  return next;
}

void login_page(AppContext& ctx, const http::Request& req, http::Response& res) {
  if (ctx.session(req)) {
    res.set_redirect(safe_next(req.get_param_value("next")), 303);
    return;
  }
  std::string error;
  if (req.has_param("error")) {
    error =
        "Sign-in failed. Check your user name and password; after several failed attempts, "
        "wait a few minutes.";
  }
  PageSpec spec;
  spec.title = "Sign in";
  spec.page = "login";
  spec.main_class = "narrow";
  spec.content = render_template(
      "login.html", {{"error", error}, {"next", safe_next(req.get_param_value("next"))}});
  send_html(res, render_page(spec, std::nullopt));
}

void dashboard_page(AppContext& ctx, const http::Request&, http::Response& res,
                    const Session& session) {
  const nlohmann::json projects = ctx.projects_json(session.user)["projects"];
  PageSpec spec;
  spec.title = "My projects";
  spec.page = "dashboard";
  spec.main_class = "narrow";
  spec.content = Html::markup("<h1>My projects</h1>");
  spec.content += render_project_table(projects);
  spec.content.append_markup(
      "<p class=\"muted\">Your answers are saved the moment the server confirms them; you can "
      "stop at any time and resume where you left off.</p>");
  send_html(res, render_page(spec, session));
}

void annotate_page(AppContext& ctx, const http::Request& req, http::Response& res,
                   const Session& session) {
  const std::int64_t project_id = std::stoll(req.matches[1]);
  const nlohmann::json project = ctx.project_json(session.user, project_id);
  const std::string protocol = project.value("protocol", "");
  const std::string name = project.value("name", "project");

  PageSpec spec;
  spec.title = name;
  spec.page = protocol;
  spec.data = {{"project_id", project_id},
               {"protocol", protocol},
               {"next", ctx.next_items_json(session.user, project_id, kItemsAhead)}};
  if (protocol == "intensity") {
    const nlohmann::json form = project.value("form", nlohmann::json::object());
    spec.content = render_template("intensity.html", {{"project_name", name},
                                                      {"group_buttons", render_group_buttons(form)},
                                                      {"panels", render_slider_panels(form)}});
  } else if (protocol == "binary") {
    spec.content = render_template(
        "binary.html",
        {{"project_name", name},
         {"question", project.value("question", "Are the emotions present in the image?")}});
  } else if (protocol == "compare") {
    spec.content = render_template(
        "compare.html",
        {{"project_name", name},
         {"question", project.value("question", "Which description fits the face better?")}});
  } else {
    throw HttpError(500, "project has an unknown protocol");
  }
  send_html(res, render_page(spec, session));
}

}  // namespace

void register_pages(http::Router& server, AppContext& ctx) {
  register_static_assets(server);
  server.Get("/login", [&ctx](const http::Request& req, http::Response& res) {
    try {
      login_page(ctx, req, res);
    } catch (const std::exception&) {
      send_error_page(res, std::nullopt, 500, "The server could not show this page.");
    }
  });
  server.Get("/", signed_in(ctx, false, [&ctx](const auto& req, auto& res, const auto& s) {
               dashboard_page(ctx, req, res, s);
             }));
  server.Get(R"(/annotate/(\d{1,18}))",
             signed_in(ctx, false, [&ctx](const auto& req, auto& res, const auto& s) {
               annotate_page(ctx, req, res, s);
             }));
  register_admin_pages(server, ctx);
}

}  // namespace emonet::annotate
