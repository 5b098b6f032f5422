// Admin pages of the annotation UI: the overview (projects, users, audit log) and one
// page per project (progress per expert and per item, live agreement, the items with
// the most disagreement, export downloads). The pages are server-rendered frames;
// admin.js fills their tables from the admin JSON API and refreshes the live parts.
#pragma once

#include "annotate/http_router.h"

namespace emonet::annotate {

class AppContext;

void register_admin_pages(http::Router& server, AppContext& ctx);

}  // namespace emonet::annotate
