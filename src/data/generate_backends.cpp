// The three text-to-image protocols of `emonet data generate` (see data_generate.h):
// request bodies, reply parsing, the ComfyUI queue polling.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "data/generate_internal.h"
#include "emonet/files.h"
#include "emonet/strings.h"

namespace emonet::data {

using json = nlohmann::json;

namespace {

json parse_object(std::string_view body, const std::string& source) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw Error("reply is not JSON", {source, 0, ""});
  if (!j.is_object()) throw Error("reply is not a JSON object", {source, 0, ""});
  return j;
}

const std::string& string_at(const json& j, const char* key, const std::string& source) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    throw Error(std::string("reply has no string \"") + key + "\"", {source, 0, key});
  return it->get_ref<const std::string&>();
}

std::string_view strip_data_url(std::string_view b64) {
  if (starts_with(b64, "data:")) {
    const auto comma = b64.find(',');
    if (comma != std::string_view::npos) return b64.substr(comma + 1);
  }
  return b64;
}

bool substitute(json& node, const std::string& prompt, const std::string& negative,
                std::int64_t seed, bool& seed_done) {
  bool found = false;
  if (node.is_object() || node.is_array()) {
    for (auto& child : node) found = substitute(child, prompt, negative, seed, seed_done) || found;
  } else if (node.is_string()) {
    std::string s = node.get<std::string>();
    if (s == "{seed}") {
      node = seed;
      seed_done = true;
      return false;
    }
    auto replace_all = [&s](const std::string& from, const std::string& to) {
      bool any = false;
      for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
        s.replace(pos, from.size(), to);
        any = true;
      }
      return any;
    };
    found = replace_all("{prompt}", prompt);
    replace_all("{negative}", negative);
    node = s;
  }
  return found;
}

}  // namespace

std::string parse_comfyui_queued(std::string_view body, const std::string& source) {
  const json j = parse_object(body, source);
  if (j.contains("node_errors") && j["node_errors"].is_object() && !j["node_errors"].empty())
    throw Error("ComfyUI rejected the workflow: " + j["node_errors"].dump().substr(0, 300),
                {source, 0, "node_errors"});
  const std::string& id = string_at(j, "prompt_id", source);
  if (id.empty() || id.find_first_of("/?#&% ") != std::string::npos)
    throw Error("unusable prompt_id '" + id + "'", {source, 0, "prompt_id"});
  return id;
}

std::optional<ComfyImage> parse_comfyui_history(std::string_view body, const std::string& prompt_id,
                                                const std::string& source) {
  const json j = parse_object(body, source);
  const auto entry = j.find(prompt_id);
  if (entry == j.end()) return std::nullopt;  // still queued or running
  if (!entry->is_object()) throw Error("history entry is not an object", {source, 0, prompt_id});
  if (const auto st = entry->find("status"); st != entry->end() && st->is_object()) {
    if (st->value("status_str", "") == "error")
      throw Error("ComfyUI reports the prompt failed: " + st->dump().substr(0, 300),
                  {source, 0, "status"});
  }
  const auto outputs = entry->find("outputs");
  if (outputs == entry->end() || !outputs->is_object()) return std::nullopt;
  for (const auto& [node, out] : outputs->items()) {
    if (!out.is_object() || !out.contains("images") || !out["images"].is_array()) continue;
    for (const auto& img : out["images"]) {
      if (!img.is_object()) continue;
      ComfyImage ci{string_at(img, "filename", source), img.value("subfolder", ""),
                    img.value("type", "output")};
      return ci;
    }
  }
  // Finished (status completed) but without an image: the workflow has no SaveImage.
  if (const auto st = entry->find("status");
      st != entry->end() && st->is_object() && st->value("completed", false))
    throw Error("the prompt finished without an output image (does the workflow save one?)",
                {source, 0, "outputs"});
  return std::nullopt;
}

std::string parse_a1111_reply(std::string_view body, const std::string& source) {
  const json j = parse_object(body, source);
  const auto it = j.find("images");
  if (it == j.end() || !it->is_array() || it->empty() || !(*it)[0].is_string())
    throw Error("reply has no images", {source, 0, "images"});
  std::string img =
      detail::base64_decode(strip_data_url((*it)[0].get_ref<const std::string&>()), source);
  if (img.empty()) throw Error("the image is empty", {source, 0, "images"});
  return img;
}

std::string parse_openai_images_reply(std::string_view body, const std::string& source) {
  const json j = parse_object(body, source);
  const auto it = j.find("data");
  if (it == j.end() || !it->is_array() || it->empty() || !(*it)[0].is_object())
    throw Error("reply has no data[0]", {source, 0, "data"});
  std::string img = detail::base64_decode(string_at((*it)[0], "b64_json", source), source);
  if (img.empty()) throw Error("the image is empty", {source, 0, "b64_json"});
  return img;
}

