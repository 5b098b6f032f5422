// `emonet annotate`: the expert annotation platform (serve, users, projects, import/export).
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "emonet/annotate.h"
#include "emonet/error.h"
#include "emonet/files.h"

namespace emonet::cli {
namespace {

// Reads a password: prompts twice without echo on a terminal, else reads one line.
std::string read_password() {
  auto read_line = [] {
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  };
  if (!::isatty(STDIN_FILENO)) {
    std::string pw = read_line();
    if (pw.empty()) throw Error("no password on standard input");
    return pw;
  }
  termios old{};
  ::tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::cerr << "Password: ";
  std::string first = read_line();
  std::cerr << "\nRepeat password: ";
  std::string second = read_line();
  std::cerr << "\n";
  ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
  if (first != second) throw Error("the passwords do not match");
  return first;
}

struct Options {
  std::string db = "annotate.sqlite";
  std::string format = "text";
  // serve
  std::string listen = "127.0.0.1:8080";
  annotate::ServerOptions server;
  // add-user
  std::string user;
  bool admin = false;
  // projects
  annotate::CreateProjectOptions project;
  // import / export
  std::string project_name;
  std::string csv;
  std::string export_format = "csv";
  std::string output;
};

void parse_listen(const std::string& listen, annotate::ServerOptions& o) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw Error("--listen must be HOST:PORT, got '" + listen + "'");
  o.host = listen.substr(0, colon);
  try {
    o.port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw Error("--listen port must be a number, got '" + listen + "'");
  }
  if (o.port < 0 || o.port > 65535) throw Error("--listen port out of range");
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  auto* cmd =
      app.add_subcommand("annotate", "Expert annotation platform (server, users, projects)");
  cmd->require_subcommand(1);
  auto add_db = [&](CLI::App* sub) {
    sub->add_option("--db", o->db, "SQLite file or postgresql://user@host/dbname")
        ->capture_default_str();
  };
  auto add_format = [&](CLI::App* sub) {
    sub->add_option("--format", o->format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
  };

  auto* serve = cmd->add_subcommand("serve", "Run the annotation web server");
  add_db(serve);
  serve->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0 = any free port)")
      ->capture_default_str();
  serve->add_option("--images-root", o->server.images_root,
                    "Folder under which admins may create projects from the web UI");
  serve
      ->add_option("--threads", o->server.threads,
                   "Worker threads running requests (connections are read by one event loop)")
      ->capture_default_str();
  serve->add_option("--max-body", o->server.max_body, "Largest request body in bytes")
      ->capture_default_str();
  serve->add_option("--timeout", o->server.read_timeout_s, "Read/write timeout in seconds")
      ->capture_default_str();
  serve->add_option("--session-hours", o->server.session_seconds, "Session lifetime (hours)")
      ->capture_default_str();
  serve->add_flag("--secure-cookies", o->server.secure_cookies,
                  "Mark the session cookie Secure (when served behind TLS)");
  serve->add_flag("--log-requests", o->server.log_requests, "Log every request on stderr");
  set_examples(*serve, {"emonet annotate serve --db annotate.sqlite --listen 127.0.0.1:8080",
                        "emonet annotate serve --db postgresql://annot@db/emonet --listen "
                        "0.0.0.0:8080 --images-root /data/faces"});

  auto* add_user = cmd->add_subcommand("add-user", "Create an expert or admin account");
  add_db(add_user);
  add_user->add_option("name", o->user, "User name")->required();
  add_user->add_flag("--admin", o->admin, "Give the user the admin role");
  set_examples(*add_user, {"emonet annotate add-user --db annotate.sqlite --admin alice",
                           "printf '%s\\n' \"$PW\" | emonet annotate add-user bob"});

  auto* create =
      cmd->add_subcommand("create-project", "Create a project from images or a manifest");
  add_db(create);
  add_format(create);
  create->add_option("name", o->project.name, "Project name")->required();
  create->add_option("--protocol", o->project.protocol, "Task type")
      ->check(CLI::IsMember({"intensity", "binary", "compare"}))
      ->capture_default_str();
  create->add_option("--images", o->project.images, "Folder holding the images");
  create
      ->add_option("--manifest", o->project.manifest,
                   "CSV or JSONL: image[,prompt,ethnicity,age,gender,emotion,contrast_emotion]")
      ->check(CLI::ExistingFile);
  create->add_option("--guide", o->project.guide, "The authors' guide.json (synonyms)")
      ->check(CLI::ExistingFile);
  create->add_option("--overlap", o->project.overlap, "Experts per item (intensity, compare)")
      ->capture_default_str();
  create->add_option("--lease", o->project.lease_seconds, "Seconds an item stays reserved")
      ->capture_default_str();
  set_examples(*create,
               {"emonet annotate create-project hq-pilot --images faces/ --overlap 4 --guide "
                "guide.json",
                "emonet annotate create-project bin-01 --protocol binary --manifest "
                "binary_design.csv"});

