// Prints every message of a JetStream stream as one JSON line: {seq, subject, headers, data,
// data_base64} (data as UTF-8 text, data_base64 its exact bytes, for binary formats such as Avro).
// Usage: node read.mjs <nats-url> <stream>. Uses nats.js (the NATS maintainers' client), so the
// test reads what the server stored, not what pgcdc's cnats code believes it sent.
import { connect } from "nats";

const [url, stream] = process.argv.slice(2);
const nc = await connect({ servers: url });
try {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(stream);
  const { first_seq: first, last_seq: last, messages } = info.state;
  for (let seq = first; messages > 0 && seq <= last; seq++) {
    let m;
    try {
      m = await jsm.streams.getMessage(stream, { seq });
    } catch (e) {
      continue;  // deleted
    }
    const headers = {};
    if (m.header) for (const k of m.header.keys()) headers[k] = m.header.get(k);
    process.stdout.write(
        JSON.stringify({ seq, subject: m.subject, headers, data: new TextDecoder().decode(m.data),
                         data_base64: Buffer.from(m.data).toString("base64") }) +
        "\n");
  }
} finally {
  await nc.close();
}
