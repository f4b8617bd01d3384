use super::*;

fn binding() -> Binding<'static> {
    Binding {
        survey_id: "rights-violation-report",
        version: 3,
        submission_id: uuid_bytes("7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10").expect("uuid"),
    }
}

#[test]
fn sealed_plaintext_opens_with_its_key_and_binding() {
    let sk = SecretKey::derive(b"chorus test key one");
    let env = seal(sk.public(), &binding(), b"{\"answers\":{}}").expect("seal");
    assert_eq!(&env[..4], b"CHE1");
    assert_eq!(env.len(), HEADER_LEN + 1024 + TAG_LEN);
    assert_eq!(
        sk.open(&binding(), &env).expect("open"),
        b"{\"answers\":{}}"
    );
}

#[test]
fn the_envelope_shows_its_bucket_not_its_length() {
    let pk = SecretKey::derive(b"k").public().clone();
    let short = seal(&pk, &binding(), &[b'a'; 10]).expect("seal");
    let longer = seal(&pk, &binding(), &[b'a'; 1000]).expect("seal");
    assert_eq!(short.len(), longer.len());
    let two_k = seal(&pk, &binding(), &[b'a'; 1021]).expect("seal");
    assert_eq!(Envelope::parse(&two_k).expect("parse").bucket, 2048);
    let max = seal(&pk, &binding(), &vec![b'a'; MAX_PLAINTEXT]).expect("seal");
    assert_eq!(max.len(), MAX_ENVELOPE);
    assert_eq!(
        seal(&pk, &binding(), &vec![b'a'; MAX_PLAINTEXT + 1]),
        Err(SealError::TooLarge(MAX_PLAINTEXT + 1))
    );
}

#[test]
fn an_envelope_moved_to_another_survey_version_or_submission_does_not_open() {
    let sk = SecretKey::derive(b"k");
    let env = seal(sk.public(), &binding(), b"secret").expect("seal");
    let moved = [
        Binding {
            survey_id: "ost-hiv-access",
            ..binding()
        },
        Binding {
            version: 4,
            ..binding()
        },
        Binding {
            submission_id: uuid_bytes("00000000-0000-4000-8000-000000000001").expect("uuid"),
            ..binding()
        },
    ];
    for b in moved {
        assert_eq!(sk.open(&b, &env), Err(OpenError::Decrypt), "{b:?}");
    }
}

#[test]
fn damaged_truncated_and_foreign_envelopes_are_refused_with_the_reason() {
    let sk = SecretKey::derive(b"k");
    let other = SecretKey::derive(b"other");
    let env = seal(sk.public(), &binding(), b"secret").expect("seal");
    assert_eq!(
        other.open(&binding(), &env),
        Err(OpenError::OtherKey(sk.public().id()))
    );
    let mut flipped = env.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert_eq!(sk.open(&binding(), &flipped), Err(OpenError::Decrypt));
    let mut enc_flipped = env.clone();
    enc_flipped[HEADER_LEN - 1] ^= 0x80;
    assert_eq!(sk.open(&binding(), &enc_flipped), Err(OpenError::Decrypt));
    assert_eq!(
        Envelope::parse(&env[..100]),
        Err(EnvelopeError::Truncated(100))
    );
    assert_eq!(Envelope::parse(b"CH"), Err(EnvelopeError::Truncated(2)));
    assert_eq!(
        Envelope::parse(&env[..env.len() - 1]),
        Err(EnvelopeError::Bucket(1024 + TAG_LEN - 1))
    );
    let mut magic = env.clone();
    magic[3] = b'2';
    assert_eq!(Envelope::parse(&magic), Err(EnvelopeError::Magic));
    let huge = vec![0; MAX_ENVELOPE + 1];
    assert_eq!(Envelope::parse(&huge), Err(EnvelopeError::Magic));
    let mut huge = huge;
    huge[..4].copy_from_slice(&MAGIC);
    assert_eq!(
        Envelope::parse(&huge),
        Err(EnvelopeError::TooLarge(MAX_ENVELOPE + 1))
    );
}

