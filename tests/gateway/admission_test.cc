// Admission under a flood: failed authentications are budgeted (token buckets per
// client address, an IPv6 client by its /64, and for the whole process), reserved
// ahead of a validation and refunded when it did not fail; validation calls in
// flight are capped.
#include "gateway/admission.h"

#include <gtest/gtest.h>

namespace mcpauth::gw {
namespace {

std::string Key(const char* address) { return ClientKey(boost::asio::ip::make_address(address)); }

TEST(FailureBudget, ReservationsAreTakenAheadAndRefunded) {
  ManualClock clock;
  FailureBudget budget(/*per_second=*/2, /*burst=*/3, 100, &clock);
  const std::string mallory = Key("203.0.113.7"), alice = Key("198.51.100.1");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(budget.TryReserve(mallory)) << i;  // concurrent calls cannot overdraw
  EXPECT_FALSE(budget.TryReserve(mallory));
  EXPECT_EQ(budget.SecondsUntilAvailable(mallory), 1);
  EXPECT_TRUE(budget.TryReserve(alice));  // others are untouched
  budget.Refund(alice);                   // alice's token was valid
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(budget.TryReserve(alice)) << i;
  clock.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(budget.TryReserve(mallory));
  clock.Advance(absl::Milliseconds(1));  // 2/s: one failure back after 0.5 s
  EXPECT_TRUE(budget.TryReserve(mallory));
  EXPECT_FALSE(budget.TryReserve(mallory));
  clock.Advance(absl::Seconds(10));  // never more than the burst
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(budget.TryReserve(mallory));
  EXPECT_FALSE(budget.TryReserve(mallory));
  budget.Refund(mallory);
  budget.Refund(mallory);
  budget.Refund(mallory);
  budget.Refund(mallory);  // refunds stop at the burst too
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(budget.TryReserve(mallory));
  EXPECT_FALSE(budget.TryReserve(mallory));
}

TEST(FailureBudget, AnIpv6ClientIsItsSlash64) {
  EXPECT_EQ(Key("2001:db8:1:2::1"), Key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(Key("2001:db8:1:2::1"), Key("2001:db8:1:3::1"));
  EXPECT_EQ(Key("::ffff:192.0.2.1"), Key("192.0.2.1"));  // IPv4-mapped is the IPv4 client
  EXPECT_NE(Key("192.0.2.1"), Key("192.0.2.2"));
}

TEST(FailureBudget, ZeroRateMeansNoLimit) {
  FailureBudget budget(0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(budget.TryReserve(Key("203.0.113.7")));
}

TEST(FailureBudget, BoundedKeysInGoodStandingAreForgottenFirst) {
  ManualClock clock;
  FailureBudget budget(1, 2, /*max_keys=*/2, &clock);
  ASSERT_TRUE(budget.TryReserve("a"));
  ASSERT_TRUE(budget.TryReserve("a"));
  ASSERT_TRUE(budget.TryReserve("b"));
  ASSERT_FALSE(budget.TryReserve("a"));
  ASSERT_TRUE(budget.TryReserve("c"));  // no room and nobody in good standing: not limited
  ASSERT_TRUE(budget.TryReserve("c"));
  ASSERT_TRUE(budget.TryReserve("c"));
  clock.Advance(absl::Seconds(5));  // a and b are full again: forgotten to make room
  ASSERT_TRUE(budget.TryReserve("c"));
  ASSERT_TRUE(budget.TryReserve("c"));
  EXPECT_FALSE(budget.TryReserve("c"));
}

TEST(InFlightLimit, TicketsHoldSlotsUntilReleased) {
  InFlightLimit limit(2);
  auto a = limit.TryAcquire();
  auto b = limit.TryAcquire();
  EXPECT_TRUE(a && b);
  EXPECT_FALSE(limit.TryAcquire());
  {
    auto moved = std::move(a);
    EXPECT_EQ(limit.in_flight(), 2);
  }
  EXPECT_EQ(limit.in_flight(), 1);
  EXPECT_TRUE(limit.TryAcquire());
}

}  // namespace
}  // namespace mcpauth::gw
