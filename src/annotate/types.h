// Plain value types shared by the annotation store, the server and the pages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace emonet::annotate {

enum class Role { expert, admin };
std::string_view role_name(Role role);
Role parse_role(std::string_view name);  // throws Error for anything else

// The three task types of the authors' platform (spec §3.2–3.4).
enum class Protocol { intensity, binary, compare };
std::string_view protocol_name(Protocol protocol);
Protocol parse_protocol(std::string_view name);  // throws Error listing the valid names

struct User {
  std::int64_t id = 0;
  std::string name;
  Role role = Role::expert;
  std::int64_t created_ms = 0;  // filled by Store::users() only
  bool is_admin() const { return role == Role::admin; }
};

struct Session {
  User user;
  std::string csrf_token;
  std::int64_t expires_ms = 0;
};

}  // namespace emonet::annotate
