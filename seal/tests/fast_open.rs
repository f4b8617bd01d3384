//! `SecretKey::open` expands the private key once (`src/fast.rs`) instead
//! of going through `hpke::setup_receiver`, which expands the X-Wing seed
//! again for every envelope. These tests hold the two paths to the same
//! answers: `open_with_hpke` keeps the `hpke` crate's receiver, and for
//! random keys, plaintexts of every bucket and random bindings both must
//! return the plaintext `seal::seal` sealed; every damaged envelope, moved
//! binding, foreign key or malformed padding must fail on both with the
//! same error.

use proptest::prelude::*;
use proptest::test_runner::Config;
use seal::{
    BUCKETS, Binding, ENCAPPED_LEN, EnvelopeError, HEADER_LEN, KEY_ID_LEN, KeyId, MAGIC,
    MAX_PLAINTEXT, OpenError, PUBLIC_KEY_LEN, SecretKey, TAG_LEN,
};

/// Where the parts of an envelope start.
const KEY_ID_AT: usize = MAGIC.len();
const ENC_AT: usize = KEY_ID_AT + KEY_ID_LEN;
/// X-Wing's `enc` is the ML-KEM-768 ciphertext, then the X25519 share.
const CT_X_AT: usize = ENC_AT + 1088;
const BODY_AT: usize = HEADER_LEN;

/// Opens with both paths, requires the same answer and returns it.
fn open_both(sk: &SecretKey, b: &Binding<'_>, env: &[u8]) -> Result<Vec<u8>, OpenError> {
    let fast = sk.open(b, env);
    let hpke = sk.open_with_hpke(b, env);
    assert_eq!(
        fast, hpke,
        "the expanded-key path and the hpke path disagree"
    );
    fast
}

/// `n` bytes from a small generator: proptest need not draw (and shrink)
/// 64 KiB values byte by byte.
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A plaintext length: a bucket's edges (empty, fullest, one past the
/// previous bucket) or anywhere inside one.
fn plaintext_len() -> impl Strategy<Value = usize> {
    (0..BUCKETS.len(), any::<u32>(), 0u8..4).prop_map(|(i, r, edge)| {
        let hi = BUCKETS[i] - 4;
        let lo = if i == 0 { 0 } else { BUCKETS[i - 1] - 4 + 1 };
        match edge {
            0 => lo,
            1 => hi,
            _ => lo + (r as usize) % (hi - lo + 1),
        }
    })
}

fn survey_id() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{0,32}"
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn bucket_of(len: usize) -> usize {
    seal::bucket_for(len).expect("fits")
}

