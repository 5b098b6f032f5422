// `emonet annotate` on the command line: first admin from stdin, projects, errors.
#include <gtest/gtest.h>

#include <fstream>

#include "integration/annotate/annotate_support.h"

namespace emonet::test {
namespace {

TEST(AnnotateCli, FirstAdminReadsThePasswordFromStdin) {
  TempDir tmp;
  const std::string db = tmp.file("a.sqlite");
  const std::string cli = "'" + cli_path() + "' --quiet annotate add-user --db '" + db + "' ";
  ASSERT_EQ(run_shell("printf 'a long password\\n' | " + cli + "--admin root"), 0);
  // Too short, and a taken name: refused with exit code 1.
  EXPECT_EQ(run_shell("printf 'short\\n' | " + cli + "bob 2>/dev/null"), 1);
  EXPECT_EQ(run_shell("printf 'another password\\n' | " + cli + "root 2>/dev/null"), 1);
  EXPECT_EQ(run_shell(cli + "carol </dev/null 2>/dev/null"), 1);  // no password at all
  annotate::Store store(annotate::Database::open(db, 1));
  auto root = store.find_user("root");
  ASSERT_TRUE(root.has_value());
  EXPECT_TRUE(root->first.is_admin());
  EXPECT_TRUE(annotate::verify_password("a long password", root->second));
  EXPECT_FALSE(store.find_user("bob").has_value());
  EXPECT_EQ(store.users().size(), 1u);
}

TEST(AnnotateCli, ProjectErrorsNameTheManifestLineAndField) {
  TempDir tmp;
  write_images(tmp.path(), 2);
  std::ofstream(tmp.file("design.csv")) << "image,emotion\nimg_0000.png,Anger\nimg_0001.png,Angr\n";
  auto r = run_cli("annotate create-project b --db '" + tmp.file("a.sqlite") +
                   "' --protocol binary --manifest '" + tmp.file("design.csv") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("design.csv:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("emotion"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Anger"), std::string::npos) << r.err;  // closest valid name
  auto ok = run_cli("annotate create-project i --db '" + tmp.file("a.sqlite") + "' --images '" +
                    tmp.path().string() + "' --format json");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out)["items"], 2);
  auto missing = run_cli("annotate export nope --db '" + tmp.file("a.sqlite") + "'");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no project named 'nope'"), std::string::npos);
}

}  // namespace
}  // namespace emonet::test
