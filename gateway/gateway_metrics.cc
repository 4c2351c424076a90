#include "gateway/gateway_metrics.h"

namespace mcpauth::gw {

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry)
    : registry_(registry),
      requests_(prometheus::BuildCounter()
                    .Name("mcpauth_gateway_requests_total")
                    .Help("HTTP requests answered, by route, method, status and reason")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("mcpauth_gateway_request_duration_seconds")
                    .Help("Time from request to response end (streams: until the stream ends), by route")
                    .Register(registry)),
      upstream_duration_(prometheus::BuildHistogram()
                             .Name("mcpauth_gateway_upstream_duration_seconds")
                             .Help("Time until the upstream's response headers, by route")
                             .Register(registry)),
      denials_(prometheus::BuildCounter()
                   .Name("mcpauth_gateway_denials_total")
                   .Help("Requests or messages refused by the gateway, by reason")
                   .Register(registry)),
      authorizations_(prometheus::BuildCounter()
                          .Name("mcpauth_gateway_authorizations_total")
                          .Help("Front-door decisions (ext_authz, forward_auth), by door, route, result "
                                "(allowed, answered, refused) and reason")
                          .Register(registry)),
      authorization_duration_(prometheus::BuildHistogram()
                                  .Name("mcpauth_gateway_authorization_duration_seconds")
                                  .Help("Time to a front-door decision, by door")
                                  .Register(registry)),
      upstream_errors_(prometheus::BuildCounter()
                           .Name("mcpauth_gateway_upstream_errors_total")
                           .Help("Upstream failures, by route and kind (connect, tls, timeout, broken, ...)")
                           .Register(registry)),
      dropped_(prometheus::BuildCounter()
                   .Name("mcpauth_gateway_dropped_connections_total")
                   .Help("Client connections closed by the gateway, by why (header_timeout, idle, bad_request, "
                         "write_timeout, tls_handshake)")
                   .Register(registry)),
      tls_loads_(prometheus::BuildCounter()
                     .Name("mcpauth_gateway_tls_loads_total")
                     .Help("TLS certificate files loaded (at start and on change) or refused, by setting and result")
                     .Register(registry)),
      tls_expiry_(prometheus::BuildGauge()
                      .Name("mcpauth_gateway_tls_certificate_expiry_timestamp_seconds")
                      .Help("notAfter (Unix seconds) of the certificate the gateway serves, by setting")
                      .Register(registry)),
      streams_gauge_(prometheus::BuildGauge()
                         .Name("mcpauth_gateway_open_streams")
                         .Help("Streamed (text/event-stream) responses being relayed now")
                         .Register(registry)
                         .Add({})) {}

void GatewayMetrics::CountRequest(const std::string& route, std::string_view method, unsigned status,
                                  std::string_view reason, double seconds) {
  requests_
      .Add({{"route", route}, {"method", std::string(method)}, {"status", std::to_string(status)},
            {"reason", std::string(reason)}})
      .Increment();
  duration_.Add({{"route", route}}, LatencyBuckets()).Observe(seconds);
}

void GatewayMetrics::ObserveUpstream(const std::string& route, double seconds) {
  upstream_duration_.Add({{"route", route}}, LatencyBuckets()).Observe(seconds);
}

void GatewayMetrics::CountDenial(std::string_view reason) { denials_.Add({{"reason", std::string(reason)}}).Increment(); }

void GatewayMetrics::CountAuthorization(std::string_view door, const std::string& route, std::string_view result,
                                        std::string_view reason, double seconds) {
  authorizations_
      .Add({{"door", std::string(door)}, {"route", route}, {"result", std::string(result)},
            {"reason", std::string(reason)}})
      .Increment();
  authorization_duration_.Add({{"door", std::string(door)}}, LatencyBuckets()).Observe(seconds);
}

void GatewayMetrics::CountUpstreamError(const std::string& route, std::string_view kind) {
  upstream_errors_.Add({{"route", route}, {"kind", std::string(kind)}}).Increment();
}

void GatewayMetrics::CountDroppedConnection(std::string_view why) {
  dropped_.Add({{"why", std::string(why)}}).Increment();
}

void GatewayMetrics::ObserveTls(const std::string& setting, bool loaded, absl::Time not_after) {
  tls_loads_.Add({{"setting", setting}, {"result", loaded ? "loaded" : "refused"}}).Increment();
  if (loaded && not_after != absl::InfiniteFuture()) {
    tls_expiry_.Add({{"setting", setting}}).Set(static_cast<double>(absl::ToUnixSeconds(not_after)));
  }
}

void GatewayMetrics::StreamOpened() { streams_gauge_.Set(static_cast<double>(++open_streams_)); }
void GatewayMetrics::StreamClosed() { streams_gauge_.Set(static_cast<double>(--open_streams_)); }

}  // namespace mcpauth::gw
