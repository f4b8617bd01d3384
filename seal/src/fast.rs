//! The receiver's side of Chorus's one HPKE suite, with the private key
//! expanded once.
//!
//! An X-Wing private key is a 32-byte seed. The `x-wing` crate keeps only
//! the seed and expands it again — SHAKE256, a full ML-KEM-768 key
//! generation and an X25519 base-point multiplication — on every
//! decapsulation, which more than doubles the cost of opening an envelope.
//! [`Receiver`] expands the seed once, when the [`SecretKey`](crate::SecretKey)
//! is made, and then opens envelopes with the primitives directly:
//!
//! - X-Wing decapsulation (draft-connolly-cfrg-xwing-kem-06, as `x-wing`
//!   0.1.1 implements it): `ss_M = ML-KEM-768.Decaps(dk_M, ct_M)`,
//!   `ss_X = X25519(sk_X, ct_X)`,
//!   `ss = SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ XWingLabel)`. Like
//!   `x-wing`'s `DecapsulationKey` (the one `hpke` uses), an all-zero
//!   X25519 output is accepted, not refused.
//! - The RFC 9180 key schedule (§5.1) in base mode with HKDF-SHA256. `hpke`
//!   0.15.1 takes X-Wing's 32-byte output as HPKE's `shared_secret` as it
//!   is, with no `ExtractAndExpand` (that belongs to DHKEM only), and so
//!   does this module.
//! - ChaCha20-Poly1305 with `base_nonce` itself as the nonce: an envelope
//!   holds one message, sequence number 0.
//!
//! ML-KEM-768 is Cryspen's formally verified `libcrux-ml-kem` on native
//! targets (AVX2 where the CPU has it, chosen at run time, else its portable
//! code): its decapsulation takes about a fifth of the time `ml-kem`'s does,
//! and opening is what the researcher's `chorus export` spends its time on.
//! In the browser, which only seals, it stays the `ml-kem` crate that `hpke`
//! itself uses, so the wasm bundle is unchanged. Both are FIPS 203
//! `ML-KEM.KeyGen_internal(d, z)` from the same 64 bytes `d ‖ z`; the tests
//! below hold their public keys equal seed by seed.
//!
//! `tests/fast_open.rs` checks that this opens exactly what, and fails
//! exactly where, the `hpke` path ([`SecretKey::open_with_hpke`](crate::SecretKey::open_with_hpke)) does.

use std::fmt;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use hkdf::{Hkdf, HkdfExtract};
use hpke::Serializable as _;
use sha2::Sha256;
use sha3::{Digest, Sha3_256};
use shake::{ExtendableOutput, Shake256, Update, XofReader};
use x25519_dalek::{PublicKey as X25519Public, StaticSecret};
use zeroize::Zeroize;

use crate::{ENCAPPED_LEN, INFO, PUBLIC_KEY_LEN, SECRET_KEY_LEN, TAG_LEN};

/// Bytes of an ML-KEM-768 ciphertext: the first part of an X-Wing one.
const ML_KEM_CT_LEN: usize = 1088;
/// Bytes of an ML-KEM-768 encapsulation key: the first part of an X-Wing
/// public key.
const ML_KEM_PK_LEN: usize = 1184;
/// Bytes of ML-KEM-768's key-generation seed `d ‖ z`.
const ML_KEM_SEED_LEN: usize = 64;
/// X-Wing's domain separator, the last input of its combiner: `\.//^\`
/// (draft-connolly-cfrg-xwing-kem-06 §5.3; `x-wing` 0.1.1's `X_WING_LABEL`).
const XWING_LABEL: &[u8; 6] = b"\\.//^\\";

