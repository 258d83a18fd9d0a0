// source.value_transfer: parsed once at load into an enum; a bad value is one ConfigError line
// naming the key (exit 2 in main, like every configuration error).

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"

namespace cdc::config {
namespace {

std::string Yaml(const std::string& transfer_line) {
  return "name: shop\nsource:\n  dsn: \"host=127.0.0.1 dbname=shop user=cdc\"\n" + transfer_line +
         "sink:\n  type: stdout\n";
}

TEST(ValueTransferConfig, DefaultsToAutoAndParsesEachMode) {
  EXPECT_EQ(LoadString(Yaml("")).source.value_transfer, ValueTransfer::kAuto);
  EXPECT_EQ(LoadString(Yaml("  value_transfer: auto\n")).source.value_transfer,
            ValueTransfer::kAuto);
  EXPECT_EQ(LoadString(Yaml("  value_transfer: text\n")).source.value_transfer,
            ValueTransfer::kText);
  EXPECT_EQ(LoadString(Yaml("  value_transfer: binary\n")).source.value_transfer,
            ValueTransfer::kBinary);
}

TEST(ValueTransferConfig, BadValueIsOneLineNamingTheKey) {
  std::string error;
  try {
    LoadString(Yaml("  value_transfer: raw\n"));
  } catch (const ConfigError& e) {
    error = e.what();
  }
  EXPECT_EQ(error, "source.value_transfer: must be one of auto, text, binary, got 'raw'");
}

}  // namespace
}  // namespace cdc::config
