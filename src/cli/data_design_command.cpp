// `emonet data design`: write a balanced generation manifest (design.csv).
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "emonet/data_design.h"
#include "emonet/files.h"

namespace emonet::cli {
namespace {

struct Options {
  std::size_t per_cell = 0;
  std::size_t total = 0;
  std::string emotions = "all";
  std::uint64_t seed = 0;
  std::string template_file;
  std::string axes_file;
  std::string guide;
  std::string output;
};

int run(const Options& o, const GlobalOptions& global) {
  DesignOptions d;
  d.per_cell = o.per_cell;
  d.total = o.total;
  d.emotions = parse_emotion_list(o.emotions);
  d.seed = o.seed;
  if (!o.axes_file.empty()) d.axes = load_axes(o.axes_file);
  if (!o.template_file.empty()) {
    d.template_text = read_file(o.template_file);
    d.template_source = o.template_file;
  }
  Guide guide;
  if (!o.guide.empty()) {
    guide = load_guide(o.guide);
    d.guide = &guide;
  }
  const auto rows = make_design(d);
  write_design_csv(o.output, rows);
  if (!global.quiet) {
    std::fprintf(stderr, "%s: %zu rows (%zu ethnicities x %zu ages x %zu genders x %zu emotions)\n",
                 o.output.c_str(), rows.size(), d.axes.ethnicities.size(), d.axes.ages.size(),
                 d.axes.genders.size(), d.emotions.size());
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  CLI::App* data = shared_parent(app, "data", "Get, design, generate, pack and audit datasets");
  auto* cmd = data->add_subcommand(
      "design", "Write a balanced generation manifest (ethnicity x age x gender x emotion)");
  auto* per =
      cmd->add_option("--per-cell", o->per_cell, "Rows per (ethnicity, age, gender, emotion) cell");
  auto* tot = cmd->add_option("--total", o->total,
                              "Total rows instead: a balanced fraction with exact margins");
  per->excludes(tot);
  cmd->add_option("--emotions", o->emotions, "all, or a comma-separated list of emotion names")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Master seed (row seeds derive from it)")
      ->capture_default_str();
  cmd->add_option("--template", o->template_file,
                  "Prompt template with {ethnicity} {gender} {age} {emotion} {synonyms} "
                  "(default: the Binary template, templates/binary-v1.txt)")
      ->check(CLI::ExistingFile);
  cmd->add_option(
         "--axes", o->axes_file,
         "JSON {\"ethnicity\": [...], \"age\": [...], \"gender\": [...]} replacing spec §2.3")
      ->check(CLI::ExistingFile);
  cmd->add_option("--guide", o->guide, "The authors' guide.json (synonyms for {synonyms})")
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o->output, "design.csv to write")->required();
  set_examples(*cmd, {"emonet data design --per-cell 1 --seed 7 -o design.csv",
                      "emonet data design --total 20000 --guide guide.json --seed 1 -o design.csv",
                      "emonet data design --per-cell 2 --emotions Amusement,Anger --axes axes.json "
                      "--template my.txt -o design.csv"});
  return [o, &global] { return run(*o, global); };
}

EMONET_REGISTER_COMMAND("data design", setup);

}  // namespace
}  // namespace emonet::cli