/// RFC 9180 §5.1: `"HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id, 2) ‖ I2OSP(aead_id, 2)`
/// for X-Wing (`0x647a`), HKDF-SHA256 (`0x0001`), ChaCha20-Poly1305 (`0x0003`).
const SUITE_ID: [u8; 10] = [b'H', b'P', b'K', b'E', 0x64, 0x7a, 0x00, 0x01, 0x00, 0x03];
/// RFC 9180 §4: the prefix of every labelled extract and expand.
const VERSION_LABEL: &[u8] = b"HPKE-v1";
/// RFC 9180 §5: `mode_base`.
const MODE_BASE: u8 = 0x00;
/// ChaCha20-Poly1305's `Nk` and `Nn`.
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
/// HKDF-SHA256's `Nh`.
const HASH_LEN: usize = 32;
/// `key_schedule_context = mode ‖ psk_id_hash ‖ info_hash`.
const CONTEXT_LEN: usize = 1 + 2 * HASH_LEN;

/// A Chorus private key expanded for opening: the ML-KEM-768 decapsulation
/// key, the X25519 secret and public key, and what the key schedule needs
/// that does not depend on the envelope.
#[derive(Clone)]
pub(crate) struct Receiver {
    dk_m: mlkem::DecapsulationKey,
    sk_x: StaticSecret,
    pk_x: [u8; 32],
    /// The whole X-Wing public key, `pk_M ‖ pk_X`: what the expansion gives
    /// and the `hpke` crate's public key must equal.
    public: Box<[u8; PUBLIC_KEY_LEN]>,
    /// RFC 9180's `key_schedule_context` for base mode, an empty `psk_id`
    /// and `info` = [`INFO`]: the same for every envelope.
    context: [u8; CONTEXT_LEN],
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

impl Receiver {
    /// Expands an X-Wing seed as `x-wing` 0.1.1's `expand_key` does:
    /// `SHAKE256(seed)` read for 96 bytes; the first 64 are ML-KEM-768's
    /// key-generation seed `d ‖ z`, the next 32 the X25519 secret.
    pub(crate) fn new(seed: &[u8; SECRET_KEY_LEN]) -> Receiver {
        let mut shake = Shake256::default();
        shake.update(seed);
        let mut reader = shake.finalize_xof();

        let mut seed_m = [0u8; ML_KEM_SEED_LEN];
        reader.read(&mut seed_m);
        let (dk_m, pk_m) = mlkem::DecapsulationKey::from_seed(&seed_m);
        seed_m.zeroize();

        let mut seed_x = [0u8; 32];
        reader.read(&mut seed_x);
        let sk_x = StaticSecret::from(seed_x);
        seed_x.zeroize();
        let pk_x = X25519Public::from(&sk_x).to_bytes();

        let mut public = Box::new([0u8; PUBLIC_KEY_LEN]);
        public[..ML_KEM_PK_LEN].copy_from_slice(&pk_m);
        public[ML_KEM_PK_LEN..].copy_from_slice(&pk_x);

        Receiver {
            dk_m,
            sk_x,
            pk_x,
            public,
            context: key_schedule_context(),
        }
    }

    /// [`Receiver::new`] for the `hpke` crate's X-Wing private key (its seed).
    pub(crate) fn for_key(key: &<hpke::kem::XWing as hpke::Kem>::PrivateKey) -> Receiver {
        let mut seed = [0u8; SECRET_KEY_LEN];
        key.write_exact(&mut seed);
        let receiver = Receiver::new(&seed);
        seed.zeroize();
        receiver
    }

    /// The X-Wing public key the seed gives, `pk_M ‖ pk_X`.
    pub(crate) fn public_key_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.public
    }

    /// X-Wing decapsulation of `encapped` (`ct_M ‖ ct_X`, 1120 bytes).
    fn decapsulate(&self, encapped: &[u8; ENCAPPED_LEN]) -> [u8; 32] {
        let (ct_m, ct_x) = encapped.split_at(ML_KEM_CT_LEN);
        let mut ct_x_bytes = [0u8; 32];
        ct_x_bytes.copy_from_slice(ct_x);

        let mut ss_m = self.dk_m.decapsulate(ct_m);
        let ss_x = self.sk_x.diffie_hellman(&X25519Public::from(ct_x_bytes));

        // x-wing 0.1.1 `combiner`: ss_M, ss_X, ct_X, pk_X, then the label.
        let mut hasher = Sha3_256::new();
        Digest::update(&mut hasher, &ss_m[..]);
        Digest::update(&mut hasher, ss_x.as_bytes());
        Digest::update(&mut hasher, ct_x_bytes);
        Digest::update(&mut hasher, self.pk_x);
        Digest::update(&mut hasher, XWING_LABEL);
        let mut ss = [0u8; 32];
        ss.copy_from_slice(&hasher.finalize());

        ss_m[..].zeroize();
        ss
    }

