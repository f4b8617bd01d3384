//! The rule for spending a survey's privacy budget.
//!
//! Every publication of a survey spends some ε; by sequential composition the
//! publications together are ε₁ + ε₂ + … differentially private. A survey's
//! `privacy_budget` caps that sum. The ledger (what has been spent) lives in
//! the collector's database; this module decides, in exact rationals, whether
//! one more publication fits. Floating point would let rounding decide
//! whether 0.1 + 0.2 + 0.7 fits in 1; here it fits exactly.

use surveys::Epsilon;

/// Why a publication may not spend the ε it asks for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// The publication would take the total spent above the survey's budget.
    #[error(
        "publishing with ε = {requested} would exceed the survey's privacy budget: {spent} of {total} already spent, {remaining} remains"
    )]
    Overspend {
        requested: Epsilon,
        spent: Epsilon,
        total: Epsilon,
        remaining: Epsilon,
    },
    /// ε = 0 would need infinite noise: no publication can have it.
    #[error(
        "ε must be greater than 0: a publication with ε = 0 would have to be pure noise; choose a value such as 0.5 or 1"
    )]
    ZeroEpsilon,
    /// The exact sum does not fit in 64-bit fractions.
    #[error(
        "cannot add this ε to what was already spent exactly: the fractions' denominators are too large; choose a simpler ε such as 0.5 or 1/4"
    )]
    Overflow,
}

/// Checks that spending `requested` on top of `spent` stays within `total`,
/// and returns the new amount spent. Exact: `1/3 + 1/3 + 1/3` fits in `1`.
///
/// Refuses ε = 0, any sum that would exceed `total` (with what remains), and
/// sums that cannot be represented exactly.
pub fn check_spend(
    total: Epsilon,
    spent: Epsilon,
    requested: Epsilon,
) -> Result<Epsilon, BudgetError> {
    if requested.is_zero() {
        return Err(BudgetError::ZeroEpsilon);
    }
    let after = spent.checked_add(requested).ok_or(BudgetError::Overflow)?;
    if after > total {
        return Err(BudgetError::Overspend {
            requested,
            spent,
            total,
            remaining: total.checked_sub(spent).unwrap_or(Epsilon::ZERO),
        });
    }
    Ok(after)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn e(s: &str) -> Epsilon {
        s.parse().unwrap()
    }

    #[test]
    fn thirds_fill_one_exactly() {
        let total = e("1");
        let mut spent = Epsilon::ZERO;
        for _ in 0..3 {
            spent = check_spend(total, spent, e("1/3")).unwrap();
        }
        assert_eq!(spent, total);
        // Not even the smallest further amount fits.
        let err = check_spend(total, spent, e("1/1000000")).unwrap_err();
        assert!(matches!(
            err,
            BudgetError::Overspend { remaining, .. } if remaining == Epsilon::ZERO
        ));
    }

    #[test]
    fn decimals_add_up_exactly() {
        // In binary floating point 0.1 + 0.2 + 0.3 + 0.4 = 1.0000000000000002.
        let total = e("1");
        let mut spent = Epsilon::ZERO;
        for step in ["0.1", "0.2", "0.3", "0.4"] {
            spent = check_spend(total, spent, e(step)).unwrap();
        }
        assert_eq!(spent, total);
    }

    #[test]
    fn overspend_is_refused_with_the_numbers() {
        let err = check_spend(e("3"), e("2.5"), e("1")).unwrap_err();
        assert_eq!(
            err,
            BudgetError::Overspend {
                requested: e("1"),
                spent: e("2.5"),
                total: e("3"),
                remaining: e("0.5"),
            }
        );
        assert_eq!(
            err.to_string(),
            "publishing with ε = 1 would exceed the survey's privacy budget: 2.5 of 3 already spent, 0.5 remains"
        );

        let spent = [e("0.1"), e("0.2"), e("0.3")]
            .into_iter()
            .try_fold(Epsilon::ZERO, |acc, x| check_spend(e("1"), acc, x))
            .unwrap();
        assert_eq!(spent, e("0.6"));
        let err = check_spend(e("1"), spent, e("0.41")).unwrap_err();
        assert!(
            err.to_string()
                .contains("0.6 of 1 already spent, 0.4 remains")
        );
        assert_eq!(check_spend(e("1"), spent, e("0.4")).unwrap(), e("1"));
    }

    #[test]
    fn an_overspent_ledger_reports_nothing_remaining() {
        let err = check_spend(e("1"), e("2"), e("0.1")).unwrap_err();
        assert!(matches!(err, BudgetError::Overspend { remaining, .. } if remaining.is_zero()));
    }

    /// For random sequences of requests: whatever is granted never takes the
    /// total past the budget, a refusal leaves the amount spent unchanged,
    /// and a request is refused only when it really does not fit.
    #[test]
    fn no_sequence_of_requests_overspends() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        for _ in 0..2000 {
            let total = Epsilon::new(rng.random_range(1..40), rng.random_range(1..12)).unwrap();
            let mut spent = Epsilon::ZERO;
            for _ in 0..rng.random_range(1..12) {
                let req = Epsilon::new(rng.random_range(0..15), rng.random_range(1..12)).unwrap();
                match check_spend(total, spent, req) {
                    Ok(after) => {
                        assert_eq!(after, spent.checked_add(req).unwrap());
                        assert!(after <= total);
                        spent = after;
                    }
                    Err(BudgetError::ZeroEpsilon) => assert!(req.is_zero()),
                    Err(BudgetError::Overspend { remaining, .. }) => {
                        assert!(spent.checked_add(req).unwrap() > total);
                        assert_eq!(remaining, total.checked_sub(spent).unwrap());
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(spent <= total);
        }
    }

    #[test]
    fn zero_and_overflow_are_refused() {
        assert_eq!(
            check_spend(e("1"), Epsilon::ZERO, Epsilon::ZERO),
            Err(BudgetError::ZeroEpsilon)
        );
        let a = Epsilon::new(1, u64::MAX).unwrap();
        let b = Epsilon::new(1, u64::MAX - 1).unwrap();
        assert_eq!(check_spend(e("1"), a, b), Err(BudgetError::Overflow));
    }
}
