//! Interoperability with an independent HPKE: hpke-js (`@hpke/core`,
//! `@hpke/hybridkem-x-wing`, `@hpke/chacha20poly1305`) under Node.js, driven
//! through `tests/interop/hpke-js.mjs`, which reads envelopes as
//! docs/sealing.md describes them (magic, key id, encapsulated key,
//! ciphertext, associated data, padding) without any Rust code.
//!
//! - Chorus seals, hpke-js opens; hpke-js seals to the bytes of
//!   `PublicKey::to_bytes`, Chorus opens.
//! - hpke-js refuses envelopes moved to another binding, damaged, or sealed
//!   to another key.
//! - hpke-js computes the known answers of `tests/vectors/` (X-Wing
//!   draft-06 and the HPKE PQ vector for Chorus's suite).
//!
//! Needs Node.js and the packages in `<workspace>/.tools/node_modules`, which
//! `scripts/test.sh` installs (`need_hpke_js` in scripts/setup.sh). Without
//! them these tests fail; they never pass without having run.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{binding, to_hex};
use seal::{Binding, Envelope, MAX_PLAINTEXT, OpenError, SecretKey};
use serde_json::{Value, json};

const PACKAGES: [(&str, &str); 3] = [
    ("@hpke/core", "HPKE_CORE_VERSION"),
    ("@hpke/hybridkem-x-wing", "HPKE_XWING_VERSION"),
    ("@hpke/chacha20poly1305", "HPKE_CHACHA_VERSION"),
];

const HOW_TO_INSTALL: &str = "run scripts/test.sh, which installs Node.js and hpke-js into \
     .tools/ (or just the packages: bash -c 'source scripts/setup.sh && need_hpke_js')";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct HpkeJs {
    node: PathBuf,
    modules: PathBuf,
    script: PathBuf,
    dir: tempfile::TempDir,
}

