#include "sinks/aws_credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cdc::sinks {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

}  // namespace

Result<AwsCredentials> ParseAwsCredentialsFile(const std::string& text, const std::string& profile,
                                               const std::string& file) {
  AwsCredentials c;
  c.source = "profile '" + profile + "' in " + file;
  std::istringstream in(text);
  std::string line;
  bool in_profile = false, found = false;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      in_profile = Trim(line.substr(1, line.size() - 2)) == profile;
      found = found || in_profile;
      continue;
    }
    if (!in_profile) continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = Trim(line.substr(0, eq));
    const std::string value = Trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") c.access_key_id = value;
    if (key == "aws_secret_access_key") c.secret_access_key = value;
    if (key == "aws_session_token") c.session_token = value;
  }
  if (!found) return Status::FailedPrecondition("kinesis: no profile '" + profile + "' in " + file);
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return Status::FailedPrecondition("kinesis: " + c.source +
                                      " lacks aws_access_key_id or aws_secret_access_key");
  }
  return c;
}

Result<AwsCredentials> LoadAwsCredentials() {
  AwsCredentials env{Env("AWS_ACCESS_KEY_ID"), Env("AWS_SECRET_ACCESS_KEY"),
                     Env("AWS_SESSION_TOKEN"), "the environment"};
  if (!env.access_key_id.empty() && !env.secret_access_key.empty()) return env;
  if (env.access_key_id.empty() != env.secret_access_key.empty()) {
    return Status::FailedPrecondition(
        "kinesis: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together; only one is set");
  }
  std::string file = Env("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty()) {
    const std::string home = Env("HOME");
    if (home.empty()) {
      return Status::FailedPrecondition(
          "kinesis: no AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set and "
          "HOME is not set to find ~/.aws/credentials");
    }
    file = home + "/.aws/credentials";
  }
  std::string profile = Env("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  std::ifstream f(file);
  if (!f) {
    return Status::FailedPrecondition(
        "kinesis: no AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set and " +
        file + " cannot be read (set AWS_SHARED_CREDENTIALS_FILE or AWS_PROFILE to use another)");
  }
  std::stringstream text;
  text << f.rdbuf();
  return ParseAwsCredentialsFile(text.str(), profile, file);
}

}  // namespace cdc::sinks
