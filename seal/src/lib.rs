//! Chorus envelopes: a member's answers sealed on their device to the
//! researchers' public key, so that the collector — and whoever seizes it —
//! holds only ciphertext it cannot open.
//!
//! One ciphersuite, fixed by the format version: HPKE (RFC 9180) in base
//! mode with the X-Wing KEM (ML-KEM-768 + X25519, KEM id `0x647a`),
//! HKDF-SHA256 (KDF id `0x0001`) and ChaCha20-Poly1305 (AEAD id `0x0003`).
//! The hybrid KEM keeps answers secret against an adversary who records
//! envelopes now and breaks X25519 later with a quantum computer.
//!
//! The byte layouts (public key, envelope, associated data, padding) are
//! documented in `docs/sealing.md` so that another tool can open envelopes;
//! this crate builds for wasm32 (the browser seals) and native (the
//! collector checks headers, the researcher's command opens).
//!
//! - [`PublicKey`]: `chorus-pk1:` + base64url of the 1216-byte X-Wing key,
//!   named by its [`KeyId`] (the first 8 bytes of its SHA-256).
//! - [`seal`] pads a plaintext to a size [bucket](BUCKETS) and seals it,
//!   binding the survey id, version and submission id ([`Binding`]) as
//!   associated data; [`Envelope::parse`] reads what the server may see;
//!   [`SecretKey::open`] opens and unpads.
//! - [`keyfile`] (feature `keyfile`): the private key protected by a
//!   passphrase (argon2id and ChaCha20-Poly1305).
//! - [`draft`] (feature `passphrase`): a member's unfinished answers locked
//!   on their phone with a passphrase of their own (the same two).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::XWing;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};

#[cfg(feature = "passphrase")]
pub mod draft;
mod fast;
#[cfg(feature = "keyfile")]
pub mod keyfile;
#[cfg(feature = "passphrase")]
mod passphrase;

type Kem = XWing;

/// The text in front of a public key.
pub const PUBLIC_KEY_PREFIX: &str = "chorus-pk1:";
/// Bytes of an X-Wing public key.
pub const PUBLIC_KEY_LEN: usize = 1216;
/// Bytes of an X-Wing private key (its seed).
pub const SECRET_KEY_LEN: usize = 32;
/// Bytes of an X-Wing encapsulated key.
pub const ENCAPPED_LEN: usize = 1120;
/// Bytes of the ChaCha20-Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// The first bytes of every envelope: `CHE1` (Chorus envelope, format 1).
pub const MAGIC: [u8; 4] = *b"CHE1";
/// Magic, key id and encapsulated key.
pub const HEADER_LEN: usize = MAGIC.len() + KEY_ID_LEN + ENCAPPED_LEN;
/// Bytes of a key id.
pub const KEY_ID_LEN: usize = 8;
/// HPKE's `info`: names the format, so a key used elsewhere cannot be
/// tricked into opening a Chorus envelope as something else.
pub const INFO: &[u8] = b"chorus-envelope-v1";
/// Sizes a padded plaintext may have: 1, 2, 4, …, 64 KiB. The collector
/// refuses every other ciphertext length, so an envelope shows only which
/// bucket its answers fell in, never their length.
pub const BUCKETS: [usize; 7] = [
    1 << 10,
    1 << 11,
    1 << 12,
    1 << 13,
    1 << 14,
    1 << 15,
    1 << 16,
];
/// Bytes of the length prefix inside the padded plaintext.
const LENGTH_LEN: usize = 4;
/// The longest plaintext [`seal`] takes: the largest bucket less its prefix.
pub const MAX_PLAINTEXT: usize = BUCKETS[BUCKETS.len() - 1] - LENGTH_LEN;
/// The longest envelope: header, the largest bucket, the tag.
pub const MAX_ENVELOPE: usize = HEADER_LEN + BUCKETS[BUCKETS.len() - 1] + TAG_LEN;

