// Chorus envelopes with an independent HPKE: hpke-js (@hpke/core,
// @hpke/hybridkem-x-wing, @hpke/chacha20poly1305) under Node.js. Run by
// seal/tests/interop.rs; written from docs/sealing.md, not from the Rust
// code, so that it is a second reading of the format.
//
//   node hpke-js.mjs versions
//   node hpke-js.mjs open REQUEST.json    -> {"key_id", "bucket", "plaintext"}
//   node hpke-js.mjs seal REQUEST.json    -> {"envelope"}
//   node hpke-js.mjs kat XWING.json HPKE.json -> what hpke-js computes for the vectors
//
// CHORUS_NODE_MODULES names the node_modules folder that holds the packages
// (the workspace's .tools/node_modules). Answers are one JSON object on
// standard output; a refusal is a message on standard error and exit code 1.
// Bytes travel as base64url without padding, as Chorus writes them; key
// seeds, submission ids and the vector files are hex.
//
//   open: {"seed": hex 32, "public_key": "chorus-pk1:…" (optional, checked),
//          "survey_id", "version", "submission_id": hex 16, "envelope"}
//   seal: {"public_key_bytes": the 1216 bytes, "public_key": text (optional,
//          checked), "survey_id", "version", "submission_id", "plaintext"}

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const MODULES = process.env.CHORUS_NODE_MODULES;
if (!MODULES) {
  fail("CHORUS_NODE_MODULES is not set");
}

function fail(message) {
  process.stderr.write(`hpke-js: ${message}\n`);
  process.exit(1);
}

function packageJson(name) {
  return JSON.parse(readFileSync(join(MODULES, name, "package.json"), "utf8"));
}

// Imports a package's ESM entry from MODULES (an ESM script cannot be told
// where to look for bare specifiers, so the entry is found by hand).
async function load(name) {
  const pkg = packageJson(name);
  const exp = pkg.exports?.["."];
  const entry = (typeof exp === "string" ? exp : exp?.import) ?? pkg.module ?? pkg.main;
  return await import(pathToFileURL(join(MODULES, name, entry)).href);
}

const { CipherSuite, HkdfSha256 } = await load("@hpke/core");
const { XWing } = await load("@hpke/hybridkem-x-wing");
const { Chacha20Poly1305 } = await load("@hpke/chacha20poly1305");

// ---- The format (docs/sealing.md) -------------------------------------

const MAGIC = Buffer.from("CHE1", "ascii");
const KEY_ID_LEN = 8;
const ENC_LEN = 1120;
const PUBLIC_KEY_LEN = 1216;
const TAG_LEN = 16;
const HEADER_LEN = MAGIC.length + KEY_ID_LEN + ENC_LEN;
const BUCKETS = [1, 2, 4, 8, 16, 32, 64].map((k) => k * 1024);
const INFO = new Uint8Array(Buffer.from("chorus-envelope-v1", "ascii"));
const PK_PREFIX = "chorus-pk1:";

