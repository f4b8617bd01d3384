//! What the known-answer, fuzz and interoperability tests share: hex, a
//! small RFC 9180 key schedule of their own (HKDF-SHA256 written out over
//! SHA-256, so that it does not merely repeat the `hpke` crate's), and
//! envelopes built by hand from a shared secret.
//!
//! Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::convert::Infallible;
use std::path::PathBuf;

use hpke::aead::ChaCha20Poly1305;
use hpke::danger::streaming_enc::{AeadKey, AeadNonce, ExporterSecret, create_sender_context};
use hpke::kdf::HkdfSha256;
use hpke::kem::XWing;
use hpke::rand_core::{TryCryptoRng, TryRng};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The suite's ids: KEM X-Wing, KDF HKDF-SHA256, AEAD ChaCha20-Poly1305.
pub const KEM_ID: u16 = 0x647a;
pub const KDF_ID: u16 = 0x0001;
pub const AEAD_ID: u16 = 0x0003;

pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex: {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A field of a vector, as bytes.
pub fn field(vector: &Value, name: &str) -> Vec<u8> {
    hex(vector[name]
        .as_str()
        .unwrap_or_else(|| panic!("vector field `{name}` is missing")))
}

/// Reads a JSON file under `seal/tests/vectors/`.
pub fn vectors(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    let mut out = [0; 32];
    out.copy_from_slice(&outer.finalize());
    out
}

/// `suite_id` of RFC 9180 §5.1: `HPKE` ‖ kem ‖ kdf ‖ aead, each u16 BE.
pub fn suite_id() -> Vec<u8> {
    let mut id = b"HPKE".to_vec();
    for n in [KEM_ID, KDF_ID, AEAD_ID] {
        id.extend_from_slice(&n.to_be_bytes());
    }
    id
}

fn labeled_extract(salt: &[u8], label: &[u8], ikm: &[u8]) -> [u8; 32] {
    hmac_sha256(salt, &[b"HPKE-v1", &suite_id(), label, ikm])
}

fn labeled_expand(prk: &[u8], label: &[u8], info: &[u8], len: usize) -> Vec<u8> {
    let length = u16::try_from(len).expect("short output").to_be_bytes();
    let mut out = Vec::with_capacity(len + 32);
    let mut block: Vec<u8> = Vec::new();
    let mut counter = 1u8;
    while out.len() < len {
        block = hmac_sha256(
            prk,
            &[
                &block,
                &length,
                b"HPKE-v1",
                &suite_id(),
                label,
                info,
                &[counter],
            ],
        )
        .to_vec();
        out.extend_from_slice(&block);
        counter += 1;
    }
    out.truncate(len);
    out
}

/// The AEAD key, base nonce and exporter secret of RFC 9180 §5.1 for base
/// mode (no PSK).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub key: Vec<u8>,
    pub base_nonce: Vec<u8>,
    pub exporter_secret: Vec<u8>,
}

pub fn key_schedule(shared_secret: &[u8], info: &[u8]) -> Schedule {
    let psk_id_hash = labeled_extract(b"", b"psk_id_hash", b"");
    let info_hash = labeled_extract(b"", b"info_hash", info);
    let mut context = vec![0u8]; // mode_base
    context.extend_from_slice(&psk_id_hash);
    context.extend_from_slice(&info_hash);
    let secret = labeled_extract(shared_secret, b"secret", b"");
    Schedule {
        key: labeled_expand(&secret, b"key", &context, 32),
        base_nonce: labeled_expand(&secret, b"base_nonce", &context, 12),
        exporter_secret: labeled_expand(&secret, b"exp", &context, 32),
    }
}

/// `len` as u32 BE, the bytes, zeros up to `bucket`.
pub fn pad(plaintext: &[u8], bucket: usize) -> Vec<u8> {
    let mut padded = (plaintext.len() as u32).to_be_bytes().to_vec();
    padded.extend_from_slice(plaintext);
    assert!(
        padded.len() <= bucket,
        "{} bytes do not fit {bucket}",
        padded.len()
    );
    padded.resize(bucket, 0);
    padded
}

/// The first message of an HPKE context with `schedule`: ChaCha20-Poly1305
/// under the key and base nonce (sequence number 0).
pub fn seal_first(schedule: &Schedule, aad: &[u8], message: &[u8]) -> Vec<u8> {
    let mut key = AeadKey::<ChaCha20Poly1305>::default();
    key.0.copy_from_slice(&schedule.key);
    let mut nonce = AeadNonce::<ChaCha20Poly1305>::default();
    nonce.0.copy_from_slice(&schedule.base_nonce);
    let mut exporter = ExporterSecret::<HkdfSha256>::default();
    exporter.0.copy_from_slice(&schedule.exporter_secret);
    let mut ctx =
        create_sender_context::<ChaCha20Poly1305, HkdfSha256, XWing>(&key, nonce, exporter);
    ctx.seal(message, aad).expect("ChaCha20-Poly1305 seals")
}

/// An envelope put together by hand: `CHE1` ‖ key id ‖ `enc` ‖ the padded
/// plaintext sealed under the schedule of `shared_secret` and Chorus's info,
/// with `binding`'s associated data.
pub fn envelope_by_hand(
    key_id: seal::KeyId,
    enc: &[u8],
    shared_secret: &[u8],
    binding: &seal::Binding<'_>,
    padded: &[u8],
) -> Vec<u8> {
    let schedule = key_schedule(shared_secret, seal::INFO);
    let mut env = seal::MAGIC.to_vec();
    env.extend_from_slice(&key_id.0);
    env.extend_from_slice(enc);
    env.extend_from_slice(&seal_first(&schedule, &binding.aad(key_id), padded));
    env
}

/// An envelope of the right shape whose ciphertext holds `padded` as it is
/// (any length prefix, any tail), sealed with `hpke` to `key`: how the
/// fuzz test reaches the padding check behind a valid tag.
pub fn envelope_of_padded(
    key: &seal::PublicKey,
    binding: &seal::Binding<'_>,
    padded: &[u8],
) -> Vec<u8> {
    use hpke::{Deserializable, OpModeS, Serializable};
    let pk = <XWing as hpke::Kem>::PublicKey::from_bytes(&key.to_bytes()).expect("public key");
    let (enc, mut ctx) =
        hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, XWing>(&OpModeS::Base, &pk, seal::INFO)
            .expect("setup_sender");
    let mut env = seal::MAGIC.to_vec();
    env.extend_from_slice(&key.id().0);
    env.extend_from_slice(&enc.to_bytes());
    env.extend_from_slice(&ctx.seal(padded, &binding.aad(key.id())).expect("seal"));
    env
}

/// Gives out fixed bytes, in order, as its randomness: for X-Wing's
/// derandomised encapsulation (`eseed`, `ikmE`). Panics when they run out.
#[derive(Debug)]
pub struct FixedRandomness(pub Vec<u8>);

impl TryRng for FixedRandomness {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert!(
            dst.len() <= self.0.len(),
            "asked for {} random bytes, {} left",
            dst.len(),
            self.0.len()
        );
        dst.copy_from_slice(&self.0[..dst.len()]);
        self.0.drain(..dst.len());
        Ok(())
    }
}

impl TryCryptoRng for FixedRandomness {}

/// The binding most tests seal for.
pub fn binding() -> seal::Binding<'static> {
    seal::Binding {
        survey_id: "rights-violation-report",
        version: 3,
        submission_id: seal::uuid_bytes("7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10").expect("uuid"),
    }
}
