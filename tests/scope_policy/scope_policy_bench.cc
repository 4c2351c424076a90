// Costs of scope-policy decisions, for docs/benchmarks.md:
//   BM_Decide/RULES/CASE       — Decide() in-process with RULES tool rules (half exact
//                                names, half patterns); CASE: 0 exact name allowed,
//                                1 exact name denied (builds the denial text), 2 pattern
//                                allowed, 3 tool in no rule (allowed)
//   BM_IsAllowed/RULES/CASE    — the same decision without the explanation
//   BM_FilterList/NAMES        — FilterAllowed over NAMES tool names, 1,000 rules
//   BM_Compile/RULES           — CompiledPolicy::Compile (validation, conflict check, index)
//   BM_AuthorizeGrpc           — Authorize over gRPC on loopback (in-process server,
//                                sync client loop; real time; threads = concurrent callers)
#include <benchmark/benchmark.h>

#include <grpcpp/grpcpp.h>

#include "services/common/strings.h"
#include "services/scope_policy/decision.h"
#include "services/scope_policy/service.h"

namespace mcpauth::sp {
namespace {

v1::Policy ConfigWithRules(int64_t rules) {
  v1::Policy config;
  config.set_scope_strategy(v1::SCOPE_STRATEGY_EXACT);
  config.set_unknown_tool(v1::UNKNOWN_TOOL_ALLOW);
  config.add_required_scopes("mcp:read");
  for (int64_t i = 0; i < rules; ++i) {
    v1::ScopeRule* rule = config.add_tools();
    if (i % 2 == 0) {
      rule->set_pattern(StrCat("tool_", i));
      rule->add_required_scopes(StrCat("tools:", i));
      rule->add_required_scopes("files:write");
    } else {
      rule->set_pattern(StrCat("group_", i, "_*"));
      rule->add_required_scopes(StrCat("group:", i));
    }
  }
  return config;
}

std::shared_ptr<const CompiledPolicy> PolicyWithRules(int64_t rules) {
  auto policy = CompiledPolicy::Compile(ConfigWithRules(rules));
  if (!policy.ok()) std::abort();
  return *policy;
}

const std::shared_ptr<const CompiledPolicy>& CachedPolicy(int64_t rules) {
  static std::map<int64_t, std::shared_ptr<const CompiledPolicy>> cache;
  auto& slot = cache[rules];
  if (!slot) slot = PolicyWithRules(rules);
  return slot;
}

struct Case {
  std::string target;
  std::vector<std::string> scopes;
  bool allowed;
};

Case CaseFor(int64_t rules, int64_t which) {
  const int64_t exact = (rules / 2 / 2) * 2;  // an even index: an exact rule
  const int64_t pattern = exact + 1;          // an odd index: a pattern rule
  switch (which) {
    case 0: return {StrCat("tool_", exact), {"mcp:read", StrCat("tools:", exact), "files:write"}, true};
    case 1: return {StrCat("tool_", exact), {"mcp:read"}, false};
    case 2: return {StrCat("group_", pattern, "_export"), {"mcp:read", StrCat("group:", pattern)}, true};
    default: return {"not_a_rule", {"mcp:read"}, true};
  }
}

void BM_Decide(benchmark::State& state) {
  const auto& policy = CachedPolicy(state.range(0));
  const Case c = CaseFor(state.range(0), state.range(1));
  const std::vector<std::string_view> scopes = ScopeViews(c.scopes);
  for (auto _ : state) {
    Decision d = Decide(*policy, scopes, false, "tools/call", c.target);
    if (d.allowed != c.allowed) state.SkipWithError("unexpected decision");
    benchmark::DoNotOptimize(d);
  }
}

void BM_IsAllowed(benchmark::State& state) {
  const auto& policy = CachedPolicy(state.range(0));
  const Case c = CaseFor(state.range(0), state.range(1));
  const std::vector<std::string_view> scopes = ScopeViews(c.scopes);
  for (auto _ : state) {
    if (IsAllowed(*policy, scopes, false, "tools/call", c.target) != c.allowed) state.SkipWithError("unexpected");
  }
}

void BM_FilterList(benchmark::State& state) {
  const auto& policy = CachedPolicy(1000);
  std::vector<std::string> names;
  for (int64_t i = 0; i < state.range(0); ++i) names.push_back(i % 2 == 0 ? StrCat("tool_", i) : StrCat("other_", i));
  const std::vector<std::string> held = {"mcp:read", "tools:0", "files:write"};
  const std::vector<std::string_view> scopes = ScopeViews(held);
  for (auto _ : state) benchmark::DoNotOptimize(FilterAllowed(*policy, scopes, false, v1::LIST_KIND_TOOLS, names));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// What a reload costs besides reading the file: validation (including the
// pattern-conflict check) and indexing.
void BM_Compile(benchmark::State& state) {
  const v1::Policy config = ConfigWithRules(state.range(0));
  for (auto _ : state) {
    auto policy = CompiledPolicy::Compile(config);
    if (!policy.ok()) state.SkipWithError("did not compile");
    benchmark::DoNotOptimize(policy);
  }
}

// One server for the whole run, as the service binary sets it up (minus health).
struct Loopback {
  Loopback() : store(CachedPolicy(1000)), service(&store, nullptr) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    if (!server || port == 0) std::abort();
    channel = grpc::CreateChannel(StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }
  PolicyStore store;
  ScopePolicyService service;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
};

Loopback& SharedLoopback() {
  static Loopback* loopback = new Loopback();  // lives until exit; no shutdown ordering issues
  return *loopback;
}

void BM_AuthorizeGrpc(benchmark::State& state) {
  auto stub = v1::ScopePolicy::NewStub(SharedLoopback().channel);
  const Case c = CaseFor(1000, state.range(0));
  v1::AuthorizeRequest request;
  for (const std::string& s : c.scopes) request.mutable_principal()->add_scopes(s);
  request.mutable_principal()->set_subject("user-123");
  request.set_method("tools/call");
  request.set_target(c.target);
  for (auto _ : state) {
    grpc::ClientContext context;
    v1::AuthorizeResponse response;
    grpc::Status status = stub->Authorize(&context, request, &response);
    if (!status.ok() || response.allowed() != c.allowed) state.SkipWithError("Authorize failed");
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Decide)->ArgsProduct({{10, 1000, 100000}, {0, 1, 2, 3}});
BENCHMARK(BM_IsAllowed)->ArgsProduct({{10, 1000, 100000}, {0, 2, 3}});
BENCHMARK(BM_FilterList)->Arg(10)->Arg(100);
BENCHMARK(BM_Compile)->Arg(10)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AuthorizeGrpc)->Arg(0)->Arg(1)->UseRealTime()->Threads(1)->Threads(2)->Threads(8);

}  // namespace
}  // namespace mcpauth::sp

BENCHMARK_MAIN();