proptest! {
    #![proptest_config(config(48))]

    /// Random keys, plaintexts and bindings: both paths open what `seal`
    /// sealed, and nothing else under a changed binding.
    #[test]
    fn both_paths_open_what_seal_sealed(
        seed in any::<[u8; 32]>(),
        len in plaintext_len(),
        fill in any::<u64>(),
        survey in survey_id(),
        version in any::<u32>(),
        submission in any::<[u8; 16]>(),
    ) {
        let sk = SecretKey::from_seed(&seed);
        let plaintext = bytes(fill, len);
        let b = Binding { survey_id: &survey, version, submission_id: submission };
        let env = seal::seal(sk.public(), &b, &plaintext).expect("seals");
        prop_assert_eq!(env.len(), HEADER_LEN + bucket_of(len) + TAG_LEN);
        prop_assert_eq!(open_both(&sk, &b, &env), Ok(plaintext.clone()));

        // The same key made again from its seed opens it too.
        let again = SecretKey::from_seed(&sk.seed());
        prop_assert_eq!(open_both(&again, &b, &env), Ok(plaintext));
    }

    /// One bit flipped anywhere: the magic gives `Magic`, the key id
    /// `OtherKey` (of the flipped id), everything after it `Decrypt` — on
    /// both paths.
    #[test]
    fn every_single_bit_flip_fails_the_same_way(
        seed in any::<[u8; 32]>(),
        len in 0usize..3000,
        // Which part, then where in it: the header's parts are small, so
        // they are drawn as often as the long ciphertext.
        part in 0u8..6,
        at in any::<u32>(),
        bit in 0u8..8,
    ) {
        let sk = SecretKey::from_seed(&seed);
        let b = Binding { survey_id: "s", version: 1, submission_id: [7; 16] };
        let mut env = seal::seal(sk.public(), &b, &bytes(seed[0].into(), len)).expect("seals");
        let (start, end) = match part {
            0 => (0, KEY_ID_AT),
            1 => (KEY_ID_AT, ENC_AT),
            2 => (ENC_AT, CT_X_AT),
            3 => (CT_X_AT, BODY_AT),
            4 => (BODY_AT, env.len() - TAG_LEN),
            _ => (env.len() - TAG_LEN, env.len()),
        };
        let pos = start + at as usize % (end - start);
        env[pos] ^= 1 << bit;
        let got = open_both(&sk, &b, &env);
        prop_assert_eq!(got, Err(expected_flip_error(&env, pos)));
    }

    /// Any other survey id, version or submission id: `Decrypt` on both.
    #[test]
    fn a_changed_binding_fails_on_both_paths(
        seed in any::<[u8; 32]>(),
        survey in survey_id(),
        version in any::<u32>(),
        submission in any::<[u8; 16]>(),
        which in 0u8..3,
        other_survey in survey_id(),
        delta in 1u32..=u32::MAX,
        bit in 0usize..128,
    ) {
        let sk = SecretKey::from_seed(&seed);
        let b = Binding { survey_id: &survey, version, submission_id: submission };
        let env = seal::seal(sk.public(), &b, b"answers").expect("seals");
        let mut moved = b;
        let mut moved_submission = submission;
        match which {
            0 => {
                prop_assume!(other_survey != survey);
                moved.survey_id = &other_survey;
            }
            1 => moved.version = version ^ delta,
            _ => {
                moved_submission[bit / 8] ^= 1 << (bit % 8);
                moved.submission_id = moved_submission;
            }
        }
        prop_assert_eq!(open_both(&sk, &moved, &env), Err(OpenError::Decrypt));
        prop_assert_eq!(open_both(&sk, &b, &env), Ok(b"answers".to_vec()));
    }

    /// Cut short, lengthened, or overwritten: both paths give the same
    /// answer, whatever it is.
    #[test]
    fn any_edit_gets_the_same_answer_from_both(
        seed in any::<[u8; 32]>(),
        len in 0usize..2100,
        edit in 0u8..4,
        at in any::<u32>(),
        n in 0usize..40,
        fill in any::<u64>(),
    ) {
        let sk = SecretKey::from_seed(&seed);
        let b = Binding { survey_id: "s", version: 2, submission_id: [1; 16] };
        let mut env = seal::seal(sk.public(), &b, &bytes(fill, len)).expect("seals");
        let pos = at as usize % (env.len() + 1);
        match edit {
            0 => env.truncate(pos),
            1 => env.extend_from_slice(&bytes(fill ^ 1, n)),
            2 => {
                let end = (pos + n).min(env.len());
                env[pos..end].copy_from_slice(&bytes(fill ^ 2, end - pos));
            }
            _ => {
                let tail = bytes(fill ^ 3, n);
                env.splice(pos..pos, tail);
            }
        }
        let _ = open_both(&sk, &b, &env);
    }
}

/// What a flipped bit at `pos` must give.
fn expected_flip_error(flipped: &[u8], pos: usize) -> OpenError {
    if pos < KEY_ID_AT {
        OpenError::Envelope(EnvelopeError::Magic)
    } else if pos < ENC_AT {
        let mut id = [0; KEY_ID_LEN];
        id.copy_from_slice(&flipped[KEY_ID_AT..ENC_AT]);
        OpenError::OtherKey(KeyId(id))
    } else {
        OpenError::Decrypt
    }
}