/// A public key's short name: the first 8 bytes of SHA-256 over its 1216
/// bytes. Written as 16 lower-case hex digits; [`KeyId::fingerprint`]
/// groups them for people to compare.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl KeyId {
    fn of(public_key_bytes: &[u8]) -> KeyId {
        let digest = Sha256::digest(public_key_bytes);
        let mut id = [0; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        KeyId(id)
    }

    /// `3f2a-91bc-0e77-d401`: what `chorus keygen` prints and a person
    /// reads aloud to check a key.
    pub fn fingerprint(&self) -> String {
        let hex = self.to_string();
        [&hex[0..4], &hex[4..8], &hex[8..12], &hex[12..16]].join("-")
    }

    /// Parses the 16 hex digits of [`Display`](fmt::Display) (or the
    /// fingerprint, with its dashes).
    pub fn parse(text: &str) -> Option<KeyId> {
        let digits: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
        if digits.len() != 2 * KEY_ID_LEN {
            return None;
        }
        let mut id = [0; KEY_ID_LEN];
        for (i, pair) in digits.chunks(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            id[i] = (hi * 16 + lo) as u8;
        }
        Some(KeyId(id))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Why a public key's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a public key starts with `{PUBLIC_KEY_PREFIX}` (as `chorus keygen` prints it)")]
    Prefix,
    #[error("the public key is not valid base64url after `{PUBLIC_KEY_PREFIX}`")]
    Base64,
    #[error(
        "the public key has {0} bytes; an X-Wing key has {PUBLIC_KEY_LEN} (was it cut short when copied?)"
    )]
    Length(usize),
    #[error("the public key's bytes are not a valid X-Wing key")]
    Invalid,
}

/// The researchers' public key: what a survey file lists and the browser
/// seals to.
#[derive(Clone)]
pub struct PublicKey {
    key: <Kem as hpke::Kem>::PublicKey,
    id: KeyId,
}

impl PublicKey {
    /// Reads `chorus-pk1:<base64url>`; surrounding white space is ignored.
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let body = text
            .trim()
            .strip_prefix(PUBLIC_KEY_PREFIX)
            .ok_or(KeyError::Prefix)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| KeyError::Base64)?;
        PublicKey::from_bytes(&bytes)
    }

    /// The key from its 1216 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        if bytes.len() != PUBLIC_KEY_LEN {
            return Err(KeyError::Length(bytes.len()));
        }
        let key =
            <Kem as hpke::Kem>::PublicKey::from_bytes(bytes).map_err(|_| KeyError::Invalid)?;
        Ok(PublicKey {
            id: KeyId::of(bytes),
            key,
        })
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.key.to_bytes().to_vec()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PUBLIC_KEY_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(self.key.to_bytes())
        )
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.id)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

/// The researchers' private key. It lives only on their computers, in a
/// passphrase-protected file ([`keyfile`]); never on the collector.
#[derive(Clone)]
pub struct SecretKey {
    key: <Kem as hpke::Kem>::PrivateKey,
    public: PublicKey,
    /// The seed expanded once, for [`SecretKey::open`].
    receiver: fast::Receiver,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.public.id)
    }
}

impl SecretKey {
    /// A new key pair from the operating system's (or browser's) generator.
    pub fn generate() -> SecretKey {
        let (key, public) = Kem::gen_keypair();
        SecretKey::from_parts(key, public)
    }

    /// The key from its 32-byte seed.
    pub fn from_seed(seed: &[u8; SECRET_KEY_LEN]) -> SecretKey {
        // Infallible: X-Wing takes any 32 bytes as a seed.
        match <Kem as hpke::Kem>::PrivateKey::from_bytes(seed) {
            Ok(key) => {
                let public = Kem::sk_to_pk(&key);
                SecretKey::from_parts(key, public)
            }
            Err(_) => unreachable!("an X-Wing private key is any 32 bytes"),
        }
    }

    /// `DeriveKeyPair(ikm)` as draft-ietf-hpke-pq defines it for X-Wing
    /// (SHAKE256 `LabeledDerive`, not draft-06 §5.6): for test keys and
    /// vectors only; real keys come from [`SecretKey::generate`].
    pub fn derive(ikm: &[u8]) -> SecretKey {
        let (key, public) = Kem::derive_keypair(ikm);
        SecretKey::from_parts(key, public)
    }

    fn from_parts(
        key: <Kem as hpke::Kem>::PrivateKey,
        public: <Kem as hpke::Kem>::PublicKey,
    ) -> SecretKey {
        let public_bytes = public.to_bytes();
        let id = KeyId::of(&public_bytes);
        let receiver = fast::Receiver::for_key(&key);
        debug_assert_eq!(&receiver.public_key_bytes()[..], &public_bytes[..]);
        SecretKey {
            key,
            public: PublicKey { key: public, id },
            receiver,
        }
    }

