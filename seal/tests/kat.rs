//! Known answers: the X-Wing KEM's own test vectors
//! (draft-connolly-cfrg-xwing-kem-06, what the x-wing 0.1.1 crate
//! implements) and an HPKE test vector of the PQ draft for exactly
//! Chorus's suite (X-Wing, HKDF-SHA256, ChaCha20-Poly1305, base mode).
//! The vectors and their sources are in `tests/vectors/`.
//!
//! `seal`'s public API has no derandomised encapsulation, so the
//! encapsulation checks call the `hpke` crate (which `seal` uses) with the
//! vectors' randomness. Decapsulation is checked through `seal` itself: an
//! envelope is assembled by hand around a vector's ciphertext, sealed under
//! a key computed from the vector's shared secret by this test's own RFC
//! 9180 key schedule, and `SecretKey::open` must open it.

mod common;

use common::{
    FixedRandomness, binding, envelope_by_hand, field, hex, key_schedule, pad, suite_id, to_hex,
    vectors,
};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::XWing;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use seal::{KeyId, OpenError, PublicKey, SecretKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn xwing_vectors() -> Vec<Value> {
    let file = vectors("xwing-draft-06.json");
    let list = file["vectors"].as_array().expect("vectors").clone();
    assert_eq!(list.len(), 3, "the draft has three vectors");
    list
}

fn hpke_vector() -> Value {
    let file = vectors("hpke-pq-xwing-hkdfsha256-chacha20poly1305.json");
    let v = file["vector"].clone();
    assert_eq!(v["mode"], 0);
    assert_eq!(v["kem_id"], 0x647a);
    assert_eq!(v["kdf_id"], 1);
    assert_eq!(v["aead_id"], 3);
    v
}

fn seed_of(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().expect("a 32-byte seed")
}

#[test]
fn xwing_seeds_give_the_vectors_public_keys_and_key_ids() {
    for (i, v) in xwing_vectors().iter().enumerate() {
        let seed = seed_of(&field(v, "sk"));
        let pk = field(v, "pk");
        let sk = SecretKey::from_seed(&seed);
        assert_eq!(
            to_hex(&sk.public().to_bytes()),
            to_hex(&pk),
            "vector {i}: pk"
        );
        assert_eq!(sk.seed(), seed, "vector {i}: the seed reads back");
        let id = KeyId(Sha256::digest(&pk)[..8].try_into().expect("8 bytes"));
        assert_eq!(
            sk.public().id(),
            id,
            "vector {i}: key id = SHA-256(pk)[..8]"
        );
        let parsed = PublicKey::from_bytes(&pk).expect("the vector's pk is a valid key");
        assert_eq!(parsed, *sk.public());
        assert_eq!(
            PublicKey::parse(&sk.public().to_string()).expect("text"),
            parsed
        );
    }
}

#[test]
fn xwing_derandomised_encapsulation_gives_the_vectors_ciphertexts() {
    for (i, v) in xwing_vectors().iter().enumerate() {
        let pk = <XWing as hpke::Kem>::PublicKey::from_bytes(&field(v, "pk")).expect("pk");
        let (enc, _) = hpke::setup_sender_with_rng::<ChaCha20Poly1305, HkdfSha256, XWing>(
            &OpModeS::Base,
            &pk,
            seal::INFO,
            &mut FixedRandomness(field(v, "eseed")),
        )
        .expect("encapsulation");
        assert_eq!(
            to_hex(&enc.to_bytes()),
            to_hex(&field(v, "ct")),
            "vector {i}: ct"
        );
    }
}

#[test]
fn chorus_decapsulates_the_vectors_ciphertexts_to_their_shared_secrets() {
    let b = binding();
    for (i, v) in xwing_vectors().iter().enumerate() {
        let sk = SecretKey::from_seed(&seed_of(&field(v, "sk")));
        let plaintext = format!("vector {i}: opened with the vector's shared secret");
        let padded = pad(plaintext.as_bytes(), 1024);
        let env = envelope_by_hand(
            sk.public().id(),
            &field(v, "ct"),
            &field(v, "ss"),
            &b,
            &padded,
        );
        assert_eq!(
            sk.open(&b, &env).expect("opens"),
            plaintext.as_bytes(),
            "vector {i}"
        );
        // A shared secret one bit off gives an envelope that does not open.
        let mut ss = field(v, "ss");
        ss[0] ^= 1;
        let wrong = envelope_by_hand(sk.public().id(), &field(v, "ct"), &ss, &b, &padded);
        assert_eq!(sk.open(&b, &wrong), Err(OpenError::Decrypt), "vector {i}");
    }
}

#[test]
fn this_tests_key_schedule_agrees_with_the_hpke_vector() {
    // The decapsulation test above stands on this file's own key schedule;
    // here it is checked against the vector's key, nonce and exporter secret.
    let v = hpke_vector();
    assert_eq!(
        to_hex(&suite_id()),
        v["suite_id"].as_str().expect("suite_id")
    );
    let schedule = key_schedule(&field(&v, "shared_secret"), &field(&v, "info"));
    assert_eq!(to_hex(&schedule.key), v["key"].as_str().expect("key"));
    assert_eq!(
        to_hex(&schedule.base_nonce),
        v["base_nonce"].as_str().expect("base_nonce")
    );
    assert_eq!(
        to_hex(&schedule.exporter_secret),
        v["exporter_secret"].as_str().expect("exporter_secret")
    );
    let first = &v["encryptions"][0];
    assert_eq!(
        to_hex(&common::seal_first(
            &schedule,
            &field(first, "aad"),
            &field(first, "pt")
        )),
        first["ct"].as_str().expect("ct")
    );
}

#[test]
fn hpke_vector_keys_derive_and_expand_as_chorus_does() {
    let v = hpke_vector();
    let pk = field(&v, "pkRm");
    // DeriveKeyPair of draft-ietf-hpke-pq (SHAKE256 LabeledDerive), which
    // the hpke crate implements and `SecretKey::derive` exposes.
    let derived = SecretKey::derive(&field(&v, "ikmR"));
    assert_eq!(to_hex(&derived.seed()), to_hex(&field(&v, "skRm")));
    assert_eq!(to_hex(&derived.public().to_bytes()), to_hex(&pk));
    let from_seed = SecretKey::from_seed(&seed_of(&field(&v, "skRm")));
    assert_eq!(to_hex(&from_seed.public().to_bytes()), to_hex(&pk));
}

#[test]
fn hpke_vector_encapsulates_seals_opens_and_exports() {
    let v = hpke_vector();
    let info = field(&v, "info");
    let pk = <XWing as hpke::Kem>::PublicKey::from_bytes(&field(&v, "pkRm")).expect("pk");
    let (enc, mut sender) = hpke::setup_sender_with_rng::<ChaCha20Poly1305, HkdfSha256, XWing>(
        &OpModeS::Base,
        &pk,
        &info,
        &mut FixedRandomness(field(&v, "ikmE")),
    )
    .expect("encapsulation");
    assert_eq!(to_hex(&enc.to_bytes()), to_hex(&field(&v, "enc")));

    let sk = <XWing as hpke::Kem>::PrivateKey::from_bytes(&field(&v, "skRm")).expect("sk");
    let enc = <XWing as hpke::Kem>::EncappedKey::from_bytes(&field(&v, "enc")).expect("enc");
    let mut receiver = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, XWing>(
        &OpModeR::Base,
        &sk,
        &enc,
        &info,
    )
    .expect("decapsulation");
    let encryptions = v["encryptions"].as_array().expect("encryptions");
    assert_eq!(encryptions.len(), 10);
    for (i, e) in encryptions.iter().enumerate() {
        let (aad, pt, ct) = (field(e, "aad"), field(e, "pt"), field(e, "ct"));
        let sealed = sender.seal(&pt, &aad).expect("seal");
        assert_eq!(to_hex(&sealed), to_hex(&ct), "encryption {i}");
        assert_eq!(
            receiver.open(&ct, &aad).expect("open"),
            pt,
            "encryption {i}"
        );
    }
    for (i, x) in v["exports"].as_array().expect("exports").iter().enumerate() {
        let len = x["L"].as_u64().expect("L") as usize;
        let mut out = vec![0; len];
        receiver
            .export(&field(x, "exporter_context"), &mut out)
            .expect("export");
        assert_eq!(
            to_hex(&out),
            x["exported_value"].as_str().expect("value"),
            "export {i}"
        );
    }
}

#[test]
fn chorus_opens_an_envelope_around_the_hpke_vectors_encapsulation() {
    let v = hpke_vector();
    let sk = SecretKey::from_seed(&seed_of(&field(&v, "skRm")));
    let b = binding();
    let env = envelope_by_hand(
        sk.public().id(),
        &field(&v, "enc"),
        &field(&v, "shared_secret"),
        &b,
        &pad(b"{}", 2048),
    );
    assert_eq!(seal::Envelope::parse(&env).expect("parse").bucket, 2048);
    assert_eq!(sk.open(&b, &env).expect("opens"), b"{}");
}

#[test]
fn the_vectors_are_what_the_data_files_say() {
    // Guard against a damaged data file: sizes as the draft fixes them.
    for v in xwing_vectors() {
        assert_eq!(field(&v, "seed"), field(&v, "sk"));
        assert_eq!(field(&v, "pk").len(), seal::PUBLIC_KEY_LEN);
        assert_eq!(field(&v, "ct").len(), seal::ENCAPPED_LEN);
        assert_eq!(field(&v, "eseed").len(), 64);
        assert_eq!(field(&v, "ss").len(), 32);
    }
    let v = hpke_vector();
    assert_eq!(field(&v, "ikmE").len(), 64);
    assert_eq!(field(&v, "enc").len(), seal::ENCAPPED_LEN);
    assert_eq!(hex("00ff"), [0, 255]);
}

#[test]
fn the_worked_examples_of_docs_sealing_md_hold() {
    let v = &xwing_vectors()[0];
    let key = PublicKey::from_bytes(&field(v, "pk")).expect("pk");
    assert_eq!(key.id().to_string(), "2e816deebcd76c5c");
    assert_eq!(key.id().fingerprint(), "2e81-6dee-bcd7-6c5c");
    assert_eq!(key.to_string().len(), 11 + 1622);
    assert_eq!(
        to_hex(&binding().aad(key.id())),
        concat!(
            "63686f7275732d656e76656c6f70652d7631",
            "00",
            "7269676874732d76696f6c6174696f6e2d7265706f7274",
            "00",
            "00000003",
            "7f9c24e83b124fdda0f12c6a8b5d9e10",
            "2e816deebcd76c5c",
        )
    );
    assert_eq!(to_hex(seal::INFO), "63686f7275732d656e76656c6f70652d7631");
    assert_eq!(seal::HEADER_LEN, 1132);
    assert_eq!(seal::HEADER_LEN + seal::BUCKETS[0] + seal::TAG_LEN, 2172);
    assert_eq!(seal::MAX_ENVELOPE, 66684);
    assert_eq!(seal::MAX_PLAINTEXT, 65532);
}