json substitute_workflow(const json& workflow, const std::string& prompt,
                         const std::string& negative, std::int64_t seed,
                         const std::string& source) {
  json w = workflow;
  bool seed_done = false;
  if (!substitute(w, prompt, negative, seed, seed_done))
    throw Error(
        "the workflow has no \"{prompt}\" marker (put it in the positive "
        "CLIPTextEncode node's text)",
        {source, 0, "{prompt}"});
  if (!seed_done && w.is_object()) {
    // No "{seed}": the samplers' own seed inputs.
    for (auto& [id, node] : w.items()) {
      if (!node.is_object() || !node.contains("inputs") || !node["inputs"].is_object()) continue;
      for (const char* key : {"seed", "noise_seed"})
        if (node["inputs"].contains(key) && node["inputs"][key].is_number())
          node["inputs"][key] = seed;
    }
  }
  return w;
}

namespace detail {
namespace {

std::string url_escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

Generated comfyui(const json& workflow, const std::string& workflow_file, const Row& row,
                  HttpClient& http) {
  const GenerateOptions& o = http.options();
  const std::string base = o.endpoint;
  const json graph =
      substitute_workflow(workflow, row.prompt, o.negative_prompt, row.seed, workflow_file);
  const json body = {{"prompt", graph}, {"client_id", "emonet-generate"}};
  const std::string id =
      http.call("POST", base + "/prompt", body.dump(),
                [&](const std::string& b) { return parse_comfyui_queued(b, base + "/prompt"); });
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(o.queue_timeout_s));
  const std::string hurl = base + "/history/" + id;
  std::optional<ComfyImage> image;
  for (;;) {
    image = http.call("GET", hurl, "",
                      [&](const std::string& b) { return parse_comfyui_history(b, id, hurl); });
    if (image) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      // Take it off the queue (best effort) so the server does not keep working on it.
      try {
        http.send("POST", base + "/queue", json({{"delete", {id}}}).dump());
      } catch (const Error&) {
      }
      throw Error("ComfyUI did not finish prompt " + id + " within " +
                  std::to_string(static_cast<long>(o.queue_timeout_s)) +
                  " s (queue stuck or too long; see --queue-timeout)");
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(o.poll_interval_s));
  }
  const std::string vurl = base + "/view?filename=" + url_escape(image->filename) +
                           "&subfolder=" + url_escape(image->subfolder) +
                           "&type=" + url_escape(image->type);
  Generated g;
  g.image = http.call("GET", vurl, "", [&](const std::string& b) {
    if (b.empty()) throw Error("empty image", {vurl, 0, ""});
    return b;
  });
  g.generator = {{"backend", "comfyui"},
                 {"endpoint", base},
                 {"workflow", workflow_file},
                 {"prompt_id", id},
                 {"seed", row.seed},
                 {"output", image->filename},
                 {"negative_prompt", o.negative_prompt}};
  return g;
}

Generated a1111(const Row& row, HttpClient& http) {
  const GenerateOptions& o = http.options();
  const std::string url = o.endpoint + "/sdapi/v1/txt2img";
  const json params = {{"prompt", row.prompt}, {"negative_prompt", o.negative_prompt},
                       {"seed", row.seed},     {"width", o.width},
                       {"height", o.height},   {"steps", o.steps},
                       {"batch_size", 1},      {"n_iter", 1}};
  Generated g;
  g.image = http.call("POST", url, params.dump(),
                      [&](const std::string& b) { return parse_a1111_reply(b, url); });
  g.generator = {{"backend", "a1111"}, {"endpoint", o.endpoint}, {"parameters", params}};
  return g;
}

Generated openai(const Row& row, HttpClient& http) {
  const GenerateOptions& o = http.options();
  const std::string url = o.endpoint + "/v1/images/generations";
  const json params = {{"model", o.model.empty() ? "gpt-image-1" : o.model},
                       {"prompt", row.prompt},
                       {"n", 1},
                       {"size", std::to_string(o.width) + "x" + std::to_string(o.height)},
                       {"response_format", "b64_json"}};
  Generated g;
  g.image = http.call("POST", url, params.dump(),
                      [&](const std::string& b) { return parse_openai_images_reply(b, url); });
  g.generator = {{"backend", "openai"},
                 {"endpoint", o.endpoint},
                 {"parameters", params},
                 {"seed", nullptr},
                 {"note", "the OpenAI images API takes no seed; the design seed is not used"}};
  return g;
}

}  // namespace

Backend make_backend(const GenerateOptions& o) {
  if (o.backend == "comfyui") {
    if (o.workflow.empty()) throw Error("the comfyui backend needs --workflow FILE (API format)");
    json wf = json::parse(read_file(o.workflow), nullptr, false);
    if (wf.is_discarded() || !wf.is_object())
      throw Error("not a JSON object (export the workflow with \"Save (API Format)\")",
                  {o.workflow, 0, ""});
    substitute_workflow(wf, "p", "", 0, o.workflow);  // reports a missing {prompt} now
    const std::string file = o.workflow;
    return [wf, file](const Row& row, HttpClient& http) { return comfyui(wf, file, row, http); };
  }
  if (o.backend == "a1111") return a1111;
  if (o.backend == "openai") return openai;
  throw Error("unknown backend '" + o.backend + "' (expected comfyui, a1111 or openai)");
}

}  // namespace detail
}  // namespace emonet::data
