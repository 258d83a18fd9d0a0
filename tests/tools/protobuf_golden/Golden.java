// Golden: what Confluent's ProtobufConverter makes of JsonConverter records, for
// tests/integration/test_protobuf.py::test_bytes_equal_confluents_protobuf_converter.
//
// Reads JsonConverter records (schemas on), one a line, from stdin; prints one line each: the
// schema text ProtobufData.fromConnectSchema(..).canonicalString() gives (with \, newline and tab
// escaped), a tab, and the hex of fromConnectData(..)'s message bytes ("null" for a null
// payload). Argument "optional": ProtobufDataConfig optional.for.nullables=true.
//
// Confluent's converter classes are not on Maven Central: compile them from
// confluentinc/schema-registry's sources (client, schema-converter, schema-serializer,
// protobuf-types, protobuf-provider, protobuf-converter, protobuf-serializer and what they
// import) against Maven Central's protobuf-java, wire-schema-jvm, kafka-clients and connect-api,
// then this file against those plus connect-json, and give the whole classpath to the test as
// PGCDC_PROTOBUF_DATA_CP.
import com.google.protobuf.Message;
import io.confluent.connect.protobuf.ProtobufData;
import io.confluent.connect.protobuf.ProtobufDataConfig;
import io.confluent.kafka.schemaregistry.protobuf.ProtobufSchema;
import io.confluent.kafka.serializers.protobuf.ProtobufSchemaAndValue;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;

public class Golden {
  static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) sb.append(String.format("%02x", b & 0xff));
    return sb.toString();
  }

  static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t");
  }

  public static void main(String[] args) throws Exception {
    JsonConverter json = new JsonConverter();
    Map<String, Object> jsonConfig = new HashMap<>();
    jsonConfig.put("schemas.enable", true);
    jsonConfig.put("converter.type", "value");
    jsonConfig.put("schemas.cache.size", 0);
    json.configure(jsonConfig);
    Map<String, Object> protoConfig = new HashMap<>();
    if (args.length > 0 && args[0].equals("optional")) {
      protoConfig.put("optional.for.nullables", true);
    }
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      ProtobufData data = new ProtobufData(new ProtobufDataConfig(protoConfig));
      SchemaAndValue record = json.toConnectData("t", line.getBytes(StandardCharsets.UTF_8));
      ProtobufSchema schema = data.fromConnectSchema(record.schema());
      String bytes = "null";
      if (record.value() != null) {
        ProtobufSchemaAndValue value = data.fromConnectData(record.schema(), record.value());
        bytes = hex(((Message) value.getValue()).toByteArray());
      }
      System.out.println(escape(schema.canonicalString()) + "\t" + bytes);
    }
  }
}
