#include "restricted_unpickler.h"

#include <bit>
#include <cstring>
#include <unordered_map>

#include "emonet/error.h"
#include "emonet/strings.h"

namespace emonet::model::pickle {
namespace {

constexpr std::size_t kMaxStack = 1u << 20;
constexpr std::size_t kMaxMemo = 1u << 20;

struct StorageType {
  std::string_view name;
  DType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", DType::F32}, {"torch.DoubleStorage", DType::F64},
    {"torch.HalfStorage", DType::F16},  {"torch.BFloat16Storage", DType::BF16},
    {"torch.LongStorage", DType::I64},  {"torch.IntStorage", DType::I32},
    {"torch.ShortStorage", DType::I16}, {"torch.CharStorage", DType::I8},
    {"torch.ByteStorage", DType::U8},   {"torch.BoolStorage", DType::Bool},
};

constexpr std::string_view kOrderedDict = "collections.OrderedDict";
constexpr std::string_view kRebuildTensor = "torch._utils._rebuild_tensor_v2";
constexpr std::string_view kRebuildParameter = "torch._utils._rebuild_parameter";
constexpr std::string_view kRebuildParameterWithState =
    "torch._utils._rebuild_parameter_with_state";

bool is_allowed_global(std::string_view name) {
  if (name == kOrderedDict || name == kRebuildTensor || name == kRebuildParameter ||
      name == kRebuildParameterWithState)
    return true;
  for (const auto& s : kStorageTypes)
    if (s.name == name) return true;
  return false;
}

class Machine {
 public:
  Machine(std::string_view data, const std::string& source, Unpickled& out)
      : data_(data), source_(source), out_(out) {}