/// Not sampled but every bit: the magic, the key id, the X25519 share
/// (whose top bit X25519 itself ignores, but the X-Wing combiner hashes)
/// and the tag; one bit of every byte of the ML-KEM ciphertext (implicit
/// rejection); every 61st byte of the padded plaintext.
#[test]
fn exhaustive_flips_over_one_envelope() {
    let sk = SecretKey::derive(b"fast open flips");
    let b = Binding {
        survey_id: "flips",
        version: 3,
        submission_id: [0xab; 16],
    };
    let env = seal::seal(sk.public(), &b, b"the answers").expect("seals");
    let mut positions: Vec<(usize, u8)> = Vec::new();
    for pos in (0..ENC_AT)
        .chain(CT_X_AT..BODY_AT)
        .chain(env.len() - TAG_LEN..env.len())
    {
        positions.extend((0..8).map(|bit| (pos, bit)));
    }
    for pos in ENC_AT..CT_X_AT {
        positions.push((pos, (pos % 8) as u8));
    }
    for pos in (BODY_AT..env.len() - TAG_LEN).step_by(61) {
        positions.push((pos, (pos % 8) as u8));
    }
    for &(pos, bit) in &positions {
        let mut bad = env.clone();
        bad[pos] ^= 1 << bit;
        assert_eq!(
            open_both(&sk, &b, &bad),
            Err(expected_flip_error(&bad, pos)),
            "bit {bit} of byte {pos}"
        );
    }
    assert!(positions.len() > 1500, "{} flips", positions.len());
    assert_eq!(open_both(&sk, &b, &env), Ok(b"the answers".to_vec()));
}

/// Every plaintext length at each bucket's edges, on keys made all three
/// ways (`generate`, `derive`, `from_seed`) and on a clone.
#[test]
fn bucket_edges_on_every_kind_of_key() {
    let mut keys = vec![
        SecretKey::generate(),
        SecretKey::derive(b"fast open edges"),
        SecretKey::from_seed(&[0x5a; 32]),
        SecretKey::from_seed(&[0; 32]),
    ];
    keys.push(keys[0].clone());
    let b = Binding {
        survey_id: "edges",
        version: u32::MAX,
        submission_id: [0; 16],
    };
    for sk in &keys {
        for (i, &bucket) in BUCKETS.iter().enumerate() {
            let lo = if i == 0 { 0 } else { BUCKETS[i - 1] - 4 + 1 };
            for len in [lo, lo + 1, bucket - 5, bucket - 4] {
                let plaintext = bytes(len as u64, len);
                let env = seal::seal(sk.public(), &b, &plaintext).expect("seals");
                assert_eq!(env.len(), HEADER_LEN + bucket + TAG_LEN, "{len}");
                assert_eq!(open_both(sk, &b, &env), Ok(plaintext), "{len}");
            }
        }
    }
    let too_long = vec![0; MAX_PLAINTEXT + 1];
    assert!(seal::seal(keys[0].public(), &b, &too_long).is_err());
}

