// A keep-alive HTTP/1.1 server on 127.0.0.1 whose answers are raw bytes, for tests of
// what a proxy does with answers well-behaved servers rarely send (interim 1xx,
// bodyless statuses, bytes after a response, a close instead of an answer) and of
// exactly what reaches an upstream (every request is recorded as parsed).
//
// Like Node's and Python's HTTP servers, it answers "100 Continue" by itself to a
// request with "Expect: 100-continue" before reading the body.
//
// One thread per connection; requests on a connection are answered in order.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace mcpauth::test {

struct ReceivedRequest {
  int connection = 0;  // 1, 2, ... in the order connections were accepted
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, as received
  std::string body;

  // Every value of header `name` (any case), in order.
  std::vector<std::string> Values(std::string_view name) const;
};

struct ScriptedAnswer {
  std::string bytes;        // written at once (may hold several responses, or none)
  bool close = false;       // close the connection after writing `bytes`
  std::string later;        // then, after `later_delay`, these bytes too
  absl::Duration later_delay = absl::ZeroDuration();
};

using ScriptedHandler = std::function<ScriptedAnswer(const ReceivedRequest&)>;

// "HTTP/1.1 <status> X\r\n<headers>Content-Length: n\r\n\r\n<body>" (headers as
// "Name: value\r\n" lines).
std::string RawResponse(int status, std::string_view body, std::string_view headers = "");

class ScriptedUpstream {
 public:
  ScriptedUpstream();
  ~ScriptedUpstream();  // Stop()
  ScriptedUpstream(const ScriptedUpstream&) = delete;
  ScriptedUpstream& operator=(const ScriptedUpstream&) = delete;

  absl::Status Start();
  void Stop();  // closes the listener and every connection, joins the threads
  int port() const;
  std::string Url(std::string_view path = "/mcp") const;

  // The answer to each request (called on the connection's thread). Default: 200 "{}".
  void SetHandler(ScriptedHandler handler);
  std::vector<ReceivedRequest> Requests() const;
  int Connections() const;
  // How many ScriptedAnswer::later writes have been made.
  int LateWrites() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace mcpauth::test
