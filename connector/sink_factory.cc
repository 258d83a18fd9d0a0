#include "connector/sink_factory.h"

#include "config/redact.h"
#include "connector/topic_names.h"
#include "sinks/aws_credentials.h"
#include "sinks/kafka_sink.h"
#include "sinks/kinesis_sink.h"
#include "sinks/nats_sink.h"
#include "sinks/rabbitmq_sink.h"
#include "sinks/redis_sink.h"
#include "sinks/stdout_sink.h"

namespace cdc::connector {

Result<std::unique_ptr<sinks::EventSink>> MakeSink(const config::SinkConfig& cfg,
                                                   sinks::DeliveryListener* listener) {
  switch (cfg.type) {
    case config::SinkType::kKafka: {
      auto kafka = sinks::KafkaSink::Create(cfg.kafka, listener, cfg.dead_letter_topic);
      if (!kafka.ok()) return kafka.status();
      return std::unique_ptr<sinks::EventSink>(std::move(*kafka));
    }
    case config::SinkType::kRedis: {
      const config::RedisConfig& r = cfg.redis;
      sinks::RedisOptions opts{r.host,
                               r.port,
                               r.db,
                               r.user,
                               r.password,
                               r.message_format == config::RedisMessageFormat::kExtended,
                               r.entry_ids == config::RedisEntryIds::kPosition,
                               r.max_len,
                               r.max_len_approximate};
      return std::unique_ptr<sinks::EventSink>(
          std::make_unique<sinks::RedisSink>(std::move(opts), listener));
    }
    case config::SinkType::kStdout:
      return std::unique_ptr<sinks::EventSink>(std::make_unique<sinks::StdoutSink>(listener));
    case config::SinkType::kNats: {
      if (!cfg.dead_letter_topic.empty()) {
        return Status::InvalidArgument(
            "sink.dead_letter_topic: not supported by sink.type nats (a refused record stops "
            "pgcdc)");
      }
      const auto& n = cfg.nats;
      // The stream captures every subject pgcdc writes: the topics under the name, and the
      // heartbeat topic, which Debezium's naming puts before it.
      sinks::NatsOptions o{
          n.urls,          n.stream,       {n.topic_prefix + ".>", HeartbeatTopic(n.topic_prefix)},
          n.creds_file,    n.token,        n.tls_ca_file,
          n.tls_cert_file, n.tls_key_file, n.ack_timeout_ms,
          n.binary_headers};
      auto nats = sinks::NatsSink::Create(std::move(o), listener);
      if (!nats.ok()) return nats.status();
      return std::unique_ptr<sinks::EventSink>(std::move(*nats));
    }
    case config::SinkType::kRabbitmq: {
      if (!cfg.dead_letter_topic.empty()) {
        return Status::InvalidArgument(
            "sink.dead_letter_topic: not supported by sink.type rabbitmq (a refused record stops "
            "pgcdc)");
      }
      const auto& q = cfg.rabbitmq;
      sinks::RabbitmqOptions o{q.host,           q.port,       q.user,          q.password,
                               q.vhost,          q.exchange,   q.celery_task,   q.celery_queue,
                               q.ack_timeout_ms, q.tls,        q.tls_ca_file,   q.tls_cert_file,
                               q.tls_key_file,   q.tls_verify, q.binary_headers};
      return std::unique_ptr<sinks::EventSink>(
          std::make_unique<sinks::RabbitmqSink>(std::move(o), listener));
    }
    case config::SinkType::kKinesis: {
      if (!cfg.dead_letter_topic.empty()) {
        return Status::InvalidArgument(
            "sink.dead_letter_topic: not supported by sink.type kinesis (a refused record stops "
            "pgcdc)");
      }
      auto credentials = sinks::LoadAwsCredentials();
      if (!credentials.ok()) return credentials.status();
      // Registered before anything can print them (error lines, logs).
      config::AddSecret(credentials->secret_access_key);
      config::AddSecret(credentials->session_token);
      const auto& k = cfg.kinesis;
      sinks::KinesisOptions o{k.endpoint, k.region, std::move(*credentials), k.create_streams,
                              k.shard_count};
      return std::unique_ptr<sinks::EventSink>(
          std::make_unique<sinks::KinesisSink>(std::move(o), listener));
    }
  }
  return Status::InvalidArgument("sink.type: not a sink pgcdc has");  // not reached
}

std::vector<std::string> SinkDestinations(const config::Config& cfg, const CaptureSet& capture) {
  std::vector<std::string> out;
  for (const auto& t : capture.tables) {
    // Under source.partitions leaves a partitioned table's events go to its leaves' topics,
    // which the capture set does not list: those are met (and checked) when first written.
    if (cfg.source.partitions == config::PartitionMode::kLeaves && capture.partitioned.count(t)) {
      continue;
    }
    out.push_back(TableTopic(cfg.name, t.schema, t.table));
  }
  if (cfg.format.transaction_metadata) out.push_back(TransactionTopic(cfg.name));
  if (cfg.heartbeat.interval_ms > 0) out.push_back(HeartbeatTopic(cfg.name));
  return out;
}

Result<std::string> CheckDestinations(const config::Config& cfg, const CaptureSet& capture,
                                      sinks::EventSink& sink, bool may_create) {
  if (cfg.sink.type != config::SinkType::kKinesis) return std::string();
  // Creating and waiting for ACTIVE takes AWS tens of seconds per batch of streams.
  return static_cast<sinks::KinesisSink&>(sink).CheckStreams(SinkDestinations(cfg, capture),
                                                             may_create, 300000);
}

}  // namespace cdc::connector