/// An envelope for another key gives `OtherKey` with that key's id; the
/// envelope checks come first, in the same order on both paths.
#[test]
fn other_keys_and_malformed_envelopes_fail_alike() {
    let sk = SecretKey::derive(b"mine");
    let other = SecretKey::derive(b"theirs");
    let b = Binding {
        survey_id: "s",
        version: 1,
        submission_id: [2; 16],
    };
    let env = seal::seal(other.public(), &b, b"x").expect("seals");
    assert_eq!(
        open_both(&sk, &b, &env),
        Err(OpenError::OtherKey(other.public().id()))
    );
    assert_eq!(open_both(&other, &b, &env), Ok(b"x".to_vec()));

    let env = seal::seal(sk.public(), &b, b"x").expect("seals");
    let cases: Vec<(Vec<u8>, OpenError)> = vec![
        (Vec::new(), EnvelopeError::Truncated(0).into()),
        (b"CHE".to_vec(), EnvelopeError::Truncated(3).into()),
        (b"XHE1".to_vec(), EnvelopeError::Magic.into()),
        (
            env[..HEADER_LEN + TAG_LEN - 1].to_vec(),
            EnvelopeError::Truncated(HEADER_LEN + TAG_LEN - 1).into(),
        ),
        (
            env[..env.len() - 1].to_vec(),
            EnvelopeError::Bucket(BUCKETS[0] + TAG_LEN - 1).into(),
        ),
        (
            [&env[..], &[0]].concat(),
            EnvelopeError::Bucket(BUCKETS[0] + TAG_LEN + 1).into(),
        ),
        (
            [&env[..], &vec![0; seal::MAX_ENVELOPE]].concat(),
            EnvelopeError::TooLarge(env.len() + seal::MAX_ENVELOPE).into(),
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(
            open_both(&sk, &b, &bytes),
            Err(expected),
            "{} bytes",
            bytes.len()
        );
    }
}

/// Behind a valid tag, a padded plaintext with a bad length prefix or a
/// non-zero tail gives `Padding` on both paths (sealed with `hpke`
/// directly, since `seal::seal` always pads correctly).
#[test]
fn malformed_padding_fails_alike() {
    use hpke::aead::ChaCha20Poly1305;
    use hpke::kdf::HkdfSha256;
    use hpke::kem::XWing;
    use hpke::{Deserializable, OpModeS, Serializable};

    let sk = SecretKey::derive(b"padding");
    let b = Binding {
        survey_id: "pad",
        version: 9,
        submission_id: [3; 16],
    };
    let pk = <XWing as hpke::Kem>::PublicKey::from_bytes(&sk.public().to_bytes()).expect("pk");
    let by_hand = |padded: &[u8]| {
        let (enc, mut ctx) = hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, XWing>(
            &OpModeS::Base,
            &pk,
            seal::INFO,
        )
        .expect("setup");
        let mut env = MAGIC.to_vec();
        env.extend_from_slice(&sk.public().id().0);
        env.extend_from_slice(&enc.to_bytes());
        env.extend_from_slice(&ctx.seal(padded, &b.aad(sk.public().id())).expect("seal"));
        env
    };
    let bucket = BUCKETS[0];
    let mut good = vec![0; bucket];
    good[..4].copy_from_slice(&5u32.to_be_bytes());
    good[4..9].copy_from_slice(b"hello");
    assert_eq!(open_both(&sk, &b, &by_hand(&good)), Ok(b"hello".to_vec()));

    let mut long = good.clone();
    long[..4].copy_from_slice(&(bucket as u32 - 3).to_be_bytes());
    let mut huge = good.clone();
    huge[..4].copy_from_slice(&u32::MAX.to_be_bytes());
    let mut tail = good.clone();
    tail[bucket - 1] = 1;
    for padded in [long, huge, tail] {
        assert_eq!(
            open_both(&sk, &b, &by_hand(&padded)),
            Err(OpenError::Padding)
        );
    }
}

/// X-Wing as `x-wing` 0.1.1 implements it accepts an X25519 share that
/// gives the all-zero shared secret (a low-order point); so must the
/// expanded-key path. The envelope is built by hand: ML-KEM-768
/// encapsulation to the key's `pk_M`, `ss_X` = 0, the combiner and RFC 9180
/// key schedule written out here.
#[test]
fn low_order_x25519_shares_open_on_both_paths() {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use sha3::{Digest, Sha3_256};

    let sk = SecretKey::derive(b"low order");
    let pk = sk.public().to_bytes();
    assert_eq!(pk.len(), PUBLIC_KEY_LEN);
    let pk_m =
        ml_kem::ml_kem_768::EncapsulationKey::new(&pk[..1184].try_into().expect("1184 bytes"))
            .expect("valid pk_M");
    let pk_x = &pk[1184..];
    let b = Binding {
        survey_id: "low",
        version: 1,
        submission_id: [4; 16],
    };

    // u = 0, u = 1, and u = 0 with the (ignored) top bit set.
    let mut top_bit = [0u8; 32];
    top_bit[31] = 0x80;
    let mut one = [0u8; 32];
    one[0] = 1;
    for (i, ct_x) in [[0u8; 32], one, top_bit].into_iter().enumerate() {
        let m = ml_kem::B32::from([i as u8 + 1; 32]);
        let (ct_m, ss_m) = pk_m.encapsulate_deterministic(&m);
        let mut hasher = Sha3_256::new();
        hasher.update(ss_m);
        hasher.update([0u8; 32]);
        hasher.update(ct_x);
        hasher.update(pk_x);
        hasher.update(br"\.//^\");
        let ss = hasher.finalize();

        let (key, nonce) = key_schedule(&ss);
        let mut padded = vec![0; BUCKETS[0]];
        padded[..4].copy_from_slice(&2u32.to_be_bytes());
        padded[4..6].copy_from_slice(b"ok");
        let aad = b.aad(sk.public().id());
        let sealed = chacha20poly1305::ChaCha20Poly1305::new(&key.into())
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: &padded,
                    aad: &aad,
                },
            )
            .expect("seals");
        let mut env = MAGIC.to_vec();
        env.extend_from_slice(&sk.public().id().0);
        env.extend_from_slice(&ct_m);
        env.extend_from_slice(&ct_x);
        assert_eq!(env.len(), HEADER_LEN);
        assert_eq!(ENCAPPED_LEN, ct_m.len() + 32);
        env.extend_from_slice(&sealed);
        assert_eq!(open_both(&sk, &b, &env), Ok(b"ok".to_vec()), "share {i}");
    }
}