const suite = new CipherSuite({
  kem: new XWing(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305(),
});

const b64 = (bytes) => Buffer.from(bytes).toString("base64url");
const unb64 = (text) => Buffer.from(text, "base64url");
const hex = (bytes) => Buffer.from(bytes).toString("hex");
const unhex = (text) => Buffer.from(text, "hex");
// A copy with an ArrayBuffer of its own: hpke-js's generateKeyPairDerand
// reads `key.buffer`, which for a view into Node's pooled buffers is the
// whole pool ("Invalid key length: 8192").
const own = (bytes) => new Uint8Array(bytes);
const sha256 = (bytes) => createHash("sha256").update(bytes).digest();

function keyId(publicKeyBytes) {
  return sha256(publicKeyBytes).subarray(0, KEY_ID_LEN);
}

function parsePublicKey(text) {
  const t = text.trim();
  if (!t.startsWith(PK_PREFIX)) {
    fail(`a public key starts with ${PK_PREFIX}`);
  }
  const bytes = unb64(t.slice(PK_PREFIX.length));
  if (bytes.length !== PUBLIC_KEY_LEN) {
    fail(`the public key has ${bytes.length} bytes, not ${PUBLIC_KEY_LEN}`);
  }
  return bytes;
}

// "chorus-envelope-v1" 0x00 survey_id 0x00 version(u32 BE) submission_id(16) key_id(8)
function aad(binding, id) {
  const version = Buffer.alloc(4);
  version.writeUInt32BE(binding.version);
  const submission = unhex(binding.submission_id);
  if (submission.length !== 16) {
    fail("a submission id is 16 bytes");
  }
  return Buffer.concat([
    INFO,
    Buffer.from([0]),
    Buffer.from(binding.survey_id, "utf8"),
    Buffer.from([0]),
    version,
    submission,
    id,
  ]);
}

function parseEnvelope(bytes) {
  if (bytes.length < HEADER_LEN + TAG_LEN) {
    fail(`the envelope has ${bytes.length} bytes, fewer than a header and a tag`);
  }
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    fail("the envelope does not start with CHE1");
  }
  const ct = bytes.subarray(HEADER_LEN);
  const bucket = ct.length - TAG_LEN;
  if (!BUCKETS.includes(bucket)) {
    fail(`the ciphertext has ${ct.length} bytes, not a bucket plus a tag`);
  }
  return {
    keyId: bytes.subarray(MAGIC.length, MAGIC.length + KEY_ID_LEN),
    enc: bytes.subarray(MAGIC.length + KEY_ID_LEN, HEADER_LEN),
    ct,
    bucket,
  };
}

function pad(plaintext) {
  const bucket = BUCKETS.find((b) => b >= plaintext.length + 4);
  if (bucket === undefined) {
    fail(`${plaintext.length} bytes do not fit the largest bucket`);
  }
  const padded = Buffer.alloc(bucket); // zeros
  padded.writeUInt32BE(plaintext.length, 0);
  plaintext.copy(padded, 4);
  return padded;
}

function unpad(padded) {
  const len = padded.readUInt32BE(0);
  if (4 + len > padded.length) {
    fail("the length prefix runs past the padded plaintext");
  }
  if (padded.subarray(4 + len).some((b) => b !== 0)) {
    fail("the padding is not all zeros");
  }
  return padded.subarray(4, 4 + len);
}

// ---- Commands ---------------------------------------------------------

async function open(request) {
  const seed = unhex(request.seed);
  const pair = await suite.kem.generateKeyPairDerand(own(seed));
  const publicKey = Buffer.from(await suite.kem.serializePublicKey(pair.publicKey));
  if (request.public_key !== undefined && !parsePublicKey(request.public_key).equals(publicKey)) {
    fail("the seed does not give the public key of the request");
  }
  const id = keyId(publicKey);
  const env = parseEnvelope(unb64(request.envelope));
  if (!env.keyId.equals(id)) {
    fail(`the envelope is sealed to key ${hex(env.keyId)}, not ${hex(id)}`);
  }
  let padded;
  try {
    const ctx = await suite.createRecipientContext({
      recipientKey: pair.privateKey,
      enc: own(env.enc),
      info: INFO,
    });
    padded = Buffer.from(await ctx.open(own(env.ct), own(aad(request, env.keyId))));
  } catch (e) {
    fail(`the envelope does not open: ${e}`);
  }
  return { key_id: hex(env.keyId), bucket: env.bucket, plaintext: b64(unpad(padded)) };
}

// Seals to the raw 1216 bytes; the text form, if given, must name the same key.
async function seal(request) {
  const publicKey = unb64(request.public_key_bytes);
  if (publicKey.length !== PUBLIC_KEY_LEN) {
    fail(`the public key has ${publicKey.length} bytes, not ${PUBLIC_KEY_LEN}`);
  }
  if (request.public_key !== undefined && !parsePublicKey(request.public_key).equals(publicKey)) {
    fail("the public key's text and bytes differ");
  }
  const id = keyId(publicKey);
  const ctx = await suite.createSenderContext({
    recipientPublicKey: await suite.kem.deserializePublicKey(own(publicKey)),
    info: INFO,
  });
  const ct = Buffer.from(await ctx.seal(own(pad(unb64(request.plaintext))), own(aad(request, id))));
  return { envelope: b64(Buffer.concat([MAGIC, id, Buffer.from(ctx.enc), ct])) };
}

