#pragma once

// Where the Kinesis sink's AWS credentials come from, in the order the AWS SDKs and CLI look:
//   1. the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for
//      temporary credentials);
//   2. the shared credentials file: AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
//      ($HOME), profile AWS_PROFILE (else "default"): aws_access_key_id,
//      aws_secret_access_key, aws_session_token.
// Not supported: instance/container metadata, SSO, assume-role and credential_process profiles
// (the README says so).
//
// Start-up only, any thread (reads getenv and one file). The caller registers the secret and the
// session token with the redactor before anything can print them; no message here holds them.

#include <string>

#include "decoders/base/status.h"

namespace cdc::sinks {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;  // secret: never printed
  std::string session_token;      // secret; "" = long-term credentials
  std::string source;             // for messages: "environment" or "profile 'x' in <file>"
};

// The credentials, or FailedPrecondition with one line saying where pgcdc looked.
Result<AwsCredentials> LoadAwsCredentials();

// Parses a shared credentials file's text (INI: "[profile]" sections, "key = value" lines, '#'
// and ';' comments) for `profile`. NotFound-like FailedPrecondition when the profile or its keys
// are missing. `file` only names the file in messages.
Result<AwsCredentials> ParseAwsCredentialsFile(const std::string& text, const std::string& profile,
                                               const std::string& file);

}  // namespace cdc::sinks
