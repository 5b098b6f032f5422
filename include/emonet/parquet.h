// A focused Apache Parquet reader (no Arrow/Parquet C++ package exists in Debian 12).
//
// Covers what the published EmoNet-Face sets and ordinary writers (DuckDB, pyarrow,
// hyparquet-writer) produce: the Thrift compact footer, data pages v1 and v2 and
// dictionary pages; PLAIN, RLE / bit-packed hybrid, PLAIN_DICTIONARY / RLE_DICTIONARY,
// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT;
// all physical types (INT96 as 12 raw bytes); UNCOMPRESSED, SNAPPY, GZIP and ZSTD pages;
// nulls, nested structs and lists through definition and repetition levels.
//
// The file is memory-mapped and read one row group (or one column chunk) at a time, so a
// multi-gigabyte shard never sits in memory decoded. Every offset and length read from
// the file is bounds-checked: a corrupt or truncated file raises emonet::Error naming the
// file, the byte offset and the column, never undefined behaviour.
//
// Thread-safety: a ParquetFile is immutable after opening; read_column()/read_rows() may
// be called from several threads at once (each call decodes into its own buffers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "emonet/files.h"

namespace emonet::parquet {

enum class PhysicalType : int {
  Boolean = 0,
  Int32 = 1,
  Int64 = 2,
  Int96 = 3,
  Float = 4,
  Double = 5,
  ByteArray = 6,
  FixedLenByteArray = 7,
};
enum class Repetition : int { Required = 0, Optional = 1, Repeated = 2 };

std::string_view physical_type_name(PhysicalType t);
std::string_view codec_name(int codec);        // "SNAPPY", "ZSTD", ... ("CODEC_<n>" else)
std::string_view encoding_name(int encoding);  // "PLAIN", "RLE_DICTIONARY", ...

// One element of the flattened schema tree (depth-first, as stored in the footer).
struct SchemaNode {
  std::string name;
  bool is_leaf = false;
  PhysicalType type = PhysicalType::Int32;  // leaves only
  int type_length = 0;                      // FIXED_LEN_BYTE_ARRAY width
  Repetition repetition = Repetition::Required;
  int num_children = 0;
  int converted_type = -1;  // Thrift ConvertedType (0 UTF8, 1 MAP, 3 LIST, ...), -1 none
  int logical_type = -1;    // field id of the LogicalType union (1 STRING, 3 LIST, ...)
  int parent = -1;          // index of the parent node, -1 for the root
  std::vector<int> children;
};

// A leaf column: its path and the maximum definition / repetition levels.
struct ColumnDescriptor {
  std::string path;        // dotted: "image.bytes"
  std::vector<int> nodes;  // schema node indices root-child .. leaf
  PhysicalType type = PhysicalType::Int32;
  int type_length = 0;
  int max_def = 0;
  int max_rep = 0;
  bool is_string = false;  // UTF8 / STRING / ENUM / JSON annotated byte array
};

struct ColumnChunkInfo {
  int codec = 0;
  std::int64_t num_values = 0;
  std::int64_t total_compressed_size = 0;
  std::int64_t total_uncompressed_size = 0;
  std::int64_t data_page_offset = 0;
  std::int64_t dictionary_page_offset = -1;  // -1 when absent
  std::vector<int> encodings;
};

struct RowGroupInfo {
  std::int64_t num_rows = 0;
  std::int64_t total_byte_size = 0;
  std::vector<ColumnChunkInfo> columns;  // one per leaf column, in schema order
};

struct FileMetadata {
  int version = 0;
  std::int64_t num_rows = 0;
  std::string created_by;
  std::vector<SchemaNode> schema;  // [0] is the root
  std::vector<ColumnDescriptor> columns;
  std::vector<RowGroupInfo> row_groups;
  std::vector<std::pair<std::string, std::string>> key_value;

  // Value of a key-value metadata entry ("huggingface", "ARROW:schema"), or nullptr.
  const std::string* find_key(std::string_view key) const;
  // Index of the leaf column with this dotted path, or -1.
  int find_column(std::string_view path) const;
};

// One column chunk decoded. Level entry k has def_levels[k] / rep_levels[k] (vectors are
// empty when max_def / max_rep is 0: every entry then has the maximum level). A value is
// present for an entry exactly when its definition level equals max_def; the present
// values are stored in order in the vector that fits the physical type.
struct ColumnData {
  PhysicalType type = PhysicalType::Int32;
  std::size_t num_entries = 0;
  std::vector<std::int16_t> def_levels;
  std::vector<std::int16_t> rep_levels;
  std::vector<std::int64_t> ints;      // BOOLEAN (0/1), INT32, INT64
  std::vector<double> doubles;         // FLOAT (exactly widened), DOUBLE
  std::string bytes;                   // BYTE_ARRAY / FIXED_LEN / INT96 payloads, concatenated
  std::vector<std::uint64_t> offsets;  // value i is bytes[offsets[i], offsets[i+1])

  std::size_t num_values() const;
  std::string_view byte_value(std::size_t i) const {
    return std::string_view(bytes).substr(offsets[i], offsets[i + 1] - offsets[i]);
  }
};

// A row value assembled from the leaf columns (structs keep schema field order; a LIST
// annotated group becomes a List of its elements).
struct Value {
  enum class Kind { Null, Bool, Int, Double, String, Bytes, List, Struct };
  Kind kind = Kind::Null;
  bool b = false;
  std::int64_t i = 0;
  double d = 0;
  std::string s;  // String (UTF-8) and Bytes
  std::vector<Value> items;
  // A named struct member. Not std::pair: clang with libstdc++ 12 rejects a pair whose
  // second type is the still-incomplete Value (its explicit() traits need a complete type).
  struct Field;
  std::vector<Field> fields;

  const Value* field(std::string_view name) const;
};

struct Value::Field {
  Field(std::string name, Value value) : first(std::move(name)), second(std::move(value)) {}
  std::string first;
  Value second;
};

// JSON text of a value: Bytes as {"hex": "..."}; non-finite doubles as strings.
std::string to_json(const Value& v);

class ParquetFile {
 public:
  explicit ParquetFile(const std::string& path);
  ~ParquetFile();
  ParquetFile(ParquetFile&&) noexcept;
  ParquetFile& operator=(ParquetFile&&) noexcept;

  const FileMetadata& metadata() const { return meta_; }
  const std::string& path() const { return file_.path(); }
  std::size_t file_size() const { return file_.size(); }

  // Decodes leaf column `column` of row group `row_group`.
  ColumnData read_column(std::size_t row_group, std::size_t column) const;

  // Assembles the rows of a row group from the given leaf columns (all when empty); the
  // result has one Struct per row holding the top-level fields those leaves belong to.
  std::vector<Value> read_rows(std::size_t row_group, std::vector<int> columns = {}) const;

 private:
  MappedFile file_;
  FileMetadata meta_;
};

// Parses a footer (bytes between the 8-byte header magic and the trailer); exposed for the
// fuzz harness and tests. `file` names the source in errors; `base` is the footer's offset.
FileMetadata parse_file_metadata(const std::uint8_t* data, std::size_t size,
                                 const std::string& file, std::size_t base);

// Decodes a whole in-memory Parquet file (every row group and column); for the fuzzer.
void decode_all(const std::uint8_t* data, std::size_t size);

// HF `datasets` ClassLabel names per column from the "huggingface" key-value metadata
// ({"info": {"features": {"col": {"_type": "ClassLabel", "names": [...]}}}}).
std::vector<std::pair<std::string, std::vector<std::string>>> class_labels(
    const FileMetadata& meta);

}  // namespace emonet::parquet