    /// Opens one HPKE base-mode message: decapsulates `encapped`, runs the
    /// key schedule with `info` = [`INFO`] and opens `ciphertext` (with its
    /// tag) for `aad` under `base_nonce`. `None` when it does not open.
    pub(crate) fn open(&self, encapped: &[u8], ciphertext: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let encapped: &[u8; ENCAPPED_LEN] = encapped.try_into().ok()?;
        let body_len = ciphertext.len().checked_sub(TAG_LEN)?;

        let mut shared_secret = self.decapsulate(encapped);
        let (mut key, mut base_nonce) = self.key_and_nonce(&shared_secret);
        shared_secret.zeroize();

        let aead = ChaCha20Poly1305::new(&Key::from(key));
        key.zeroize();
        let (body, tag) = ciphertext.split_at(body_len);
        let tag = Tag::try_from(tag).ok()?;
        let mut plaintext = body.to_vec();
        let opened = aead.decrypt_inout_detached(
            &Nonce::from(base_nonce),
            aad,
            plaintext.as_mut_slice().into(),
            &tag,
        );
        base_nonce.zeroize();
        match opened {
            Ok(()) => Some(plaintext),
            Err(_) => None,
        }
    }

    /// RFC 9180 §5.1 `KeySchedule` for the receiver: `key` and `base_nonce`
    /// (the exporter secret is never used, so it is not derived).
    ///
    /// ```text
    /// secret     = LabeledExtract(shared_secret, "secret", psk = "")
    /// key        = LabeledExpand(secret, "key", key_schedule_context, 32)
    /// base_nonce = LabeledExpand(secret, "base_nonce", key_schedule_context, 12)
    /// ```
    fn key_and_nonce(&self, shared_secret: &[u8; 32]) -> ([u8; KEY_LEN], [u8; NONCE_LEN]) {
        let secret = labeled_extract(shared_secret, b"secret", b"");
        let mut key = [0u8; KEY_LEN];
        let mut base_nonce = [0u8; NONCE_LEN];
        labeled_expand(&secret, b"key", &self.context, &mut key);
        labeled_expand(&secret, b"base_nonce", &self.context, &mut base_nonce);
        (key, base_nonce)
    }
}

/// ML-KEM-768 decapsulation with libcrux (native targets).
#[cfg(not(target_arch = "wasm32"))]
mod mlkem {
    use libcrux_ml_kem::mlkem768::{self, MlKem768Ciphertext, MlKem768PrivateKey};
    use zeroize::Zeroize;

    use super::{ML_KEM_PK_LEN, ML_KEM_SEED_LEN};

    /// FIPS 203's 2400-byte decapsulation key `dk_PKE ‖ ek ‖ H(ek) ‖ z`, as
    /// libcrux takes it; overwritten with zeros when dropped (libcrux itself
    /// does not).
    #[derive(Clone)]
    pub(super) struct DecapsulationKey(MlKem768PrivateKey);

    impl DecapsulationKey {
        /// `ML-KEM.KeyGen_internal(d, z)` with `seed = d ‖ z`: libcrux's
        /// `generate_key_pair` takes the 64 bytes in that order (its
        /// `ind_cca::generate_keypair` splits them into the IND-CPA seed,
        /// then the implicit-rejection value). The key and `ek`.
        pub(super) fn from_seed(
            seed: &[u8; ML_KEM_SEED_LEN],
        ) -> (DecapsulationKey, [u8; ML_KEM_PK_LEN]) {
            let (dk, ek) = mlkem768::generate_key_pair(*seed).into_parts();
            (DecapsulationKey(dk), *ek.as_slice())
        }