/// Finds Node.js and the packages, or fails the test saying what to run.
fn hpke_js() -> HpkeJs {
    let node = std::env::var_os("CHORUS_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("node"));
    let node = match Command::new(&node).arg("--version").output() {
        Ok(out) if out.status.success() => node,
        _ if Path::new("/usr/bin/node").exists() => PathBuf::from("/usr/bin/node"),
        _ => panic!(
            "Node.js (`{}`) is not installed: the interoperability test needs it; {HOW_TO_INSTALL}",
            node.display()
        ),
    };
    let modules = workspace().join(".tools").join("node_modules");
    for (package, _) in PACKAGES {
        let manifest = modules.join(package).join("package.json");
        assert!(
            manifest.is_file(),
            "{package} is not installed in {}: {HOW_TO_INSTALL}",
            modules.display()
        );
    }
    HpkeJs {
        node,
        modules,
        script: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("interop")
            .join("hpke-js.mjs"),
        dir: tempfile::tempdir().expect("temp dir"),
    }
}

impl HpkeJs {
    /// Runs the script; its JSON answer, or its message on refusal.
    fn run(&self, args: &[&Path]) -> Result<Value, String> {
        let out = Command::new(&self.node)
            .arg(&self.script)
            .args(args)
            .env("CHORUS_NODE_MODULES", &self.modules)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.node.display()));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Err(stderr);
        }
        serde_json::from_slice(&out.stdout).map_err(|e| {
            format!(
                "the script's answer is not JSON ({e}): {}\n{stderr}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Writes `request` to a file in the temp dir and runs `command` on it.
    fn ask(&self, command: &str, request: &Value) -> Result<Value, String> {
        let path = self.dir.path().join(format!("{command}.json"));
        std::fs::write(&path, request.to_string()).expect("write request");
        self.run(&[Path::new(command), &path])
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(value: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(value.as_str().expect("a base64url string"))
        .expect("base64url")
}

fn binding_json(b: &Binding<'_>) -> Value {
    json!({
        "survey_id": b.survey_id,
        "version": b.version,
        "submission_id": to_hex(&b.submission_id),
    })
}

fn with(mut object: Value, more: Value) -> Value {
    let (Value::Object(a), Value::Object(b)) = (&mut object, more) else {
        panic!("objects expected");
    };
    a.extend(b);
    object
}

fn open_request(sk: &SecretKey, b: &Binding<'_>, envelope: &[u8]) -> Value {
    with(
        binding_json(b),
        json!({
            "seed": to_hex(&sk.seed()),
            "public_key": sk.public().to_string(),
            "envelope": b64(envelope),
        }),
    )
}

/// A payload as `surveys::sealing` writes it, with text outside ASCII.
fn payload(b: &Binding<'_>) -> Vec<u8> {
    json!({
        "survey_id": b.survey_id,
        "version": b.version,
        "submission_id": "7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10",
        "answers": {"district": "Łódź", "events": ["detention", "fine"], "note": "ça va — да", "age": 34},
    })
    .to_string()
    .into_bytes()
}

fn plaintexts(b: &Binding<'_>) -> Vec<Vec<u8>> {
    vec![
        payload(b),
        Vec::new(),
        vec![b'a'; 1020], // fills 1 KiB exactly with its prefix
        vec![0xff; 1021], // the first to need 2 KiB
        (0..MAX_PLAINTEXT).map(|i| (i % 251) as u8).collect(),
    ]
}

#[test]
fn hpke_js_is_installed_at_the_versions_setup_pins() {
    let js = hpke_js();
    let versions = js.run(&[Path::new("versions")]).expect("versions");
    eprintln!("hpke-js interop against {versions}");
    let setup = std::fs::read_to_string(workspace().join("scripts").join("setup.sh"))
        .expect("scripts/setup.sh");
    for (package, variable) in PACKAGES {
        let pinned = setup
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{variable}=")))
            .unwrap_or_else(|| panic!("scripts/setup.sh sets no {variable}"));
        assert_eq!(
            versions[package].as_str(),
            Some(pinned),
            "{package} in .tools/ is not the version scripts/setup.sh pins: {HOW_TO_INSTALL}"
        );
    }
}

#[test]
fn hpke_js_opens_what_chorus_seals() {
    let js = hpke_js();
    let sk = SecretKey::generate();
    let b = binding();
    for plaintext in plaintexts(&b) {
        let env = seal::seal(sk.public(), &b, &plaintext).expect("seal");
        let bucket = Envelope::parse(&env).expect("parse").bucket;
        let answer = js
            .ask("open", &open_request(&sk, &b, &env))
            .unwrap_or_else(|e| panic!("hpke-js did not open a {bucket}-byte envelope: {e}"));
        assert_eq!(answer["key_id"], sk.public().id().to_string());
        assert_eq!(answer["bucket"], bucket);
        assert!(
            unb64(&answer["plaintext"]) == plaintext,
            "hpke-js opened a {}-byte plaintext to something else",
            plaintext.len()
        );
    }
}

#[test]
fn hpke_js_refuses_envelopes_moved_damaged_or_for_another_key() {
    let js = hpke_js();
    let sk = SecretKey::generate();
    let b = binding();
    let env = seal::seal(sk.public(), &b, &payload(&b)).expect("seal");
    let moved = [
        Binding {
            survey_id: "ost-hiv-access",
            ..b
        },
        Binding { version: 4, ..b },
        Binding {
            submission_id: [7; 16],
            ..b
        },
    ];
    for m in moved {
        let refused = js
            .ask("open", &open_request(&sk, &m, &env))
            .expect_err("a moved envelope must not open");
        assert!(refused.contains("does not open"), "{m:?}: {refused}");
    }
    let mut damaged = env.clone();
    *damaged.last_mut().expect("bytes") ^= 1;
    let refused = js
        .ask("open", &open_request(&sk, &b, &damaged))
        .expect_err("a damaged envelope must not open");
    assert!(refused.contains("does not open"), "{refused}");
    let other = SecretKey::generate();
    let refused = js
        .ask("open", &open_request(&other, &b, &env))
        .expect_err("another key must not open it");
    assert!(refused.contains("sealed to key"), "{refused}");
    let refused = js
        .ask("open", &open_request(&sk, &b, &env[..env.len() - 1]))
        .expect_err("a cut envelope is refused");
    assert!(refused.contains("not a bucket"), "{refused}");
}

#[test]
fn chorus_opens_what_hpke_js_seals() {
    let js = hpke_js();
    let sk = SecretKey::generate();
    let b = binding();
    for plaintext in [payload(&b), Vec::new(), vec![b'z'; MAX_PLAINTEXT]] {
        let request = with(
            binding_json(&b),
            json!({
                "public_key_bytes": b64(&sk.public().to_bytes()),
                "public_key": sk.public().to_string(),
                "plaintext": b64(&plaintext),
            }),
        );
        let answer = js.ask("seal", &request).expect("hpke-js seals");
        let env = unb64(&answer["envelope"]);
        let parsed = Envelope::parse(&env).expect("Chorus reads hpke-js's envelope");
        assert_eq!(parsed.key_id, sk.public().id());
        assert_eq!(Some(parsed.bucket), seal::bucket_for(plaintext.len()));
        assert!(
            sk.open(&b, &env).expect("Chorus opens hpke-js's envelope") == plaintext,
            "a {}-byte plaintext opened to something else",
            plaintext.len()
        );
        let moved = Binding { version: 4, ..b };
        assert_eq!(sk.open(&moved, &env), Err(OpenError::Decrypt));
    }
}

#[test]
fn hpke_js_computes_the_known_answers_but_derives_keys_as_xwing_draft_06() {
    let js = hpke_js();
    let vectors = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors");
    let xwing_file = vectors.join("xwing-draft-06.json");
    let hpke_file = vectors.join("hpke-pq-xwing-hkdfsha256-chacha20poly1305.json");
    let answer = js
        .run(&[Path::new("kat"), &xwing_file, &hpke_file])
        .expect("hpke-js runs the vectors");

    let xwing = common::vectors("xwing-draft-06.json");
    let computed = answer["xwing"].as_array().expect("xwing answers");
    let expected = xwing["vectors"].as_array().expect("vectors");
    assert_eq!(computed.len(), expected.len());
    for (i, (got, want)) in computed.iter().zip(expected).enumerate() {
        assert_eq!(got["pk"], want["pk"], "X-Wing vector {i}: pk from seed");
        assert_eq!(got["ct"], want["ct"], "X-Wing vector {i}: ct from eseed");
        assert_eq!(
            got["ss"], want["ss"],
            "X-Wing vector {i}: ss of encapsulation"
        );
        assert_eq!(
            got["decap_ss"], want["ss"],
            "X-Wing vector {i}: ss of decapsulation"
        );
    }

    let v = common::vectors("hpke-pq-xwing-hkdfsha256-chacha20poly1305.json")["vector"].clone();
    let h = &answer["hpke"];
    assert_eq!(h["pk_from_sk"], v["pkRm"]);
    assert_eq!(h["enc"], v["enc"]);
    let encryptions = v["encryptions"].as_array().expect("encryptions");
    for (i, e) in encryptions.iter().enumerate() {
        assert_eq!(h["sealed"][i], e["ct"], "encryption {i} sealed");
        assert_eq!(h["opened"][i], e["pt"], "encryption {i} opened");
    }
    for (i, x) in v["exports"].as_array().expect("exports").iter().enumerate() {
        assert_eq!(h["exports"][i], x["exported_value"], "export {i}");
    }

    // The one known difference. hpke-js's DeriveKeyPair is X-Wing
    // draft-06 §5.6, GenerateKeyPairDerand(SHAKE256(ikm, 32)); the hpke
    // crate's, behind `SecretKey::derive`, is draft-ietf-hpke-pq's
    // SHAKE256 LabeledDerive(ikm, "DeriveKeyPair", "", 32), as the vector.
    // Keys travel as their 32-byte seed and 1216-byte public key, on which
    // both agree, so envelopes are unaffected; only a key derived from the
    // same ikm differs. If this fails, hpke-js has changed: update
    // docs/sealing.md ("Deriving keys from ikm").
    assert_eq!(
        h["derive_key_pair_sk"], h["shake256_ikm_32"],
        "hpke-js's DeriveKeyPair is no longer SHAKE256(ikm, 32)"
    );
    assert_ne!(
        h["derive_key_pair_sk"], v["skRm"],
        "hpke-js now derives keys as draft-ietf-hpke-pq does"
    );
    let ours = SecretKey::derive(&common::field(&v, "ikmR"));
    assert_eq!(Value::from(to_hex(&ours.seed())), v["skRm"]);
}
