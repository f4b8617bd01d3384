//! A member's unfinished answers, locked on their phone with a passphrase
//! of their own (for a survey that allows drafts).
//!
//! The researchers' key cannot be used here: only they can open what is
//! sealed to it, and the member must be able to open their draft again. A
//! key kept on the phone would open it for whoever holds the phone. So the
//! key is derived from the member's passphrase with argon2id and is held
//! in the page's memory only while the form is open; on the phone lies
//! only this:
//!
//! ```text
//! CHD1 ‖ memory KiB (u32 BE) ‖ passes (u32 BE) ‖ lanes (u32 BE)
//!      ‖ salt (16) ‖ nonce (12) ‖ ChaCha20-Poly1305(padded draft) ‖ tag (16)
//! ```
//!
//! The associated data is the 44-byte header before the ciphertext, so the
//! settings and salt cannot be changed without the draft failing to open.
//! The draft is padded like an envelope ([`crate::BUCKETS`]), so its size
//! shows only its bucket. What is inside is the runner's business.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use zeroize::Zeroize;

pub use crate::passphrase::Cost;
use crate::passphrase::derive;

/// The first bytes of a locked draft: `CHD1` (Chorus draft, format 1).
pub const MAGIC: [u8; 4] = *b"CHD1";
/// Magic, the three settings, salt and nonce.
pub const HEADER_LEN: usize = MAGIC.len() + 12 + SALT_LEN + NONCE_LEN;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
/// The shortest passphrase taken, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// argon2id for a draft: 19 MiB and 2 passes, the lighter of the settings
/// OWASP recommends, because a cheap phone runs it in the browser (about a
/// second) once when the member locks the draft and once when they open
/// it. A guess at the passphrase costs whoever took the phone the same.
pub const DRAFT_COST: Cost = Cost {
    memory_kib: 19 * 1024,
    iterations: 2,
    parallelism: 1,
};

/// The most a stored draft may ask of the phone to open: 256 MiB.
const MAX_MEMORY_KIB: u32 = 256 * 1024;

/// Why a draft could not be locked or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("the passphrase is shorter than {MIN_PASSPHRASE_CHARS} characters")]
    ShortPassphrase,
    #[error("wrong passphrase, or the saved answers are damaged")]
    WrongPassphrase,
    #[error("these bytes are not a locked draft: {0}")]
    Damaged(&'static str),
    #[error("the draft's argon2id settings are refused: {0}")]
    Cost(String),
    #[error("the answers ({0} bytes) are more than a draft holds")]
    TooLarge(usize),
    #[error("the browser gave no random numbers")]
    Random,
}

/// The key of one draft: derived once from the passphrase, then used for
/// every save while the form is open (each with a fresh nonce). Wiped from
/// memory when dropped.
pub struct DraftKey {
    key: [u8; 32],
    salt: [u8; SALT_LEN],
    cost: Cost,
}

impl Drop for DraftKey {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl std::fmt::Debug for DraftKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DraftKey(…)")
    }
}