        /// `ML-KEM.Decaps(dk, ct)` for the first 1088 bytes of an X-Wing
        /// ciphertext, with implicit rejection: never fails.
        pub(super) fn decapsulate(&self, ct: &[u8]) -> [u8; 32] {
            let ct = MlKem768Ciphertext::try_from(ct)
                .expect("an X-Wing ciphertext starts with 1088 bytes of ML-KEM-768");
            mlkem768::decapsulate(&self.0, &ct)
        }
    }

    impl Drop for DecapsulationKey {
        fn drop(&mut self) {
            self.0[0..].zeroize();
        }
    }
}

/// ML-KEM-768 decapsulation with `ml-kem` (the browser: `hpke`'s own).
#[cfg(target_arch = "wasm32")]
mod mlkem {
    use ml_kem::kem::{Decapsulate, KeyExport};
    use ml_kem::ml_kem_768;
    use zeroize::Zeroize;

    use super::{ML_KEM_PK_LEN, ML_KEM_SEED_LEN};

    /// `ml-kem`'s expanded key, which zeroizes itself when dropped.
    #[derive(Clone)]
    pub(super) struct DecapsulationKey(ml_kem_768::DecapsulationKey);

    impl DecapsulationKey {
        /// `ML-KEM.KeyGen_internal(d, z)` with `seed = d ‖ z`. The key and `ek`.
        pub(super) fn from_seed(
            seed: &[u8; ML_KEM_SEED_LEN],
        ) -> (DecapsulationKey, [u8; ML_KEM_PK_LEN]) {
            let mut seed = ml_kem::Seed::from(*seed);
            let dk = ml_kem_768::DecapsulationKey::from_seed(seed);
            seed.as_mut_slice().zeroize();
            let mut ek = [0u8; ML_KEM_PK_LEN];
            ek.copy_from_slice(&dk.encapsulation_key().to_bytes());
            (DecapsulationKey(dk), ek)
        }

        /// `ML-KEM.Decaps(dk, ct)` for the first 1088 bytes of an X-Wing
        /// ciphertext, with implicit rejection: never fails.
        pub(super) fn decapsulate(&self, ct: &[u8]) -> ml_kem::SharedKey {
            let ct = ml_kem::Ciphertext::<ml_kem::MlKem768>::try_from(ct)
                .expect("an X-Wing ciphertext starts with 1088 bytes of ML-KEM-768");
            self.0.decapsulate(&ct)
        }
    }
}

/// `key_schedule_context = concat(mode_base, psk_id_hash, info_hash)` with
/// `psk_id_hash = LabeledExtract("", "psk_id_hash", "")` and
/// `info_hash = LabeledExtract("", "info_hash", INFO)`.
fn key_schedule_context() -> [u8; CONTEXT_LEN] {
    let mut context = [0u8; CONTEXT_LEN];
    context[0] = MODE_BASE;
    context[1..1 + HASH_LEN].copy_from_slice(&labeled_extract_prk(b"", b"psk_id_hash", b""));
    context[1 + HASH_LEN..].copy_from_slice(&labeled_extract_prk(b"", b"info_hash", INFO));
    context
}

/// RFC 9180 §4 `LabeledExtract(salt, label, ikm)` =
/// `Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm)`, kept as HKDF state
/// ready to expand.
fn labeled_extract(salt: &[u8], label: &[u8], ikm: &[u8]) -> Hkdf<Sha256> {
    labeled_extract_ctx(salt, label, ikm).finalize().1
}

/// [`labeled_extract`]'s pseudorandom key itself.
fn labeled_extract_prk(salt: &[u8], label: &[u8], ikm: &[u8]) -> [u8; HASH_LEN] {
    let (prk, _) = labeled_extract_ctx(salt, label, ikm).finalize();
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(&prk);
    out
}

