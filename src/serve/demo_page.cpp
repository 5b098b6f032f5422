// The demo page: src/serve/web/demo.html, embedded at build time (src/serve/web/demo.cmake),
// with the taxonomy (head key -> display name, group) filled into its JSON script element
// once, so the page labels bars with the same names as `emonet taxonomy` and needs no
// request or external asset for them.
#include <cstddef>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "emonet/serve_demo.h"
#include "emonet/taxonomy.h"

namespace emonet::serve {
namespace {

#include "serve/demo_html.inc"

// The element the page reads its taxonomy from; demo.html ships it empty ("[]").
constexpr std::string_view kTaxonomySlot =
    R"(<script type="application/json" id="emonet-taxonomy">[]</script>)";

std::string taxonomy_json() {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Category& c : categories()) {
    out.push_back(
        {{"key", c.head_key}, {"name", c.name}, {"group", c.group}, {"extra", c.is_extra()}});
  }
  // "</" inside a script element would end it early; no name contains it, but escape anyway.
  std::string text = out.dump();
  for (std::size_t at = text.find("</"); at != std::string::npos; at = text.find("</", at)) {
    text.replace(at, 2, "<\\/");
  }
  return text;
}

std::string build_page() {
  std::string page(reinterpret_cast<const char*>(kDemoHtml), kDemoHtmlSize);
  const std::size_t at = page.find(kTaxonomySlot);
  if (at == std::string::npos) {
    // A build-time mistake in demo.html, not a run-time condition: fail loudly.
    throw std::logic_error("demo.html lacks its emonet-taxonomy script element");
  }
  const std::size_t open = at + kTaxonomySlot.find("[]");
  page.replace(open, 2, taxonomy_json());
  return page;
}

}  // namespace

std::string_view demo_page_html() {
  static const std::string page = build_page();  // thread-safe one-time initialisation
  return page;
}

}  // namespace emonet::serve
