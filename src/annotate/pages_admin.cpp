#include "annotate/pages_admin.h"

#include <string>

#include "annotate/context.h"
#include "annotate/html.h"
#include "annotate/page_guard.h"
#include "annotate/page_layout.h"

namespace emonet::annotate {
namespace {

void admin_overview(const http::Request&, http::Response& res, const Session& session) {
  PageSpec spec;
  spec.title = "Administration";
  spec.page = "admin";
  spec.main_class = "narrow";
  spec.admin_script = true;
  spec.content = render_template("admin.html", {});
  send_html(res, render_page(spec, session));
}

void admin_project(const http::Request& req, http::Response& res, const Session& session) {
  const std::int64_t project_id = std::stoll(req.matches[1]);
  const std::string id = std::to_string(project_id);
  Html downloads;
  // Export formats of GET /api/admin/projects/{pid}/export (docs/annotate-api.md).
  static constexpr const char* kFormats[][2] = {
      {"hq.csv", "hq.csv (intensity, authors' format)"},
      {"binary.csv", "binary.csv (binary, authors' format)"},
      {"compare.csv", "compare.csv"},
      {"jsonl", "latest answers (JSONL)"},
      {"events.jsonl", "every event incl. edits (JSONL)"}};
  for (const auto& [format, label] : kFormats) {
    downloads.append_markup("<li data-format=\"")
        .append_text(format)
        .append_markup("\"><a href=\"/api/admin/projects/")
        .append_text(id)
        .append_markup("/export?format=")
        .append_text(format)
        .append_markup("\" download>")
        .append_text(label)
        .append_markup("</a></li>");
  }
  PageSpec spec;
  spec.title = "Project " + id;
  spec.page = "admin-project";
  spec.main_class = "narrow";
  spec.admin_script = true;
  spec.data = {{"project_id", project_id}};
  spec.content =
      render_template("admin_project.html", {{"project_id", id}, {"downloads", downloads}});
  send_html(res, render_page(spec, session));
}

}  // namespace

void register_admin_pages(http::Router& server, AppContext& ctx) {
  server.Get("/admin", signed_in(ctx, true, admin_overview));
  server.Get(R"(/admin/projects/(\d{1,18}))", signed_in(ctx, true, admin_project));
}

}  // namespace emonet::annotate