// What hpke-js computes for the known-answer vectors; the Rust test compares.
async function kat(xwingFile, hpkeFile) {
  const kem = suite.kem;
  const xwing = [];
  for (const v of JSON.parse(readFileSync(xwingFile, "utf8")).vectors) {
    const pair = await kem.generateKeyPairDerand(own(unhex(v.sk)));
    const pk = Buffer.from(await kem.serializePublicKey(pair.publicKey));
    const { sharedSecret, enc } = await kem.encap({
      recipientPublicKey: pair.publicKey,
      ekm: own(unhex(v.eseed)),
    });
    const decapped = await kem.decap({ enc: own(unhex(v.ct)), recipientKey: pair.privateKey });
    xwing.push({ pk: hex(pk), ct: hex(enc), ss: hex(sharedSecret), decap_ss: hex(decapped) });
  }

  const v = JSON.parse(readFileSync(hpkeFile, "utf8")).vector;
  const info = own(unhex(v.info));
  const derived = await kem.deriveKeyPair(own(unhex(v.ikmR)));
  const derivedSk = Buffer.from(await kem.serializePrivateKey(derived.privateKey));
  const privateKey = await kem.importKey("raw", own(unhex(v.skRm)), false);
  const pair = await kem.generateKeyPairDerand(own(unhex(v.skRm)));
  const pkRm = Buffer.from(await kem.serializePublicKey(pair.publicKey));
  const sender = await suite.createSenderContext({
    recipientPublicKey: pair.publicKey,
    info,
    ekm: own(unhex(v.ikmE)),
  });
  const recipient = await suite.createRecipientContext({
    recipientKey: privateKey,
    enc: own(unhex(v.enc)),
    info,
  });
  const sealed = [];
  const opened = [];
  for (const e of v.encryptions) {
    sealed.push(hex(await sender.seal(own(unhex(e.pt)), own(unhex(e.aad)))));
    opened.push(hex(await recipient.open(own(unhex(e.ct)), own(unhex(e.aad)))));
  }
  const exports = [];
  for (const x of v.exports) {
    exports.push(hex(await recipient.export(own(unhex(x.exporter_context)), x.L)));
  }
  return {
    xwing,
    hpke: {
      derive_key_pair_sk: hex(derivedSk),
      // X-Wing draft-06 §5.6: DeriveKeyPair(ikm) = GenerateKeyPairDerand(SHAKE256(ikm, 32)).
      shake256_ikm_32: hex(createHash("shake256", { outputLength: 32 }).update(unhex(v.ikmR)).digest()),
      pk_from_sk: hex(pkRm),
      enc: hex(sender.enc),
      sealed,
      opened,
      exports,
    },
  };
}

function versions() {
  const names = ["@hpke/core", "@hpke/hybridkem-x-wing", "@hpke/chacha20poly1305", "@hpke/common", "mlkem"];
  const out = { node: process.versions.node };
  for (const n of names) {
    try {
      out[n] = packageJson(n).version;
    } catch {
      out[n] = null;
    }
  }
  return out;
}

const [command, ...args] = process.argv.slice(2);
const readRequest = () => JSON.parse(readFileSync(args[0], "utf8"));
let answer;
switch (command) {
  case "versions":
    answer = versions();
    break;
  case "open":
    answer = await open(readRequest());
    break;
  case "seal":
    answer = await seal(readRequest());
    break;
  case "kat":
    answer = await kat(args[0], args[1]);
    break;
  default:
    fail(`unknown command ${command}; use versions, open, seal or kat`);
}
process.stdout.write(`${JSON.stringify(answer)}\n`);
