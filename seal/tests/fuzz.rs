//! Fuzzing what reads untrusted bytes without the `surveys` crate: the
//! envelope parser (`Envelope::parse`, what the collector runs on every
//! sealed submission), `SecretKey::open` with its padding check, and the
//! public-key, key-id, UUID and base64url readers. Properties: no panic;
//! every refusal is an error that says the same as the parser; a parsed
//! envelope's fields are where docs/sealing.md puts them; and a changed
//! envelope never opens — in particular never to a different plaintext.
//!
//! `cargo test -p seal --test fuzz` runs 256 cases per property;
//! `CHORUS_FUZZ_CASES=100000 cargo test --release -p seal --test fuzz`
//! runs a long campaign.

mod common;

use std::sync::OnceLock;

use common::{binding, envelope_of_padded, pad};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;
use seal::{
    BUCKETS, Binding, ENCAPPED_LEN, Envelope, EnvelopeError, HEADER_LEN, KEY_ID_LEN, KeyId, MAGIC,
    MAX_ENVELOPE, OpenError, PublicKey, SecretKey, TAG_LEN,
};

fn cases() -> u32 {
    std::env::var("CHORUS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn config() -> Config {
    Config {
        cases: cases(),
        // Failures are shown in the output; no files are written.
        failure_persistence: None,
        ..Config::default()
    }
}

struct Sealed {
    plaintext: Vec<u8>,
    envelope: Vec<u8>,
}

struct Fixture {
    key: SecretKey,
    /// Envelopes of the 1, 2 and 4 KiB buckets, two of the first.
    sealed: Vec<Sealed>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = SecretKey::derive(b"chorus fuzz key");
        let b = binding();
        let sealed = [
            b"{\"survey_id\":\"s\",\"answers\":{}}".to_vec(),
            Vec::new(),
            vec![b'x'; 1500],
            (0..3000).map(|i| (i % 256) as u8).collect(),
        ]
        .into_iter()
        .map(|plaintext| Sealed {
            envelope: seal::seal(key.public(), &b, &plaintext).expect("seal"),
            plaintext,
        })
        .collect();
        Fixture { key, sealed }
    })
}

/// Runs the parser and `open` on `bytes` and checks that they agree with
/// each other and with the format. `sealed` is the envelope and plaintext
/// these bytes were made from, if any: `open` may succeed only on exactly
/// those bytes and that binding, and then gives exactly that plaintext.
fn check(bytes: &[u8], b: &Binding<'_>, sealed: Option<&Sealed>) -> Result<(), TestCaseError> {
    let key = &fixture().key;
    let parsed = Envelope::parse(bytes);
    let opened = key.open(b, bytes);
    match &parsed {
        Err(e) => {
            let _ = e.to_string();
            match *e {
                EnvelopeError::Magic => {
                    prop_assert!(bytes.len() >= MAGIC.len() && bytes[..MAGIC.len()] != MAGIC)
                }
                EnvelopeError::Truncated(n) => {
                    prop_assert_eq!(n, bytes.len());
                    prop_assert!(n < HEADER_LEN + TAG_LEN);
                }
                EnvelopeError::TooLarge(n) => {
                    prop_assert_eq!(n, bytes.len());
                    prop_assert!(n > MAX_ENVELOPE);
                }
                EnvelopeError::Bucket(n) => {
                    prop_assert_eq!(n, bytes.len() - HEADER_LEN);
                    prop_assert!(!BUCKETS.contains(&(n - TAG_LEN)));
                }
            }
            prop_assert_eq!(&opened, &Err(OpenError::Envelope(*e)));
        }
        Ok(env) => {
            prop_assert_eq!(&bytes[..MAGIC.len()], &MAGIC[..]);
            prop_assert_eq!(bytes.len(), HEADER_LEN + env.bucket + TAG_LEN);
            prop_assert!(BUCKETS.contains(&env.bucket));
            prop_assert_eq!(&env.key_id.0[..], &bytes[4..4 + KEY_ID_LEN]);
            match &opened {
                Ok(plaintext) => {
                    let Some(s) = sealed else {
                        return Err(TestCaseError::fail("bytes never sealed opened"));
                    };
                    prop_assert!(bytes == s.envelope, "a changed envelope opened");
                    prop_assert_eq!(b, &binding(), "an envelope opened for another binding");
                    prop_assert!(plaintext == &s.plaintext, "opened to another plaintext");
                }
                Err(OpenError::OtherKey(id)) => {
                    prop_assert_eq!(*id, env.key_id);
                    prop_assert_ne!(*id, key.public().id());
                }
                Err(OpenError::Decrypt) => prop_assert_eq!(env.key_id, key.public().id()),
                Err(OpenError::Padding) => {
                    return Err(TestCaseError::fail("a bad padding behind a valid tag"));
                }
                Err(OpenError::Envelope(e)) => {
                    return Err(TestCaseError::fail(format!(
                        "parse accepted what open refused: {e}"
                    )));
                }
            }
        }
    }
    if let Err(e) = &opened {
        let _ = e.to_string();
    }
    Ok(())
}

