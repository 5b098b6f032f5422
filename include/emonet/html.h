// HTML escaping shared by every module that writes HTML (the annotation pages, the
// benchmark's report.html). Escapes & < > " ' so a value is safe in element text and in
// quoted attribute values. Pure function, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace emonet {

std::string html_escape(std::string_view text);

}  // namespace emonet
