#include "annotate/page_guard.h"

#include <cctype>

#include "annotate/context.h"
#include "annotate/html.h"
#include "annotate/page_layout.h"

namespace emonet::annotate {
namespace {

// Query-string encoding of a path: unreserved characters and '/' stay, the rest is %XX.
std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

void send_error_page(http::Response& res, const std::optional<Session>& session, int status,
                     const std::string& message) {
  PageSpec spec;
  spec.title = "Error " + std::to_string(status);
  spec.page = "error";
  spec.main_class = "narrow";
  spec.content = Html::markup("<div class=\"card\"><h1>")
                     .append_text(spec.title)
                     .append_markup("</h1><p class=\"error\" role=\"alert\">")
                     .append_text(message)
                     .append_markup("</p><p><a href=\"/\">Back to my projects</a></p></div>");
  send_html(res, render_page(spec, session), status);
}

http::Handler signed_in(AppContext& ctx, bool admin_only, PageHandler handler) {
  return [&ctx, admin_only, handler = std::move(handler)](const http::Request& req,
                                                          http::Response& res) {
    std::optional<Session> session;
    try {
      session = ctx.session(req);
      if (!session) {
        res.set_redirect("/login?next=" + percent_encode(req.path), 303);
        return;
      }
      if (admin_only && !session->user.is_admin()) {
        send_error_page(res, session, 403, "This page is for administrators.");
        return;
      }
      handler(req, res, *session);
    } catch (const HttpError& e) {
      send_error_page(res, session, e.status(), e.message());
    } catch (const std::exception&) {
      send_error_page(res, session, 500, "The server could not show this page.");
    }
  };
}

}  // namespace emonet::annotate