fn sealed() -> impl Strategy<Value = usize> {
    0..fixture().sealed.len()
}

/// Any of the small buckets, for envelope-shaped noise.
fn small_bucket() -> impl Strategy<Value = usize> {
    prop::sample::select(&BUCKETS[..3])
}

/// Changes to a byte string: overwrite, insert, delete, flip.
#[derive(Clone, Debug)]
enum Edit {
    Flip { at: usize, bit: u8 },
    Set { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Overwrite { at: usize, bytes: Vec<u8> },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Edit::Flip { at, bit }),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Set { at, byte }),
        1 => (any::<usize>(), vec(any::<u8>(), 1..64)).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        1 => (any::<usize>(), 1usize..2048).prop_map(|(at, len)| Edit::Delete { at, len }),
        1 => (any::<usize>(), vec(any::<u8>(), 1..64)).prop_map(|(at, bytes)| Edit::Overwrite { at, bytes }),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match edit {
        Edit::Flip { at: i, bit } if !bytes.is_empty() => {
            let i = at(*i, bytes.len());
            bytes[i] ^= 1 << bit;
        }
        Edit::Set { at: i, byte } if !bytes.is_empty() => {
            let i = at(*i, bytes.len());
            bytes[i] = *byte;
        }
        Edit::Insert { at: i, bytes: new } => {
            let i = at(*i, bytes.len() + 1);
            bytes.splice(i..i, new.iter().copied());
        }
        Edit::Delete { at: i, len } if !bytes.is_empty() => {
            let i = at(*i, bytes.len());
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
        Edit::Overwrite { at: i, bytes: new } if !bytes.is_empty() => {
            let i = at(*i, bytes.len());
            for (dst, src) in bytes[i..].iter_mut().zip(new) {
                *dst = *src;
            }
        }
        _ => {}
    }
}

