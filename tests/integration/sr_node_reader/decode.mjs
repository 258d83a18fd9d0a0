// Decodes Confluent-framed records with Confluent's own Node client (@confluentinc/schemaregistry
// 1.10.1): its AvroDeserializer (avsc), JsonDeserializer (validating with ajv) and
// ProtobufDeserializer (@bufbuild/protobuf), each fetching the writer's schema by id from the
// registry, as a Node consumer of pgcdc's topics does. None of pgcdc's code is involved.
//
// Usage: node decode.mjs <avro|json|protobuf> <registry-url>
// stdin:  one JSON object per line, {"topic": t, "key": base64|null, "value": base64|null}
// stdout: one JSON object per input line, {"key_id", "value_id", "key", "value"}: the ids in the
//         frames and the decoded datums as JSON text. Exact: an Avro long is read as a BigInt and
//         written as its digits; bytes are base64. A Protobuf message is written plainly, field
//         by field as its descriptor declares them: only the fields set (present), under their
//         proto names, 64-bit integers as strings, bytes as base64, NaN and the infinities as
//         strings, maps as objects, and the well-known types as the messages they are (not the
//         Protobuf JSON mapping, which refuses Timestamps beyond years 1..9999 that pgcdc
//         writes for PostgreSQL's infinities). A JSON Schema payload is what JSON.parse gives a
//         Node consumer: integers beyond 2^53 are already rounded there.
// Exit status 1 with the deserializer's message on stderr when a record does not decode.

import { createRequire } from "node:module";
import readline from "node:readline";

const require = createRequire(import.meta.url);
const sr = require("@confluentinc/schemaregistry");
const { isFieldSet } = require("@bufbuild/protobuf");
const avsc = require("avsc");

// 1.10.1 embeds confluent/type/decimal.proto under the name "confluent/types/decimal.proto", so
// resolving a schema that imports it fails ("Cannot find confluent/type/decimal.proto"). The
// registry's name is the right one; a Node consumer of any Protobuf schema with a Decimal needs
// this line (README, "Protobuf with a Schema Registry").
const decimalPb = require("@confluentinc/schemaregistry/dist/confluent/types/decimal_pb.js");
decimalPb.file_confluent_types_decimal.proto.name = "confluent/type/decimal.proto";

// Avro longs as BigInt: avsc's default long is a JS number, which cannot hold every int64.
const BigLong = avsc.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n === "bigint",
  compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
});

const [, , format, url] = process.argv;
const client = sr.SchemaRegistryClient.newClient({ baseURLs: [url], cacheCapacity: 1000 });
const conf = {
  avro: { registry: { long: BigLong } },
  json: { validate: true, strict: false },
  protobuf: {},
}[format];
const Deserializer = {
  avro: sr.AvroDeserializer,
  json: sr.JsonDeserializer,
  protobuf: sr.ProtobufDeserializer,
}[format];
if (!Deserializer) {
  process.stderr.write(`decode.mjs: unknown format ${format} (avro, json or protobuf)\n`);
  process.exit(2);
}
const keys = new Deserializer(client, sr.SerdeType.KEY, conf);
const values = new Deserializer(client, sr.SerdeType.VALUE, conf);

// JSON text of a decoded datum, exact for BigInt and bytes.
function text(v, deser) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "bigint") return v.toString();
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    return JSON.stringify(Buffer.from(v).toString("base64"));
  }
  if (format === "protobuf" && typeof v === "object" && "$typeName" in v) {
    return JSON.stringify(plainMessage(deser.fileRegistry.getMessage(v.$typeName), v));
  }
  if (Array.isArray(v)) return `[${v.map((e) => text(e, deser)).join(",")}]`;
  if (typeof v === "object") {
    const fields = Object.entries(v).map(([k, e]) => `${JSON.stringify(k)}:${text(e, deser)}`);
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(v);
}

// A Protobuf message as plain JSON (see the header). Fields the descriptor does not declare
// would be kept as $unknown: none may be, or the client did not read all that was written.
function plainMessage(desc, msg) {
  if (msg.$unknown && msg.$unknown.length) {
    throw new Error(`${desc.typeName}: ${msg.$unknown.length} unknown field(s)`);
  }
  const out = {};
  for (const field of desc.fields) {
    if (!isFieldSet(msg, field)) continue;
    const v = msg[field.localName];
    const one = (e) => (e !== null && typeof e === "object" && "$typeName" in e
      ? plainMessage(field.message, e) : plainScalar(e));
    if (field.fieldKind === "list") {
      out[field.name] = v.map(one);
    } else if (field.fieldKind === "map") {
      out[field.name] = Object.fromEntries(Object.entries(v).map(([k, e]) => [k, one(e)]));
    } else {
      out[field.name] = one(v);
    }
  }
  return out;
}

function plainScalar(v) {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return v;
}

function frameId(raw) {
  return raw && raw.length >= 5 && raw[0] === 0 ? raw.readInt32BE(1) : null;
}

async function decode(deser, topic, b64) {
  if (b64 === null) return [null, "null"];
  const raw = Buffer.from(b64, "base64");
  return [frameId(raw), text(await deser.deserialize(topic, raw), deser)];
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const rec = JSON.parse(line);
  try {
    const [keyId, key] = await decode(keys, rec.topic, rec.key);
    const [valueId, value] = await decode(values, rec.topic, rec.value);
    const ids = `"key_id":${keyId},"value_id":${valueId}`;
    process.stdout.write(`{${ids},"key":${key},"value":${value}}\n`);
  } catch (e) {
    process.stderr.write(`decode.mjs: ${rec.topic}: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  }
}