fn labeled_extract_ctx(salt: &[u8], label: &[u8], ikm: &[u8]) -> HkdfExtract<Sha256> {
    let mut extract = HkdfExtract::<Sha256>::new(Some(salt));
    extract.input_ikm(VERSION_LABEL);
    extract.input_ikm(&SUITE_ID);
    extract.input_ikm(label);
    extract.input_ikm(ikm);
    extract
}

/// RFC 9180 §4 `LabeledExpand(prk, label, info, L)` =
/// `Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L)`,
/// with `L = out.len()` (here 32 or 12).
fn labeled_expand(prk: &Hkdf<Sha256>, label: &[u8], info: &[u8], out: &mut [u8]) {
    let length = u16::try_from(out.len())
        .expect("a key schedule output is short")
        .to_be_bytes();
    prk.expand_multi_info(&[&length, VERSION_LABEL, &SUITE_ID, label, info], out)
        .expect("HKDF-SHA256 expands up to 8160 bytes");
}

#[cfg(test)]
mod tests {
    use super::*;
    use hpke::kem::XWing;
    use hpke::{Deserializable, Kem as _, Serializable};

    /// The expansion gives the same public key as the `hpke` crate (through
    /// `x-wing`), seed by seed.
    #[test]
    fn expanded_public_key_equals_the_hpke_crates() {
        for i in 0u8..16 {
            let seed = [i.wrapping_mul(37).wrapping_add(1); SECRET_KEY_LEN];
            let sk = <XWing as hpke::Kem>::PrivateKey::from_bytes(&seed).expect("any 32 bytes");
            let pk = XWing::sk_to_pk(&sk).to_bytes();
            assert_eq!(
                &pk[..],
                &Receiver::new(&seed).public_key_bytes()[..],
                "seed {i}"
            );
        }
    }

    /// `n` bytes from a small generator, different for each `seed`.
    fn bytes<const N: usize>(seed: u64) -> [u8; N] {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut out = [0u8; N];
        for b in &mut out {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = (x >> 24) as u8;
        }
        out
    }

    /// The ML-KEM-768 key [`Receiver`] uses (libcrux on native targets)
    /// is the `ml-kem` crate's for the same 64-byte seed `d ‖ z`: the same
    /// 1184-byte public key, and the same shared secret for a ciphertext
    /// `ml-kem` encapsulated, for a damaged one and for random bytes
    /// (implicit rejection, which depends on `z`: a swapped `d` and `z`
    /// would give other public keys and other rejection secrets).
    #[test]
    fn ml_kem_768_agrees_with_the_ml_kem_crate_seed_by_seed() {
        use ml_kem::kem::{Decapsulate, KeyExport};
        use ml_kem::ml_kem_768;

        let mut seeds: Vec<[u8; ML_KEM_SEED_LEN]> =
            vec![[0; ML_KEM_SEED_LEN], [0xff; ML_KEM_SEED_LEN]];
        let mut d_then_z = [0u8; ML_KEM_SEED_LEN];
        d_then_z[32..].fill(1);
        seeds.push(d_then_z);
        seeds.extend((0..200).map(bytes::<ML_KEM_SEED_LEN>));
        for (i, seed) in seeds.iter().enumerate() {
            let (ours, pk) = mlkem::DecapsulationKey::from_seed(seed);
            let theirs = ml_kem_768::DecapsulationKey::from_seed(ml_kem::Seed::from(*seed));
            let ek = theirs.encapsulation_key();
            assert_eq!(&pk[..], &ek.to_bytes()[..], "public key, seed {i}");

            let (ct, ss) =
                ek.encapsulate_deterministic(&ml_kem::B32::from(bytes::<32>(1000 + i as u64)));
            let ct: [u8; ML_KEM_CT_LEN] = ct.as_slice().try_into().expect("1088 bytes");
            assert_eq!(
                ours.decapsulate(&ct),
                ss.as_slice(),
                "shared secret, seed {i}"
            );

            let mut damaged = ct;
            damaged[i * 7 % ML_KEM_CT_LEN] ^= 1 << (i % 8);
            let random = bytes::<ML_KEM_CT_LEN>(5000 + i as u64);
            for (what, ct) in [("damaged", damaged), ("random", random)] {
                let reference =
                    ml_kem::Ciphertext::<ml_kem::MlKem768>::try_from(&ct[..]).expect("1088 bytes");
                let rejected = ours.decapsulate(&ct);
                assert_eq!(
                    rejected,
                    theirs.decapsulate(&reference).as_slice(),
                    "{what} ciphertext, seed {i}"
                );
                assert_ne!(rejected, ss.as_slice(), "{what} ciphertext, seed {i}");
            }
        }
    }

