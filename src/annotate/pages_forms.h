// HTML fragments of the expert pages built from the JSON API's documents: the project
// table of the dashboard and the intensity form (group buttons + slider panels).
// Every string from the documents is escaped (html.h). Pure, thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "annotate/html.h"

namespace emonet::annotate {

// Table of GET /api/projects's "projects" with the user's own progress.
Html render_project_table(const nlohmann::json& projects);

// The 7 group toggle buttons of an intensity form (GET /api/projects/{pid} "form").
Html render_group_buttons(const nlohmann::json& form);
// One hidden <fieldset> per group with a labelled 0..max slider per emotion, its value
// badge (blank at 0) and the guide.json synonyms (or the description) underneath.
Html render_slider_panels(const nlohmann::json& form);

}  // namespace emonet::annotate
