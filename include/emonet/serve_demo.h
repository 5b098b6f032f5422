// The demo page `emonet serve` answers at GET /: one self-contained HTML document (inline
// CSS and JS, no external asset) that sends a picked or dropped image to /v1/predict and
// shows the answer.
//
// Immutable static data: thread-safe.
#pragma once

#include <string_view>

namespace emonet::serve {

// The page's exact bytes (text/html; charset=utf-8).
std::string_view demo_page_html();

}  // namespace emonet::serve
