// API keys: generated keys verify against their hash line, the file parser names the
// line at fault, and a key is checked against every stored hash.
#include <gtest/gtest.h>
#include <sodium.h>

#include "emonet/error.h"
#include "emonet/serve_keys.h"

namespace emonet::serve {
namespace {

std::string hex(const KeyHash& h) {
  char buf[65];
  sodium_bin2hex(buf, sizeof buf, h.data(), h.size());
  return buf;
}

TEST(ApiKeys, AGeneratedKeyVerifiesAgainstItsHashLine) {
  const auto g = generate_api_key("ci");
  EXPECT_TRUE(g.key.starts_with("emk_"));
  EXPECT_EQ(g.key.size(), 4u + 64u);
  // The line is the BLAKE2b-256 of the key's text, computed here with libsodium directly.
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(g.key.data()),
                     g.key.size(), nullptr, 0);
  KeyHash kh;
  std::copy(h, h + 32, kh.begin());
  EXPECT_EQ(g.hash_line, "blake2b-256:" + hex(kh) + " ci");
  const auto keys = ApiKeys::parse("# comment\n\n" + g.hash_line + "\r\n", "keys.txt");
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_TRUE(keys.check(g.key));
  EXPECT_FALSE(keys.check(g.key + "x"));
  EXPECT_FALSE(keys.check(""));
  EXPECT_NE(generate_api_key().key, g.key);
}

TEST(ApiKeys, EveryStoredKeyIsAccepted) {
  const auto a = generate_api_key(), b = generate_api_key(), c = generate_api_key();
  const auto keys = ApiKeys::parse(a.hash_line + "\n" + b.hash_line + "\n", "keys.txt");
  EXPECT_TRUE(keys.check(a.key));
  EXPECT_TRUE(keys.check(b.key));
  EXPECT_FALSE(keys.check(c.key));
}

TEST(ApiKeys, MalformedLinesAreNamed) {
  const std::string good = generate_api_key().hash_line;
  auto message = [](const std::string& text) {
    try {
      (void)ApiKeys::parse(text, "keys.txt");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(good + "\nemk_plaintextkey\n").find("keys.txt:2"), std::string::npos);
  EXPECT_NE(message("blake2b-256:abcd\n").find("64 hex"), std::string::npos);
  EXPECT_NE(message("blake2b-256:" + std::string(64, 'g') + "\n").find("64 hex"),
            std::string::npos);
  EXPECT_NE(message("blake2b-256:" + std::string(65, 'a')).find("64 hex"), std::string::npos);
  EXPECT_NE(message("# only a comment\n").find("no API key"), std::string::npos);
}

}  // namespace
}  // namespace emonet::serve
