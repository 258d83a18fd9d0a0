// AWS Signature Version 4 against AWS's published test suite (aws-sig-v4-test-suite: the
// get-vanilla, post-vanilla and post-x-www-form-urlencoded cases, credentials AKIDEXAMPLE /
// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, us-east-1, service "service", 20150830T123600Z),
// and the Kinesis sink's partition keys and credentials file parsing.

#include "sinks/aws_sigv4.h"

#include <gtest/gtest.h>

#include "sinks/aws_credentials.h"
#include "sinks/kinesis_sink.h"

namespace cdc::sinks {
namespace {

const SigV4Scope kScope{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1",
                        "service"};
constexpr char kDate[] = "20150830T123600Z";

SigV4Request Vanilla(const char* method) {
  SigV4Request r;
  r.method = method;
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kDate}};
  return r;
}

TEST(AwsSigV4, GetVanilla) {
  const SigV4Request r = Vanilla("GET");
  EXPECT_EQ(CanonicalRequest(r),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(SigV4Authorization(r, kScope, kDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(AwsSigV4, PostVanilla) {
  EXPECT_EQ(SigV4Authorization(Vanilla("POST"), kScope, kDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(AwsSigV4, PostWithBodyAndContentType) {
  SigV4Request r = Vanilla("POST");
  r.headers.insert(r.headers.begin(), {"Content-Type", "application/x-www-form-urlencoded"});
  r.payload = "Param1=value1";
  EXPECT_EQ(SigV4Authorization(r, kScope, kDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(AwsSigV4, AmzDateIsUtc) { EXPECT_EQ(AmzDate(1440938160), "20150830T123600Z"); }

TEST(KinesisPartitionKey, KeyAsIsUpTo256CharactersElseItsSha256) {
  EXPECT_EQ(KinesisSink::PartitionKey(std::nullopt), "default");
  EXPECT_EQ(KinesisSink::PartitionKey(std::string_view("{\"id\":1}")), "{\"id\":1}");
  std::string umlauts;
  for (int i = 0; i < 256; ++i) umlauts += "\xc3\xa4";  // 256 characters, 512 bytes
  EXPECT_EQ(KinesisSink::PartitionKey(std::string_view(umlauts)), umlauts);
  const std::string long_key(257, 'k');
  EXPECT_EQ(KinesisSink::PartitionKey(std::string_view(long_key)), Sha256Hex(long_key));
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string binary("\xff\x01", 2);  // not UTF-8: Kinesis takes only Unicode keys
  EXPECT_EQ(KinesisSink::PartitionKey(std::string_view(binary)), Sha256Hex(binary));
  // An Avro key (magic 0, schema id 7, the int 1 zig-zag encoded) is valid UTF-8 but not text.
  const std::string avro("\x00\x00\x00\x00\x07\x02", 6);
  EXPECT_EQ(KinesisSink::PartitionKey(std::string_view(avro)), Sha256Hex(avro));
  EXPECT_EQ(KinesisSink::PartitionKey(std::string_view("a\tb")), Sha256Hex("a\tb"));
}

TEST(AwsCredentialsFile, ReadsTheNamedProfile) {
  const std::string text =
      "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n"
      "# comment\n[ci]\naws_access_key_id=AKIDCI\naws_secret_access_key=s2\n"
      "aws_session_token = tok\n";
  auto ci = ParseAwsCredentialsFile(text, "ci", "f");
  ASSERT_TRUE(ci.ok()) << ci.status().message();
  EXPECT_EQ(ci->access_key_id, "AKIDCI");
  EXPECT_EQ(ci->secret_access_key, "s2");
  EXPECT_EQ(ci->session_token, "tok");
  auto missing = ParseAwsCredentialsFile(text, "prod", "f");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "kinesis: no profile 'prod' in f");
}

}  // namespace
}  // namespace cdc::sinks
