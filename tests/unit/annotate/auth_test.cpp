// Password hashing, tokens and the login rate limiter.
#include <gtest/gtest.h>

#include <set>

#include "annotate/auth.h"
#include "emonet/error.h"

namespace emonet::annotate {
namespace {

TEST(Auth, Argon2idHashesVerifyOnlyTheRightPassword) {
  const std::string hash = hash_password("correct horse battery");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_TRUE(verify_password("correct horse battery", hash));
  EXPECT_FALSE(verify_password("correct horse batterY", hash));
  EXPECT_FALSE(verify_password("anything", "!"));           // imported users cannot log in
  EXPECT_NE(hash_password("correct horse battery"), hash);  // salted
  EXPECT_THROW(hash_password("short"), Error);
}

TEST(Auth, TokensAreRandomAndUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = random_token();
    EXPECT_EQ(t.size(), 43u);
    EXPECT_EQ(
        t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
  // SHA-256("abc") from FIPS 180-2.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Auth, LimiterBlocksPerAccountAndPerIpUntilTheWindowEnds) {
  LoginLimiter limiter(/*per_ip=*/4, /*per_account=*/2, /*window_ms=*/60'000);
  EXPECT_EQ(limiter.retry_after_s("1.1.1.1", "alice", 0), 0);
  limiter.record_failure("1.1.1.1", "alice", 0);
  limiter.record_failure("1.1.1.1", "alice", 1000);
  EXPECT_EQ(limiter.retry_after_s("1.1.1.1", "alice", 2000), 58);  // account blocked
  EXPECT_EQ(limiter.retry_after_s("2.2.2.2", "alice", 2000), 58);  // from anywhere
  EXPECT_EQ(limiter.retry_after_s("1.1.1.1", "bob", 2000), 0);     // IP still has budget
  limiter.record_failure("1.1.1.1", "bob", 2000);
  limiter.record_failure("1.1.1.1", "carol", 2000);
  EXPECT_GT(limiter.retry_after_s("1.1.1.1", "dave", 3000), 0);    // IP over its limit
  EXPECT_EQ(limiter.retry_after_s("1.1.1.1", "dave", 61'000), 0);  // window over
}

}  // namespace
}  // namespace emonet::annotate
