//! The outbox's storage: one IndexedDB object store of bytes, keyed by
//! submission id. Thin on purpose: what the bytes are and when to write
//! or delete them is `runner::outbox`'s business (tested natively), and
//! `queue` drives both.
//!
//! Each value is an `Item::encode()`: for a sealed survey the envelope,
//! never the answers. Writes wait for their transaction to complete,
//! asked with `durability: "strict"` (browsers that do not know the
//! option ignore it), so "saved on this device" is said only once the
//! bytes are on disk.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransaction};

const DATABASE: &str = "chorus";
const VERSION: u32 = 1;
const STORE: &str = "outbox";

/// The open outbox database.
pub struct Store {
    db: IdbDatabase,
}

/// Waits for a request's `success` (its result) or `error`.
async fn finished(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise).await?;
    request.result()
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
    /// Opens (creating on first use) the outbox database. Fails where the
    /// browser has no IndexedDB or refuses it (some private windows).
    pub async fn open() -> Result<Store, JsValue> {
        let factory = web_sys::window()
            .ok_or(JsValue::NULL)?
            .indexed_db()?
            .ok_or(JsValue::NULL)?;
        let request: IdbOpenDbRequest = factory.open_with_u32(DATABASE, VERSION)?;
        // Version 1 is the only one: the values carry their own format
        // (`runner::outbox::FORMAT`), so the database never needs upgrading.
        let upgrade = wasm_bindgen::closure::Closure::once_into_js({
            let request = request.clone();
            move || {
                if let Ok(db) = request.result().and_then(|db| db.dyn_into::<IdbDatabase>())
                    && !db.object_store_names().contains(STORE)
                {
                    let _ = db.create_object_store(STORE);
                }
            }
        });
        request.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
        let db = finished(&request).await?.dyn_into::<IdbDatabase>()?;
        Ok(Store { db })
    }

    fn transaction(&self, write: bool) -> Result<(IdbTransaction, IdbObjectStore), JsValue> {
        let tx: IdbTransaction = if write {
            // `transaction(store, "readwrite", {durability: "strict"})`,
            // called by name: web-sys has the options only as unstable API.
            let options = Object::new();
            Reflect::set(&options, &"durability".into(), &"strict".into())?;
            let open: Function = Reflect::get(&self.db, &"transaction".into())?.dyn_into()?;
            open.call3(&self.db, &STORE.into(), &"readwrite".into(), &options)?
                .dyn_into()?
        } else {
            self.db.transaction_with_str(STORE)?
        };
        let store = tx.object_store(STORE)?;
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
