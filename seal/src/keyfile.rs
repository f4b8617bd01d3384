//! The private key file: the 32-byte X-Wing seed encrypted under a key
//! derived from the researcher's passphrase.
//!
//! JSON, so a person can see what it is and another tool can read it:
//!
//! ```json
//! {"format": "chorus-secret-key-v1",
//!  "public_key": "chorus-pk1:…", "key_id": "3f2a91bc0e77d401",
//!  "kdf": {"algorithm": "argon2id", "version": 19, "memory_kib": 65536,
//!          "iterations": 3, "parallelism": 1, "salt": "<base64url, 16 bytes>"},
//!  "cipher": "chacha20poly1305", "nonce": "<base64url, 12 bytes>",
//!  "sealed_seed": "<base64url, 32 + 16 bytes>"}
//! ```
//!
//! The cipher's associated data is `chorus-secret-key-v1 0x00` followed by
//! the public key's 1216 bytes, so a file whose public key was swapped does
//! not open; and the opened seed must give that public key again.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};

pub use crate::passphrase::Cost;
use crate::passphrase::derive;
use crate::{PublicKey, SECRET_KEY_LEN, SecretKey};

const FORMAT: &str = "chorus-secret-key-v1";

/// argon2id's cost: 64 MiB and 3 passes (RFC 9106's second recommended
/// setting, with one lane): about half a second on a laptop, for every
/// guess an attacker with the file makes.
pub const DEFAULT_COST: Cost = Cost {
    memory_kib: 64 * 1024,
    iterations: 3,
    parallelism: 1,
};

/// Why a key file did not open.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("this is not a Chorus private key file (or it is damaged): {0}")]
    NotAKeyFile(String),
    #[error("the key file says format `{0}`; this Chorus reads `{FORMAT}`")]
    Format(String),
    #[error("wrong passphrase, or the key file is damaged")]
    WrongPassphrase,
    #[error("the key file is damaged: {0}")]
    Damaged(String),
    #[error("the key file's argon2id settings are refused: {0}")]
    Cost(String),
    #[error("the passphrase is empty; choose one of at least 8 characters")]
    EmptyPassphrase,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    public_key: String,
    key_id: String,
    kdf: Kdf,
    cipher: String,
    nonce: String,
    sealed_seed: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    algorithm: String,
    version: u32,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

fn nonce_of(bytes: &[u8]) -> Result<Nonce, KeyFileError> {
    Nonce::try_from(bytes).map_err(|_| KeyFileError::Damaged("the nonce is not 12 bytes".into()))
}

fn aad(public: &PublicKey) -> Vec<u8> {
    let mut aad = FORMAT.as_bytes().to_vec();
    aad.push(0);
    aad.extend_from_slice(&public.to_bytes());
    aad
}

