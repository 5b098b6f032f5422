// The torch.save reader: zip container, restricted unpickler, storages, strides.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/model_files.h"
#include "model/restricted_unpickler.h"
#include "model/zip_archive.h"
#include "model_fixtures.h"
#include "support/test_paths.h"

namespace emonet::model {
namespace {

using namespace std::string_literals;

using test::error_of;
using test::model_fixture;
using ::testing::HasSubstr;

std::vector<float> floats(const StateTensor& t) {
  const FloatTensor f = to_float32(t.view());
  return {f.values().begin(), f.values().end()};
}

TEST(TorchStateDict, ReadsAPublishedStyleHeadInOrder) {
  const auto ref = test::model_reference("large");
  const auto sd = load_torch_state_dict(model_fixture("large/heads/model_elation_best.pth"));
  std::vector<std::string> names;
  for (const auto& t : sd) names.push_back(t.name);
  EXPECT_THAT(names, ::testing::ElementsAre("layers.0.weight", "layers.0.bias", "layers.3.weight",
                                            "layers.3.bias", "layers.6.weight", "layers.6.bias",
                                            "layers.9.weight", "layers.9.bias"));
  const auto& r = ref["heads"]["model_elation_best"];
  EXPECT_EQ(sd[0].shape, (std::vector<std::int64_t>{r["layers"][0][1], r["layers"][0][0]}));
  EXPECT_EQ(sd[0].dtype, DType::F32);
  const auto w = floats(sd[0]);
  const auto row0 = r["first_weight_row0"].get<std::vector<float>>();
  for (std::size_t i = 0; i < row0.size(); ++i) EXPECT_EQ(w[i], row0[i]);
  EXPECT_EQ(floats(sd.back())[0], r["last_bias"].get<float>());
}

TEST(TorchStateDict, ParametersStridesAndOffsetsGiveTheSameValues) {
  // small_views stores transposed (column-major) weights and biases at storage offset 3;
  // large_params stores nn.Parameter objects. Both must read back as the weights torch had.
  for (const char* folder : {"small_views", "large_params"}) {
    SCOPED_TRACE(folder);
    const auto ref = test::model_reference(folder);
    for (const auto& [key, r] : ref["heads"].items()) {
      const auto sd =
          load_torch_state_dict(model_fixture(std::string(folder) + "/heads/" + key + ".pth"));
      ASSERT_GE(sd.size(), 2u);
      const auto w = floats(sd[0]);
      const auto row0 = r["first_weight_row0"].get<std::vector<float>>();
      for (std::size_t i = 0; i < row0.size(); ++i) EXPECT_EQ(w[i], row0[i]) << key;
      EXPECT_EQ(floats(sd.back())[0], r["last_bias"].get<float>()) << key;
    }
  }
}

TEST(TorchStateDict, HalfPrecisionStorage) {
  const auto ref = test::model_reference("broken");
  const auto sd = load_torch_state_dict(model_fixture("broken/half_head.pth"));
  ASSERT_EQ(sd.size(), ref["half_head"].size());
  for (const auto& t : sd) {
    EXPECT_EQ(t.dtype, DType::F16);
    EXPECT_EQ(floats(t), ref["half_head"][t.name].get<std::vector<float>>()) << t.name;
  }
}

TEST(TorchStateDict, StoredEntriesAreReadInPlaceAndOutliveTheReader) {
  // torch.save writes stored entries: contiguous f32 tensors point into the mapped file
  // (no copy) and keep the mapping alive after the reader returns.
  const std::string path = model_fixture("broken/head.pth");
  const auto ref = test::model_reference("broken");
  std::vector<StateTensor> sd = load_torch_state_dict(path);
  ASSERT_EQ(sd.size(), ref["head"].size());
  for (const auto& t : sd) {
    EXPECT_NE(t.owner, nullptr) << t.name;
    EXPECT_EQ(floats(t), ref["head"][t.name].get<std::vector<float>>()) << t.name;
  }
  // Tensors sharing one archive share one owner (the mapping), not copies.
  EXPECT_EQ(sd.front().owner, sd.back().owner);
  const StateTensor last = sd.back();
  sd.clear();
  EXPECT_EQ(floats(last), ref["head"][last.name].get<std::vector<float>>());
}

TEST(TorchStateDict, DeflatedEntriesAreInflatedIntoOwnBytes) {
  const auto ref = test::model_reference("broken");
  const auto sd = load_torch_state_dict(model_fixture("broken/deflated_head.pth"));
  ASSERT_EQ(sd.size(), ref["head"].size());
  for (const auto& t : sd)
    EXPECT_EQ(floats(t), ref["head"][t.name].get<std::vector<float>>()) << t.name;
  // Each storage is inflated on its own, so weights and biases have different owners.
  EXPECT_NE(sd.front().owner, sd.back().owner);
}

TEST(TorchStateDict, ForbiddenGlobalIsRefusedNotExecuted) {
  const std::string path = model_fixture("broken/forbidden_global.pth");
  const std::string marker = model_fixture("broken/PWNED");
  std::filesystem::remove(marker);
  const auto msg = error_of([&] { load_torch_state_dict(path); });
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_THAT(msg, HasSubstr("forbidden global 'posix.system'"));
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the pickle's os.system call was executed";

  const auto eval_msg =
      error_of([&] { load_torch_state_dict(model_fixture("broken/forbidden_eval.pth")); });
  EXPECT_THAT(eval_msg, HasSubstr("eval'"));
}

TEST(TorchStateDict, LegacyTruncatedAndForeignFiles) {
  EXPECT_THAT(error_of([&] { load_torch_state_dict(model_fixture("broken/legacy.pth")); }),
              HasSubstr("legacy torch.save format"));
  const std::string truncated = model_fixture("broken/truncated.pth");
  EXPECT_THAT(error_of([&] { load_torch_state_dict(truncated); }), HasSubstr(truncated));
  EXPECT_THAT(error_of([&] { load_torch_state_dict(model_fixture("large/siglip/config.json")); }),
              HasSubstr("not a torch.save file"));
  EXPECT_THAT(error_of([&] { load_torch_state_dict(model_fixture("broken/nope.pth")); }),
              HasSubstr("cannot open"));
}

// A hand-written pickle per case: the interpreter must refuse what a state dict never
// contains, with an Error rather than a crash.
TEST(RestrictedUnpickler, RefusesObjectBuildingOpcodes) {
  auto err = [](const std::string& program) {
    return error_of([&] { pickle::unpickle(program, "test.pkl"); });
  };
  EXPECT_THAT(err("\x80\x02"
                  "cbuiltins\nexec\n"
                  "X\x01\0\0\0"
                  "1"
                  "\x85R."s),
              HasSubstr("builtins.exec"));
  EXPECT_THAT(err("\x80\x02"
                  "(cos\nsystem\nS'ls'\nio."s),
              HasSubstr("os.system"));
  EXPECT_THAT(err("\x80\x02(i__main__\nX\n."s), HasSubstr("INST"));
  EXPECT_THAT(err("\x80\x02\x82\x01."s), HasSubstr("EXT"));
  EXPECT_THAT(err("\x80\x02"
                  "ccollections\nOrderedDict\n"
                  ")R"
                  "X\x01\0\0\0"
                  "a"
                  "K\x01"
                  "s"s),
              HasSubstr("STOP"));
  EXPECT_THAT(err("\x80\x02h\x05."s), HasSubstr("memo entry 5"));
  EXPECT_THAT(err("\x80\x02."s), HasSubstr("underflow"));
  EXPECT_THAT(err("\x80\x02X\xff\xff\xff\x7f"s), HasSubstr("truncated"));
  EXPECT_THAT(err("\x80\x02K\x00K\x01K\x02s."s), HasSubstr("SETITEM on a int"));
  // A persistent id that is not a storage.
  EXPECT_THAT(err("\x80\x02X\x01\0\0\0xQ."s), HasSubstr("persistent id"));
}

TEST(RestrictedUnpickler, AcceptsTheStateDictVocabulary) {
  // OrderedDict with items, nested tuple, negative LONG1, floats, booleans, None.
  const std::string program =
      "\x80\x02"
      "ccollections\nOrderedDict\n"
      ")R"
      "q\x00"
      "("
      "X\x01\0\0\0a"
      "J\xfe\xff\xff\xff"  // -2
      "X\x01\0\0\0b"
      "\x8a\x02\x00\x80"  // LONG1 -32768
      "X\x01\0\0\0c"
      "G\x3f\xf8\x00\x00\x00\x00\x00\x00"  // 1.5
      "X\x01\0\0\0d"
      "(\x88\x89Nt"  // (True, False, None)
      "u"
      "}b."s;
  const auto result = pickle::unpickle(program, "test.pkl");
  const pickle::Value* v = result.root;
  ASSERT_EQ(v->kind, pickle::Value::Kind::Dict);
  ASSERT_EQ(v->entries.size(), 4u);
  EXPECT_EQ(v->entries[0].second->i, -2);
  EXPECT_EQ(v->entries[1].second->i, -32768);
  EXPECT_EQ(v->entries[2].second->f, 1.5);
  EXPECT_EQ(v->entries[3].second->items.size(), 3u);
}

TEST(RestrictedUnpickler, MutatedStateDictPicklesNeverCrash) {
  // Flip bytes of a real state-dict pickle: every outcome must be a value or an Error.
  const ZipArchive zip(model_fixture("large/heads/model_elation_best.pth"));
  const ZipArchive::Entry* pkl = nullptr;
  for (const auto& e : zip.entries())
    if (e.name.ends_with("/data.pkl")) pkl = &e;
  ASSERT_NE(pkl, nullptr);
  const std::string original = zip.read(*pkl);
  std::mt19937 rng(42);
  int errors = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string p = original;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) p[rng() % p.size()] = static_cast<char>(rng() & 0xff);
    if (rng() % 4 == 0) p.resize(rng() % p.size());
    try {
      pickle::unpickle(p, "mutated.pkl");
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST(ZipArchive, RejectsCorruptedEntriesByCrc) {
  test::TempDir tmp;
  std::string bytes = read_file(model_fixture("large/heads/model_elation_best.pth"));
  const ZipArchive zip(model_fixture("large/heads/model_elation_best.pth"));
  const ZipArchive::Entry* data = nullptr;
  for (const auto& e : zip.entries())
    if (e.name.ends_with("/data/0")) data = &e;
  ASSERT_NE(data, nullptr);
  // Flip a byte in the middle of storage 0 (its data starts after the local header).
  const std::size_t at = static_cast<std::size_t>(data->local_header_offset) + 200;
  bytes[at] = static_cast<char>(bytes[at] ^ 0x55);
  write_file_atomic(tmp.file("bad.pth"), bytes);
  EXPECT_THAT(error_of([&] { load_torch_state_dict(tmp.file("bad.pth")); }), HasSubstr("CRC-32"));
}

}  // namespace
}  // namespace emonet::model
