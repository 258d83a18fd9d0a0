// The deployment files, parsed: docker-compose.yml's services exist with healthchecks, pgcdc is
// built from this repository's Dockerfile and mounts a config that pgcdc itself accepts; the
// Dockerfile's build context and flags suit a user's build; the systemd unit (no systemd in CI).
// The image itself is built and run, and the compose file validated and run, by
// scripts/container-check.sh; these tests say which property broke without a container engine.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "config/config_loader.h"

namespace {

const std::string kRoot = PGCDC_SOURCE_DIR;

TEST(Compose, ServicesHealthchecksAndPgcdcConfig) {
  YAML::Node compose = YAML::LoadFile(kRoot + "/docker-compose.yml");
  const YAML::Node services = compose["services"];
  ASSERT_TRUE(services.IsMap());
  for (const char* name : {"postgres", "kafka"}) {
    ASSERT_TRUE(services[name]) << name;
    EXPECT_TRUE(services[name]["healthcheck"]["test"]) << name;
  }
  const std::string pg_command = YAML::Dump(services["postgres"]["command"]);
  EXPECT_NE(pg_command.find("wal_level=logical"), std::string::npos);
  EXPECT_EQ(services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"].as<std::string>(),
            "broker,controller");  // KRaft, no ZooKeeper

  const YAML::Node pgcdc = services["pgcdc"];
  ASSERT_TRUE(pgcdc);
  EXPECT_EQ(pgcdc["build"].as<std::string>(), ".");
  EXPECT_TRUE(std::filesystem::exists(kRoot + "/Dockerfile"));
  EXPECT_EQ(pgcdc["depends_on"]["postgres"]["condition"].as<std::string>(), "service_healthy");
  EXPECT_EQ(pgcdc["depends_on"]["kafka"]["condition"].as<std::string>(), "service_healthy");
  bool mounted = false;
  for (const auto& v : pgcdc["volumes"]) {
    const std::string spec = v.as<std::string>();
    if (spec.rfind("./config/docker-compose.pgcdc.yaml:/etc/pgcdc/pgcdc.yaml", 0) == 0)
      mounted = true;
  }
  EXPECT_TRUE(mounted);
  setenv("POSTGRES_PASSWORD", "x", 0);
  cdc::config::Config c = cdc::config::LoadFile(kRoot + "/config/docker-compose.pgcdc.yaml");
  EXPECT_EQ(c.sink.kafka.at("bootstrap.servers"), "kafka:9092");
  EXPECT_EQ(c.metrics.listen, "0.0.0.0:9187");
}

TEST(Compose, DockerfileRunsAsNonRootWithRuntimeLibraries) {
  std::ifstream in(kRoot + "/Dockerfile");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string d = ss.str();
  EXPECT_NE(d.find("USER pgcdc"), std::string::npos);
  for (const char* lib :
       {"libpq5", "librdkafka1", "libyaml-cpp0.7", "libspdlog1.10", "libcpp-httplib0.11"}) {
    EXPECT_NE(d.find(lib), std::string::npos) << lib;
  }
}

// A host build tree in the context breaks `COPY . .` (cmake refuses a foreign CMakeCache.txt), and
// a user's build must not stop at a warning that a newer or older compiler adds (CDC_WERROR).
TEST(Compose, ImageBuildIgnoresHostBuildTreesAndWarnings) {
  std::ifstream in(kRoot + "/.dockerignore");
  ASSERT_TRUE(in) << ".dockerignore is missing";
  bool ignores_build = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "build*" || line == "build*/" || line == "/build*") ignores_build = true;
  }
  EXPECT_TRUE(ignores_build) << ".dockerignore must exclude build*";
  std::ifstream df(kRoot + "/Dockerfile");
  std::stringstream ss;
  ss << df.rdbuf();
  EXPECT_NE(ss.str().find("-DCMAKE_BUILD_TYPE=Release"), std::string::npos);
  EXPECT_EQ(ss.str().find("CDC_WERROR=ON"), std::string::npos);
}

TEST(Compose, SystemdUnitRunsValidateThenRun) {
  std::ifstream in(kRoot + "/config/pgcdc.service");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string u = ss.str();
  EXPECT_NE(u.find("ExecStartPre=/usr/local/bin/pgcdc validate -c /etc/pgcdc/%i.yaml"),
            std::string::npos);
  EXPECT_NE(u.find("ExecStart=/usr/local/bin/pgcdc run -c /etc/pgcdc/%i.yaml"), std::string::npos);
  EXPECT_NE(u.find("RestartPreventExitStatus=2 3"), std::string::npos);
}

// Repeated exit 1 must not restart forever: the start limit sits in [Unit] (systemd ignores it
// in [Service] since v230) and allows fewer starts than RestartSec would fit in its interval.
TEST(Compose, SystemdUnitStopsRestartingAfterRepeatedFailures) {
  std::ifstream in(kRoot + "/config/pgcdc.service");
  std::string line, section;
  std::map<std::string, std::string> unit, service;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line;
      continue;
    }
    auto* into = section == "[Unit]" ? &unit : section == "[Service]" ? &service : nullptr;
    const auto eq = line.find('=');
    if (into == nullptr || eq == std::string::npos) continue;
    (*into)[line.substr(0, eq)] = line.substr(eq + 1);
  }
  ASSERT_TRUE(unit.count("StartLimitIntervalSec")) << "StartLimitIntervalSec= not in [Unit]";
  ASSERT_TRUE(unit.count("StartLimitBurst")) << "StartLimitBurst= not in [Unit]";
  EXPECT_FALSE(service.count("StartLimitIntervalSec"));
  const long interval = std::stol(unit["StartLimitIntervalSec"]);
  const long burst = std::stol(unit["StartLimitBurst"]);
  const long restart_sec = std::stol(service["RestartSec"]);
  EXPECT_GT(burst, 0);
  // Restarting every RestartSec, more than `burst` starts fall within the interval.
  EXPECT_LT(burst * restart_sec, interval);
  EXPECT_EQ(service["Restart"], "on-failure");
  EXPECT_EQ(service["RestartPreventExitStatus"], "2 3");
}

}  // namespace
