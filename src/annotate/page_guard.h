// Access control and error handling shared by every HTML route of the annotation UI.
#pragma once

#include <httplib.h>

#include <functional>
#include <optional>
#include <string>

#include "annotate/types.h"

namespace emonet::annotate {

class AppContext;

// An error page ("Error 403" + message) with the given status.
void send_error_page(httplib::Response& res, const std::optional<Session>& session, int status,
                     const std::string& message);

// A page handler for signed-in users.
using PageHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const Session&)>;

// Wraps a page handler: no session → redirect to /login?next=<path>; a non-admin on an
// admin page → 403 page; HttpError → error page with its status; anything else → 500
// page without internals.
httplib::Server::Handler signed_in(AppContext& ctx, bool admin_only, PageHandler handler);

}  // namespace emonet::annotate
