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
  std::vector<std::pair<CLI::App*, RunFn>> runners;
  for (const auto& spec : registry) {
    // Each registrar adds its own subcommand to `app`; remember which one it was.
    auto before = app.get_subcommands({});
    RunFn run = spec.setup(app, global);
    auto after = app.get_subcommands({});
    for (CLI::App* sub : after) {
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
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
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
