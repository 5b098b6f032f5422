// Generation manifests (see include/emonet/data_design.h).
#include "emonet/data_design.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>

#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/stats/random.h"
#include "emonet/strings.h"

namespace emonet {

using json = nlohmann::json;

DesignAxes default_axes() {
  DesignAxes a;
  a.ethnicities = {"American Indian or Alaska Native",
                   "white caucasian north american",
                   "Middle Eastern",
                   "North African",
                   "Asian",
                   "White",
                   "South Asian",
                   "white caucasian european",
                   "Hispanic or Latino",
                   "Southeast Asian",
                   "arabic",
                   "Native Hawaiian or Other Pacific Islander",
                   "Black or African American",
                   "Indian"};
  a.ages = {"20", "30", "40", "50", "60", "70", "80"};
  a.genders = {"man", "woman", "non-binary person"};
  return a;
}

DesignAxes load_axes(const std::string& path) {
  json j = json::parse(read_file(path), nullptr, false);
  if (!j.is_object()) throw Error("axes file must be a JSON object", {path, 0, ""});
  auto list = [&](const char* key) {
    if (!j.contains(key)) throw Error("missing axis", {path, 0, key});
    const json& v = j[key];
    if (!v.is_array() || v.empty()) throw Error("must be a non-empty list", {path, 0, key});
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& e : v) {
      std::string s;
      if (e.is_string()) {
        s = e.get<std::string>();
      } else if (e.is_number_integer()) {
        s = e.dump();
      } else {
        throw Error("values must be strings or integers", {path, 0, key});
      }
      if (trim(s).empty()) throw Error("empty value", {path, 0, key});
      if (!seen.insert(s).second) throw Error("duplicate value '" + s + "'", {path, 0, key});
      out.push_back(s);
    }
    return out;
  };
  for (const auto& [k, v] : j.items()) {
    if (k != "ethnicity" && k != "age" && k != "gender") {
      throw Error("unknown axis (use ethnicity, age, gender)", {path, 0, k});
    }
  }
  return {list("ethnicity"), list("age"), list("gender")};
}

const std::string& binary_prompt_template() {
  static const std::string text =
      "a focused close-up photo of a {ethnicity} {gender} of {age} years with soft smooth skin "
      "who seems to genuinely experience {synonyms}. Strong facial expression of {synonyms}. "
      "No wrinkles";
  return text;
}

PromptTemplate::PromptTemplate(const std::string& raw, const std::string& source) {
  static const std::set<std::string> known = {"ethnicity", "gender", "age", "emotion", "synonyms"};
  // A template file ends with a newline; the prompt does not.
  std::string text = raw;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  long line = 1;
  std::string literal;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal += '}';
      ++i;
    } else if (c == '{') {
      const std::size_t end = text.find('}', i);
      if (end == std::string::npos) throw Error("unterminated '{' in template", {source, line, ""});
      const std::string name = text.substr(i + 1, end - i - 1);
      if (!known.count(name)) {
        throw Error("unknown template field '{" + name +
                        "}' (known: {ethnicity} {gender} {age} {emotion} {synonyms})",
                    {source, line, name});
      }
      if (!literal.empty()) pieces_.push_back({false, std::move(literal)});
      literal.clear();
      pieces_.push_back({true, name});
      if (std::find(fields_.begin(), fields_.end(), name) == fields_.end()) fields_.push_back(name);
      i = end;
    } else if (c == '}') {
      throw Error("unmatched '}' in template (write '}}' for a brace)", {source, line, ""});
    } else {
      literal += c;
    }
  }
  if (!literal.empty()) pieces_.push_back({false, std::move(literal)});
  if (pieces_.empty()) throw Error("empty template", {source, 0, ""});
}

PromptTemplate PromptTemplate::load(const std::string& path) {
  return PromptTemplate(read_file(path), path);
}