  auto* imp =
      cmd->add_subcommand("import", "Create a project from the authors' binary.csv or hq.csv");
  add_db(imp);
  add_format(imp);
  imp->add_option("name", o->project_name, "Name of the new project")->required();
  imp->add_option("csv", o->csv, "binary.csv or hq.csv")->required()->check(CLI::ExistingFile);
  imp->add_option("--images", o->project.images, "Folder holding the images (optional)");
  imp->add_option("--guide", o->project.guide, "The authors' guide.json")->check(CLI::ExistingFile);
  set_examples(*imp, {"emonet annotate import authors-binary data/binary.csv"});

  auto* exp = cmd->add_subcommand("export", "Write a project's answers (hq.csv, binary.csv, ...)");
  add_db(exp);
  exp->add_option("name", o->project_name, "Project name")->required();
  exp->add_option("--as", o->export_format,
                  "csv (the protocol's authors' format), hq.csv, "
                  "binary.csv, compare.csv, jsonl, events.jsonl")
      ->check(
          CLI::IsMember({"csv", "hq.csv", "binary.csv", "compare.csv", "jsonl", "events.jsonl"}))
      ->capture_default_str();
  exp->add_option("-o,--output", o->output, "Output file (default: standard output)");
  set_examples(*exp, {"emonet annotate export hq-pilot --as hq.csv -o hq.csv",
                      "emonet annotate export bin-01 -o binary.csv"});

  return [o, serve, add_user, create, imp, exp, &global]() -> int {
    if (serve->parsed()) {
      parse_listen(o->listen, o->server);
      o->server.write_timeout_s = o->server.read_timeout_s;
      o->server.session_seconds *= 3600;
      const annotate::ServeSummary done = annotate::serve(o->db, o->server, [&](int port) {
        if (!global.quiet) {
          std::cerr << "emonet annotate: listening on http://" << o->server.host << ":" << port
                    << "\n";
        }
        std::cout << "listening " << port << std::endl;
      });
      // One line for operators and benchmarks: how well concurrent writes shared commits.
      std::cout << "stopped group_commits=" << done.group_commits
                << " grouped_writes=" << done.grouped_writes
                << " largest_group=" << done.largest_group
                << " group_retries=" << done.group_retries << std::endl;
      return 0;
    }
    if (add_user->parsed()) {
      annotate::add_user(o->db, o->user, read_password(), o->admin);
      if (!global.quiet)
        std::cerr << "created " << (o->admin ? "admin" : "expert") << " " << o->user << "\n";
      return 0;
    }
    if (create->parsed()) {
      const auto p = annotate::create_project(o->db, o->project);
      if (o->format == "json") {
        std::cout << nlohmann::json{{"id", p.id},
                                    {"name", p.name},
                                    {"protocol", p.protocol},
                                    {"items", p.items}}
                         .dump()
                  << "\n";
      } else {
        std::cout << "project " << p.id << " '" << p.name << "' (" << p.protocol << "): " << p.items
                  << " items\n";
      }
      return 0;
    }
    if (imp->parsed()) {
      const auto r = annotate::import_answers(o->db, o->project_name, o->csv, o->project.images,
                                              o->project.guide);
      if (o->format == "json") {
        std::cout << nlohmann::json{{"project_id", r.project_id},
                                    {"items", r.items},
                                    {"answers", r.answers},
                                    {"skipped", r.skipped}}
                         .dump()
                  << "\n";
      } else {
        std::cout << "project " << r.project_id << ": " << r.items << " items, " << r.answers
                  << " answers imported, " << r.skipped << " model rows skipped\n";
      }
      return 0;
    }
    const std::string text = annotate::export_answers(o->db, o->project_name, o->export_format);
    if (o->output.empty()) {
      std::cout << text;
    } else {
      write_file_atomic(o->output, text);
    }
    return 0;
  };
}

EMONET_REGISTER_COMMAND("annotate", setup);

}  // namespace
}  // namespace emonet::cli
