// A restricted interpreter for Python pickles (protocols 0-5) that can rebuild a PyTorch
// state dict and nothing else.
//
// It knows a handful of globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// torch._utils._rebuild_parameter(_with_state) and the torch.<Type>Storage classes that
// appear inside persistent ids. Every other global (os.system, builtins.eval, ...) and
// every opcode that would build an arbitrary object (INST, OBJ, NEWOBJ, EXT*) throws
// emonet::Error naming the source file and the global. No Python code is ever run: the
// "calls" are interpreted by this file. Memo, stack and sizes are bounds-checked.
//
// Internal to src/model. Not thread-safe per instance; use one per pickle.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "emonet/model_files.h"

namespace emonet::model::pickle {

struct Value;
// Values are owned by the Unpickled arena below, so reference cycles a hostile pickle
// builds (a list appended to itself) cannot leak.
using ValuePtr = Value*;

// A storage reference from a persistent id ('storage', torch.FloatStorage, key, location,
// numel); the bytes live in the archive at data/<key>.
struct StorageRef {
  DType dtype = DType::F32;
  std::string key;
  std::int64_t numel = 0;
};

// A tensor as _rebuild_tensor_v2 describes it: a strided view of a storage.
struct TensorRef {
  StorageRef storage;
  std::int64_t offset = 0;  // in elements
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> stride;  // in elements
};

struct Value {
  enum class Kind {
    None,
    Bool,
    Int,
    Float,
    String,
    Bytes,
    Tuple,
    List,
    Dict,
    Global,
    Storage,
    Tensor
  };
  Kind kind = Kind::None;
  bool b = false;
  std::int64_t i = 0;
  double f = 0;
  std::string s;                                       // String, Bytes, Global ("module.name")
  std::vector<ValuePtr> items;                         // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // Dict (insertion order)
  StorageRef storage;
  TensorRef tensor;
};

struct Unpickled {
  std::vector<std::unique_ptr<Value>> arena;  // every value built
  const Value* root = nullptr;                // the pickle's result
};

// Runs `data` (a pickle) and returns its result. `source` names the file for errors.
Unpickled unpickle(std::string_view data, const std::string& source);

std::string describe(const Value& v);  // "tuple", "str 'abc'", ... for messages

}  // namespace emonet::model::pickle