std::string PromptTemplate::render(const std::map<std::string, std::string>& values) const {
  std::string out;
  for (const auto& p : pieces_) {
    if (!p.is_field) {
      out += p.text;
      continue;
    }
    auto it = values.find(p.text);
    if (it == values.end()) throw Error("no value for template field", {"", 0, p.text});
    out += it->second;
  }
  return out;
}

std::vector<const Category*> parse_emotion_list(const std::string& text) {
  std::vector<const Category*> out;
  if (trim(text) == "all") {
    for (const auto& c : emotions()) out.push_back(&c);
    return out;
  }
  std::set<std::size_t> seen;
  for (const auto& part : split(text, ',')) {
    const std::string name(trim(part));
    if (name.empty()) continue;
    const Category* c = nullptr;
    try {
      c = &lookup(name);
    } catch (const Error& e) {
      throw e.with_field("emotions");
    }
    if (c->is_extra()) {
      throw Error("'" + name + "' is not one of the 40 emotions", {"", 0, "emotions"});
    }
    if (!seen.insert(c->index).second) {
      throw Error("emotion '" + std::string(c->name) + "' listed twice", {"", 0, "emotions"});
    }
    out.push_back(c);
  }
  if (out.empty()) throw Error("no emotions given", {"", 0, "emotions"});
  return out;
}

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Fisher-Yates with the NumPy-compatible generator (any fixed RNG would do; this one is
// already verified and documented).
std::vector<std::size_t> shuffled(std::size_t n, stats::Generator& rng) {
  std::vector<std::size_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  for (std::size_t i = n; i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.integers(0, static_cast<std::int64_t>(i)));
    std::swap(v[i - 1], v[j]);
  }
  return v;
}

// Cell coordinates in an order where every prefix has balanced margins on every axis.
std::vector<std::array<std::size_t, 4>> balanced_order(const std::array<std::size_t, 4>& n,
                                                       stats::Generator& rng) {
  std::size_t cells = 1, period = 1;
  for (std::size_t d : n) {
    cells *= d;
    period = std::lcm(period, d);
  }
  auto flat = [&](const std::array<std::size_t, 4>& c) {
    return ((c[0] * n[1] + c[1]) * n[2] + c[2]) * n[3] + c[3];
  };
  // Coset representatives of the subgroup {(r mod n_i)_i : r < period}.
  std::vector<char> used(cells, 0);
  std::vector<std::array<std::size_t, 4>> reps;
  for (std::size_t f = 0; f < cells; ++f) {
    if (used[f]) continue;
    std::array<std::size_t, 4> c{};
    std::size_t rest = f;
    for (int i = 3; i >= 0; --i) {
      c[static_cast<std::size_t>(i)] = rest % n[static_cast<std::size_t>(i)];
      rest /= n[static_cast<std::size_t>(i)];
    }
    reps.push_back(c);
    for (std::size_t r = 0; r < period; ++r) {
      std::array<std::size_t, 4> x{};
      for (std::size_t i = 0; i < 4; ++i) x[i] = (c[i] + r) % n[i];
      used[flat(x)] = 1;
    }
  }
  const auto block_order = shuffled(reps.size(), rng);
  std::vector<std::array<std::size_t, 4>> order;
  order.reserve(cells);
  for (std::size_t b : block_order) {
    for (std::size_t r = 0; r < period; ++r) {
      std::array<std::size_t, 4> x{};
      for (std::size_t i = 0; i < 4; ++i) x[i] = (reps[b][i] + r) % n[i];
      order.push_back(x);
    }
  }
  return order;
}

}  // namespace

