// Import of the authors' binary.csv and export back in their format, plus manifests.
#include <gtest/gtest.h>

#include <fstream>

#include "annotate/agreement.h"
#include "annotate/exchange.h"
#include "annotate/projects.h"
#include "annotate/store.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "support/test_paths.h"

namespace emonet::annotate {
namespace {

TEST(Exchange, AuthorsBinaryCsvRoundTripsByteForByte) {
  REQUIRE_REFERENCE(binary_csv, "binary.csv");
  test::TempDir tmp;
  Store store(Database::open(tmp.file("a.sqlite"), 2));
  const auto summary = import_authors_csv(store, "authors", binary_csv, "", "", 1);
  // Spec §4: 65,686 rows over 39,998 (image, emotion) pairs.
  EXPECT_EQ(summary.answers, 65686);
  EXPECT_EQ(summary.items, 39998);
  const auto project = store.find_project("authors");
  ASSERT_TRUE(project.has_value());
  EXPECT_EQ(export_project(store, *project, "binary.csv"), read_file(binary_csv));

  // The vote-outcome table reproduces the spec's §4 counts.
  const auto table = agreement_json(store, *project);
  EXPECT_EQ(table["outcomes"]["1:No"], 22291);
  EXPECT_EQ(table["outcomes"]["1:Yes"], 3037);
  EXPECT_EQ(table["outcomes"]["1-1"], 3652);
  EXPECT_EQ(table["outcomes"]["2:1"], 1943);
  EXPECT_EQ(table["outcomes"]["3:0"], 9075);
  EXPECT_EQ(table["outcomes"]["other"], 0);
}

TEST(Exchange, HqCsvImportKeepsHumanRowsAndExportsThem) {
  test::TempDir tmp;
  const std::string csv = tmp.file("hq.csv");
  std::ofstream(csv) << "image,annotator,human,annotations\n"
                     << "a.jpg,human-1,True,\"{'Negative High-Energy Emotions|Anger': 3, "
                        "'Extra Dimensions|Valence': -1.5}\"\n"
                     << "a.jpg,Some Model,False,\"{'Negative High-Energy Emotions|Anger': 2.5}\"\n"
                     << "a.jpg,human-2,True,\"{'Negative High-Energy Emotions|Fear': 7}\"\n";
  Store store(Database::open(tmp.file("a.sqlite"), 2));
  const auto s = import_authors_csv(store, "hq", csv, "", "", 1);
  EXPECT_EQ(s.answers, 2);
  EXPECT_EQ(s.skipped, 1);
  const std::string out = export_project(store, *store.find_project("hq"), "hq.csv");
  EXPECT_NE(out.find("a.jpg,human-1,True,\"{'Positive High-Energy Emotions|Amusement': 0,"),
            std::string::npos);
  EXPECT_NE(out.find("'Negative High-Energy Emotions|Anger': 3,"), std::string::npos);
  EXPECT_NE(out.find("'Negative High-Energy Emotions|Fear': 7,"), std::string::npos);
}

TEST(Exchange, BadRowsNameFileLineAndField) {
  test::TempDir tmp;
  const std::string csv = tmp.file("binary.csv");
  std::ofstream(csv) << "path,annotator,value,emotion\n00001,human-1,True,Anger\n"
                     << "00002,human-1,Maybe,Anger\n";
  Store store(Database::open(tmp.file("a.sqlite"), 2));
  try {
    import_authors_csv(store, "x", csv, "", "", 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().line, 3);
    EXPECT_EQ(e.context().field, "value");
    EXPECT_EQ(e.context().file, csv);
  }
  // Nothing half-imported.
  EXPECT_FALSE(store.find_project("x").has_value());
}

TEST(Projects, ManifestPathsMustStayInsideTheImagesFolder) {
  EXPECT_TRUE(safe_relative_path("a/b.png"));
  for (const char* bad :
       {"", "/etc/passwd", "../x.png", "a/../../x.png", "a//b.png", "./a.png", "a\\..\\b.png"}) {
    EXPECT_FALSE(safe_relative_path(bad)) << bad;
  }
  test::TempDir tmp;
  std::ofstream(tmp.file("m.csv")) << "image,emotion\n../secret.png,Anger\n";
  ProjectSpec spec;
  spec.protocol = Protocol::binary;
  ProjectSource src;
  src.manifest = tmp.file("m.csv");
  try {
    build_items(spec, src);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().line, 2);
    EXPECT_EQ(e.context().field, "image");
  }
}

TEST(Projects, BinaryManifestWithContrastEmotionMakesTwoItems) {
  test::TempDir tmp;
  std::ofstream(tmp.file("a.png")) << "x";
  std::ofstream(tmp.file("m.csv"))
      << "image,prompt,age,emotion,contrast_emotion\n"
      << "a.png,\"a face, smiling\",30,Hopelessness,Hope/Enthusiasm/Optimism\n";
  ProjectSpec spec;
  spec.protocol = Protocol::binary;
  ProjectSource src;
  src.manifest = tmp.file("m.csv");
  const auto items = build_items(spec, src);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].emotion, "Helplessness");  // binary.csv's alias resolved
  EXPECT_EQ(items[0].target_votes, 3);
  EXPECT_EQ(items[0].max_parallel, 1);
  EXPECT_EQ(items[1].role, "contrast");
  EXPECT_EQ(items[1].target_votes, 1);
  EXPECT_NE(items[0].metadata.find("\"prompt\":\"a face, smiling\""), std::string::npos);
}

TEST(Agreement, BinaryOutcomeLabels) {
  EXPECT_EQ(binary_outcome(1, 0), "1:No");
  EXPECT_EQ(binary_outcome(1, 1), "1:Yes");
  EXPECT_EQ(binary_outcome(2, 1), "1-1");
  EXPECT_EQ(binary_outcome(3, 2), "2:1");
  EXPECT_EQ(binary_outcome(3, 3), "3:0");
  EXPECT_EQ(binary_outcome(2, 2), "other");
}

}  // namespace
}  // namespace emonet::annotate
