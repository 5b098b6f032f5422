// `emonet taxonomy`: prints the 40 emotions and 4 extra dimensions with all their names.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::cli {
namespace {

struct Options {
  std::string format = "table";
  std::string guide;
};

int run(const Options& o) {
  std::optional<Guide> guide;
  if (!o.guide.empty()) guide = load_guide(o.guide);
  auto synonyms = [&](const Category& c) {
    std::vector<std::string> s;
    if (guide) {
      auto it = guide->synonyms.find(c.index);
      if (it != guide->synonyms.end()) s = it->second;
    }
    return s;
  };
  auto aliases = [](const Category& c) {
    std::vector<std::string> a(c.aliases.begin(), c.aliases.end());
    return a;
  };

  if (o.format == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& c : categories()) {
      nlohmann::ordered_json e;
      e["index"] = c.index;
      e["name"] = c.name;
      e["group"] = c.group;
      e["hq_key"] = c.hq_key;
      e["head_key"] = c.head_key;
      e["extra"] = c.is_extra();
      e["aliases"] = aliases(c);
      e["description"] = c.description;
      if (guide) e["synonyms"] = synonyms(c);
      out.push_back(std::move(e));
    }
    std::cout << out.dump(2) << "\n";
  } else if (o.format == "csv") {
    CsvWriter w(std::cout);
    std::vector<std::string> header = {"index",    "name",  "group",   "hq_key",
                                       "head_key", "extra", "aliases", "description"};
    if (guide) header.push_back("synonyms");
    w.write_row(header);
    for (const auto& c : categories()) {
      std::vector<std::string> row = {std::to_string(c.index), std::string(c.name),
                                      std::string(c.group),    std::string(c.hq_key),
                                      std::string(c.head_key), c.is_extra() ? "true" : "false",
                                      join(aliases(c), ";"),   std::string(c.description)};
      if (guide) row.push_back(join(synonyms(c), ";"));
      w.write_row(row);
    }
  } else {
    std::string current;
    for (const auto& c : categories()) {
      if (c.group != current) {
        current = c.group;
      }
      std::printf("%2zu  %-44s  %-31s  %s\n", c.index + 1, std::string(c.name).c_str(),
                  std::string(c.group).c_str(), std::string(c.head_key).c_str());
      if (!c.aliases.empty()) std::printf("    also: %s\n", join(aliases(c), ", ").c_str());
      if (guide) {
        auto s = synonyms(c);
        if (!s.empty()) std::printf("    synonyms: %s\n", join(s, ", ").c_str());
      }
    }
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions&) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("taxonomy", "Print the 40 emotions and 4 extra dimensions");
  cmd->add_option("--format", opts->format, "Output format")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  cmd->add_option("--guide", opts->guide, "Authors' guide.json: adds their synonym lists")
      ->check(CLI::ExistingFile);
  set_examples(*cmd, {"emonet taxonomy", "emonet taxonomy --format json",
                      "emonet taxonomy --format csv --guide data/guide.json > taxonomy.csv"});
  return [opts] { return run(*opts); };
}

EMONET_REGISTER_COMMAND("taxonomy", setup);

}  // namespace
}  // namespace emonet::cli