std::vector<DesignRow> make_design(const DesignOptions& o) {
  if ((o.per_cell == 0) == (o.total == 0)) {
    throw Error("give exactly one of --per-cell N or --total M (N, M > 0)", {"", 0, "per-cell"});
  }
  std::vector<const Category*> emos = o.emotions;
  if (emos.empty()) emos = parse_emotion_list("all");
  const PromptTemplate tmpl(o.template_text, o.template_source);
  const std::array<std::size_t, 4> n = {o.axes.ethnicities.size(), o.axes.ages.size(),
                                        o.axes.genders.size(), emos.size()};
  for (std::size_t d : n) {
    if (d == 0) throw Error("every axis needs at least one value", {"", 0, "axes"});
  }
  const std::size_t cells = n[0] * n[1] * n[2] * n[3];
  auto flat = [&](std::size_t e, std::size_t a, std::size_t g, std::size_t m) {
    return ((e * n[1] + a) * n[2] + g) * n[3] + m;
  };
  std::vector<std::size_t> quota(cells, o.per_cell);
  if (o.total > 0) {
    std::fill(quota.begin(), quota.end(), o.total / cells);
    const std::size_t extra = o.total % cells;
    if (extra > 0) {
      stats::Generator rng(o.seed);
      // Random axis orders, so the first values of each list are not always favoured.
      std::array<std::vector<std::size_t>, 4> perm;
      for (std::size_t i = 0; i < 4; ++i) perm[i] = shuffled(n[i], rng);
      const auto order = balanced_order(n, rng);
      for (std::size_t k = 0; k < extra; ++k) {
        const auto& c = order[k];
        ++quota[flat(perm[0][c[0]], perm[1][c[1]], perm[2][c[2]], perm[3][c[3]])];
      }
    }
  }
  const std::size_t total = o.total > 0 ? o.total : cells * o.per_cell;
  const std::size_t width = std::max<std::size_t>(6, std::to_string(total).size());

  std::vector<DesignRow> rows;
  rows.reserve(total);
  for (std::size_t e = 0; e < n[0]; ++e) {
    for (std::size_t a = 0; a < n[1]; ++a) {
      for (std::size_t g = 0; g < n[2]; ++g) {
        for (std::size_t m = 0; m < n[3]; ++m) {
          const Category& emo = *emos[m];
          std::string synonyms = to_lower(emo.name);
          if (o.guide) {
            auto it = o.guide->synonyms.find(emo.index);
            if (it != o.guide->synonyms.end() && !it->second.empty()) {
              synonyms = join(it->second, ", ");
            }
          }
          const std::map<std::string, std::string> values = {{"ethnicity", o.axes.ethnicities[e]},
                                                             {"age", o.axes.ages[a]},
                                                             {"gender", o.axes.genders[g]},
                                                             {"emotion", std::string(emo.name)},
                                                             {"synonyms", synonyms}};
          const std::string prompt = tmpl.render(values);
          const std::string cell_key = o.axes.ethnicities[e] + '\x1f' + o.axes.ages[a] + '\x1f' +
                                       o.axes.genders[g] + '\x1f' + std::string(emo.name);
          for (std::size_t k = 0; k < quota[flat(e, a, g, m)]; ++k) {
            DesignRow r;
            std::string id = std::to_string(rows.size());
            r.id = std::string(width - id.size(), '0') + id;
            r.file_name = "images/" + r.id + ".png";
            r.prompt = prompt;
            r.ethnicity = o.axes.ethnicities[e];
            r.age = o.axes.ages[a];
            r.gender = o.axes.genders[g];
            r.emotion = std::string(emo.name);
            r.seed = static_cast<std::uint32_t>(
                splitmix64(o.seed ^ splitmix64(fnv1a(cell_key) + k)) & 0xffffffffULL);
            rows.push_back(std::move(r));
          }
        }
      }
    }
  }
  return rows;
}

void write_design_csv(const std::string& path, const std::vector<DesignRow>& rows) {
  std::ostringstream out;
  CsvWriter w(out);
  w.write_row({"id", "file_name", "prompt", "ethnicity", "age", "gender", "emotion", "seed"});
  for (const auto& r : rows) {
    w.write_row({r.id, r.file_name, r.prompt, r.ethnicity, r.age, r.gender, r.emotion,
                 std::to_string(r.seed)});
  }
  write_file_atomic(path, out.str());
}

}  // namespace emonet