fn text(max: usize) -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            6 => prop::sample::select(
                "0123456789abcdefABCDEF-_chorus:pk1".chars().collect::<Vec<_>>()
            ),
            1 => any::<char>(),
        ],
        0..max,
    )
    .prop_map(|c| c.into_iter().collect())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_are_refused_with_a_reason(
        mut bytes in vec(any::<u8>(), 0..2600),
        magic in any::<bool>(),
        own_key_id in any::<bool>(),
    ) {
        if magic && bytes.len() >= MAGIC.len() {
            bytes[..MAGIC.len()].copy_from_slice(&MAGIC);
        }
        if own_key_id && bytes.len() >= MAGIC.len() + KEY_ID_LEN {
            bytes[MAGIC.len()..MAGIC.len() + KEY_ID_LEN]
                .copy_from_slice(&fixture().key.public().id().0);
        }
        check(&bytes, &binding(), None)?;
    }

    #[test]
    fn noise_of_an_envelopes_shape_parses_but_never_opens(
        bucket in small_bucket(),
        enc in vec(any::<u8>(), ENCAPPED_LEN),
        seed in any::<u64>(),
        other_key in any::<bool>(),
    ) {
        let key_id = if other_key { KeyId(seed.to_be_bytes()) } else { fixture().key.public().id() };
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&key_id.0);
        bytes.extend_from_slice(&enc);
        // Cheap noise for the ciphertext, from the seed.
        let mut x = seed | 1;
        bytes.extend((0..bucket + TAG_LEN).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        }));
        let env = Envelope::parse(&bytes).expect("an envelope's shape parses");
        prop_assert_eq!(env.bucket, bucket);
        check(&bytes, &binding(), None)?;
        prop_assert!(fixture().key.open(&binding(), &bytes).is_err());
    }

    #[test]
    fn truncated_or_extended_envelopes_never_open(
        i in sealed(),
        cut in any::<prop::sample::Index>(),
        tail in vec(any::<u8>(), 0..64),
    ) {
        let s = &fixture().sealed[i];
        let mut bytes = s.envelope[..cut.index(s.envelope.len())].to_vec();
        check(&bytes, &binding(), Some(s))?;
        prop_assert!(fixture().key.open(&binding(), &bytes).is_err());
        bytes = s.envelope.clone();
        bytes.extend_from_slice(&tail);
        check(&bytes, &binding(), Some(s))?;
        // Cut to a smaller bucket's length: parses, does not open.
        let smaller = HEADER_LEN + BUCKETS[0] + TAG_LEN;
        if s.envelope.len() > smaller {
            check(&s.envelope[..smaller], &binding(), Some(s))?;
        }
    }

    #[test]
    fn edited_envelopes_never_open_to_another_plaintext(
        i in sealed(),
        edits in vec(edit(), 1..6),
    ) {
        let s = &fixture().sealed[i];
        let mut bytes = s.envelope.clone();
        for e in &edits {
            apply(&mut bytes, e);
        }
        check(&bytes, &binding(), Some(s))?;
        if bytes != s.envelope {
            prop_assert!(fixture().key.open(&binding(), &bytes).is_err());
        }
    }

    #[test]
    fn single_bit_flips_anywhere_are_refused(
        i in sealed(),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let s = &fixture().sealed[i];
        let mut bytes = s.envelope.clone();
        let at = at.index(bytes.len());
        bytes[at] ^= 1 << bit;
        check(&bytes, &binding(), Some(s))?;
        let opened = fixture().key.open(&binding(), &bytes);
        // Where the flip lands decides the reason.
        let expected = if at < MAGIC.len() {
            OpenError::Envelope(EnvelopeError::Magic)
        } else if at < MAGIC.len() + KEY_ID_LEN {
            let mut id = fixture().key.public().id();
            id.0[at - MAGIC.len()] ^= 1 << bit;
            OpenError::OtherKey(id)
        } else {
            OpenError::Decrypt
        };
        prop_assert_eq!(opened, Err(expected));
    }

    #[test]
    fn parts_of_two_envelopes_do_not_open_together(
        a in sealed(),
        b in sealed(),
        part in 0usize..3,
    ) {
        let (x, y) = (&fixture().sealed[a], &fixture().sealed[b]);
        // Header of one, encapsulated key or ciphertext of the other.
        let mut bytes = x.envelope.clone();
        match part {
            0 => {
                bytes.truncate(HEADER_LEN);
                bytes.extend_from_slice(&y.envelope[HEADER_LEN..]);
            }
            1 => bytes[MAGIC.len() + KEY_ID_LEN..HEADER_LEN]
                .copy_from_slice(&y.envelope[MAGIC.len() + KEY_ID_LEN..HEADER_LEN]),
            _ => {
                bytes = y.envelope[..HEADER_LEN].to_vec();
                bytes.extend_from_slice(&x.envelope[HEADER_LEN..]);
            }
        }
        let s = if bytes == x.envelope { Some(x) } else if bytes == y.envelope { Some(y) } else { None };
        check(&bytes, &binding(), s)?;
        if s.is_none() {
            prop_assert!(fixture().key.open(&binding(), &bytes).is_err());
        }
    }

    #[test]
    fn an_envelope_opens_for_its_own_binding_only(
        i in sealed(),
        survey in prop::sample::select(vec!["rights-violation-report", "rights-violation-repor", "ost-hiv-access", ""]),
        version in prop_oneof![Just(3u32), any::<u32>()],
        flip in prop::option::of((0usize..16, 0u8..8)),
    ) {
        let s = &fixture().sealed[i];
        let mut submission_id = binding().submission_id;
        if let Some((at, bit)) = flip {
            submission_id[at] ^= 1 << bit;
        }
        let b = Binding { survey_id: survey, version, submission_id };
        check(&s.envelope, &b, Some(s))?;
        let opened = fixture().key.open(&b, &s.envelope);
        if b == binding() {
            prop_assert_eq!(opened, Ok(s.plaintext.clone()));
        } else {
            prop_assert_eq!(opened, Err(OpenError::Decrypt));
        }
    }

    #[test]
    fn the_padding_is_checked_behind_a_valid_tag(
        bucket in small_bucket(),
        length in prop_oneof![3 => 0u32..1100, 1 => any::<u32>()],
        body in vec(any::<u8>(), 0..1100),
        dirt in prop::option::of((any::<prop::sample::Index>(), 1u8..=255)),
    ) {
        // Length prefix, bytes, tail: well-formed or not, sealed properly.
        let mut padded = length.to_be_bytes().to_vec();
        padded.extend_from_slice(&body);
        padded.resize(bucket, 0);
        if let Some((at, byte)) = dirt {
            let at = 4 + at.index(bucket - 4);
            padded[at] = byte;
        }
        let key = &fixture().key;
        let env = envelope_of_padded(key.public(), &binding(), &padded);
        let end = 4 + length as usize;
        let well_formed = end <= bucket && padded[end..].iter().all(|&b| b == 0);
        let opened = key.open(&binding(), &env);
        if well_formed {
            prop_assert_eq!(opened, Ok(padded[4..end].to_vec()));
        } else {
            prop_assert_eq!(opened, Err(OpenError::Padding));
        }
    }

    #[test]
    fn chorus_padding_reads_back(plaintext in vec(any::<u8>(), 0..3000)) {
        let key = &fixture().key;
        let bucket = seal::bucket_for(plaintext.len()).expect("fits");
        let env = envelope_of_padded(key.public(), &binding(), &pad(&plaintext, bucket));
        prop_assert_eq!(key.open(&binding(), &env), Ok(plaintext));
    }

    #[test]
    fn text_readers_never_panic(
        t in text(80),
        prefixed in any::<bool>(),
        raw in vec(any::<u8>(), 0..1300),
    ) {
        let _ = KeyId::parse(&t);
        let _ = seal::uuid_bytes(&t);
        let _ = seal::decode(&t);
        let _ = PublicKey::parse(&t).map_err(|e| e.to_string());
        let key_text = if prefixed {
            format!("{}{}", seal::PUBLIC_KEY_PREFIX, seal::encode(&raw))
        } else {
            seal::encode(&raw)
        };
        match PublicKey::parse(&key_text) {
            Ok(key) => prop_assert_eq!(&key.to_bytes(), &raw),
            Err(e) => { let _ = e.to_string(); }
        }
        if let Ok(key) = PublicKey::from_bytes(&raw) {
            prop_assert_eq!(&key.to_bytes(), &raw);
        }
        if let Some(id) = KeyId::parse(&t) {
            prop_assert_eq!(KeyId::parse(&id.fingerprint()), Some(id));
        }
        let encoded = seal::encode(&raw);
        prop_assert_eq!(seal::decode(&encoded), Some(raw));
    }

    #[test]
    fn public_keys_of_the_right_length_are_checked(
        bytes in vec(any::<u8>(), seal::PUBLIC_KEY_LEN),
        keep_real_prefix in any::<bool>(),
    ) {
        // A real key with its tail replaced, or noise: valid or refused,
        // never a panic; a valid one reads back and names itself.
        let mut bytes = bytes;
        if keep_real_prefix {
            let real = fixture().key.public().to_bytes();
            bytes[..1184].copy_from_slice(&real[..1184]);
        }
        match PublicKey::from_bytes(&bytes) {
            Ok(key) => {
                prop_assert_eq!(key.to_bytes(), bytes.clone());
                prop_assert_eq!(PublicKey::parse(&key.to_string()), Ok(key));
            }
            Err(e) => prop_assert_eq!(e, seal::KeyError::Invalid),
        }
    }
}
