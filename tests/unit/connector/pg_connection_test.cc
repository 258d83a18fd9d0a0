#include "connector/pg_connection.h"

#include <gtest/gtest.h>

#include <string>

#include "config/redact.h"

namespace cdc::config {
namespace {

TEST(Redact, ConnectNeverEchoesAPassword) {
  // A malformed DSN reaching libpq (not through the loader): its message quotes the piece it
  // rejects. Here that piece is the tail of a password the configuration registered.
  AddSecret("s3kr1t-tail");
  auto conn = connector::Connect("password=a s3kr1t-tail=1", connector::ConnKind::kSql);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().message().find("kr1t"), std::string::npos) << conn.status().message();
  EXPECT_NE(conn.status().message().find("source.dsn: "), std::string::npos);
}

}  // namespace
}  // namespace cdc::config
