// Access control and error handling shared by every HTML route of the annotation UI.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "annotate/http_router.h"
#include "annotate/types.h"

namespace emonet::annotate {

class AppContext;

// An error page ("Error 403" + message) with the given status.
void send_error_page(http::Response& res, const std::optional<Session>& session, int status,
                     const std::string& message);

// A page handler for signed-in users.
using PageHandler = std::function<void(const http::Request&, http::Response&, const Session&)>;

// Wraps a page handler: no session → redirect to /login?next=<path>; a non-admin on an
// admin page → 403 page; HttpError → error page with its status; anything else → 500
// page without internals.
http::Handler signed_in(AppContext& ctx, bool admin_only, PageHandler handler);

}  // namespace emonet::annotate
