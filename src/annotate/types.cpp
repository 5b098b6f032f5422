// Names of roles and protocols as stored in the database and shown in the API.
#include "annotate/types.h"

#include "emonet/error.h"

namespace emonet::annotate {

std::string_view role_name(Role role) {
  return role == Role::admin ? "admin" : "expert";
}

Role parse_role(std::string_view name) {
  if (name == "admin") return Role::admin;
  if (name == "expert") return Role::expert;
  throw Error("unknown role '" + std::string(name) + "' (valid: expert, admin)", {"", 0, "role"});
}

std::string_view protocol_name(Protocol protocol) {
  switch (protocol) {
    case Protocol::intensity:
      return "intensity";
    case Protocol::binary:
      return "binary";
    case Protocol::compare:
      return "compare";
  }
  return "intensity";
}

Protocol parse_protocol(std::string_view name) {
  if (name == "intensity") return Protocol::intensity;
  if (name == "binary") return Protocol::binary;
  if (name == "compare") return Protocol::compare;
  throw Error("unknown protocol '" + std::string(name) + "' (valid: intensity, binary, compare)",
              {"", 0, "protocol"});
}

}  // namespace emonet::annotate