impl DraftKey {
    /// A new key for `passphrase` (at least [`MIN_PASSPHRASE_CHARS`]
    /// characters), with a fresh salt.
    pub fn new(passphrase: &str, cost: Cost) -> Result<DraftKey, DraftError> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(DraftError::ShortPassphrase);
        }
        let mut salt = [0; SALT_LEN];
        getrandom::fill(&mut salt).map_err(|_| DraftError::Random)?;
        let key = derive(passphrase.as_bytes(), &salt, cost).map_err(DraftError::Cost)?;
        Ok(DraftKey { key, salt, cost })
    }

    fn header(&self, nonce: &[u8; NONCE_LEN]) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.cost.memory_kib.to_be_bytes());
        out.extend_from_slice(&self.cost.iterations.to_be_bytes());
        out.extend_from_slice(&self.cost.parallelism.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(nonce);
        out
    }

    /// `plaintext` padded and locked, ready to store.
    pub fn lock(&self, plaintext: &[u8]) -> Result<Vec<u8>, DraftError> {
        let mut padded = crate::pad(plaintext).ok_or(DraftError::TooLarge(plaintext.len()))?;
        let mut nonce = [0; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| DraftError::Random)?;
        let mut out = self.header(&nonce);
        let sealed = ChaCha20Poly1305::new(&Key::from(self.key))
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &padded,
                    aad: &out,
                },
            )
            .map_err(|_| DraftError::TooLarge(plaintext.len()));
        padded.zeroize();
        out.extend_from_slice(&sealed?);
        Ok(out)
    }

    /// Opens `locked` with `passphrase`: the draft's bytes, and its key for
    /// saving it again.
    pub fn open(passphrase: &str, locked: &[u8]) -> Result<(DraftKey, Vec<u8>), DraftError> {
        if locked.len() < HEADER_LEN + crate::TAG_LEN {
            return Err(DraftError::Damaged("too short"));
        }
        let (header, sealed) = locked.split_at(HEADER_LEN);
        if header[..4] != MAGIC {
            return Err(DraftError::Damaged("no CHD1 at the start"));
        }
        let word = |i: usize| {
            let at = 4 + 4 * i;
            u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let cost = Cost {
            memory_kib: word(0),
            iterations: word(1),
            parallelism: word(2),
        };
        if !cost.within(MAX_MEMORY_KIB) {
            return Err(DraftError::Cost(format!(
                "{} KiB, {} passes and {} lanes is more than a phone is asked to run",
                cost.memory_kib, cost.iterations, cost.parallelism
            )));
        }
        let mut salt = [0; SALT_LEN];
        salt.copy_from_slice(&header[16..16 + SALT_LEN]);
        let mut nonce = [0; NONCE_LEN];
        nonce.copy_from_slice(&header[16 + SALT_LEN..]);
        let key = DraftKey {
            key: derive(passphrase.as_bytes(), &salt, cost).map_err(DraftError::Cost)?,
            salt,
            cost,
        };
        let padded = ChaCha20Poly1305::new(&Key::from(key.key))
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: header,
                },
            )
            .map_err(|_| DraftError::WrongPassphrase)?;
        let plaintext = crate::unpad(padded).map_err(|_| DraftError::Damaged("bad padding"))?;
        Ok((key, plaintext))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap settings for tests (argon2's minimum memory for one lane).
    const TEST_COST: Cost = Cost {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn a_locked_draft_opens_with_its_passphrase_only() {
        let key = DraftKey::new("correct horse", TEST_COST).expect("key");
        let locked = key.lock(b"{\"q1\":\"yes\"}").expect("lock");
        assert_eq!(&locked[..4], b"CHD1");
        assert_eq!(locked.len(), HEADER_LEN + 1024 + crate::TAG_LEN);
        let (again, opened) = DraftKey::open("correct horse", &locked).expect("open");
        assert_eq!(opened, b"{\"q1\":\"yes\"}");
        // The key from opening saves again, and that opens too.
        let relocked = again.lock(b"later").expect("lock");
        assert_ne!(relocked[..HEADER_LEN], locked[..HEADER_LEN], "fresh nonce");
        assert_eq!(
            DraftKey::open("correct horse", &relocked).expect("open").1,
            b"later"
        );
        assert_eq!(
            DraftKey::open("correct horsf", &locked).expect_err("refused"),
            DraftError::WrongPassphrase
        );
    }

    #[test]
    fn the_default_cost_is_what_argon2_takes() {
        // Derived once at the real settings: they must be valid.
        let key = DraftKey::new("a passphrase", DRAFT_COST).expect("key");
        let locked = key.lock(b"x").expect("lock");
        assert_eq!(locked[4..8], (19u32 * 1024).to_be_bytes());
        assert_eq!(
            DraftKey::open("a passphrase", &locked).expect("open").1,
            b"x"
        );
    }

    #[test]
    fn short_passphrases_are_refused_by_characters_not_bytes() {
        assert_eq!(
            DraftKey::new("1234567", TEST_COST).expect_err("refused"),
            DraftError::ShortPassphrase
        );
        // Eight Cyrillic letters are eight characters (sixteen bytes).
        assert!(DraftKey::new("пароль12", TEST_COST).is_ok());
        assert_eq!(
            DraftKey::new("парол", TEST_COST).expect_err("refused"),
            DraftError::ShortPassphrase
        );
    }

    #[test]
    fn the_size_shows_only_the_bucket() {
        let key = DraftKey::new("correct horse", TEST_COST).expect("key");
        let short = key.lock(&[b'a'; 3]).expect("lock");
        let long = key.lock(&[b'a'; 1000]).expect("lock");
        assert_eq!(short.len(), long.len());
        assert_eq!(
            key.lock(&vec![0; crate::MAX_PLAINTEXT + 1])
                .expect_err("refused"),
            DraftError::TooLarge(crate::MAX_PLAINTEXT + 1)
        );
    }

    #[test]
    fn changed_headers_and_bytes_do_not_open() {
        let key = DraftKey::new("correct horse", TEST_COST).expect("key");
        let locked = key.lock(b"answers").expect("lock");
        // Every byte of the salt, nonce and ciphertext is bound.
        for at in [16, 16 + SALT_LEN, HEADER_LEN, locked.len() - 1] {
            let mut bad = locked.clone();
            bad[at] ^= 1;
            assert_eq!(
                DraftKey::open("correct horse", &bad).expect_err("refused"),
                DraftError::WrongPassphrase,
                "byte {at}"
            );
        }
        // Settings changed: argon2 derives another key, which fails.
        let mut bad = locked.clone();
        bad[11] = 2;
        assert_eq!(
            DraftKey::open("correct horse", &bad).expect_err("refused"),
            DraftError::WrongPassphrase
        );
        let mut bad = locked.clone();
        bad[..4].copy_from_slice(b"CHE1");
        assert!(matches!(
            DraftKey::open("correct horse", &bad),
            Err(DraftError::Damaged(_))
        ));
        assert!(matches!(
            DraftKey::open("correct horse", &locked[..50]),
            Err(DraftError::Damaged(_))
        ));
    }

    #[test]
    fn a_draft_asking_too_much_of_the_phone_is_refused_before_deriving() {
        let key = DraftKey::new("correct horse", TEST_COST).expect("key");
        let mut bad = key.lock(b"answers").expect("lock");
        bad[4..8].copy_from_slice(&(4u32 * 1024 * 1024).to_be_bytes());
        assert!(matches!(
            DraftKey::open("correct horse", &bad),
            Err(DraftError::Cost(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(0u8..=255, 0..200)) {
            let _ = DraftKey::open("correct horse", &bytes);
        }
    }
}
