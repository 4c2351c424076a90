// Free TCP ports on loopback, for tests that start real servers.
#pragma once

namespace mcpauth::test {

// A port that was free on 127.0.0.1 a moment ago: binds port 0, reads the port the
// kernel chose, and closes the socket. Another process could take it before the
// caller binds it, so prefer letting a server bind port 0 itself when it can
// report the port back. Aborts the test binary when no socket can be bound.
int PickFreePort();

}  // namespace mcpauth::test