    /// The 32-byte seed (for the key file only).
    pub fn seed(&self) -> [u8; SECRET_KEY_LEN] {
        let mut seed = [0; SECRET_KEY_LEN];
        seed.copy_from_slice(&self.key.to_bytes());
        seed
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Opens `envelope` as sealed for `binding` and returns the plaintext
    /// without its padding. Every failure says which check failed; an
    /// envelope moved to another survey, version or submission id fails
    /// with [`OpenError::Decrypt`], as a damaged one does.
    pub fn open(&self, binding: &Binding<'_>, envelope: &[u8]) -> Result<Vec<u8>, OpenError> {
        let env = Envelope::parse(envelope)?;
        if env.key_id != self.public.id {
            return Err(OpenError::OtherKey(env.key_id));
        }
        let padded = self
            .receiver
            .open(env.encapped, env.ciphertext, &binding.aad(env.key_id))
            .ok_or(OpenError::Decrypt)?;
        unpad(padded)
    }

    /// [`SecretKey::open`] through the `hpke` crate's receiver, which
    /// expands the seed again for every envelope: kept to check the
    /// expanded-key path against, and to measure it.
    #[doc(hidden)]
    pub fn open_with_hpke(
        &self,
        binding: &Binding<'_>,
        envelope: &[u8],
    ) -> Result<Vec<u8>, OpenError> {
        let env = Envelope::parse(envelope)?;
        if env.key_id != self.public.id {
            return Err(OpenError::OtherKey(env.key_id));
        }
        let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(env.encapped)
            .map_err(|_| OpenError::Decrypt)?;
        let mut ctx = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.key,
            &encapped,
            INFO,
        )
        .map_err(|_| OpenError::Decrypt)?;
        let padded = ctx
            .open(env.ciphertext, &binding.aad(env.key_id))
            .map_err(|_| OpenError::Decrypt)?;
        unpad(padded)
    }
}

/// What an envelope is sealed for: bound as HPKE's associated data, so it
/// opens only for the same survey, version and submission id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding<'a> {
    pub survey_id: &'a str,
    pub version: u32,
    /// The submission id (a UUID) as its 16 bytes.
    pub submission_id: [u8; 16],
}

impl Binding<'_> {
    /// `chorus-envelope-v1 0x00 survey_id 0x00 version(u32 BE) submission_id(16) key_id(8)`.
    /// Survey ids never hold a zero byte (the loader allows `[a-z0-9_-]`).
    pub fn aad(&self, key_id: KeyId) -> Vec<u8> {
        let mut aad = Vec::with_capacity(INFO.len() + self.survey_id.len() + 30);
        aad.extend_from_slice(INFO);
        aad.push(0);
        aad.extend_from_slice(self.survey_id.as_bytes());
        aad.push(0);
        aad.extend_from_slice(&self.version.to_be_bytes());
        aad.extend_from_slice(&self.submission_id);
        aad.extend_from_slice(&key_id.0);
        aad
    }
}

/// What the collector may see of an envelope without any key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub key_id: KeyId,
    /// The padded plaintext's size: one of [`BUCKETS`].
    pub bucket: usize,
    encapped: &'a [u8],
    ciphertext: &'a [u8],
}

/// Why an envelope's bytes were refused before any key was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the envelope does not start with `CHE1` (format 1 of Chorus envelopes)")]
    Magic,
    #[error("the envelope has {0} bytes, fewer than its header needs ({HEADER_LEN} + {TAG_LEN})")]
    Truncated(usize),
    #[error("the envelope has {0} bytes, more than the largest ({MAX_ENVELOPE})")]
    TooLarge(usize),
    #[error(
        "the envelope's ciphertext has {0} bytes; a padded answer is 1, 2, 4, 8, 16, 32 or 64 KiB plus a {TAG_LEN}-byte tag"
    )]
    Bucket(usize),
}

