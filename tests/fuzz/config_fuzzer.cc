// libFuzzer target for the configuration loader: any YAML document either loads or fails with
// a ConfigError (the one-line message pgcdc prints). Any other exception, crash or sanitizer
// report is a bug. ${ENV} and ${file:...} references are expanded as in production; secret
// files are read at most 64 KiB, so /dev/zero or a FIFO cannot hang it.

#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    cdc::config::Config c = cdc::config::LoadString(yaml);
    (void)c;
  } catch (const cdc::config::ConfigError& e) {
    // The message must be one line: it is what users see.
    const std::string what = e.what();
    if (what.find('\n') != std::string::npos) __builtin_trap();
  }
  return 0;
}
