// emonet::serve — API keys of the inference service (`emonet serve --api-keys FILE`).
//
// A key is 32 random bytes written as "emk_" + 64 hex digits. The server never stores it:
// the keys file holds one line per key, `blake2b-256:<64 hex digits> [label]`, the
// unkeyed BLAKE2b-256 of the key's text (libsodium's crypto_generichash). A fast hash is
// the right tool here, unlike for passwords: the keys carry 256 bits of entropy, so there
// is nothing to brute-force, and every request must be checked in microseconds. Blank
// lines and lines starting with '#' are ignored.
//
// A presented key is hashed and compared with every stored hash in constant time
// (sodium_memcmp, no early exit), so neither the answer nor its timing tells whether a
// key exists or how close a guess was.
//
// Thread safety: an ApiKeys is immutable after construction; check() may be called from
// any number of threads at once. The free functions are reentrant.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace emonet::serve {

using KeyHash = std::array<std::uint8_t, 32>;

struct GeneratedKey {
  std::string key;        // give this to the client ("Authorization: Bearer <key>")
  std::string hash_line;  // append this to the --api-keys file
};

// A fresh random key (libsodium's randombytes) and its keys-file line with `label`.
GeneratedKey generate_api_key(std::string_view label = "");

KeyHash hash_api_key(std::string_view key);

class ApiKeys {
 public:
  ApiKeys() = default;
  // Parses a keys file's text; throws emonet::Error naming `name` and the line for a line
  // that is not `blake2b-256:<64 hex> [label]`, or for a file with no key at all.
  static ApiKeys parse(std::string_view text, const std::string& name);
  static ApiKeys load(const std::string& path);  // reads, then parse()

  // True when `presented` (the Bearer token) hashes to one of the stored hashes.
  bool check(std::string_view presented) const;
  std::size_t size() const { return hashes_.size(); }

 private:
  std::vector<KeyHash> hashes_;
};

}  // namespace emonet::serve
