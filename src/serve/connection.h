// Internal: is the client of a request still connected?
//
// cpp-httplib 0.11 does not hand a handler its socket, so connection_of() finds it among
// the process's open descriptors by the request's TCP 4-tuple (local port, peer address
// and port identify one connection). peer_gone() then asks the kernel without blocking
// whether the peer has closed or reset it. The batcher calls this right before scoring a
// request's images, so a client that gave up does not cost a forward pass.
//
// Thread safety: both functions are reentrant.
#pragma once

#include <string>

namespace emonet::serve::detail {

// The socket descriptor of the connection, or -1 when none matches.
int connection_of(const std::string& peer_addr, int peer_port, int local_port);

// True when the peer has closed (FIN) or reset the connection on descriptor `fd`.
bool peer_gone(int fd);

}  // namespace emonet::serve::detail