/// RFC 9180 §5.1 for base mode, `info` = Chorus's, with the `hkdf` crate's
/// extract and expand: `(key, base_nonce)`.
fn key_schedule(shared_secret: &[u8]) -> ([u8; 32], [u8; 12]) {
    use hkdf::Hkdf;
    use sha2::Sha256;
    let mut suite = b"HPKE".to_vec();
    for id in [0x647a_u16, 0x0001, 0x0003] {
        suite.extend_from_slice(&id.to_be_bytes());
    }
    let extract = |salt: &[u8], label: &[u8], ikm: &[u8]| {
        let labeled = [b"HPKE-v1".as_slice(), &suite, label, ikm].concat();
        Hkdf::<Sha256>::extract(Some(salt), &labeled)
    };
    let mut context = vec![0u8];
    context.extend_from_slice(&extract(b"", b"psk_id_hash", b"").0);
    context.extend_from_slice(&extract(b"", b"info_hash", seal::INFO).0);
    let (_, secret) = extract(shared_secret, b"secret", b"");
    let expand = |label: &[u8], out: &mut [u8]| {
        let len = (out.len() as u16).to_be_bytes();
        let info = [&len[..], b"HPKE-v1", &suite, label, &context].concat();
        secret.expand(&info, out).expect("short output");
    };
    let mut key = [0; 32];
    let mut nonce = [0; 12];
    expand(b"key", &mut key);
    expand(b"base_nonce", &mut nonce);
    (key, nonce)
}

/// On native targets the expanded-key path decapsulates ML-KEM-768 with
/// `libcrux-ml-kem` instead of `ml-kem` (which the `hpke` path uses through
/// `x-wing`). These tests rebuild that path here from the seed, with
/// libcrux directly, and hold it to `hpke`'s X-Wing shared secret and to
/// both `open`s.
#[cfg(not(target_arch = "wasm32"))]
mod libcrux {
    use super::*;
    use hpke::kem::XWing;
    use hpke::{Deserializable, Kem as _};
    use libcrux_ml_kem::mlkem768;
    use sha3::{Digest, Sha3_256};
    use x25519_dalek::{PublicKey as X25519Public, StaticSecret};

    /// `x-wing` 0.1.1's `expand_key`: SHAKE256(seed) → ML-KEM-768's
    /// `d ‖ z` (64 bytes), then the X25519 secret (32).
    fn expand(seed: &[u8; 32]) -> ([u8; 64], [u8; 32]) {
        use shake::{ExtendableOutput, Shake256, Update, XofReader};
        let mut shake = Shake256::default();
        shake.update(seed);
        let mut reader = shake.finalize_xof();
        let mut d_z = [0u8; 64];
        let mut sk_x = [0u8; 32];
        reader.read(&mut d_z);
        reader.read(&mut sk_x);
        (d_z, sk_x)
    }

