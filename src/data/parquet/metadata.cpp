// The Parquet footer (FileMetaData) from its Thrift compact encoding, and the derived
// leaf-column descriptors (paths, maximum definition/repetition levels).
#include <nlohmann/json.hpp>

#include "data/parquet/thrift.h"
#include "emonet/error.h"
#include "emonet/parquet.h"

namespace emonet::parquet {
namespace {

using detail::ThriftReader;
namespace ct = detail;

// Reads a list<T> calling `elem` per element (struct elements).
template <typename F>
void read_struct_list(ThriftReader& r, std::uint8_t type, F elem) {
  if (type != ct::kList) {
    r.skip(type);
    return;
  }
  std::uint8_t et;
  const std::size_t n = r.list_header(et);
  for (std::size_t k = 0; k < n; ++k) {
    if (et != ct::kStruct) r.fail("expected a list of structs");
    elem();
  }
}

std::int64_t read_int(ThriftReader& r, std::uint8_t type) {
  if (type != ct::kI32 && type != ct::kI64 && type != ct::kI16 && type != ct::kByte)
    r.fail("expected an integer field");
  if (type == ct::kByte) return static_cast<std::int8_t>(r.byte());
  return r.zigzag();
}

std::string read_string(ThriftReader& r, std::uint8_t type) {
  if (type != ct::kBinary) r.fail("expected a string field");
  return r.binary();
}

int read_logical_type(ThriftReader& r) {
  // LogicalType is a union: the id of its (single) set field names the type.
  int last = 0, id, result = -1;
  std::uint8_t t;
  while (r.field(id, t, last)) {
    result = id;
    r.skip(t);
  }
  return result;
}

SchemaNode read_schema_element(ThriftReader& r) {
  SchemaNode n;
  bool has_type = false;
  int last = 0, id;
  std::uint8_t t;
  while (r.field(id, t, last)) {
    switch (id) {
      case 1: {
        const auto v = read_int(r, t);
        if (v < 0 || v > 7) r.fail("unknown physical type " + std::to_string(v));
        n.type = static_cast<PhysicalType>(v);
        has_type = true;
        break;
      }
      case 2:
        n.type_length = static_cast<int>(read_int(r, t));
        break;
      case 3: {
        const auto v = read_int(r, t);
        if (v < 0 || v > 2) r.fail("unknown repetition type " + std::to_string(v));
        n.repetition = static_cast<Repetition>(v);
        break;
      }
      case 4:
        n.name = read_string(r, t);
        break;
      case 5:
        n.num_children = static_cast<int>(read_int(r, t));
        break;
      case 6:
        n.converted_type = static_cast<int>(read_int(r, t));
        break;
      case 10:
        if (t != ct::kStruct) r.fail("expected a LogicalType struct");
        n.logical_type = read_logical_type(r);
        break;
      default:
        r.skip(t);
    }
  }
  if (n.num_children < 0) r.fail("negative num_children in schema element '" + n.name + "'");
  n.is_leaf = n.num_children == 0 && has_type;
  return n;
}

ColumnChunkInfo read_column_meta(ThriftReader& r) {
  ColumnChunkInfo c;
  int last = 0, id;
  std::uint8_t t;
  while (r.field(id, t, last)) {
    switch (id) {
      case 2: {
        if (t != ct::kList) r.fail("expected encodings list");
        std::uint8_t et;
        const std::size_t n = r.list_header(et);
        for (std::size_t k = 0; k < n; ++k)
          c.encodings.push_back(static_cast<int>(read_int(r, et)));
        break;
      }
      case 4:
        c.codec = static_cast<int>(read_int(r, t));
        break;
      case 5:
        c.num_values = read_int(r, t);
        break;
      case 6:
        c.total_uncompressed_size = read_int(r, t);
        break;
      case 7:
        c.total_compressed_size = read_int(r, t);
        break;
      case 9:
        c.data_page_offset = read_int(r, t);
        break;
      case 11:
        c.dictionary_page_offset = read_int(r, t);
        break;
      default:
        r.skip(t);
    }
  }
  return c;
}

ColumnChunkInfo read_column_chunk(ThriftReader& r) {
  ColumnChunkInfo c;
  bool has_meta = false;
  int last = 0, id;
  std::uint8_t t;
  while (r.field(id, t, last)) {
    if (id == 1) r.fail("column chunks in external files are not supported");
    if (id == 3 && t == ct::kStruct) {
      c = read_column_meta(r);
      has_meta = true;
    } else {
      r.skip(t);
    }
  }
  if (!has_meta) r.fail("column chunk without meta_data");
  return c;
}

RowGroupInfo read_row_group(ThriftReader& r) {
  RowGroupInfo g;
  int last = 0, id;
  std::uint8_t t;
  while (r.field(id, t, last)) {
    switch (id) {
      case 1:
        read_struct_list(r, t, [&] { g.columns.push_back(read_column_chunk(r)); });
        break;
      case 2:
        g.total_byte_size = read_int(r, t);
        break;
      case 3:
        g.num_rows = read_int(r, t);
        break;
      default:
        r.skip(t);
    }
  }
  return g;
}

// Links the flat schema into a tree and derives one descriptor per leaf.
void build_columns(FileMetadata& m, ThriftReader& r) {
  if (m.schema.empty()) r.fail("empty schema");
  struct Frame {
    int node;
    int remaining;
  };
  std::vector<Frame> stack;
  std::size_t next = 1;
  stack.push_back({0, m.schema[0].num_children});
  while (!stack.empty()) {
    if (stack.back().remaining == 0) {
      stack.pop_back();
      continue;
    }
    --stack.back().remaining;
    if (next >= m.schema.size()) r.fail("schema has fewer elements than num_children says");
    const int idx = static_cast<int>(next++);
    SchemaNode& node = m.schema[static_cast<std::size_t>(idx)];
    node.parent = stack.back().node;
    m.schema[static_cast<std::size_t>(node.parent)].children.push_back(idx);
    if (stack.size() > 64) r.fail("schema nested deeper than 64");
    if (node.num_children > 0) {
      stack.push_back({idx, node.num_children});
    } else {
      if (!node.is_leaf) r.fail("schema element '" + node.name + "' has no type and no children");
      ColumnDescriptor d;
      d.type = node.type;
      d.type_length = node.type_length;
      for (int p = idx; p > 0; p = m.schema[static_cast<std::size_t>(p)].parent)
        d.nodes.insert(d.nodes.begin(), p);
      for (int p : d.nodes) {
        const SchemaNode& sn = m.schema[static_cast<std::size_t>(p)];
        if (!d.path.empty()) d.path += '.';
        d.path += sn.name;
        if (sn.repetition != Repetition::Required) ++d.max_def;
        if (sn.repetition == Repetition::Repeated) ++d.max_rep;
      }
      d.is_string = node.converted_type == 0 || node.converted_type == 4 ||
                    node.converted_type == 19 || node.logical_type == 1 || node.logical_type == 4 ||
                    node.logical_type == 12;
      if (d.type == PhysicalType::FixedLenByteArray && d.type_length <= 0)
        r.fail("FIXED_LEN_BYTE_ARRAY column '" + d.path + "' without a positive type_length");
      m.columns.push_back(std::move(d));
    }
  }
  if (next != m.schema.size()) r.fail("schema has more elements than its tree");
}

}  // namespace

FileMetadata parse_file_metadata(const std::uint8_t* data, std::size_t size,
                                 const std::string& file, std::size_t base) {
  ThriftReader r(data, size, base, file, "footer");
  FileMetadata m;
  int last = 0, id;
  std::uint8_t t;
  while (r.field(id, t, last)) {
    switch (id) {
      case 1:
        m.version = static_cast<int>(read_int(r, t));
        break;
      case 2:
        read_struct_list(r, t, [&] { m.schema.push_back(read_schema_element(r)); });
        break;
      case 3:
        m.num_rows = read_int(r, t);
        break;
      case 4:
        read_struct_list(r, t, [&] { m.row_groups.push_back(read_row_group(r)); });
        break;
      case 5:
        read_struct_list(r, t, [&] {
          std::string k, v;
          int l2 = 0, i2;
          std::uint8_t t2;
          while (r.field(i2, t2, l2)) {
            if (i2 == 1)
              k = read_string(r, t2);
            else if (i2 == 2)
              v = read_string(r, t2);
            else
              r.skip(t2);
          }
          m.key_value.emplace_back(std::move(k), std::move(v));
        });
        break;
      case 6:
        m.created_by = read_string(r, t);
        break;
      default:
        r.skip(t);
    }
  }
  build_columns(m, r);
  for (std::size_t g = 0; g < m.row_groups.size(); ++g) {
    if (m.row_groups[g].columns.size() != m.columns.size())
      r.fail("row group " + std::to_string(g) + " has " +
             std::to_string(m.row_groups[g].columns.size()) + " column chunks, schema has " +
             std::to_string(m.columns.size()) + " leaves");
    if (m.row_groups[g].num_rows < 0) r.fail("negative num_rows in row group " + std::to_string(g));
  }
  return m;
}

const std::string* FileMetadata::find_key(std::string_view key) const {
  for (const auto& kv : key_value)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

int FileMetadata::find_column(std::string_view p) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].path == p) return static_cast<int>(i);
  return -1;
}

