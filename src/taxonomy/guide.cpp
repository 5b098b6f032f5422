#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet {

Guide load_guide(const std::string& path) {
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(read_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(std::string("invalid JSON: ") + e.what(), {path, 0, ""});
  }
  if (!j.is_object() || !j.contains("options") || !j["options"].is_object()) {
    throw Error("expected an object with 'options' (a guide.json)", {path, 0, "options"});
  }
  const auto& opts = j["options"];
  Guide g;
  if (!opts.contains("labels") || !opts["labels"].is_object()) {
    throw Error("missing or non-object 'labels'", {path, 0, "options.labels"});
  }
  for (const auto& [name, list] : opts["labels"].items()) {
    const Category* c = find_category(name);
    if (!c || c->is_extra()) {
      try {
        lookup(name);
      } catch (const Error& e) {
        throw Error(e.message(), {path, 0, "options.labels." + name});
      }
      throw Error("'" + name + "' is an extra dimension, not one of the 40 emotions",
                  {path, 0, "options.labels." + name});
    }
    if (!list.is_array()) {
      throw Error("synonyms must be a list of strings", {path, 0, "options.labels." + name});
    }
    std::vector<std::string> syn;
    for (const auto& s : list) {
      if (!s.is_string())
        throw Error("synonyms must be strings", {path, 0, "options.labels." + name});
      syn.push_back(s.get<std::string>());
    }
    if (g.synonyms.count(c->index)) {
      throw Error("emotion listed twice", {path, 0, "options.labels." + name});
    }
    g.synonyms[c->index] = std::move(syn);
    g.label_order.push_back(name);
  }
  if (opts.contains("buttons")) {
    if (!opts["buttons"].is_object()) {
      throw Error("'buttons' must be an object", {path, 0, "options.buttons"});
    }
    for (const auto& [group, members] : opts["buttons"].items()) {
      const std::string field = "options.buttons." + group;
      std::vector<const Category*> expected;
      try {
        expected = group_members(group);
      } catch (const Error& e) {
        throw Error(e.message(), {path, 0, field});
      }
      if (!members.is_array()) throw Error("members must be a list", {path, 0, field});
      std::vector<std::string> names;
      for (const auto& m : members) {
        if (!m.is_string()) throw Error("members must be strings", {path, 0, field});
        const Category& c = [&]() -> const Category& {
          try {
            return lookup(m.get<std::string>());
          } catch (const Error& e) {
            throw Error(e.message(), {path, 0, field});
          }
        }();
        if (c.group != group) {
          throw Error("'" + std::string(c.name) + "' belongs to '" + std::string(c.group) + "'",
                      {path, 0, field});
        }
        names.push_back(m.get<std::string>());
      }
      g.buttons[group] = std::move(names);
    }
  }
  return g;
}

}  // namespace emonet