/// The key file's text for `key`, protected by `passphrase`.
pub fn lock(key: &SecretKey, passphrase: &[u8], cost: Cost) -> Result<String, KeyFileError> {
    if passphrase.is_empty() {
        return Err(KeyFileError::EmptyPassphrase);
    }
    let mut salt = [0; 16];
    let mut nonce = [0; 12];
    getrandom::fill(&mut salt).map_err(|e| KeyFileError::Damaged(e.to_string()))?;
    getrandom::fill(&mut nonce).map_err(|e| KeyFileError::Damaged(e.to_string()))?;
    let wrap = derive(passphrase, &salt, cost).map_err(KeyFileError::Cost)?;
    let cipher = ChaCha20Poly1305::new(&Key::from(wrap));
    let sealed = cipher
        .encrypt(
            &nonce_of(&nonce)?,
            Payload {
                msg: &key.seed(),
                aad: &aad(key.public()),
            },
        )
        .map_err(|_| KeyFileError::Damaged("encryption failed".into()))?;
    let file = File {
        format: FORMAT.into(),
        public_key: key.public().to_string(),
        key_id: key.public().id().to_string(),
        kdf: Kdf {
            algorithm: "argon2id".into(),
            version: 0x13,
            memory_kib: cost.memory_kib,
            iterations: cost.iterations,
            parallelism: cost.parallelism,
            salt: URL_SAFE_NO_PAD.encode(salt),
        },
        cipher: "chacha20poly1305".into(),
        nonce: URL_SAFE_NO_PAD.encode(nonce),
        sealed_seed: URL_SAFE_NO_PAD.encode(sealed),
    };
    let mut text =
        serde_json::to_string_pretty(&file).map_err(|e| KeyFileError::Damaged(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// The public key a key file names, without the passphrase.
pub fn public_key(text: &str) -> Result<PublicKey, KeyFileError> {
    let file = read(text)?;
    PublicKey::parse(&file.public_key).map_err(|e| KeyFileError::Damaged(e.to_string()))
}

fn read(text: &str) -> Result<File, KeyFileError> {
    let file: File =
        serde_json::from_str(text).map_err(|e| KeyFileError::NotAKeyFile(e.to_string()))?;
    if file.format != FORMAT {
        return Err(KeyFileError::Format(file.format));
    }
    Ok(file)
}

/// Opens a key file with its passphrase.
pub fn unlock(text: &str, passphrase: &[u8]) -> Result<SecretKey, KeyFileError> {
    let file = read(text)?;
    if file.kdf.algorithm != "argon2id" || file.kdf.version != 0x13 {
        return Err(KeyFileError::Damaged(format!(
            "unknown key derivation `{}` version {}",
            file.kdf.algorithm, file.kdf.version
        )));
    }
    if file.cipher != "chacha20poly1305" {
        return Err(KeyFileError::Damaged(format!(
            "unknown cipher `{}`",
            file.cipher
        )));
    }
    // A file asking for more than 4 GiB or 64 passes is refused rather
    // than run: opening a key must not be a way to exhaust a computer.
    let cost = Cost {
        memory_kib: file.kdf.memory_kib,
        iterations: file.kdf.iterations,
        parallelism: file.kdf.parallelism,
    };
    if !cost.within(4 * 1024 * 1024) {
        return Err(KeyFileError::Cost(format!(
            "{} KiB and {} passes is more than Chorus runs",
            file.kdf.memory_kib, file.kdf.iterations
        )));
    }
    let public = PublicKey::parse(&file.public_key)
        .map_err(|e| KeyFileError::Damaged(format!("public_key: {e}")))?;
    let field = |name: &str, value: &str, len: usize| -> Result<Vec<u8>, KeyFileError> {
        match URL_SAFE_NO_PAD.decode(value) {
            Ok(b) if b.len() == len => Ok(b),
            _ => Err(KeyFileError::Damaged(format!(
                "`{name}` is not {len} bytes of base64url"
            ))),
        }
    };
    let salt = field("salt", &file.kdf.salt, 16)?;
    let nonce = field("nonce", &file.nonce, 12)?;
    let sealed = field("sealed_seed", &file.sealed_seed, SECRET_KEY_LEN + 16)?;
    let wrap = derive(passphrase, &salt, cost).map_err(KeyFileError::Cost)?;
    let cipher = ChaCha20Poly1305::new(&Key::from(wrap));
    let seed = cipher
        .decrypt(
            &nonce_of(&nonce)?,
            Payload {
                msg: &sealed,
                aad: &aad(&public),
            },
        )
        .map_err(|_| KeyFileError::WrongPassphrase)?;
    let seed: [u8; SECRET_KEY_LEN] = seed
        .try_into()
        .map_err(|_| KeyFileError::Damaged("the seed is not 32 bytes".into()))?;
    let key = SecretKey::from_seed(&seed);
    if *key.public() != public {
        return Err(KeyFileError::Damaged(
            "the private key does not match the file's public key".into(),
        ));
    }
    Ok(key)
}
