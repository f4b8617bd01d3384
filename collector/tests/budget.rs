//! The privacy budget through the database: for any sequence of publishes,
//! the ledger's total never exceeds the budget, and a refused publish
//! (overspend) writes nothing — no charge, no release.

use collector::store::{self, Release, Store, StoreError};
use proptest::prelude::*;
use proptest::test_runner::Config;
use surveys::Epsilon;

#[derive(Debug, thiserror::Error)]
enum E {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Budget(#[from] analysis::BudgetError),
}

fn eps() -> impl Strategy<Value = Epsilon> {
    (1u64..12, 1u64..8).prop_map(|(n, d)| Epsilon::new(n, d).expect("den > 0"))
}

proptest! {
    #![proptest_config(Config { cases: 24, failure_persistence: None, ..Config::default() })]

    #[test]
    fn publishes_never_overspend(budget in eps(), requests in prop::collection::vec(eps(), 1..8)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = Store::open(&dir.path().join("b.db").into()).expect("open");
        let mut model = Epsilon::ZERO;
        let mut releases = 0i64;
        for (i, req) in requests.into_iter().enumerate() {
            let result = conn.publish::<E>(
                "s",
                store::Charge { epsilon: req, delta: 0.0 },
                "2026-11-29",
                "test",
                |spent| {
                    analysis::check_spend(budget, spent, req)?;
                    Ok(())
                },
                |batch| Ok(batch.iter().map(|_| None).collect()),
                |cx, rows| Ok(Release {
                    release_id: cx.release_id.clone(),
                    json: format!("{{\"n\":{}}}", rows.count()),
                    html: String::new(),
                }),
            );
            let fits = model.checked_add(req).expect("small") <= budget;
            match result {
                Ok(r) => {
                    prop_assert!(fits, "step {i}: {req} granted past the budget");
                    prop_assert_eq!(r.release_id, format!("2026-11-29.{}", releases + 1));
                    model = model.checked_add(req).expect("small");
                    releases += 1;
                }
                Err(E::Budget(_)) => prop_assert!(!fits, "step {i}: {req} refused but fits"),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            }
            let spent = conn.spent("s").expect("spent");
            prop_assert_eq!(spent, model);
            prop_assert!(spent <= budget);
            let stored = conn.list_releases("s").expect("list").len();
            prop_assert_eq!(i64::try_from(stored).expect("small"), releases);
        }
    }
}

#[test]
fn release_ids_do_not_collide_across_surveys() -> Result<(), StoreError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conn = Store::open(&dir.path().join("c.db").into())?;
    let one = Epsilon::from_integer(1);
    let mut ids = Vec::new();
    for survey in ["a", "b", "a"] {
        let r = conn.publish::<StoreError>(
            survey,
            store::Charge {
                epsilon: one,
                delta: 0.0,
            },
            "2026-11-29",
            "test",
            |_| Ok(()),
            |batch| Ok(batch.iter().map(|_| None).collect()),
            |cx, _| {
                Ok(Release {
                    release_id: cx.release_id.clone(),
                    json: "{}".into(),
                    html: String::new(),
                })
            },
        )?;
        ids.push(r.release_id);
    }
    assert_eq!(ids, ["2026-11-29.1", "2026-11-29.2", "2026-11-29.3"]);
    assert!(conn.release("a", "2026-11-29.1")?.is_some());
    assert!(conn.release("b", "2026-11-29.1")?.is_none());
    assert_eq!(conn.list_releases("a")?.len(), 2);
    Ok(())
}
