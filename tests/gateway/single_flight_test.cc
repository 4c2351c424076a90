// One call per key: joiners resume with the leader's answer, and a leader that ends
// without landing (an exception, its coroutine destroyed) still releases them.
#include "gateway/single_flight.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace mcpauth::gw {
namespace {

using Flights = SingleFlight<std::string>;

// Starts a joiner of `flight` on `io`; its outcome lands in `status`/`answer`.
void Join(asio::io_context& io, std::shared_ptr<Flights::Flight> flight, grpc::Status& status, std::string& answer,
          bool& resumed) {
  asio::co_spawn(
      io,
      [flight, &status, &answer, &resumed]() -> Task<void> {
        status = co_await Flights::Await(*flight, answer);
        resumed = true;
      },
      asio::detached);
}

TEST(SingleFlight, JoinersResumeWithTheLeadersAnswer) {
  asio::io_context io;
  Flights flights;
  auto [flight, leader] = flights.Lead("k");
  ASSERT_TRUE(leader);
  EXPECT_EQ(flights.Find("k"), flight);
  auto [same, second_leads] = flights.Lead("k");
  EXPECT_FALSE(second_leads);
  EXPECT_EQ(same, flight);

  grpc::Status status(grpc::StatusCode::UNKNOWN, "not resumed");
  std::string answer;
  bool resumed = false;
  Join(io, flight, status, answer, resumed);
  io.restart();
  io.poll();
  EXPECT_FALSE(resumed);
  {
    Flights::Leadership lead(&flights, "k", flight);
    lead.Land(grpc::Status::OK, "valid");
  }
  io.restart();
  io.poll();
  EXPECT_TRUE(resumed);
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(answer, "valid");
  EXPECT_EQ(flights.Find("k"), nullptr);  // the key is free for a new call
}

TEST(SingleFlight, ALeaderThatNeverLandsReleasesItsJoinersAndTheKey) {
  asio::io_context io;
  Flights flights;
  auto [flight, leader] = flights.Lead("k");
  ASSERT_TRUE(leader);
  grpc::Status status;
  std::string answer = "untouched";
  bool resumed = false;
  Join(io, flight, status, answer, resumed);
  io.restart();
  io.poll();
  { Flights::Leadership abandoned(&flights, "k", flight); }  // gone without Land
  io.restart();
  io.poll();
  ASSERT_TRUE(resumed);  // without the Leadership's landing, the joiner would wait forever
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(answer, "");
  EXPECT_EQ(flights.Find("k"), nullptr);
  EXPECT_TRUE(flights.Lead("k").second);  // the next request leads a new call
  // A joiner arriving after the landing resumes at once with the same answer.
  grpc::Status late;
  std::string late_answer;
  bool late_resumed = false;
  Join(io, flight, late, late_answer, late_resumed);
  io.restart();
  io.poll();
  EXPECT_TRUE(late_resumed);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace mcpauth::gw
