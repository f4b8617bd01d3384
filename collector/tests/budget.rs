//! The privacy budget through the database: for any sequence of publishes,
//! the ledger's total never exceeds the budget, and a refused publish
//! (overspend) writes nothing — no charge, no release.

use collector::db::{self, Release, StoreError};
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
        let mut conn = db::open(&dir.path().join("b.db")).expect("open");
        let mut model = Epsilon::ZERO;
        let mut releases = 0i64;
        for (i, req) in requests.into_iter().enumerate() {
            let result = db::publish::<E>(
                &mut conn,
                "s",
                db::Charge { epsilon: req, delta: 0.0 },
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
            let spent = db::spent(&conn, "s").expect("spent");
            prop_assert_eq!(spent, model);
            prop_assert!(spent <= budget);
            let stored = db::list_releases(&conn, "s").expect("list").len();
            prop_assert_eq!(i64::try_from(stored).expect("small"), releases);
        }
    }
}

#[test]
fn release_ids_do_not_collide_across_surveys() -> Result<(), StoreError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conn = db::open(&dir.path().join("c.db"))?;
    let one = Epsilon::from_integer(1);
    let mut ids = Vec::new();
    for survey in ["a", "b", "a"] {
        let r = db::publish::<StoreError>(
            &mut conn,
            survey,
            db::Charge {
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
    assert!(db::release(&conn, "a", "2026-11-29.1")?.is_some());
    assert!(db::release(&conn, "b", "2026-11-29.1")?.is_none());
    assert_eq!(db::list_releases(&conn, "a")?.len(), 2);
    Ok(())
}
