#include "annotate/html.h"

#include "annotate/web_assets.h"
#include "emonet/error.h"
#include "emonet/html.h"

namespace emonet::annotate {

std::string html_escape(std::string_view text) {
  return ::emonet::html_escape(text);
}

Html render_template_text(std::string_view text, TemplateVars vars) {
  std::string out;
  out.reserve(text.size() * 2);
  std::size_t pos = 0;
  while (true) {
    std::size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      throw Error("unterminated template placeholder '" + std::string(text.substr(open, 40)) + "'");
    }
    out.append(text.substr(pos, open - pos));
    std::string_view name = text.substr(open + 2, close - open - 2);
    const TemplateValue* value = nullptr;
    for (const auto& [key, candidate] : vars) {
      if (key == name) value = &candidate;
    }
    if (value == nullptr) {
      throw Error("template placeholder '{{" + std::string(name) + "}}' has no value");
    }
    out += value->html().str();
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return Html::markup(out);
}

Html render_template(std::string_view template_name, TemplateVars vars) {
  const WebAsset* asset = find_web_asset(template_name);
  if (asset == nullptr) {
    throw Error("no embedded UI template '" + std::string(template_name) + "'");
  }
  try {
    return render_template_text(asset->bytes, vars);
  } catch (const Error& e) {
    throw e.with_file(std::string(template_name));
  }
}

}  // namespace emonet::annotate
