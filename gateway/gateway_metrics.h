// The gateway's Prometheus metrics. Labels are bounded: routes come from the config,
// methods from a fixed list, statuses are numbers, reasons are enum names.
#pragma once

#include <atomic>
#include <string>

#include "absl/time/time.h"
#include "services/common/metrics.h"

namespace mcpauth::gw {

class GatewayMetrics {
 public:
  explicit GatewayMetrics(prometheus::Registry& registry);
  prometheus::Registry& registry() const { return registry_; }

  // route: a configured route path, or "other"; method: GET/POST/DELETE/OPTIONS/other;
  // reason: why the gateway answered itself ("proxied" when the upstream did).
  void CountRequest(const std::string& route, std::string_view method, unsigned status, std::string_view reason,
                    double seconds);
  void ObserveUpstream(const std::string& route, double seconds);
  void CountDenial(std::string_view reason);
  // A front door's decision: door ext_authz/forward_auth; result allowed (go on),
  // answered (the gateway's answer in the upstream's place), refused.
  void CountAuthorization(std::string_view door, const std::string& route, std::string_view result,
                          std::string_view reason, double seconds);
  void CountUpstreamError(const std::string& route, std::string_view kind);
  void CountDroppedConnection(std::string_view why);
  // A TLS setting's files (re)loaded or refused; the notAfter of the certificate
  // it serves (none: InfiniteFuture, not exported).
  void ObserveTls(const std::string& setting, bool loaded, absl::Time not_after);
  void StreamOpened();
  void StreamClosed();
  int64_t open_streams() const { return open_streams_.load(); }

 private:
  prometheus::Registry& registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Histogram>& upstream_duration_;
  prometheus::Family<prometheus::Counter>& denials_;
  prometheus::Family<prometheus::Counter>& authorizations_;
  prometheus::Family<prometheus::Histogram>& authorization_duration_;
  prometheus::Family<prometheus::Counter>& upstream_errors_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Counter>& tls_loads_;
  prometheus::Family<prometheus::Gauge>& tls_expiry_;
  prometheus::Gauge& streams_gauge_;
  std::atomic<int64_t> open_streams_{0};
};

}  // namespace mcpauth::gw