std::vector<std::pair<std::string, std::vector<std::string>>> class_labels(
    const FileMetadata& meta) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  const std::string* hf = meta.find_key("huggingface");
  if (!hf) return out;
  const auto j = nlohmann::json::parse(*hf, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return out;
  const nlohmann::json* features = nullptr;
  if (j.contains("info") && j["info"].is_object() && j["info"].contains("features"))
    features = &j["info"]["features"];
  if (!features || !features->is_object()) return out;
  for (const auto& [name, f] : features->items()) {
    if (!f.is_object() || f.value("_type", "") != "ClassLabel" || !f.contains("names") ||
        !f["names"].is_array())
      continue;
    std::vector<std::string> names;
    for (const auto& n : f["names"])
      if (n.is_string()) names.push_back(n.get<std::string>());
    out.emplace_back(name, std::move(names));
  }
  return out;
}

std::string_view physical_type_name(PhysicalType t) {
  static constexpr std::string_view names[] = {
      "BOOLEAN", "INT32",  "INT64",      "INT96",
      "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  const int i = static_cast<int>(t);
  return i >= 0 && i < 8 ? names[i] : "UNKNOWN";
}

std::string_view codec_name(int codec) {
  static constexpr std::string_view names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                               "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
  return codec >= 0 && codec < 8 ? names[codec] : "UNKNOWN";
}

std::string_view encoding_name(int e) {
  static constexpr std::string_view names[] = {
      "PLAIN",          "GROUP_VAR_INT",       "PLAIN_DICTIONARY",        "RLE",
      "BIT_PACKED",     "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
      "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
  return e >= 0 && e < 10 ? names[e] : "UNKNOWN";
}

}  // namespace emonet::parquet
