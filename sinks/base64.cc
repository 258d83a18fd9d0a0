#include "sinks/base64.h"

#include <openssl/evp.h>

namespace cdc::sinks {

void AppendBase64(std::string* out, std::string_view data) {
  const size_t at = out->size();
  // EVP_EncodeBlock writes a NUL after the text: one byte more than the encoding.
  out->resize(at + 4 * ((data.size() + 2) / 3) + 1);
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out->data() + at),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out->resize(at + static_cast<size_t>(n));
}

}  // namespace cdc::sinks