#[test]
fn a_public_key_reads_back_from_its_text_and_names_itself() {
    let sk = SecretKey::derive(b"k");
    let text = sk.public().to_string();
    assert!(text.starts_with(PUBLIC_KEY_PREFIX));
    let parsed = PublicKey::parse(&format!("  {text}\n")).expect("parse");
    assert_eq!(parsed, *sk.public());
    assert_eq!(parsed.id(), sk.public().id());
    let fp = parsed.id().fingerprint();
    assert_eq!(fp.len(), 19);
    assert_eq!(KeyId::parse(&fp), Some(parsed.id()));
    assert_eq!(KeyId::parse(&parsed.id().to_string()), Some(parsed.id()));
    assert_eq!(KeyId::parse("xyz"), None);
}

#[test]
fn bad_public_key_texts_say_what_is_wrong() {
    let bytes = SecretKey::derive(b"k").public().to_bytes();
    let cut = format!(
        "{PUBLIC_KEY_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(&bytes[..1210])
    );
    assert_eq!(PublicKey::parse("age1qqq"), Err(KeyError::Prefix));
    assert_eq!(PublicKey::parse("chorus-pk1:***"), Err(KeyError::Base64));
    assert_eq!(PublicKey::parse(&cut), Err(KeyError::Length(1210)));
}

#[test]
fn seed_round_trip_gives_the_same_key() {
    let sk = SecretKey::generate();
    let again = SecretKey::from_seed(&sk.seed());
    assert_eq!(again.public(), sk.public());
    let env = seal(sk.public(), &binding(), b"x").expect("seal");
    assert_eq!(again.open(&binding(), &env).expect("open"), b"x");
}

#[test]
fn padding_is_checked_after_opening() {
    assert_eq!(
        unpad(vec![0, 0, 0, 2, b'h', b'i', 0, 0]),
        Ok(b"hi".to_vec())
    );
    assert_eq!(unpad(vec![0, 0, 0, 9, b'h', b'i']), Err(OpenError::Padding));
    assert_eq!(unpad(vec![0, 0, 0, 1, b'h', 1]), Err(OpenError::Padding));
    assert_eq!(unpad(vec![0, 0]), Err(OpenError::Padding));
    assert_eq!(unpad(vec![255, 255, 255, 255]), Err(OpenError::Padding));
}

#[test]
fn uuids_parse_to_their_bytes() {
    assert_eq!(
        uuid_bytes("00000000-0000-4000-8000-0000000000FF").map(|b| b[15]),
        Some(255)
    );
    assert_eq!(uuid_bytes("not-a-uuid"), None);
}

#[cfg(feature = "keyfile")]
mod keyfile_tests {
    use super::*;
    use crate::keyfile::{Cost, KeyFileError, lock, public_key, unlock};

    const CHEAP: Cost = Cost {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn a_locked_key_opens_with_its_passphrase_only() {
        let sk = SecretKey::generate();
        let text = lock(&sk, b"correct horse", CHEAP).expect("lock");
        assert!(!text.contains(&URL_SAFE_NO_PAD.encode(sk.seed())));
        assert_eq!(public_key(&text).expect("public"), *sk.public());
        let opened = unlock(&text, b"correct horse").expect("unlock");
        assert_eq!(opened.public(), sk.public());
        assert!(matches!(
            unlock(&text, b"wrong horse"),
            Err(KeyFileError::WrongPassphrase)
        ));
    }

    #[test]
    fn damaged_or_foreign_key_files_are_refused_with_the_reason() {
        let sk = SecretKey::generate();
        let text = lock(&sk, b"pass", CHEAP).expect("lock");
        assert!(matches!(
            unlock("hello", b"pass"),
            Err(KeyFileError::NotAKeyFile(_))
        ));
        assert!(matches!(
            unlock(&text[..text.len() / 2], b"pass"),
            Err(KeyFileError::NotAKeyFile(_))
        ));
        let swapped = text.replace(
            &sk.public().to_string(),
            &SecretKey::generate().public().to_string(),
        );
        assert!(matches!(
            unlock(&swapped, b"pass"),
            Err(KeyFileError::WrongPassphrase)
        ));
        let other_format = text.replace("chorus-secret-key-v1", "chorus-secret-key-v9");
        assert!(matches!(
            unlock(&other_format, b"pass"),
            Err(KeyFileError::Format(_))
        ));
        assert!(matches!(
            lock(&sk, b"", CHEAP),
            Err(KeyFileError::EmptyPassphrase)
        ));
        let greedy = text.replace("\"iterations\": 1", "\"iterations\": 1000");
        assert!(matches!(
            unlock(&greedy, b"pass"),
            Err(KeyFileError::Cost(_))
        ));
    }
}
