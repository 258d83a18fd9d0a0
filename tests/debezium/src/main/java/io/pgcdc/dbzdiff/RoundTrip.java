package io.pgcdc.dbzdiff;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JsonConverter round trip: what a Kafka Connect sink reads from pgcdc's records.
 *
 * Input: JSON lines {"id", "topic", "pgcdc": {"key","value"}, "debezium": {"key","value"}?},
 * key and value as written with schemas.enable=true (or null). Each side's key and value go
 * through Kafka Connect's own {@code JsonConverter.toConnectData}; a failure is an error. When
 * both sides are present their Connect data (schema and value) must be equal; the first
 * difference is reported with its path. Output: one JSON line per input line
 * {"id", "errors": [...]} (empty = fine). Single-threaded.
 */
final class RoundTrip {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private RoundTrip() {
    }

    static void run(Path in, Path out) throws IOException {
        JsonConverter keyConv = new JsonConverter();
        keyConv.configure(Map.of("schemas.enable", "true"), true);
        JsonConverter valueConv = new JsonConverter();
        valueConv.configure(Map.of("schemas.enable", "true"), false);
        try (BufferedReader r = Files.newBufferedReader(in, StandardCharsets.UTF_8);
             BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode pair = MAPPER.readTree(line);
                String topic = pair.get("topic").asText();
                List<String> errors = new ArrayList<>();
                SchemaAndValue[] pg = read(topic, pair.get("pgcdc"), "pgcdc", keyConv, valueConv, errors);
                if (pair.hasNonNull("debezium")) {
                    SchemaAndValue[] dbz = read(topic, pair.get("debezium"), "debezium", keyConv, valueConv, errors);
                    if (pg != null && dbz != null) {
                        String k = diff("key", pg[0].schema(), pg[0].value(), dbz[0].schema(), dbz[0].value());
                        if (k != null) {
                            errors.add("connect data differs: " + k);
                        }
                        String v = diff("value", pg[1].schema(), pg[1].value(), dbz[1].schema(), dbz[1].value());
                        if (v != null) {
                            errors.add("connect data differs: " + v);
                        }
                    }
                }
                ObjectNode result = MAPPER.createObjectNode();
                result.set("id", pair.get("id"));
                ArrayNode errs = result.putArray("errors");
                errors.forEach(errs::add);
                w.write(MAPPER.writeValueAsString(result));
                w.write('\n');
            }
        }
    }

    /** Key and value as Connect data, or null (with the cause in errors) when the converter refuses them. */
    private static SchemaAndValue[] read(String topic, JsonNode side, String who, JsonConverter keyConv,
                                         JsonConverter valueConv, List<String> errors) {
        SchemaAndValue[] out = new SchemaAndValue[2];
        String[] parts = { "key", "value" };
        JsonConverter[] convs = { keyConv, valueConv };
        for (int i = 0; i < 2; i++) {
            JsonNode node = side.get(parts[i]);
            byte[] bytes = node == null || node.isNull() ? null : node.toString().getBytes(StandardCharsets.UTF_8);
            try {
                out[i] = convs[i].toConnectData(topic, bytes);
            }
            catch (RuntimeException e) {
                errors.add(who + " " + parts[i] + ": toConnectData failed: " + e);
                return null;
            }
        }
        return out;
    }

    /** The first difference between two Connect (schema, value) pairs, or null when equal. */
    static String diff(String path, Schema sa, Object va, Schema sb, Object vb) {
        String s = diffSchema(path, sa, sb);
        if (s != null) {
            return s;
        }
        return diffValue(path, sa, va, vb);
    }

    private static String diffSchema(String path, Schema a, Schema b) {
        if (Objects.equals(a, b)) {
            return null;
        }
        if (a == null || b == null) {
            return path + ": schema " + a + " vs " + b;
        }
        if (a.type() != b.type()) {
            return path + ": schema type " + a.type() + " vs " + b.type();
        }
        if (!Objects.equals(a.name(), b.name())) {
            return path + ": schema name " + a.name() + " vs " + b.name();
        }
        if (!Objects.equals(a.version(), b.version())) {
            return path + ": schema version " + a.version() + " vs " + b.version();
        }
        if (a.isOptional() != b.isOptional()) {
            return path + ": schema optional " + a.isOptional() + " vs " + b.isOptional();
        }
        if (!Objects.equals(a.doc(), b.doc())) {
            return path + ": schema doc " + a.doc() + " vs " + b.doc();
        }
        if (!Objects.equals(a.parameters(), b.parameters())) {
            return path + ": schema parameters " + a.parameters() + " vs " + b.parameters();
        }
        if (!Objects.deepEquals(a.defaultValue(), b.defaultValue())) {
            return path + ": schema default " + a.defaultValue() + " vs " + b.defaultValue();
        }
        switch (a.type()) {
            case STRUCT: {
                List<String> na = a.fields().stream().map(Field::name).toList();
                List<String> nb = b.fields().stream().map(Field::name).toList();
                if (!na.equals(nb)) {
                    return path + ": struct fields " + na + " vs " + nb;
                }
                for (Field f : a.fields()) {
                    String d = diffSchema(path + "." + f.name(), f.schema(), b.field(f.name()).schema());
                    if (d != null) {
                        return d;
                    }
                }
                break;
            }
            case ARRAY:
                return diffSchema(path + "[]", a.valueSchema(), b.valueSchema());
            case MAP: {
                String d = diffSchema(path + "{key}", a.keySchema(), b.keySchema());
                return d != null ? d : diffSchema(path + "{value}", a.valueSchema(), b.valueSchema());
            }
            default:
                break;
        }
        return path + ": schemas differ (" + a + " vs " + b + ")";
    }

    private static String diffValue(String path, Schema schema, Object a, Object b) {
        if (a == null || b == null) {
            return a == b ? null : path + ": " + show(a) + " vs " + show(b);
        }
        if (a instanceof Struct sa && b instanceof Struct sb) {
            for (Field f : sa.schema().fields()) {
                String d = diffValue(path + "." + f.name(), f.schema(), sa.get(f), sb.get(f.name()));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) {
                return path + ": " + la.size() + " elements vs " + lb.size();
            }
            for (int i = 0; i < la.size(); i++) {
                String d = diffValue(path + "[" + i + "]", schema == null ? null : schema.valueSchema(), la.get(i), lb.get(i));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            TreeSet<String> ka = new TreeSet<>();
            ma.keySet().forEach(k -> ka.add(String.valueOf(k)));
            TreeSet<String> kb = new TreeSet<>();
            mb.keySet().forEach(k -> kb.add(String.valueOf(k)));
            if (!ka.equals(kb)) {
                return path + ": map keys " + ka + " vs " + kb;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                String d = diffValue(path + "{" + e.getKey() + "}", schema == null ? null : schema.valueSchema(),
                        e.getValue(), mb.get(e.getKey()));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        byte[] ba = bytes(a);
        byte[] bb = bytes(b);
        if (ba != null || bb != null) {
            return Arrays.equals(ba, bb) ? null : path + ": " + show(a) + " vs " + show(b);
        }
        return Objects.equals(a, b) ? null : path + ": " + show(a) + " vs " + show(b);
    }

    private static byte[] bytes(Object o) {
        if (o instanceof byte[] b) {
            return b;
        }
        if (o instanceof ByteBuffer bb) {
            byte[] b = new byte[bb.remaining()];
            bb.duplicate().get(b);
            return b;
        }
        return null;
    }

    private static String show(Object o) {
        byte[] b = bytes(o);
        if (b != null) {
            return "bytes" + Arrays.toString(b);
        }
        return o == null ? "null" : o + " (" + o.getClass().getSimpleName() + ")";
    }
}
