package io.pgcdc.dbzdiff;

import java.io.BufferedWriter;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;

/**
 * The Debezium side of pgcdc's differential test.
 *
 * <pre>
 *   capture A.properties [B.properties ...]   one embedded engine per file, until SIGTERM
 *   roundtrip pairs.jsonl results.jsonl         JsonConverter.toConnectData on pgcdc's and Debezium's records
 * </pre>
 *
 * capture: each file holds Debezium connector properties plus {@code capture.out.schemas} and
 * {@code capture.out.plain}, the files that receive every record as one JSON line
 * {@code {"topic","key","value","headers"}} (the shape of pgcdc's stdout sink), rendered by Kafka
 * Connect's JsonConverter with {@code schemas.enable=true} and {@code false} respectively. The
 * engine hands over Connect {@link SourceRecord}s and this program converts them exactly as a
 * Kafka Connect worker would: JsonConverter for key and value, the worker's default
 * SimpleHeaderConverter for headers. One engine thus yields both schema modes of the same
 * records. Lines are flushed one by one, so the test can watch the files. A failed engine exits
 * the JVM with status 3 and the cause on stderr.
 */
public final class Capture {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Capture() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("capture")) {
            capture(args);
        }
        else if (args.length == 3 && args[0].equals("roundtrip")) {
            RoundTrip.run(Paths.get(args[1]), Paths.get(args[2]));
        }
        else {
            System.err.println("usage: capture A.properties [B.properties ...] | roundtrip pairs.jsonl results.jsonl");
            System.exit(2);
        }
    }

    /** Writes one engine's records in both schema modes. Called on the engine's thread only. */
    static final class Writer implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {
        private final JsonConverter keyWith = converter(true, true);
        private final JsonConverter valueWith = converter(false, true);
        private final JsonConverter keyPlain = converter(true, false);
        private final JsonConverter valuePlain = converter(false, false);
        private final SimpleHeaderConverter headers = new SimpleHeaderConverter();
        private final BufferedWriter outSchemas;
        private final BufferedWriter outPlain;

        Writer(String schemasPath, String plainPath) throws IOException {
            headers.configure(Map.of());
            outSchemas = open(schemasPath);
            outPlain = open(plainPath);
        }

        private static BufferedWriter open(String path) throws IOException {
            return new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(Paths.get(path)), StandardCharsets.UTF_8));
        }

        private static JsonConverter converter(boolean isKey, boolean schemas) {
            JsonConverter c = new JsonConverter();
            c.configure(Map.of("schemas.enable", Boolean.toString(schemas)), isKey);
            return c;
        }

        @Override
        public synchronized void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
                throws InterruptedException {
            try {
                for (RecordChangeEvent<SourceRecord> event : records) {
                    SourceRecord r = event.record();
                    write(outSchemas, r, keyWith, valueWith);
                    write(outPlain, r, keyPlain, valuePlain);
                    committer.markProcessed(event);
                }
                outSchemas.flush();
                outPlain.flush();
            }
            catch (IOException e) {
                throw new IllegalStateException("cannot write records", e);
            }
            committer.markBatchFinished();
        }

        private void write(BufferedWriter out, SourceRecord r, JsonConverter keyConv, JsonConverter valueConv) throws IOException {
            ObjectNode line = MAPPER.createObjectNode();
            line.put("topic", r.topic());
            putRaw(line, "key", keyConv.fromConnectData(r.topic(), r.keySchema(), r.key()));
            putRaw(line, "value", valueConv.fromConnectData(r.topic(), r.valueSchema(), r.value()));
            if (r.headers() != null && !r.headers().isEmpty()) {
                ObjectNode h = line.putObject("headers");
                for (Header header : r.headers()) {
                    byte[] b = headers.fromConnectHeader(r.topic(), header.key(), header.schema(), header.value());
                    h.put(header.key(), b == null ? null : new String(b, StandardCharsets.UTF_8));
                }
            }
            out.write(MAPPER.writeValueAsString(line));
            out.write('\n');
        }

        private static void putRaw(ObjectNode line, String field, byte[] json) {
            if (json == null) {
                line.putNull(field);
            }
            else {
                line.putRawValue(field, new RawValue(new String(json, StandardCharsets.UTF_8)));
            }
        }

        synchronized void close() throws IOException {
            outSchemas.close();
            outPlain.close();
        }
    }

    private static void capture(String[] args) throws Exception {
        List<DebeziumEngine<RecordChangeEvent<SourceRecord>>> engines = new ArrayList<>();
        List<Writer> writers = new ArrayList<>();
        ExecutorService pool = Executors.newCachedThreadPool();
        CountDownLatch done = new CountDownLatch(args.length - 1);
        for (int i = 1; i < args.length; i++) {
            Properties all = new Properties();
            try (InputStream in = new FileInputStream(args[i])) {
                all.load(in);
            }
            Properties props = new Properties();
            for (String name : all.stringPropertyNames()) {
                if (!name.startsWith("capture.")) {
                    props.setProperty(name, all.getProperty(name));
                }
            }
            Writer writer = new Writer(all.getProperty("capture.out.schemas"), all.getProperty("capture.out.plain"));
            writers.add(writer);
            String file = args[i];
            DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine
                    .create(ChangeEventFormat.of(io.debezium.embedded.Connect.class))
                    .using(props)
                    .notifying(writer)
                    .using((success, message, error) -> {
                        if (!success) {
                            System.err.println("engine " + file + " failed: " + message);
                            if (error != null) {
                                error.printStackTrace();
                            }
                            Runtime.getRuntime().halt(3);
                        }
                        done.countDown();
                    })
                    .build();
            engines.add(engine);
            pool.submit(engine);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (DebeziumEngine<?> e : engines) {
                try {
                    e.close();
                }
                catch (IOException ex) {
                    System.err.println("close: " + ex);
                }
            }
            for (Writer w : writers) {
                try {
                    w.close();
                }
                catch (IOException ex) {
                    System.err.println("close: " + ex);
                }
            }
        }));
        System.err.println("CAPTURE STARTED " + engines.size());
        done.await();
        pool.shutdown();
    }
}
