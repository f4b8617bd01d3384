//! Bearer tokens for `/api/admin`: only a hash of each token is kept.

use super::{Store, StoreError};

/// An admin token as stored: never the token itself, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    /// Lower-case hex SHA-256 of the token.
    pub token_hash: String,
    /// `researcher` or `viewer`.
    pub role: String,
    pub label: String,
    pub created_day: String,
    pub revoked_day: Option<String>,
}

impl Store {
    /// Stores a new token's hash; returns its id.
    pub fn insert_token(
        &mut self,
        token_hash: &str,
        role: &str,
        label: &str,
        day: &str,
    ) -> Result<i64, StoreError> {
        let record = TokenRecord {
            id: 0,
            token_hash: token_hash.into(),
            role: role.into(),
            label: label.into(),
            created_day: day.into(),
            revoked_day: None,
        };
        self.write(|tx| tx.insert_token(None, &record))
    }

    /// The token whose hash is `token_hash`, revoked or not.
    pub fn find_token(&mut self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.read(|tx| tx.find_token(token_hash))
    }

    /// Every token, oldest first.
    pub fn list_tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(|tx| tx.tokens())
    }

    /// Revokes token `id` from `day` on; `false` when there is no such
    /// token. Revoking twice keeps the first day.
    pub fn revoke_token(&mut self, id: i64, day: &str) -> Result<bool, StoreError> {
        self.write(|tx| tx.revoke_token(id, day))
    }
}
