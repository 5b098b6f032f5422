#include "annotate/pages_forms.h"

#include <algorithm>
#include <string>

namespace emonet::annotate {
namespace {

std::string number(const nlohmann::json& value) {
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  return "0";
}

std::string join_strings(const nlohmann::json& list, const char* separator) {
  std::string out;
  for (const auto& entry : list) {
    if (!entry.is_string()) continue;
    if (!out.empty()) out += separator;
    out += entry.get<std::string>();
  }
  return out;
}

std::string string_or(const nlohmann::json& object, const char* key, std::string fallback) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

Html render_project_table(const nlohmann::json& projects) {
  if (!projects.is_array() || projects.empty()) {
    return Html::markup(
        "<p class=\"card\" id=\"no-projects\">No projects are assigned to you yet. An "
        "administrator adds you to a project.</p>");
  }
  Html html = Html::markup(
      "<table id=\"project-table\"><caption class=\"visually-hidden\">Your projects</caption>"
      "<thead><tr><th scope=\"col\">Project</th><th scope=\"col\">Task</th>"
      "<th scope=\"col\" class=\"num\">Answered</th><th scope=\"col\" class=\"num\">Open for "
      "you</th><th scope=\"col\">Progress</th><th scope=\"col\"></th></tr></thead><tbody>");
  for (const auto& project : projects) {
    const std::string id = number(project.value("id", nlohmann::json()));
    const auto& progress = project.value("progress", nlohmann::json::object());
    const long long answered = progress.value("answered", 0LL);
    const long long open = progress.value("open_for_me", 0LL);
    const std::string name = string_or(project, "name", "project " + id);
    html.append_markup("<tr><th scope=\"row\"><a href=\"/annotate/")
        .append_text(id)
        .append_markup("\">")
        .append_text(name)
        .append_markup("</a></th><td>")
        .append_text(string_or(project, "protocol", ""))
        .append_markup("</td><td class=\"num\">")
        .append_text(std::to_string(answered))
        .append_markup("</td><td class=\"num\">")
        .append_text(std::to_string(open))
        .append_markup("</td><td><progress max=\"")
        .append_text(std::to_string(std::max(1LL, answered + open)))
        .append_markup("\" value=\"")
        .append_text(std::to_string(answered))
        .append_markup("\" aria-label=\"")
        .append_text(name + " progress")
        .append_markup("\"></progress></td><td>");
    if (open > 0) {
      html.append_markup("<a class=\"button primary\" href=\"/annotate/")
          .append_text(id)
          .append_markup("\">")
          .append_markup(answered > 0 ? "Resume" : "Start")
          .append_markup("</a>");
    } else {
      html.append_markup("<span class=\"muted\">done</span>");
    }
    html.append_markup("</td></tr>");
  }
  html.append_markup("</tbody></table>");
  return html;
}

Html render_group_buttons(const nlohmann::json& form) {
  Html html;
  int index = 0;
  for (const auto& group : form.value("groups", nlohmann::json::array())) {
    ++index;
    const std::string n = std::to_string(index);
    html.append_markup("<button type=\"button\" id=\"group-")
        .append_text(n)
        .append_markup("\" aria-pressed=\"false\" aria-expanded=\"false\" aria-controls=\"panel-")
        .append_text(n)
        .append_markup("\" aria-keyshortcuts=\"")
        .append_text(n)
        .append_markup("\"><kbd>")
        .append_text(n)
        .append_markup("</kbd> ")
        .append_text(string_or(group, "name", ""))
        .append_markup("<span class=\"count\" aria-label=\"rated\"></span></button>\n");
  }
  return html;
}

Html render_slider_panels(const nlohmann::json& form) {
  const std::string min = number(form.value("min", nlohmann::json(0)));
  const std::string max = number(form.value("max", nlohmann::json(7)));
  Html html;
  int group_index = 0;
  int slider_index = 0;
  for (const auto& group : form.value("groups", nlohmann::json::array())) {
    ++group_index;
    const std::string g = std::to_string(group_index);
    html.append_markup("<fieldset class=\"panel\" id=\"panel-")
        .append_text(g)
        .append_markup("\" hidden><legend>")
        .append_text(string_or(group, "name", ""))
        .append_markup("</legend>\n");
    for (const auto& emotion : group.value("emotions", nlohmann::json::array())) {
      ++slider_index;
      const std::string s = std::to_string(slider_index);
      const std::string name = string_or(emotion, "name", "");
      std::string synonyms = join_strings(emotion.value("synonyms", nlohmann::json()), ", ");
      if (synonyms.empty()) synonyms = string_or(emotion, "description", "");
      html.append_markup("<div class=\"slider\"><label for=\"slider-")
          .append_text(s)
          .append_markup("\">")
          .append_text(name)
          .append_markup("</label><input type=\"range\" id=\"slider-")
          .append_text(s)
          .append_markup("\" name=\"")
          .append_text(string_or(emotion, "key", name))
          .append_markup("\" min=\"")
          .append_text(min)
          .append_markup("\" max=\"")
          .append_text(max)
          .append_markup("\" step=\"1\" value=\"0\" data-badge=\"badge-")
          .append_text(s)
          .append_markup("\" aria-describedby=\"synonyms-")
          .append_text(s)
          .append_markup("\" aria-valuetext=\"0, not present\"><output class=\"badge\" id=\"badge-")
          .append_text(s)
          .append_markup("\" for=\"slider-")
          .append_text(s)
          .append_markup("\" aria-hidden=\"true\"></output><div class=\"synonyms\" id=\"synonyms-")
          .append_text(s)
          .append_markup("\">")
          .append_text(synonyms)
          .append_markup("</div></div>\n");
    }
    html.append_markup("</fieldset>\n");
  }
  return html;
}

}  // namespace emonet::annotate
