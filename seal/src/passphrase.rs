//! A key derived from a person's passphrase: argon2id, memory-hard, so that
//! every guess costs whoever holds the file (or the phone) the same memory
//! and time. Shared by the researcher's key file and the member's locked
//! drafts.

use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id's parameters, as stored beside what they protect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Cost {
    /// Whether opening with these settings stays within what Chorus runs:
    /// at most `max_kib` of memory and 64 passes, so that a planted file
    /// cannot be a way to exhaust a computer or a phone.
    pub(crate) fn within(self, max_kib: u32) -> bool {
        self.memory_kib <= max_kib && self.iterations <= 64 && self.parallelism <= 16
    }
}

/// The 32-byte key for `passphrase` and `salt`; `Err` names settings
/// argon2 refuses.
pub(crate) fn derive(passphrase: &[u8], salt: &[u8], cost: Cost) -> Result<[u8; 32], String> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, Some(32))
        .map_err(|e| e.to_string())?;
    let mut key = [0; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, salt, &mut key)
        .map_err(|e| e.to_string())?;
    Ok(key)
}
