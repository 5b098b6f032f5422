// `emonet data info FILE.parquet|DIR`: schema, row counts, row groups, codecs and the
// demographic margins (ethnicity, age, gender, emotion / label columns) of Parquet files.
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "emonet/error.h"
#include "emonet/parquet.h"

namespace emonet::cli {
namespace {

namespace pq = emonet::parquet;

const char* const kMarginColumns[] = {"ethnicity", "age", "gender", "emotion", "label"};

nlohmann::ordered_json describe(const std::string& path) {
  pq::ParquetFile f(path);
  const auto& m = f.metadata();
  nlohmann::ordered_json j;
  j["file"] = path;
  j["bytes"] = f.file_size();
  j["rows"] = m.num_rows;
  j["created_by"] = m.created_by;
  j["row_groups"] = nlohmann::ordered_json::array();
  for (const auto& g : m.row_groups)
    j["row_groups"].push_back({{"rows", g.num_rows}, {"bytes", g.total_byte_size}});
  j["columns"] = nlohmann::ordered_json::array();
  for (std::size_t c = 0; c < m.columns.size(); ++c) {
    const auto& col = m.columns[c];
    std::string codec =
        m.row_groups.empty() ? "" : std::string(pq::codec_name(m.row_groups[0].columns[c].codec));
    j["columns"].push_back({{"path", col.path},
                            {"type", std::string(pq::physical_type_name(col.type))},
                            {"string", col.is_string},
                            {"max_def", col.max_def},
                            {"max_rep", col.max_rep},
                            {"codec", codec}});
  }
  const auto labels = pq::class_labels(m);
  j["margins"] = nlohmann::ordered_json::object();
  for (const char* name : kMarginColumns) {
    const int c = m.find_column(name);
    if (c < 0 || m.columns[static_cast<std::size_t>(c)].max_rep > 0) continue;
    const std::vector<std::string>* names = nullptr;
    for (const auto& [col, n] : labels)
      if (col == name) names = &n;
    std::map<std::string, std::int64_t> counts;
    // One column chunk at a time: the file is never decoded whole.
    for (std::size_t g = 0; g < m.row_groups.size(); ++g) {
      const auto d = f.read_column(g, static_cast<std::size_t>(c));
      const auto& col = m.columns[static_cast<std::size_t>(c)];
      std::size_t v = 0;
      for (std::size_t k = 0; k < d.num_entries; ++k) {
        if (!d.def_levels.empty() && d.def_levels[k] < col.max_def) {
          ++counts["(null)"];
          continue;
        }
        std::string key;
        if (!d.offsets.empty())
          key = std::string(d.byte_value(v));
        else if (!d.ints.empty()) {
          const auto i = d.ints[v];
          key = names && i >= 0 && static_cast<std::size_t>(i) < names->size()
                    ? (*names)[static_cast<std::size_t>(i)]
                    : std::to_string(i);
        } else if (!d.doubles.empty())
          key = std::to_string(d.doubles[v]);
        ++v;
        ++counts[key];
      }
    }
    j["margins"][name] = counts;
  }
  return j;
}

int run(const std::string& target, const std::string& format) {
  std::vector<std::string> files;
  if (std::filesystem::is_directory(target)) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(target))
      if (e.is_regular_file() && e.path().extension() == ".parquet")
        files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw Error("no .parquet files under this folder", {target, 0, ""});
  } else {
    files.push_back(target);
  }
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& f : files) all.push_back(describe(f));
  if (format == "json") {
    std::cout << (files.size() == 1 ? all[0] : all).dump(2) << "\n";
    return 0;
  }
  for (const auto& j : all) {
    std::cout << j["file"].get<std::string>() << ": " << j["rows"] << " rows, "
              << j["row_groups"].size() << " row groups, " << j["bytes"] << " bytes\n";
    for (const auto& c : j["columns"])
      std::cout << "  " << c["path"].get<std::string>() << "  " << c["type"].get<std::string>()
                << (c["string"].get<bool>() ? " (string)" : "") << "  "
                << c["codec"].get<std::string>()
                << (c["max_rep"].get<int>() > 0 ? "  repeated" : "") << "\n";
    for (const auto& [name, counts] : j["margins"].items()) {
      std::cout << "  " << name << ":";
      for (const auto& [value, n] : counts.items()) std::cout << " " << value << "=" << n;
      std::cout << "\n";
    }
  }
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions&) {
  CLI::App* data =
      shared_parent(app, "data", "Datasets: fetch, inspect, design, generate, pack, audit");
  CLI::App* cmd = data->add_subcommand(
      "info", "Schema, row counts, codecs and demographic margins of Parquet files");
  auto target = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("text");
  cmd->add_option("target", *target, "a .parquet file or a folder of them")->required();
  cmd->add_option("--format", *format, "text or json")->check(CLI::IsMember({"text", "json"}));
  set_examples(*cmd, {"emonet data info train-00000-of-00004.parquet",
                      "emonet data info --format json data/"});
  RunFn fn = [target, format] { return run(*target, *format); };
  return fn;
}

}  // namespace

EMONET_REGISTER_COMMAND("data info", setup);

}  // namespace emonet::cli
