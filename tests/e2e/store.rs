//! The storage interface's rules, on the backend this run uses (SQLite, or
//! PostgreSQL with `CHORUS_TEST_BACKEND=postgres`): duplicates, the budget,
//! the two-step publication, and charges that race.

use collector::store::{
    Body, Charge, InsertOutcome, NewResponse, Release, Store, StoreError, UploadError,
};
use surveys::Epsilon;

use crate::helpers::fresh_db;

fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, location) = fresh_db(dir.path());
    let store = Store::open(&location).expect("open");
    (dir, store)
}

fn response(id: &str, survey: &str) -> NewResponse {
    NewResponse {
        submission_id: id.into(),
        survey_id: survey.into(),
        survey_version: 1,
        received_day: "2026-11-29".into(),
        body: Body::Plain(r#"{"q":"a"}"#.into()),
    }
}

#[test]
fn a_repeated_submission_is_stored_once() {
    let (_dir, mut store) = fresh();
    let outcomes = store
        .insert_responses(&[response("a", "s"), response("a", "s"), response("a", "t")])
        .expect("insert");
    assert_eq!(
        outcomes,
        [
            InsertOutcome::Stored,
            InsertOutcome::Duplicate,
            InsertOutcome::Conflict
        ]
    );
    // In a later transaction too.
    assert_eq!(
        store
            .insert_responses(&[response("a", "s")])
            .expect("again"),
        [InsertOutcome::Duplicate]
    );
    assert_eq!(store.response_count("s").expect("count"), 1);
    assert_eq!(store.response_count("t").expect("count"), 0);
}

#[test]
fn responses_come_back_in_stored_order_past_a_batch() {
    let (_dir, mut store) = fresh();
    let n = collector::store::OPEN_BATCH + 7;
    let ids: Vec<String> = (0..n).map(|i| format!("{:08x}-z", n - i)).collect();
    let rows: Vec<NewResponse> = ids.iter().map(|id| response(id, "s")).collect();
    store.insert_responses(&rows).expect("insert");
    let mut seen = Vec::new();
    let counted = store
        .for_each_response::<StoreError>("s", |r| {
            seen.push(r.submission_id.to_string());
            Ok(())
        })
        .expect("read");
    assert_eq!(counted, n as u64);
    assert_eq!(seen, ids, "stored order, not id order");
}

fn release_of(cx: &collector::store::PublishContext, text: String) -> Release {
    Release {
        release_id: cx.release_id.clone(),
        json: text,
        html: String::new(),
    }
}

#[test]
fn a_refused_publication_changes_nothing() {
    let (_dir, mut store) = fresh();
    store
        .insert_responses(&[response("a", "s"), response("b", "s")])
        .expect("insert");
    let one = Epsilon::from_integer(1);
    let charge = Charge {
        epsilon: one,
        delta: 0.0,
    };
    let ok = store
        .publish::<StoreError>(
            "s",
            charge,
            "2026-11-29",
            "test",
            |_| Ok(()),
            |batch| {
                Ok(batch
                    .iter()
                    .map(|_| Some(surveys::Answers::new()))
                    .collect())
            },
            |cx, rows| Ok(release_of(cx, rows.count().to_string())),
        )
        .expect("publish");
    assert_eq!(ok.release_id, "2026-11-29.1");
    assert_eq!(ok.json, "2", "build saw every stored response");
    let refused = store.publish::<StoreError>(
        "s",
        charge,
        "2026-11-29",
        "test",
        |spent| {
            assert_eq!(spent, one);
            Err(StoreError::Closed)
        },
        |_| unreachable!("nothing is read after a refusal"),
        |_, _| unreachable!("build must not run after a refusal"),
    );
    assert!(matches!(refused, Err(StoreError::Closed)));
    // A failure while building rolls the charge back too.
    let failed = store.publish::<StoreError>(
        "s",
        charge,
        "2026-11-29",
        "test",
        |_| Ok(()),
        |batch| Ok(batch.iter().map(|_| None).collect()),
        |_, _| Err(StoreError::Unavailable("noise failed".into())),
    );
    assert!(matches!(failed, Err(StoreError::Unavailable(_))));
    assert_eq!(store.spent("s").expect("spent"), one);
    assert_eq!(store.list_releases("s").expect("releases").len(), 1);
}

#[test]
fn a_charge_then_an_upload_is_a_publication() {
    let (_dir, mut store) = fresh();
    let half = Epsilon::new(1, 2).expect("ε");
    let charge_of = Charge {
        epsilon: half,
        delta: 1e-6,
    };
    let cx = store
        .charge::<StoreError>("s", charge_of, "2026-11-29", "two tables", |_| Ok(()))
        .expect("charge");
    assert_eq!(cx.release_id, "2026-11-29.1");
    // Charged but not yet stored: a second charge takes the next id.
    let next = store
        .charge::<StoreError>("s", charge_of, "2026-11-29", "again", |spent| {
            assert_eq!(spent, half);
            Ok(())
        })
        .expect("charge");
    assert_eq!(next.release_id, "2026-11-29.2");
    assert_eq!(store.spent("s").expect("spent"), Epsilon::from_integer(1));
    assert!(store.list_releases("s").expect("releases").is_empty());

    // A refused charge records nothing.
    let refused = store.charge::<StoreError>("s", charge_of, "2026-11-29", "no", |_| {
        Err(StoreError::Closed)
    });
    assert!(matches!(refused, Err(StoreError::Closed)));
    assert_eq!(store.ledger("s").expect("ledger").len(), 2);

    let release = Release {
        release_id: cx.release_id.clone(),
        json: "{}".into(),
        html: "<p>".into(),
    };
    let entry = store
        .store_charged_release::<StoreError>("s", &release, |e| {
            assert_eq!(e.epsilon, half);
            assert_eq!(e.delta, 1e-6);
            Ok(())
        })
        .expect("upload");
    assert_eq!(entry.charged_day, "2026-11-29");
    assert_eq!(
        store.release("s", &cx.release_id).expect("release"),
        Some(("{}".to_string(), "<p>".to_string()))
    );
    // Twice, for another survey, for no charge, or refused by the check:
    // nothing more is stored.
    let twice = store.store_charged_release::<StoreError>("s", &release, |_| Ok(()));
    assert!(
        matches!(twice, Err(UploadError::AlreadyStored { .. })),
        "{twice:?}"
    );
    let other = store.store_charged_release::<StoreError>("t", &release, |_| Ok(()));
    assert!(
        matches!(other, Err(UploadError::NoCharge { .. })),
        "{other:?}"
    );
    let none = Release {
        release_id: "2026-11-29.9".into(),
        ..release.clone()
    };
    let none = store.store_charged_release::<StoreError>("s", &none, |_| Ok(()));
    assert!(
        matches!(none, Err(UploadError::NoCharge { .. })),
        "{none:?}"
    );
    let second = Release {
        release_id: next.release_id.clone(),
        ..release
    };
    let checked =
        store.store_charged_release::<StoreError>("s", &second, |_| Err(StoreError::Closed));
    assert!(
        matches!(checked, Err(UploadError::Refused(StoreError::Closed))),
        "{checked:?}"
    );
    assert_eq!(store.list_releases("s").expect("releases").len(), 1);
    assert_eq!(store.spent("s").expect("spent"), Epsilon::from_integer(1));
}

#[test]
fn racing_charges_on_separate_connections_never_overspend() {
    // Eight connections each try to charge ε = 1/4 three times against a
    // budget of 1: exactly four charges may pass, whatever the interleaving.
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, location) = fresh_db(dir.path());
    Store::open(&location).expect("create");
    let budget = Epsilon::from_integer(1);
    let quarter = Epsilon::new(1, 4).expect("ε");
    let barrier = std::sync::Barrier::new(8);
    let passed: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (location, barrier) = (&location, &barrier);
                scope.spawn(move || {
                    let mut store = Store::open(location).expect("open");
                    barrier.wait();
                    let mut passed = 0;
                    for _ in 0..3 {
                        let charged = store.charge::<StoreError>(
                            "s",
                            Charge {
                                epsilon: quarter,
                                delta: 0.0,
                            },
                            "2026-11-29",
                            "race",
                            |spent| match spent.checked_add(quarter) {
                                Some(total) if total <= budget => Ok(()),
                                _ => Err(StoreError::Closed),
                            },
                        );
                        match charged {
                            Ok(_) => passed += 1,
                            Err(StoreError::Closed) => {}
                            Err(e) => panic!("a charge failed: {e}"),
                        }
                    }
                    passed
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    assert_eq!(passed, 4);
    let mut store = Store::open(&location).expect("open");
    assert_eq!(store.spent("s").expect("spent"), budget);
    let mut ids: Vec<String> = store
        .ledger("s")
        .expect("ledger")
        .into_iter()
        .map(|e| e.release_id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "every charge has its own release id");
}
