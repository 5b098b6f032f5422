// HTML generation for the annotation UI's server-rendered pages.
//
// The one rule: text from anywhere (user names, project names, file names, guide.json
// synonyms, error messages) reaches a page only through html_escape(). To make that rule
// hard to break, fragments that are already HTML have their own type, `Html`; a plain
// std::string is always treated as text and escaped when it is interpolated, in element
// content and in quoted attribute values alike.
//
// Templates are embedded files (see web_assets.h) with `{{name}}` placeholders.
// render_template() replaces each with the value's HTML form and throws emonet::Error for
// a placeholder without a value, so a typo cannot silently produce an empty page.
//
// All functions are pure and thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace emonet::annotate {

// Escapes & < > " ' so the result is safe in element content and in single- or
// double-quoted attribute values.
std::string html_escape(std::string_view text);

// A fragment of trusted HTML: built only from literals and escaped text.
class Html {
 public:
  Html() = default;
  // Markup written in our own source code (a literal, never data).
  static Html markup(std::string_view literal) { return Html(std::string(literal)); }
  // Text, escaped.
  static Html text(std::string_view text) { return Html(html_escape(text)); }

  Html& operator+=(const Html& other) {
    html_ += other.html_;
    return *this;
  }
  Html& append_markup(std::string_view literal) {
    html_ += literal;
    return *this;
  }
  Html& append_text(std::string_view text) {
    html_ += html_escape(text);
    return *this;
  }
  const std::string& str() const { return html_; }

 private:
  explicit Html(std::string html) : html_(std::move(html)) {}
  std::string html_;
};

// A template value: either text (escaped on interpolation) or an Html fragment.
class TemplateValue {
 public:
  TemplateValue(const Html& html) : html_(html) {}                     // NOLINT
  TemplateValue(std::string_view text) : html_(Html::text(text)) {}    // NOLINT
  TemplateValue(const std::string& text) : html_(Html::text(text)) {}  // NOLINT
  TemplateValue(const char* text) : html_(Html::text(text)) {}         // NOLINT
  const Html& html() const { return html_; }

 private:
  Html html_;
};

using TemplateVars = std::initializer_list<std::pair<std::string_view, TemplateValue>>;

// Fills `{{name}}` placeholders of the embedded template `template_name`.
Html render_template(std::string_view template_name, TemplateVars vars);
// Same, for template text given directly (used by tests).
Html render_template_text(std::string_view template_text, TemplateVars vars);

}  // namespace emonet::annotate