    /// A clone decapsulates as the original does, and dropping the
    /// original (which zeroizes its bytes) leaves the clone whole.
    #[test]
    fn a_cloned_ml_kem_key_outlives_the_original() {
        let seed = bytes::<ML_KEM_SEED_LEN>(77);
        let (dk, _) = mlkem::DecapsulationKey::from_seed(&seed);
        let ct = bytes::<ML_KEM_CT_LEN>(78);
        let before = dk.decapsulate(&ct);
        let clone = dk.clone();
        drop(dk);
        assert_eq!(clone.decapsulate(&ct), before);
    }

    /// [`Receiver`]'s X-Wing decapsulation gives the `hpke` crate's shared
    /// secret (`x-wing` over `ml-kem`) for encapsulations `hpke` made, for
    /// damaged ones (ML-KEM part, X25519 part) and for random bytes.
    #[test]
    fn decapsulation_gives_the_hpke_crates_shared_secret() {
        for i in 0u64..48 {
            let seed = bytes::<SECRET_KEY_LEN>(9000 + i);
            let sk = <XWing as hpke::Kem>::PrivateKey::from_bytes(&seed).expect("any 32 bytes");
            let pk = XWing::sk_to_pk(&sk);
            let receiver = Receiver::new(&seed);
            let (ss, encapped) = XWing::encap(&pk, None).expect("encapsulates");
            let mut enc: [u8; ENCAPPED_LEN] = encapped.to_bytes().into();
            let mut cases = vec![("valid", enc)];
            let at = (i as usize * 131) % ML_KEM_CT_LEN;
            enc[at] ^= 1 << (i % 8);
            cases.push(("ML-KEM part damaged", enc));
            enc[at] ^= 1 << (i % 8);
            enc[ML_KEM_CT_LEN + (i as usize % 32)] ^= 1 << (i % 7);
            cases.push(("X25519 part damaged", enc));
            cases.push(("random", bytes::<ENCAPPED_LEN>(i)));
            for (what, enc) in cases {
                let encapped =
                    <XWing as hpke::Kem>::EncappedKey::from_bytes(&enc).expect("1120 bytes");
                let theirs = XWing::decap(&sk, None, &encapped).expect("decapsulates");
                let ours = receiver.decapsulate(&enc);
                assert_eq!(&ours[..], &theirs.0[..], "{what}, key {i}");
                if what == "valid" {
                    assert_eq!(&ours[..], &ss.0[..], "{what}, key {i}");
                } else {
                    assert_ne!(&ours[..], &ss.0[..], "{what}, key {i}");
                }
            }
        }
    }

    /// The suite id spelled out byte by byte is RFC 9180's construction.
    #[test]
    fn suite_id_is_hpke_and_the_three_ids() {
        let mut expected = b"HPKE".to_vec();
        expected.extend_from_slice(&0x647a_u16.to_be_bytes());
        expected.extend_from_slice(&0x0001_u16.to_be_bytes());
        expected.extend_from_slice(&0x0003_u16.to_be_bytes());
        assert_eq!(SUITE_ID.to_vec(), expected);
        assert_eq!(XWING_LABEL, br"\.//^\");
    }
}
