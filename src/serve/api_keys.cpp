// API keys: generation, the keys file, constant-time checks (see serve_keys.h).
#include <sodium.h>

#include <cctype>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/serve_keys.h"

namespace emonet::serve {
namespace {

constexpr std::string_view kScheme = "blake2b-256:";

void init_sodium() {
  if (sodium_init() < 0) throw Error("libsodium could not be initialised");
}

std::string hex(const std::uint8_t* p, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    s.push_back(digits[p[i] >> 4]);
    s.push_back(digits[p[i] & 15]);
  }
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

}  // namespace

KeyHash hash_api_key(std::string_view key) {
  init_sodium();
  KeyHash h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(key.data()),
                     key.size(), nullptr, 0);
  return h;
}

GeneratedKey generate_api_key(std::string_view label) {
  init_sodium();
  std::uint8_t raw[32];
  randombytes_buf(raw, sizeof raw);
  GeneratedKey g;
  g.key = "emk_" + hex(raw, sizeof raw);
  sodium_memzero(raw, sizeof raw);
  const KeyHash h = hash_api_key(g.key);
  g.hash_line = std::string(kScheme) + hex(h.data(), h.size());
  if (!label.empty()) g.hash_line += " " + std::string(label);
  return g;
}

ApiKeys ApiKeys::parse(std::string_view text, const std::string& name) {
  ApiKeys keys;
  long line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const ErrorContext where{name, line_no, ""};
    if (!line.starts_with(kScheme))
      throw Error("expected 'blake2b-256:<64 hex digits> [label]' (from `emonet serve keygen`)",
                  where);
    line.remove_prefix(kScheme.size());
    if (line.size() < 64 || (line.size() > 64 && !is_space(line[64])))
      throw Error("the hash must be exactly 64 hex digits", where);
    KeyHash h{};
    for (std::size_t i = 0; i < 32; ++i) {
      const int hi = hex_value(line[2 * i]), lo = hex_value(line[2 * i + 1]);
      if (hi < 0 || lo < 0) throw Error("the hash must be exactly 64 hex digits", where);
      h[i] = std::uint8_t(hi * 16 + lo);
    }
    keys.hashes_.push_back(h);
  }
  if (keys.hashes_.empty())
    throw Error("no API key in the file (add lines from `emonet serve keygen`)", {name, 0, ""});
  return keys;
}

ApiKeys ApiKeys::load(const std::string& path) {
  return parse(read_file(path), path);
}

bool ApiKeys::check(std::string_view presented) const {
  const KeyHash h = hash_api_key(presented);
  // Every stored hash is compared, whatever matched earlier: the time does not depend on
  // which key (if any) the token belongs to.
  int matches = 0;
  for (const auto& stored : hashes_)
    matches |= sodium_memcmp(stored.data(), h.data(), h.size()) == 0;
  return matches != 0;
}

}  // namespace emonet::serve
