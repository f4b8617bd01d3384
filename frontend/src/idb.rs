//! The device's storage: IndexedDB object stores of bytes, keyed by text.
//! Thin on purpose: what the bytes are and when to write or delete them is
//! `runner`'s business (tested natively).
//!
//! * [`OUTBOX`]: the outbox, keyed by submission id, driven by `queue`.
//!   Each value is an `Item::encode()`: for a sealed survey the envelope,
//!   never the answers.
//! * [`DRAFTS`]: unfinished answers locked with the member's passphrase
//!   (`runner::unfinished`), keyed by a random id, driven by `drafts`. A
//!   database of its own, so that the quick exit can delete it whole
//!   (`indexedDB.deleteDatabase`) without touching the outbox.
//!
//! Writes wait for their transaction to complete,
//! asked with `durability: "strict"` (browsers that do not know the
//! option ignore it), so "saved on this device" is said only once the
//! bytes are on disk.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransaction};

/// A database and its one object store.
pub struct Place {
    database: &'static str,
    store: &'static str,
}

pub const OUTBOX: Place = Place {
    database: "chorus",
    store: "outbox",
};

/// Deleted by name by the quick exit (`collector/src/pages/quick-exit.js`).
pub const DRAFTS: Place = Place {
    database: "chorus-drafts",
    store: "drafts",
};

/// Version 1 is the only one: the values carry their own format
/// (`runner::outbox::FORMAT`, `seal::draft::MAGIC`), so a database never
/// needs upgrading.
const VERSION: u32 = 1;

/// An open database.
pub struct Store {
    db: IdbDatabase,
    store: &'static str,
}

/// Waits for a request's `success` (its result) or `error`; listens from
/// the call, not from the first poll.
fn finished(request: &IdbRequest) -> impl Future<Output = Result<JsValue, JsValue>> + use<> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let request = request.clone();
    async move {
        JsFuture::from(promise).await?;
        request.result()
    }
}

/// Waits for a transaction to commit (`complete`), or its `error`/`abort`.
async fn committed(tx: &IdbTransaction) -> Result<(), JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onerror(Some(&reject));
        tx.set_onabort(Some(&reject));
    });
    JsFuture::from(promise).await.map(drop)
}

impl Store {
    /// Opens (creating on first use) a database. Fails where the browser
    /// has no IndexedDB or refuses it (some private windows). The
    /// connection closes itself when another page asks to delete the
    /// database (the quick exit), so that the deletion is not blocked.
    pub async fn open(place: &Place) -> Result<Store, JsValue> {
        let factory = web_sys::window()
            .ok_or(JsValue::NULL)?
            .indexed_db()?
            .ok_or(JsValue::NULL)?;
        let request: IdbOpenDbRequest = factory.open_with_u32(place.database, VERSION)?;
        let store = place.store;
        let upgrade = wasm_bindgen::closure::Closure::once_into_js({
            let request = request.clone();
            move || {
                if let Ok(db) = request.result().and_then(|db| db.dyn_into::<IdbDatabase>())
                    && !db.object_store_names().contains(store)
                {
                    let _ = db.create_object_store(store);
                }
            }
        });
        request.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
        let db = finished(&request).await?.dyn_into::<IdbDatabase>()?;
        let close = wasm_bindgen::closure::Closure::<dyn Fn()>::new({
            let db = db.clone();
            move || db.close()
        });
        db.set_onversionchange(Some(close.as_ref().unchecked_ref()));
        // Lives as long as the connection.
        close.forget();
        Ok(Store { db, store })
    }

    fn transaction(&self, write: bool) -> Result<(IdbTransaction, IdbObjectStore), JsValue> {
        let tx: IdbTransaction = if write {
            // `transaction(store, "readwrite", {durability: "strict"})`,
            // called by name: web-sys has the options only as unstable API.
            let options = Object::new();
            Reflect::set(&options, &"durability".into(), &"strict".into())?;
            let open: Function = Reflect::get(&self.db, &"transaction".into())?.dyn_into()?;
            open.call3(&self.db, &self.store.into(), &"readwrite".into(), &options)?
                .dyn_into()?
        } else {
            self.db.transaction_with_str(self.store)?
        };
        let store = tx.object_store(self.store)?;
        Ok((tx, store))
    }

    /// Every stored value, as bytes (values that are not bytes are skipped
    /// here and left in the store).
    pub async fn all(&self) -> Result<Vec<Vec<u8>>, JsValue> {
        let (_tx, store) = self.transaction(false)?;
        let values: Array = finished(&store.get_all()?).await?.dyn_into()?;
        Ok(values
            .iter()
            .filter_map(|v| v.dyn_into::<Uint8Array>().ok())
            .map(|bytes| bytes.to_vec())
            .collect())
    }

    /// Every stored value that is bytes, with its key (in key order).
    pub async fn entries(&self) -> Result<Vec<(String, Vec<u8>)>, JsValue> {
        let (_tx, store) = self.transaction(false)?;
        // Both requests in one transaction: they see the same store.
        // Each request's handlers are set before anything is awaited, so
        // that the second's `success` cannot pass unheard.
        let keys = finished(&store.get_all_keys()?);
        let values = finished(&store.get_all()?);
        let keys: Array = keys.await?.dyn_into()?;
        let values: Array = values.await?.dyn_into()?;
        Ok(keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| Some((k.as_string()?, v.dyn_into::<Uint8Array>().ok()?.to_vec())))
            .collect())
    }

    /// How many values the store holds (without reading them).
    pub async fn count(&self) -> Result<usize, JsValue> {
        let (_tx, store) = self.transaction(false)?;
        let n = finished(&store.count()?).await?;
        Ok(n.as_f64().unwrap_or(0.0) as usize)
    }

    /// Stores `bytes` under `key`, replacing what was there; returns once
    /// the write is committed.
    pub async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), JsValue> {
        let (tx, store) = self.transaction(true)?;
        store.put_with_key(&Uint8Array::from(bytes), &key.into())?;
        committed(&tx).await
    }

    /// Deletes the value under `key` (nothing if there is none).
    pub async fn delete(&self, key: &str) -> Result<(), JsValue> {
        let (tx, store) = self.transaction(true)?;
        store.delete(&key.into())?;
        committed(&tx).await
    }

    /// Deletes every value.
    pub async fn clear(&self) -> Result<(), JsValue> {
        let (tx, store) = self.transaction(true)?;
        store.clear()?;
        committed(&tx).await
    }
}
