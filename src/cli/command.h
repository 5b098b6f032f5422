// Subcommand registration for the `emonet` command.
//
// Each src/cli/<name>_command.cpp defines its subcommand and registers it with
// EMONET_REGISTER_COMMAND; main.cpp never needs editing when a subcommand is added.
// The CLI files are compiled straight into the executable (not into a library), so the
// static registrars are always linked. Handlers only parse arguments and call the
// library; they throw emonet::Error on failure and return the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace emonet::cli {

// Options every subcommand shares (set by main before dispatch).
struct GlobalOptions {
  bool quiet = false;
};

// A handler set up by a registrar returns the exit code when its subcommand was chosen.
using RunFn = std::function<int()>;

struct CommandSpec {
  std::string name;
  // Adds the subcommand to `app` and returns what to run if it is selected.
  std::function<RunFn(CLI::App& app, const GlobalOptions& global)> setup;
};

std::vector<CommandSpec>& command_registry();

struct Registrar {
  explicit Registrar(CommandSpec spec) { command_registry().push_back(std::move(spec)); }
};

#define EMONET_CONCAT_INNER(a, b) a##b
#define EMONET_CONCAT(a, b) EMONET_CONCAT_INNER(a, b)
#define EMONET_REGISTER_COMMAND(name, setup_fn)                                      \
  static const ::emonet::cli::Registrar EMONET_CONCAT(emonet_registrar_, __LINE__) { \
    { name, setup_fn }                                                               \
  }

// The subcommand `name` of `app`, created with `description` if no registrar made it yet:
// lets several files add children to one parent (`emonet data fetch`, `emonet data pack`).
inline CLI::App* shared_parent(CLI::App& app, const std::string& name,
                               const std::string& description) {
  for (CLI::App* existing : app.get_subcommands({})) {
    if (existing->get_name() == name) return existing;
  }
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->require_subcommand(1);
  return cmd;
}

// Adds "Example:" lines to a subcommand's --help footer.
void set_examples(CLI::App& cmd, const std::vector<std::string>& examples);

}  // namespace emonet::cli