    /// X-Wing decapsulation with libcrux's ML-KEM-768 from `d ‖ z`.
    fn xwing_decap(seed: &[u8; 32], encapped: &[u8]) -> [u8; 32] {
        let (d_z, sk_x) = expand(seed);
        let key_pair = mlkem768::generate_key_pair(d_z);
        let ct_m = mlkem768::MlKem768Ciphertext::try_from(&encapped[..1088]).expect("1088");
        let ss_m = mlkem768::decapsulate(key_pair.private_key(), &ct_m);
        let sk_x = StaticSecret::from(sk_x);
        let ct_x: [u8; 32] = encapped[1088..].try_into().expect("32 bytes");
        let ss_x = sk_x.diffie_hellman(&X25519Public::from(ct_x));
        let mut hasher = Sha3_256::new();
        hasher.update(ss_m);
        hasher.update(ss_x.as_bytes());
        hasher.update(ct_x);
        hasher.update(X25519Public::from(&sk_x).as_bytes());
        hasher.update(br"\.//^\");
        hasher.finalize().into()
    }

    /// libcrux's key generation from `d ‖ z` gives the public key the
    /// `hpke` crate gives for the seed, for many seeds; the other order,
    /// `z ‖ d`, gives another.
    #[test]
    fn libcrux_public_keys_equal_the_hpke_crates() {
        for i in 0u64..256 {
            let seed: [u8; 32] = bytes(i, 32).try_into().expect("32 bytes");
            let sk = SecretKey::from_seed(&seed);
            let pk = sk.public().to_bytes();
            let (d_z, sk_x) = expand(&seed);
            let ours = mlkem768::generate_key_pair(d_z);
            assert_eq!(&ours.pk()[..], &pk[..1184], "pk_M, seed {i}");
            let pk_x = X25519Public::from(&StaticSecret::from(sk_x));
            assert_eq!(pk_x.as_bytes(), &pk[1184..], "pk_X, seed {i}");

            let mut z_d = [0u8; 64];
            z_d[..32].copy_from_slice(&d_z[32..]);
            z_d[32..].copy_from_slice(&d_z[..32]);
            let swapped = mlkem768::generate_key_pair(z_d);
            assert_ne!(&swapped.pk()[..], &pk[..1184], "seed {i}");
        }
    }

    proptest! {
        #![proptest_config(config(32))]

        /// For random keys and envelopes `seal` made, and for their
        /// encapsulated keys damaged: libcrux's X-Wing shared secret is
        /// `hpke`'s; it opens the envelope through the RFC 9180 key
        /// schedule to the padded plaintext; and both `open`s return the
        /// plaintext.
        #[test]
        fn libcrux_shared_secret_and_plaintext_equal_the_hpke_paths(
            seed in any::<[u8; 32]>(),
            len in plaintext_len(),
            fill in any::<u64>(),
            at in 0usize..ENCAPPED_LEN,
            bit in 0u8..8,
        ) {
            use chacha20poly1305::aead::{Aead, KeyInit, Payload};

            let sk = SecretKey::from_seed(&seed);
            let hpke_sk = <XWing as hpke::Kem>::PrivateKey::from_bytes(&seed).expect("any 32");
            let b = Binding { survey_id: "libcrux", version: 7, submission_id: [9; 16] };
            let plaintext = bytes(fill, len);
            let env = seal::seal(sk.public(), &b, &plaintext).expect("seals");
            let encapped = &env[ENC_AT..BODY_AT];
            let hpke_decap = |enc: &[u8]| {
                let enc = <XWing as hpke::Kem>::EncappedKey::from_bytes(enc).expect("1120");
                XWing::decap(&hpke_sk, None, &enc).expect("decapsulates").0
            };

            let ss = xwing_decap(&seed, encapped);
            prop_assert_eq!(&ss[..], &hpke_decap(encapped)[..]);
            let (key, nonce) = key_schedule(&ss);
            let padded = chacha20poly1305::ChaCha20Poly1305::new(&key.into())
                .decrypt(&nonce.into(), Payload { msg: &env[BODY_AT..], aad: &b.aad(sk.public().id()) })
                .expect("opens");
            prop_assert_eq!(padded.len(), bucket_of(len));
            prop_assert_eq!(&padded[4..4 + len], &plaintext[..]);
            prop_assert_eq!(open_both(&sk, &b, &env), Ok(plaintext));

            let mut damaged = encapped.to_vec();
            damaged[at] ^= 1 << bit;
            let ss_damaged = xwing_decap(&seed, &damaged);
            prop_assert_eq!(&ss_damaged[..], &hpke_decap(&damaged)[..]);
            prop_assert_ne!(ss_damaged, ss);
        }
    }
}