  ValuePtr run() {
    while (true) {
      if (pos_ >= data_.size()) fail("pickle ends without a STOP opcode (file truncated?)");
      const std::size_t at = pos_;
      const auto op = static_cast<unsigned char>(data_[pos_++]);
      switch (op) {
        case 0x80:
          take(1);
          break;  // PROTO n
        case 0x95:
          take(8);
          break;     // FRAME length (protocol 4 framing hint)
        case '.': {  // STOP
          ValuePtr v = pop();
          return v;
        }
        case '(':
          marks_.push_back(stack_.size());
          break;  // MARK
        case '0':
          pop();
          break;  // POP
        case '1':
          pop_mark();
          break;  // POP_MARK
        case '2':
          push(top());
          break;  // DUP
        case 'N':
          push(make(Value::Kind::None));
          break;
        case 0x88:
          push(make_bool(true));
          break;
        case 0x89:
          push(make_bool(false));
          break;
        case 'J':
          push(make_int(static_cast<std::int32_t>(le(4))));
          break;  // BININT
        case 'K':
          push(make_int(static_cast<std::int64_t>(le(1))));
          break;  // BININT1
        case 'M':
          push(make_int(static_cast<std::int64_t>(le(2))));
          break;  // BININT2
        case 0x8a:
          push(make_int(long_bytes(le(1))));
          break;  // LONG1
        case 0x8b:
          push(make_int(long_bytes(le(4))));
          break;  // LONG4
        case 'I':
          push(text_int(line()));
          break;     // INT
        case 'L': {  // LONG
          std::string t = line();
          if (!t.empty() && t.back() == 'L') t.pop_back();
          push(make_int(parse_int(t, "pickle LONG")));
          break;
        }
        case 'G': {  // BINFLOAT, big-endian
          std::uint64_t bits = 0;
          for (char c : take(8)) bits = (bits << 8) | static_cast<unsigned char>(c);
          auto v = make(Value::Kind::Float);
          v->f = std::bit_cast<double>(bits);
          push(v);
          break;
        }
        case 'F': {
          auto v = make(Value::Kind::Float);
          v->f = parse_double(line(), "pickle FLOAT");
          push(v);
          break;
        }
        case 'X':
          push(make_string(Value::Kind::String, take(le(4))));
          break;  // BINUNICODE
        case 0x8c:
          push(make_string(Value::Kind::String, take(le(1))));
          break;  // SHORT_BINUNICODE
        case 0x8d:
          push(make_string(Value::Kind::String, take(le(8))));
          break;  // BINUNICODE8
        case 'T':
          push(make_string(Value::Kind::String, take(le(4))));
          break;  // BINSTRING
        case 'U':
          push(make_string(Value::Kind::String, take(le(1))));
          break;  // SHORT_BINSTRING
        case 'B':
          push(make_string(Value::Kind::Bytes, take(le(4))));
          break;  // BINBYTES
        case 'C':
          push(make_string(Value::Kind::Bytes, take(le(1))));
          break;  // SHORT_BINBYTES
        case 0x8e:
          push(make_string(Value::Kind::Bytes, take(le(8))));
          break;  // BINBYTES8
        case ')':
          push(make(Value::Kind::Tuple));
          break;  // EMPTY_TUPLE
        case 't':
          push(make_seq(Value::Kind::Tuple, pop_mark()));
          break;  // TUPLE
        case 0x85:
          push(make_seq(Value::Kind::Tuple, pop_n(1)));
          break;  // TUPLE1
        case 0x86:
          push(make_seq(Value::Kind::Tuple, pop_n(2)));
          break;  // TUPLE2
        case 0x87:
          push(make_seq(Value::Kind::Tuple, pop_n(3)));
          break;  // TUPLE3
        case ']':
          push(make(Value::Kind::List));
          break;  // EMPTY_LIST
        case 'l':
          push(make_seq(Value::Kind::List, pop_mark()));
          break;     // LIST
        case 'a': {  // APPEND
          ValuePtr item = pop();
          list_target()->items.push_back(item);
          break;
        }
        case 'e': {  // APPENDS
          auto items = pop_mark();
          auto& list = list_target()->items;
          list.insert(list.end(), items.begin(), items.end());
          break;
        }
        case '}':
          push(make(Value::Kind::Dict));
          break;     // EMPTY_DICT
        case 'd': {  // DICT
          auto d = make(Value::Kind::Dict);
          set_items(*d, pop_mark());
          push(d);
          break;
        }
        case 's': {  // SETITEM
          ValuePtr value = pop(), key = pop();
          set_items(*dict_target(), {key, value});
          break;
        }
        case 'u': {  // SETITEMS
          auto kv = pop_mark();
          set_items(*dict_target(), kv);
          break;
        }
        case 'p':
          memo_put(static_cast<std::uint64_t>(parse_int(line(), "pickle PUT")));
          break;
        case 'q':
          memo_put(le(1));
          break;  // BINPUT
        case 'r':
          memo_put(le(4));
          break;  // LONG_BINPUT
        case 0x94:
          memo_put(memo_.size());
          break;  // MEMOIZE
        case 'g':
          push(memo_get(static_cast<std::uint64_t>(parse_int(line(), "pickle GET"))));
          break;
        case 'h':
          push(memo_get(le(1)));
          break;  // BINGET
        case 'j':
          push(memo_get(le(4)));
          break;     // LONG_BINGET
        case 'c': {  // GLOBAL "module\nname\n"
          std::string module = line();
          std::string name = line();
          push(global(module, name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          ValuePtr name = pop(), module = pop();
          if (module->kind != Value::Kind::String || name->kind != Value::Kind::String)
            fail("STACK_GLOBAL expects two strings");
          push(global(module->s, name->s));
          break;
        }
        case 'R': {  // REDUCE
          ValuePtr args = pop(), callable = pop();
          push(call(*callable, *args));
          break;
        }
        case 0x81: {  // NEWOBJ cls args
          ValuePtr args = pop(), cls = pop();
          push(new_object(*cls, *args));
          break;
        }
        case 0x92: {  // NEWOBJ_EX cls args kwargs
          pop();      // kwargs: OrderedDict takes none worth honouring
          ValuePtr args = pop(), cls = pop();
          push(new_object(*cls, *args));
          break;
        }
        case 'b': {  // BUILD
          ValuePtr state = pop();
          build(*top(), *state);
          break;
        }
        case 'Q':
          push(persistent_load(*pop()));
          break;  // BINPERSID
        case 'P':
          fail("text persistent ids (PERSID) are not used by torch.save");
        case 'i':
        case 'o':
          fail("pickle opcode " + std::string(op == 'i' ? "INST" : "OBJ") +
               " builds arbitrary objects and is refused");
        case 0x82:
        case 0x83:
        case 0x84:
          fail("pickle extension-registry opcodes (EXT1/2/4) are refused");
        default: {
          char buf[64];
          std::snprintf(buf, sizeof buf, "unsupported pickle opcode 0x%02x at byte %zu", op, at);
          fail(buf);
        }
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw Error(message, {source_, 0, ""});
  }

  std::string take(std::uint64_t n) {
    if (n > data_.size() - pos_) fail("pickle data ends inside a value (file truncated?)");
    std::string s(data_.substr(pos_, static_cast<std::size_t>(n)));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }
  std::uint64_t le(int n) {
    const std::string b = take(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i)
      v = (v << 8) | static_cast<unsigned char>(b[static_cast<std::size_t>(i)]);
    return v;
  }
  std::string line() {
    const std::size_t end = data_.find('\n', pos_);
    if (end == std::string_view::npos) fail("pickle data ends inside a text line");
    std::string s(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  std::int64_t long_bytes(std::uint64_t n) {
    if (n > 8) fail("integer of " + std::to_string(n) + " bytes is too large");
    if (n == 0) return 0;
    const std::string b = take(n);
    std::uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(b[i]);
    if (n < 8 && (static_cast<unsigned char>(b[n - 1]) & 0x80u)) v |= ~std::uint64_t{0} << (8 * n);
    return static_cast<std::int64_t>(v);
  }

  ValuePtr make(Value::Kind kind) {
    out_.arena.push_back(std::make_unique<Value>());
    out_.arena.back()->kind = kind;
    return out_.arena.back().get();
  }
  ValuePtr make_bool(bool b) {
    auto v = make(Value::Kind::Bool);
    v->b = b;
    return v;
  }
  ValuePtr make_int(std::int64_t i) {
    auto v = make(Value::Kind::Int);
    v->i = i;
    return v;
  }
  ValuePtr make_string(Value::Kind kind, std::string s) {
    auto v = make(kind);
    v->s = std::move(s);
    return v;
  }
  ValuePtr make_seq(Value::Kind kind, std::vector<ValuePtr> items) {
    auto v = make(kind);
    v->items = std::move(items);
    return v;
  }
  ValuePtr text_int(const std::string& t) {
    if (t == "00") return make_bool(false);
    if (t == "01") return make_bool(true);
    return make_int(parse_int(t, "pickle INT"));
  }

  void push(ValuePtr v) {
    if (stack_.size() >= kMaxStack) fail("pickle stack too deep");
    stack_.push_back(v);
  }
  ValuePtr pop() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("pickle stack underflow");
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr top() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("pickle stack underflow");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_n(std::size_t n) {
    if (stack_.size() < n + (marks_.empty() ? 0 : marks_.back())) fail("pickle stack underflow");
    std::vector<ValuePtr> out(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return out;
  }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty()) fail("pickle MARK missing");
    const std::size_t m = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return out;
  }
  Value* list_target() {
    Value* v = top();
    if (v->kind != Value::Kind::List) fail("APPEND to a " + describe(*v));
    return v;
  }
  Value* dict_target() {
    Value* v = top();
    if (v->kind != Value::Kind::Dict) fail("SETITEM on a " + describe(*v));
    return v;
  }
  void set_items(Value& dict, const std::vector<ValuePtr>& kv) {
    if (kv.size() % 2 != 0) fail("odd number of items for a dict");
    for (std::size_t i = 0; i < kv.size(); i += 2) {
      bool replaced = false;
      if (kv[i]->kind == Value::Kind::String) {
        for (auto& e : dict.entries) {
          if (e.first->kind == Value::Kind::String && e.first->s == kv[i]->s) {
            e.second = kv[i + 1];
            replaced = true;
            break;
          }
        }
      }
      if (!replaced) dict.entries.emplace_back(kv[i], kv[i + 1]);
    }
  }
  void memo_put(std::uint64_t index) {
    if (index >= kMaxMemo) fail("pickle memo index " + std::to_string(index) + " too large");
    memo_[index] = top();
  }
  ValuePtr memo_get(std::uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end())
      fail("pickle refers to memo entry " + std::to_string(index) + " that was never stored");
    return it->second;
  }

  ValuePtr global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    if (!is_allowed_global(full))
      fail("pickle refers to the forbidden global '" + full +
           "'; only tensor state dicts are accepted (collections.OrderedDict, "
           "torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, "
           "torch.*Storage), and nothing in the file is executed");
    return make_string(Value::Kind::Global, full);
  }

  ValuePtr call(const Value& callable, const Value& args) {
    if (callable.kind != Value::Kind::Global) fail("REDUCE on a " + describe(callable));
    if (args.kind != Value::Kind::Tuple) fail("REDUCE arguments are a " + describe(args));
    const auto& a = args.items;
    if (callable.s == kOrderedDict) {
      auto d = make(Value::Kind::Dict);
      if (a.size() == 1 && a[0]->kind == Value::Kind::List) {
        for (const auto& pair : a[0]->items) {
          if (pair->kind != Value::Kind::Tuple || pair->items.size() != 2)
            fail("OrderedDict argument is not a list of pairs");
          set_items(*d, pair->items);
        }
      } else if (!a.empty()) {
        fail("unexpected arguments to collections.OrderedDict");
      }
      return d;
    }
    if (callable.s == kRebuildTensor) {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.size() < 6 || a.size() > 7) fail("_rebuild_tensor_v2 expects 6 or 7 arguments");
      if (a[0]->kind != Value::Kind::Storage)
        fail("_rebuild_tensor_v2 storage is a " + describe(*a[0]));
      auto t = make(Value::Kind::Tensor);
      t->tensor.storage = a[0]->storage;
      t->tensor.offset = int_arg(*a[1], "storage_offset");
      t->tensor.shape = int_tuple(*a[2], "size");
      t->tensor.stride = int_tuple(*a[3], "stride");
      if (t->tensor.shape.size() != t->tensor.stride.size())
        fail("_rebuild_tensor_v2 size and stride have different lengths");
      return t;
    }
    if (callable.s == kRebuildParameter || callable.s == kRebuildParameterWithState) {
      if (a.size() < 3 || a[0]->kind != Value::Kind::Tensor)
        fail(callable.s + " expects a tensor as first argument");
      return a[0];
    }
    fail("the global '" + callable.s + "' cannot be called");
  }

  ValuePtr new_object(const Value& cls, const Value& args) {
    if (cls.kind == Value::Kind::Global && cls.s == kOrderedDict &&
        args.kind == Value::Kind::Tuple && args.items.empty())
      return make(Value::Kind::Dict);
    fail("NEWOBJ of a " + describe(cls) + " is refused");
  }

  void build(const Value& object, const Value& state) {
    // OrderedDict state dicts carry `_metadata` (module versions) as instance state, and
    // parameters may carry a state dict; neither matters for the weights.
    if ((object.kind == Value::Kind::Dict || object.kind == Value::Kind::Tensor) &&
        (state.kind == Value::Kind::Dict || state.kind == Value::Kind::None ||
         state.kind == Value::Kind::Tuple))
      return;
    fail("BUILD of a " + describe(object) + " with a " + describe(state) + " is refused");
  }

  ValuePtr persistent_load(const Value& pid) {
    // ('storage', torch.FloatStorage, '0', 'cpu', numel)
    if (pid.kind != Value::Kind::Tuple || pid.items.size() != 5 ||
        pid.items[0]->kind != Value::Kind::String || pid.items[0]->s != "storage")
      fail("unsupported persistent id " + describe(pid) + " (expected a torch storage)");
    const Value& type = *pid.items[1];
    auto v = make(Value::Kind::Storage);
    bool known = false;
    for (const auto& s : kStorageTypes) {
      if (type.kind == Value::Kind::Global && type.s == s.name) {
        v->storage.dtype = s.dtype;
        known = true;
      }
    }
    if (!known) fail("persistent id names " + describe(type) + ", not a torch storage type");
    if (pid.items[2]->kind != Value::Kind::String) fail("storage key is not a string");
    v->storage.key = pid.items[2]->s;
    v->storage.numel = int_arg(*pid.items[4], "storage numel");
    return v;
  }

  std::int64_t int_arg(const Value& v, const char* what) {
    if (v.kind != Value::Kind::Int || v.i < 0)
      fail(std::string(what) + " must be a non-negative integer, got " + describe(v));
    return v.i;
  }
  std::vector<std::int64_t> int_tuple(const Value& v, const char* what) {
    if (v.kind != Value::Kind::Tuple)
      fail(std::string(what) + " must be a tuple, got " + describe(v));
    std::vector<std::int64_t> out;
    for (const auto& x : v.items) out.push_back(int_arg(*x, what));
    return out;
  }

  std::string_view data_;
  const std::string& source_;
  Unpickled& out_;
  std::size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, ValuePtr> memo_;
};

}  // namespace

Unpickled unpickle(std::string_view data, const std::string& source) {
  Unpickled out;
  out.root = Machine(data, source, out).run();
  return out;
}

std::string describe(const Value& v) {
  switch (v.kind) {
    case Value::Kind::None:
      return "None";
    case Value::Kind::Bool:
      return v.b ? "True" : "False";
    case Value::Kind::Int:
      return "int " + std::to_string(v.i);
    case Value::Kind::Float:
      return "float";
    case Value::Kind::String:
      return "str '" + v.s.substr(0, 60) + "'";
    case Value::Kind::Bytes:
      return "bytes";
    case Value::Kind::Tuple:
      return "tuple of " + std::to_string(v.items.size());
    case Value::Kind::List:
      return "list of " + std::to_string(v.items.size());
    case Value::Kind::Dict:
      return "dict of " + std::to_string(v.entries.size());
    case Value::Kind::Global:
      return "global '" + v.s + "'";
    case Value::Kind::Storage:
      return "storage";
    case Value::Kind::Tensor:
      return "tensor";
  }
  return "value";
}

}  // namespace emonet::model::pickle
