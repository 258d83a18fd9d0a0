// format.type and format.schema_registry: what the avro format needs, the rules tying the
// format's keys together, and the registry password kept out of every line.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config_loader.h"
#include "config/redact.h"

namespace cdc::config {
namespace {

const char kBase[] = R"(
name: shop
source:
  dsn: "host=127.0.0.1 dbname=shop user=cdc"
sink:
  type: kafka
  kafka:
    bootstrap.servers: "127.0.0.1:9092"
)";

std::string ErrorOf(const std::string& yaml) {
  try {
    LoadString(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(FormatConfig, JsonIsTheDefault) {
  Config c = LoadString(kBase);
  EXPECT_EQ(c.format.type, FormatType::kJson);
  EXPECT_TRUE(c.format.schema_registry.urls.empty());
}

TEST(FormatConfig, AvroWithARegistry) {
  Config c = LoadString(std::string(kBase) + R"(
format:
  type: avro
  schema_registry:
    url: ["http://sr1:8081/", "https://ops:pw%40x@sr2:8081/registry"]
    subject_strategy: topic_record
    ssl_ca_location: /etc/ca.pem
)");
  const auto& r = c.format.schema_registry;
  EXPECT_EQ(c.format.type, FormatType::kAvro);
  ASSERT_EQ(r.urls.size(), 2U);
  EXPECT_EQ(r.urls[0], "http://sr1:8081");
  EXPECT_EQ(r.urls[1], "https://sr2:8081/registry");  // the credentials moved to basic auth
  EXPECT_EQ(r.user, "ops");
  EXPECT_EQ(r.password, "pw@x");
  EXPECT_EQ(r.subject_strategy, SubjectNameStrategy::kTopicRecord);
  EXPECT_TRUE(r.auto_register);
  EXPECT_EQ(r.ssl_ca_location, "/etc/ca.pem");
  // Other tests register secrets too (the set is process-wide): only punctuation around these.
  EXPECT_EQ(Redact("-- pw@x -- pw%40x --"), "-- [redacted] -- [redacted] --");
}

TEST(FormatConfig, BasicAuthIsASecret) {
  Config c = LoadString(std::string(kBase) + R"(
format:
  type: avro
  schema_registry:
    url: http://sr:8081
    basic_auth: "cdc:Very-Secret-77"
    auto_register: false
)");
  EXPECT_EQ(c.format.schema_registry.user, "cdc");
  EXPECT_EQ(c.format.schema_registry.password, "Very-Secret-77");
  EXPECT_FALSE(c.format.schema_registry.auto_register);
  EXPECT_EQ(Redact("x Very-Secret-77 y"), "x [redacted] y");
}

TEST(FormatConfig, ErrorsNameTheKey) {
  const std::string avro = std::string(kBase) + "format:\n  type: avro\n";
  EXPECT_EQ(ErrorOf(std::string(kBase) + "format:\n  type: xml\n"),
            "format.type: must be one of json, avro, json_schema, protobuf, got 'xml'");
  EXPECT_EQ(ErrorOf(avro),
            "format.schema_registry: required with format.type avro (url: http://host:8081)");
  EXPECT_EQ(ErrorOf(avro + "  schemas: false\n  schema_registry:\n    url: http://sr:8081\n"),
            "format.schemas: applies to format.type json only: with a schema registry the "
            "schema is never inside the record");
  EXPECT_EQ(ErrorOf(std::string(kBase) + "format:\n  schema_registry:\n    url: http://sr\n"),
            "format.schema_registry: is used by format.type avro, json_schema and protobuf only "
            "(format.type "
            "is json)");
  EXPECT_EQ(ErrorOf(avro + "  schema_registry:\n    url: sr:8081\n"),
            "format.schema_registry.url: 'sr:8081' must start with http:// or https://");
  EXPECT_EQ(ErrorOf(avro + "  schema_registry:\n    url: http://sr\n    basic_auth: cdc\n"),
            "format.schema_registry.basic_auth: must be user:password");
  EXPECT_EQ(ErrorOf(avro + "  schema_registry:\n    url: http://sr\n    subject_strategy: x\n"),
            "format.schema_registry.subject_strategy: must be one of topic, record, "
            "topic_record, got 'x'");
  EXPECT_EQ(ErrorOf(avro + "  schema_registry:\n    url: http://sr\n    use_latest_version: "
                           "true\n    auto_register: true\n"),
            "format.schema_registry.use_latest_version: uses the subject's latest schema "
            "instead of registering: set auto_register: false");
  EXPECT_EQ(ErrorOf(avro + "  schema_registry:\n    url: http://sr\n    bogus: 1\n"),
            "format.schema_registry.bogus: unknown key");
}

TEST(FormatConfig, JsonSchemaWithARegistry) {
  const std::string js = std::string(kBase) + "format:\n  type: json_schema\n";
  const Config c = LoadString(js + "  schema_registry:\n    url: http://sr:8081\n");
  EXPECT_EQ(c.format.type, FormatType::kJsonSchema);
  EXPECT_EQ(c.format.schema_registry.urls, std::vector<std::string>{"http://sr:8081"});
  EXPECT_EQ(ErrorOf(js),
            "format.schema_registry: required with format.type json_schema (url: "
            "http://host:8081)");
  EXPECT_EQ(ErrorOf(js + "  schemas: true\n  schema_registry:\n    url: http://sr:8081\n"),
            "format.schemas: applies to format.type json only: with a schema registry the "
            "schema is never inside the record");
  // The wire format's header is binary: not for stdout's text lines.
  std::string to_stdout = js + "  schema_registry:\n    url: http://sr:8081\n";
  to_stdout.replace(to_stdout.find("type: kafka"), 11, "type: stdout");
  EXPECT_EQ(ErrorOf(to_stdout),
            "format.type: json_schema records are binary, and sink.type stdout writes text "
            "lines (use kafka, redis, nats, kinesis, or rabbitmq without celery_task)");
}

TEST(FormatConfig, ProtobufWithARegistry) {
  const std::string pb = std::string(kBase) + "format:\n  type: protobuf\n";
  const Config c = LoadString(pb + "  schema_registry:\n    url: http://sr:8081\n");
  EXPECT_EQ(c.format.type, FormatType::kProtobuf);
  EXPECT_EQ(ErrorOf(pb),
            "format.schema_registry: required with format.type protobuf (url: http://host:8081)");
  EXPECT_EQ(ErrorOf(pb + "  schemas: false\n  schema_registry:\n    url: http://sr:8081\n"),
            "format.schemas: applies to format.type json only: with a schema registry the "
            "schema is never inside the record");
  EXPECT_FALSE(c.format.protobuf_optional_for_nullables);
  const Config opt = LoadString(pb + "  schema_registry:\n    url: http://sr:8081\n" +
                                "  protobuf:\n    optional_for_nullables: true\n");
  EXPECT_TRUE(opt.format.protobuf_optional_for_nullables);
  EXPECT_EQ(ErrorOf(pb + "  schema_registry:\n    url: http://sr:8081\n  protobuf:\n    x: 1\n"),
            "format.protobuf.x: unknown key");
  const std::string avro =
      std::string(kBase) + "format:\n  type: avro\n  schema_registry:\n    url: http://sr\n";
  EXPECT_EQ(ErrorOf(avro + "  protobuf:\n    optional_for_nullables: true\n"),
            "format.protobuf: is used by format.type protobuf only (format.type is avro)");
  std::string to_stdout = pb + "  schema_registry:\n    url: http://sr:8081\n";
  to_stdout.replace(to_stdout.find("type: kafka"), 11, "type: stdout");
  EXPECT_EQ(ErrorOf(to_stdout),
            "format.type: protobuf records are binary, and sink.type stdout writes text "
            "lines (use kafka, redis, nats, kinesis, or rabbitmq without celery_task)");
}

// Avro's binary keys and values go to every sink that carries bytes (NATS and RabbitMQ with
// their key headers in base64 or as byte arrays), not to stdout or Celery's JSON task messages.
TEST(FormatConfig, AvroGoesToSinksThatCarryBytes) {
  const std::string avro =
      std::string(kBase) + "format:\n  type: avro\n  schema_registry:\n    url: http://sr:8081\n";
  auto with_sink = [&](const std::string& sink) {
    std::string yaml = avro;
    yaml.replace(yaml.find("type: kafka"), 11, sink);
    return yaml;
  };
  const std::string way_out = " (use kafka, redis, nats, kinesis, or rabbitmq without celery_task)";
  EXPECT_EQ(
      ErrorOf(with_sink("type: stdout")),
      "format.type: avro records are binary, and sink.type stdout writes text lines" + way_out);
  EXPECT_EQ(ErrorOf(with_sink("type: rabbitmq\n  rabbitmq:\n    celery_task: app.tasks.on_change")),
            "format.type: avro records are binary, and sink.type rabbitmq with celery_task writes "
            "JSON task messages" +
                way_out);
  EXPECT_EQ(
      LoadString(with_sink("type: redis\n  redis:\n    url: redis://127.0.0.1:6379/0")).format.type,
      FormatType::kAvro);
  EXPECT_EQ(LoadString(with_sink("type: kinesis\n  kinesis:\n    region: us-east-1")).format.type,
            FormatType::kAvro);
  const Config rabbit = LoadString(with_sink("type: rabbitmq"));
  EXPECT_TRUE(rabbit.sink.rabbitmq.binary_headers);
  const Config nats = LoadString(with_sink("type: nats"));
  EXPECT_TRUE(nats.sink.nats.binary_headers);
  EXPECT_FALSE(LoadString(kBase).sink.rabbitmq.binary_headers);
  EXPECT_FALSE(LoadString(kBase).sink.nats.binary_headers);
}

// Debezium's schema.name.adjustment.mode / field.name.adjustment.mode, `none` by default, in
// either format.
TEST(FormatConfig, NameAdjustmentModes) {
  Config c = LoadString(kBase);
  EXPECT_EQ(c.format.schema_name_adjustment, NameAdjustmentMode::kNone);
  EXPECT_EQ(c.format.field_name_adjustment, NameAdjustmentMode::kNone);
  c = LoadString(
      std::string(kBase) +
      "format:\n  schema_name_adjustment: avro\n  field_name_adjustment: avro_unicode\n");
  EXPECT_EQ(c.format.schema_name_adjustment, NameAdjustmentMode::kAvro);
  EXPECT_EQ(c.format.field_name_adjustment, NameAdjustmentMode::kAvroUnicode);
  EXPECT_EQ(ErrorOf(std::string(kBase) + "format:\n  field_name_adjustment: underscore\n"),
            "format.field_name_adjustment: must be one of none, avro, avro_unicode, got "
            "'underscore'");
}

// Debezium's column.propagate.source.type / datatype.propagate.source.type: lists of regular
// expressions (one a list item, or a single string), none by default; a bad pattern is refused
// at load naming the key and the item.
TEST(FormatConfig, PropagateSourceTypeLists) {
  Config none = LoadString(kBase);
  EXPECT_TRUE(none.format.column_propagate_source_type.empty());
  EXPECT_TRUE(none.format.datatype_propagate_source_type.empty());

  Config c = LoadString(std::string(kBase) + R"(
format:
  column_propagate_source_type: ["public\\.alias_table\\..*", ".*vc.*"]
  datatype_propagate_source_type: '.+\.NUMERIC'
)");
  EXPECT_EQ(c.format.column_propagate_source_type,
            (std::vector<std::string>{"public\\.alias_table\\..*", ".*vc.*"}));
  EXPECT_EQ(c.format.datatype_propagate_source_type, (std::vector<std::string>{".+\\.NUMERIC"}));

  const std::string err = ErrorOf(std::string(kBase) + R"(
format:
  datatype_propagate_source_type: [".+\\.NUMERIC", "(unclosed"]
)");
  EXPECT_NE(err.find("format.datatype_propagate_source_type[1]"), std::string::npos) << err;
  EXPECT_NE(err.find("(unclosed"), std::string::npos) << err;
  EXPECT_NE(ErrorOf(std::string(kBase) + R"(
format:
  column_propagate_source_type: {a: b}
)")
                .find("format.column_propagate_source_type"),
            std::string::npos);
}

// unknown_types bytes is Debezium's include.unknown.datatypes=true; extended_headers its
// extended.headers.enabled, on by default as in Debezium.
TEST(FormatConfig, UnknownTypesBytesAndExtendedHeaders) {
  Config c = LoadString(kBase);
  EXPECT_EQ(c.format.unknown_types, UnknownTypes::kFail);
  EXPECT_TRUE(c.format.extended_headers);
  c = LoadString(std::string(kBase) +
                 "format:\n  unknown_types: bytes\n  extended_headers: false\n");
  EXPECT_EQ(c.format.unknown_types, UnknownTypes::kBytes);
  EXPECT_FALSE(c.format.extended_headers);
  EXPECT_EQ(ErrorOf(std::string(kBase) + "format:\n  unknown_types: binary\n"),
            "format.unknown_types: must be one of fail, string, skip, bytes, got 'binary'");
}

}  // namespace
}  // namespace cdc::config
