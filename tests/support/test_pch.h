// What nearly every test includes, compiled once per build tree (tests/CMakeLists.txt
// precompiles it and every mcpauth_add_test target reuses it). Only stable, widely
// used headers belong here: a header that changes often rebuilds every test.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mcpauth/v1/metadata.pb.h"
#include "mcpauth/v1/scope_policy.pb.h"
#include "mcpauth/v1/token_validation.pb.h"
