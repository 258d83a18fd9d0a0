#include "connector/sink_factory.h"

#include "sinks/kafka_sink.h"
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
      sinks::RedisOptions opts{
          r.host, r.port,     r.db,
          r.user, r.password, r.message_format == config::RedisMessageFormat::kExtended};
      return std::unique_ptr<sinks::EventSink>(
          std::make_unique<sinks::RedisSink>(std::move(opts), listener));
    }
    case config::SinkType::kStdout:
      return std::unique_ptr<sinks::EventSink>(std::make_unique<sinks::StdoutSink>(listener));
  }
  return Status::InvalidArgument("sink.type: not a sink pgcdc has");  // not reached
}

}  // namespace cdc::connector
