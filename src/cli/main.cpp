// `emonet`: the command-line front end. Argument handling only; all logic is in libemonet.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "emonet/error.h"
#include "emonet/progress.h"

namespace emonet::cli {

std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}

void set_examples(CLI::App& cmd, const std::vector<std::string>& examples) {
  std::string footer = "\nExamples:\n";
  for (const auto& e : examples) footer += "  " + e + "\n";
  cmd.footer(footer);
}

// Every subcommand below `app`, at any depth.
std::vector<CLI::App*> all_subcommands(CLI::App& app) {
  std::vector<CLI::App*> out;
  for (CLI::App* sub : app.get_subcommands({})) {
    out.push_back(sub);
    auto nested = all_subcommands(*sub);
    out.insert(out.end(), nested.begin(), nested.end());
  }
  return out;
}

}  // namespace emonet::cli

int main(int argc, char** argv) {
  using namespace emonet::cli;
  CLI::App app{"emonet: fine-grained facial emotion recognition (EmoNet-Face, 40 emotions)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("emonet ") + EMONET_VERSION);
  GlobalOptions global;
  app.add_flag("-q,--quiet", global.quiet, "No progress output on stderr");
  set_examples(app, {"emonet taxonomy --format json",
                     "emonet <subcommand> --help   # options and examples of a subcommand"});

  auto& registry = command_registry();
  std::sort(registry.begin(), registry.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });
  // Several registrars may share a parent (e.g. `data` from data_command.cpp and
  // data_fetch_command.cpp: a registrar reuses the parent with shared_parent() and
  // adds its own children), so every subcommand at any depth is mapped to the registrar
  // that added it, and the deepest parsed one decides which handler runs.
  std::vector<std::pair<CLI::App*, RunFn>> runners;
  for (const auto& spec : registry) {
    auto before = all_subcommands(app);
    RunFn run = spec.setup(app, global);
    for (CLI::App* sub : all_subcommands(app)) {
      if (std::find(before.begin(), before.end(), sub) == before.end())
        runners.emplace_back(sub, run);
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  emonet::Progress::set_quiet(global.quiet);
  try {
    const RunFn* chosen = nullptr;
    int chosen_depth = -1;
    for (auto& [sub, run] : runners) {
      if (!sub->parsed()) continue;
      int depth = 0;
      for (CLI::App* p = sub->get_parent(); p != nullptr; p = p->get_parent()) ++depth;
      if (depth > chosen_depth) chosen = &run, chosen_depth = depth;
    }
    if (chosen != nullptr) return (*chosen)();
    std::fputs("emonet: no subcommand given (see --help)\n", stderr);
    return 2;
  } catch (const emonet::Error& e) {
    std::fprintf(stderr, "emonet: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "emonet: error: %s\n", e.what());
    return 1;
  }
}
