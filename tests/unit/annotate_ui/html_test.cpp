// The annotation UI's HTML generation: escaping, templates, the intensity form and the
// JSON data block, including hostile strings in every interpolated position.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "annotate/html.h"
#include "annotate/page_layout.h"
#include "annotate/pages_forms.h"
#include "annotate/web_assets.h"
#include "emonet/error.h"

namespace emonet::annotate {
namespace {

const std::string kHostile = "<script>alert('x')</script>\"&";

TEST(HtmlEscape, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escape("a<b>c&d\"e'f"), "a&lt;b&gt;c&amp;d&quot;e&#39;f");
  EXPECT_EQ(html_escape(""), "");
  EXPECT_EQ(html_escape("Jealousy & Envy"), "Jealousy &amp; Envy");
  // Multi-byte UTF-8 passes through untouched.
  EXPECT_EQ(html_escape("Überraschung ✓"), "Überraschung ✓");
}

TEST(Template, EscapesTextButNotHtmlFragments) {
  Html bold = Html::markup("<b>").append_text(kHostile).append_markup("</b>");
  Html out =
      render_template_text("<p title=\"{{t}}\">{{t}}</p>{{b}}", {{"t", kHostile}, {"b", bold}});
  EXPECT_EQ(out.str(),
            "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;\">"
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;</p>"
            "<b>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;</b>");
}

TEST(Template, MissingValueOrUnterminatedPlaceholderThrows) {
  EXPECT_THROW(render_template_text("{{missing}}", {}), Error);
  EXPECT_THROW(render_template_text("{{open", {{"open", "x"}}), Error);
  EXPECT_THROW(render_template("no-such-template.html", {}), Error);
}

TEST(WebAssets, EveryTemplateAndScriptIsEmbedded) {
  for (const char* name :
       {"app.css", "app.js", "admin.js", "layout.html", "header.html", "login.html",
        "intensity.html", "binary.html", "compare.html", "admin.html", "admin_project.html"}) {
    const WebAsset* asset = find_web_asset(name);
    ASSERT_NE(asset, nullptr) << name;
    EXPECT_GT(asset->bytes.size(), 100u) << name;
  }
  EXPECT_EQ(find_web_asset("../pages.cpp"), nullptr);
}

TEST(JsonForScript, CannotCloseTheScriptElement) {
  nlohmann::json value = {{"name", "</script><script>alert(1)</script>"}, {"n", 3}};
  std::string text = json_for_script(value);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(text.find('>'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(text), value);  // still the same JSON
}

nlohmann::json two_group_form() {
  return nlohmann::json::parse(R"({"min": 0, "max": 7, "groups": [
    {"name": "Positive High-Energy Emotions", "emotions": [
      {"key": "Positive High-Energy Emotions|Amusement", "name": "Amusement",
       "description": "finding something funny", "synonyms": ["fun", "laughter"]},
      {"key": "Positive High-Energy Emotions|Awe", "name": "Awe",
       "description": "wonder", "synonyms": []}]},
    {"name": "Longing & Lust", "emotions": [
      {"key": "Longing & Lust|Longing", "name": "Longing",
       "description": "d", "synonyms": ["<img src=x onerror=alert(1)>"]}]}]})");
}

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

TEST(IntensityForm, OneLabelledSliderPerEmotionWithSynonyms) {
  const std::string panels = render_slider_panels(two_group_form()).str();
  EXPECT_EQ(count(panels, "type=\"range\""), 3);
  EXPECT_EQ(count(panels, "<fieldset class=\"panel\""), 2);
  // label/for pairs match the slider ids
  for (int i = 1; i <= 3; ++i) {
    const std::string id = "slider-" + std::to_string(i);
    EXPECT_EQ(count(panels, "for=\"" + id + "\""), 2) << id;  // <label> and <output>
    EXPECT_EQ(count(panels, "id=\"" + id + "\""), 1) << id;
  }
  EXPECT_NE(panels.find("min=\"0\" max=\"7\" step=\"1\" value=\"0\""), std::string::npos);
  EXPECT_NE(panels.find(">fun, laughter<"), std::string::npos);
  EXPECT_NE(panels.find(">wonder<"), std::string::npos);  // description when no synonyms
  EXPECT_NE(panels.find("name=\"Longing &amp; Lust|Longing\""), std::string::npos);
  EXPECT_EQ(panels.find("<img"), std::string::npos);
  EXPECT_NE(panels.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
}

TEST(IntensityForm, GroupButtonsControlTheirPanels) {
  const std::string buttons = render_group_buttons(two_group_form()).str();
  EXPECT_EQ(count(buttons, "<button type=\"button\""), 2);
  EXPECT_NE(buttons.find("aria-controls=\"panel-2\""), std::string::npos);
  EXPECT_NE(buttons.find("Longing &amp; Lust"), std::string::npos);
}

TEST(Dashboard, ProjectTableEscapesNamesAndLinksById) {
  nlohmann::json projects = nlohmann::json::parse(R"([{"id": 7, "name": "<b>p</b>",
      "protocol": "binary", "progress": {"answered": 2, "open_for_me": 3, "items": 9}}])");
  const std::string table = render_project_table(projects).str();
  EXPECT_NE(table.find("href=\"/annotate/7\""), std::string::npos);
  EXPECT_NE(table.find("&lt;b&gt;p&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(table.find("<b>"), std::string::npos);
  EXPECT_NE(table.find("max=\"5\" value=\"2\""), std::string::npos);
  EXPECT_NE(render_project_table(nlohmann::json::array()).str().find("no-projects"),
            std::string::npos);
}

TEST(Layout, PageCarriesCsrfTokenEscapedAndFingerprintedAssets) {
  PageSpec spec;
  spec.title = kHostile;
  spec.page = "dashboard";
  spec.content = Html::markup("<p>body</p>");
  Session session;
  session.user.name = "eve<";
  session.csrf_token = "tok\"en";
  const std::string page = render_page(spec, session);
  EXPECT_NE(page.find("<meta name=\"csrf-token\" content=\"tok&quot;en\">"), std::string::npos);
  EXPECT_NE(page.find("name=\"csrf_token\" value=\"tok&quot;en\""), std::string::npos);
  EXPECT_NE(page.find("eve&lt;"), std::string::npos);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_TRUE(std::regex_search(page, std::regex("/static/app\\.js\\?v=[0-9a-f]{16}")));
  // The login page has no session: no top bar, empty token.
  const std::string login = render_page(spec, std::nullopt);
  EXPECT_EQ(login.find("Sign out"), std::string::npos);
}

}  // namespace
}  // namespace emonet::annotate