impl<'a> Envelope<'a> {
    /// Reads the header and checks the size bucket; opens nothing.
    pub fn parse(bytes: &'a [u8]) -> Result<Envelope<'a>, EnvelopeError> {
        if bytes.len() >= MAGIC.len() && bytes[..MAGIC.len()] != MAGIC {
            return Err(EnvelopeError::Magic);
        }
        if bytes.len() < HEADER_LEN + TAG_LEN {
            return Err(EnvelopeError::Truncated(bytes.len()));
        }
        if bytes.len() > MAX_ENVELOPE {
            return Err(EnvelopeError::TooLarge(bytes.len()));
        }
        let (head, ciphertext) = bytes.split_at(HEADER_LEN);
        let bucket = ciphertext.len() - TAG_LEN;
        if !BUCKETS.contains(&bucket) {
            return Err(EnvelopeError::Bucket(ciphertext.len()));
        }
        let mut key_id = [0; KEY_ID_LEN];
        key_id.copy_from_slice(&head[MAGIC.len()..MAGIC.len() + KEY_ID_LEN]);
        Ok(Envelope {
            key_id: KeyId(key_id),
            bucket,
            encapped: &head[MAGIC.len() + KEY_ID_LEN..],
            ciphertext,
        })
    }
}

/// Why sealing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the answers take {0} bytes; an envelope holds at most {MAX_PLAINTEXT}")]
    TooLarge(usize),
    #[error("the encryption library failed to seal")]
    Hpke,
}

/// Why an envelope did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    #[error("the envelope is sealed to key {0}, not this one")]
    OtherKey(KeyId),
    #[error(
        "the envelope does not open: it was damaged, or moved from another survey, version or submission id"
    )]
    Decrypt,
    #[error("the opened envelope's padding is malformed")]
    Padding,
}

/// The smallest bucket that holds `len` plaintext bytes and their prefix.
pub fn bucket_for(len: usize) -> Option<usize> {
    BUCKETS.iter().copied().find(|&b| b >= len + LENGTH_LEN)
}

/// Pads `plaintext` (`len` as u32 BE, the bytes, zeros up to the bucket),
/// seals it to `key` for `binding`, and returns the envelope:
/// `CHE1 ‖ key id ‖ encapsulated key ‖ ciphertext with tag`.
pub fn seal(
    key: &PublicKey,
    binding: &Binding<'_>,
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    let padded = pad(plaintext).ok_or(SealError::TooLarge(plaintext.len()))?;
    let (encapped, mut ctx) =
        hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, Kem>(&OpModeS::Base, &key.key, INFO)
            .map_err(|_| SealError::Hpke)?;
    let ciphertext = ctx
        .seal(&padded, &binding.aad(key.id))
        .map_err(|_| SealError::Hpke)?;
    let mut out = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&key.id.0);
    out.extend_from_slice(&encapped.to_bytes());
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// `len` as u32 BE, the bytes, zeros up to the smallest bucket that holds
/// them; `None` when no bucket does.
fn pad(plaintext: &[u8]) -> Option<Vec<u8>> {
    let bucket = bucket_for(plaintext.len())?;
    let mut padded = Vec::with_capacity(bucket);
    padded.extend_from_slice(&(plaintext.len() as u32).to_be_bytes());
    padded.extend_from_slice(plaintext);
    padded.resize(bucket, 0);
    Some(padded)
}

fn unpad(mut padded: Vec<u8>) -> Result<Vec<u8>, OpenError> {
    if padded.len() < LENGTH_LEN {
        return Err(OpenError::Padding);
    }
    let mut len = [0; LENGTH_LEN];
    len.copy_from_slice(&padded[..LENGTH_LEN]);
    let len = u32::from_be_bytes(len) as usize;
    let end = LENGTH_LEN.checked_add(len).ok_or(OpenError::Padding)?;
    if end > padded.len() || padded[end..].iter().any(|&b| b != 0) {
        return Err(OpenError::Padding);
    }
    padded.truncate(end);
    padded.drain(..LENGTH_LEN);
    Ok(padded)
}

/// Envelope bytes as they travel in JSON: base64url without padding.
pub fn encode(envelope: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(envelope)
}

/// The inverse of [`encode`]; `None` for text that is not base64url.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Parses a UUID's text (`7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10`, any case,
/// hyphens optional) into its 16 bytes, for [`Binding::submission_id`].
pub fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    let digits: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
    if digits.len() != 32 {
        return None;
    }
    let mut out = [0; 16];
    for (i, pair) in digits.chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests;
