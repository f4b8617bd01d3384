//! Statistical tests of the samplers. Every test uses a fixed seed, so a
//! failure reproduces; the thresholds are set so that a correct sampler
//! passes with overwhelming probability and a biased one fails.

#![allow(clippy::unwrap_used)]

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::*;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// Upper α-quantile of the chi-square distribution with `df` degrees of
/// freedom, by the Wilson–Hilferty approximation; `z` is the standard normal
/// upper α-quantile.
fn chi_square_critical(df: usize, z: f64) -> f64 {
    let k = df as f64;
    let a = 2.0 / (9.0 * k);
    k * (1.0 - a + z * a.sqrt()).powi(3)
}

/// z for α = 0.001.
const Z_0_001: f64 = 3.090_232;

/// Pearson's statistic and its degrees of freedom for observed counts against
/// expected counts (same length, summing to the same total).
fn chi_square(observed: &[u64], expected: &[f64]) -> (f64, usize) {
    assert_eq!(observed.len(), expected.len());
    let stat = observed
        .iter()
        .zip(expected)
        .map(|(&o, &e)| {
            assert!(e >= 5.0, "expected count {e} below 5: merge bins");
            let d = o as f64 - e;
            d * d / e
        })
        .sum();
    (stat, observed.len() - 1)
}

/// Bins draws of a discrete Laplace against its pmf: one bin per x in
/// [−k, k], where k is the largest value whose own bin and the shared tail bin
/// (|x| > k) both expect at least 5 draws.
fn laplace_chi_square(draws: &[i64], dist: &DiscreteLaplace) -> (f64, usize) {
    let n = draws.len() as f64;
    let mut k: i64 = 0;
    while n * dist.pmf(k + 1) >= 5.0 && n * dist.tail(k as u64 + 1) >= 5.0 {
        k += 1;
    }
    let width = (2 * k + 1) as usize;
    let mut observed = vec![0u64; width + 1];
    for &x in draws {
        if x.abs() > k {
            observed[width] += 1;
        } else {
            observed[(x + k) as usize] += 1;
        }
    }
    let mut expected: Vec<f64> = (-k..=k).map(|x| n * dist.pmf(x)).collect();
    expected.push(n * dist.tail(k as u64));
    chi_square(&observed, &expected)
}

fn eps(s: &str) -> Epsilon {
    s.parse().unwrap()
}

#[test]
fn discrete_laplace_matches_its_pmf_variance_and_mean() {
    const N: usize = 100_000;
    for (i, e) in ["0.5", "1", "2"].into_iter().enumerate() {
        let dist = DiscreteLaplace::for_epsilon(1, eps(e)).unwrap();
        let mut r = rng(1000 + i as u64);
        let draws: Vec<i64> = (0..N).map(|_| dist.sample(&mut r)).collect();

        let (stat, df) = laplace_chi_square(&draws, &dist);
        let critical = chi_square_critical(df, Z_0_001);
        assert!(
            stat < critical,
            "ε = {e}: chi-square {stat:.1} ≥ {critical:.1} with {df} degrees of freedom"
        );

        let n = N as f64;
        let mean = draws.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = draws
            .iter()
            .map(|&x| (x as f64 - mean).powi(2))
            .sum::<f64>()
            / (n - 1.0);
        let q = (-eps(e).to_f64()).exp();
        let expected_var = 2.0 * q / (1.0 - q).powi(2);
        assert!((dist.variance() - expected_var).abs() < 1e-9 * expected_var);
        assert!(
            (var - expected_var).abs() < 0.05 * expected_var,
            "ε = {e}: variance {var:.4}, expected {expected_var:.4}"
        );
        let mean_tolerance = 5.0 * (expected_var / n).sqrt();
        assert!(
            mean.abs() < mean_tolerance,
            "ε = {e}: mean {mean:.4} not within {mean_tolerance:.4} of 0"
        );
    }
}

#[test]
fn chi_square_test_detects_a_slightly_wrong_scale() {
    // The same test as above has the power to notice a sampler whose ε is off
    // by 5%: otherwise passing it would mean little.
    let dist = DiscreteLaplace::for_epsilon(1, eps("1")).unwrap();
    let wrong = DiscreteLaplace::for_epsilon(1, eps("0.95")).unwrap();
    let mut r = rng(7);
    let draws: Vec<i64> = (0..100_000).map(|_| dist.sample(&mut r)).collect();
    let (stat, df) = laplace_chi_square(&draws, &wrong);
    assert!(stat > chi_square_critical(df, Z_0_001), "stat {stat:.1}");
}

#[test]
fn sensitivity_and_fractional_scales_are_sampled_right() {
    // Δ = 3 at ε = 2/3: scale 9/2, not an integer, exercising ⌊X / s⌋.
    let dist = DiscreteLaplace::for_epsilon(3, eps("2/3")).unwrap();
    assert_eq!((dist.scale_num(), dist.scale_den()), (9, 2));
    assert_eq!(dist.scale_text(), "4.5");
    let mut r = rng(11);
    let draws: Vec<i64> = (0..50_000).map(|_| dist.sample(&mut r)).collect();
    let (stat, df) = laplace_chi_square(&draws, &dist);
    assert!(stat < chi_square_critical(df, Z_0_001), "stat {stat:.1}");
}

#[test]
fn pmf_sums_to_one() {
    for (t, s) in [(1, 1), (2, 1), (1, 2), (9, 2), (100, 7)] {
        let dist = DiscreteLaplace::new(t, s).unwrap();
        let total: f64 = (-20_000..=20_000).map(|x| dist.pmf(x)).sum();
        assert!((total - 1.0).abs() < 1e-9, "{t}/{s}: {total}");
    }
}

#[test]
fn zero_parameters_are_refused_or_give_no_panic() {
    assert_eq!(DiscreteLaplace::new(0, 1), None);
    assert_eq!(DiscreteLaplace::new(1, 0), None);
    assert_eq!(DiscreteLaplace::for_epsilon(1, Epsilon::ZERO), None);
    assert_eq!(DiscreteLaplace::for_epsilon(0, eps("1")), None);
    assert_eq!(
        DiscreteLaplace::for_epsilon(3, eps("1/9223372036854775807")),
        None
    );
    let mut r = rng(0);
    assert_eq!(discrete_laplace(&mut r, 0, 1), 0);
    assert_eq!(discrete_laplace(&mut r, 1, 0), 0);
    // A huge scale still samples.
    let _ = discrete_laplace(&mut r, u64::MAX, 1);
    let _ = discrete_laplace(&mut r, 1, u64::MAX);
}

fn check_exp_neg(num: u64, den: u64, seed: u64) {
    const N: u64 = 100_000;
    let mut r = rng(seed);
    let hits = (0..N)
        .filter(|_| bernoulli_exp_neg(&mut r, num, den))
        .count() as f64;
    let p = (-(num as f64) / den as f64).exp();
    let freq = hits / N as f64;
    let se = (p * (1.0 - p) / N as f64).sqrt().max(1e-12);
    assert!(
        (freq - p).abs() <= 5.0 * se,
        "γ = {num}/{den}: frequency {freq:.5}, expected {p:.5} (±{:.5})",
        5.0 * se
    );
}

#[test]
fn bernoulli_exp_neg_has_the_right_frequency() {
    for (i, (num, den)) in [(0, 1), (1, 2), (1, 1), (5, 2), (1, 3), (7, 3)]
        .into_iter()
        .enumerate()
    {
        check_exp_neg(num, den, 20 + i as u64);
    }
    // A large denominator exercises the 128-bit ratios.
    check_exp_neg(u64::MAX / 2, u64::MAX, 30);
    let mut r = rng(31);
    assert!((0..1000).all(|_| bernoulli_exp_neg(&mut r, 0, 5)));
    assert!(!bernoulli_exp_neg(&mut r, 1, 0));
    // exp(−50) ≈ 2e−22: never in a thousand tries, and quickly.
    assert!((0..1000).all(|_| !bernoulli_exp_neg(&mut r, 50, 1)));
}

#[test]
fn bernoulli_rational_has_the_right_frequency() {
    const N: u64 = 100_000;
    for (i, (num, den)) in [(1u64, 3u64), (2, 7), (999, 1000)].into_iter().enumerate() {
        let mut r = rng(40 + i as u64);
        let hits = (0..N)
            .filter(|_| bernoulli_rational(&mut r, num, den))
            .count() as f64;
        let p = num as f64 / den as f64;
        let se = (p * (1.0 - p) / N as f64).sqrt();
        assert!((hits / N as f64 - p).abs() <= 5.0 * se, "{num}/{den}");
    }
    let mut r = rng(50);
    assert!(bernoulli_rational(&mut r, 5, 5));
    assert!(bernoulli_rational(&mut r, 6, 5));
    assert!(!bernoulli_rational(&mut r, 0, 5));
    assert!(!bernoulli_rational(&mut r, 1, 0));
}

#[test]
fn uniform_below_is_uniform_for_small_ranges() {
    for (i, n) in [3u64, 6, 7].into_iter().enumerate() {
        const DRAWS: usize = 60_000;
        let mut r = rng(60 + i as u64);
        let mut observed = vec![0u64; n as usize];
        for _ in 0..DRAWS {
            let x = uniform_below(&mut r, n);
            assert!(x < n);
            observed[x as usize] += 1;
        }
        let expected = vec![DRAWS as f64 / n as f64; n as usize];
        let (stat, df) = chi_square(&observed, &expected);
        assert!(
            stat < chi_square_critical(df, Z_0_001),
            "n = {n}: {stat:.1}"
        );
    }
    let mut r = rng(70);
    assert_eq!(uniform_below(&mut r, 0), 0);
    assert_eq!(uniform_below(&mut r, 1), 0);
}

#[test]
fn uniform_below_has_no_modulo_bias() {
    // n = 3·2^62: a plain `word % n` returns a value below 2^62 half of the
    // time (2^64 = n + 2^62 wraps that band twice); uniform gives a third.
    const DRAWS: u64 = 30_000;
    let n = 3u64 << 62;
    let mut r = rng(80);
    let low = (0..DRAWS)
        .filter(|_| uniform_below(&mut r, n) < (1u64 << 62))
        .count() as f64;
    let freq = low / DRAWS as f64;
    let se = (2.0 / 9.0 / DRAWS as f64).sqrt();
    assert!((freq - 1.0 / 3.0).abs() < 5.0 * se, "frequency {freq:.4}");

    // The same for the 128-bit path.
    let n = 3u128 << 126;
    let low = (0..DRAWS)
        .filter(|_| uniform_below_u128(&mut r, n) < (1u128 << 126))
        .count() as f64;
    let freq = low / DRAWS as f64;
    assert!((freq - 1.0 / 3.0).abs() < 5.0 * se, "frequency {freq:.4}");
}

#[test]
fn margin95_is_the_smallest_95_percent_bound() {
    for (t, s) in [
        (1, 1),
        (2, 1),
        (1, 2),
        (9, 2),
        (3, 1),
        (1, 100),
        (1_000_000, 3),
        (1_000_000_000_000, 7),
    ] {
        let dist = DiscreteLaplace::new(t, s).unwrap();
        let m = dist.margin95();
        assert!(dist.tail(m) <= 0.05, "{t}/{s}: m = {m}");
        if m > 0 {
            assert!(
                dist.tail(m - 1) > 0.05,
                "{t}/{s}: m = {m} is not the smallest"
            );
        }
    }
    // Worked by hand: scale 1, q = e^−1; P(|X| > 2) = 2e^−3/(1+e^−1) ≈ 0.073,
    // P(|X| > 3) = 2e^−4/(1+e^−1) ≈ 0.027.
    assert_eq!(DiscreteLaplace::new(1, 1).unwrap().margin95(), 3);
    // A scale so large that the margin exceeds u64: it saturates.
    assert_eq!(
        DiscreteLaplace::new(u64::MAX, 1).unwrap().margin95(),
        u64::MAX
    );
    // A tiny scale: the noise is almost always 0.
    assert_eq!(DiscreteLaplace::new(1, 100).unwrap().margin95(), 0);
}

#[test]
fn margin95_covers_95_percent_of_draws() {
    const N: usize = 100_000;
    let dist = DiscreteLaplace::for_epsilon(1, eps("0.5")).unwrap();
    let m = dist.margin95();
    let mut r = rng(90);
    let draws: Vec<i64> = (0..N).map(|_| dist.sample(&mut r)).collect();
    let within = |m: u64| draws.iter().filter(|x| x.unsigned_abs() <= m).count() as f64 / N as f64;
    let se = (0.05 * 0.95 / N as f64).sqrt();
    let covered = within(m);
    assert!(
        covered >= 0.95 - 4.0 * se,
        "covered {covered:.4} at m = {m}"
    );
    assert!((covered - (1.0 - dist.tail(m))).abs() < 5.0 * se);
    let below = within(m - 1);
    assert!(below < 0.95, "m − 1 = {} already covers {below:.4}", m - 1);
}

/// Bins draws of a discrete Gaussian against its pmf, as for the Laplace.
fn gaussian_chi_square(draws: &[i64], dist: &DiscreteGaussian) -> (f64, usize) {
    let n = draws.len() as f64;
    let tail = |k: i64| 1.0 - (-k..=k).map(|x| dist.pmf(x)).sum::<f64>();
    let mut k: i64 = 0;
    while n * dist.pmf(k + 1) >= 5.0 && n * tail(k + 1) >= 5.0 {
        k += 1;
    }
    let width = (2 * k + 1) as usize;
    let mut observed = vec![0u64; width + 1];
    for &x in draws {
        if x.abs() > k {
            observed[width] += 1;
        } else {
            observed[(x + k) as usize] += 1;
        }
    }
    let mut expected: Vec<f64> = (-k..=k).map(|x| n * dist.pmf(x)).collect();
    expected.push(n * tail(k));
    chi_square(&observed, &expected)
}

#[test]
fn discrete_gaussian_matches_its_pmf_and_variance() {
    const N: usize = 100_000;
    // σ² = 1/ε² for a sensitivity-1 count at ε = 2, 1, 0.5; and a fraction.
    for (i, (num, den)) in [(1u64, 4u64), (1, 1), (4, 1), (100, 9)]
        .into_iter()
        .enumerate()
    {
        let dist = DiscreteGaussian::new(num, den).unwrap();
        let mut r = rng(2000 + i as u64);
        let draws: Vec<i64> = (0..N).map(|_| dist.sample(&mut r)).collect();
        let (stat, df) = gaussian_chi_square(&draws, &dist);
        let critical = chi_square_critical(df, Z_0_001);
        assert!(
            stat < critical,
            "σ² = {num}/{den}: chi-square {stat:.1} ≥ {critical:.1} ({df} df)"
        );
        let n = N as f64;
        let mean = draws.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = draws
            .iter()
            .map(|&x| (x as f64 - mean).powi(2))
            .sum::<f64>()
            / (n - 1.0);
        let expected = dist.variance();
        // The discrete Gaussian's variance is below σ², close to it for σ ≥ 1.
        assert!(expected <= dist.sigma2_f64() + 1e-12);
        assert!(
            (var - expected).abs() < 0.05 * expected,
            "σ² = {num}/{den}: variance {var:.4}, expected {expected:.4}"
        );
        assert!(mean.abs() < 5.0 * (expected / n).sqrt(), "mean {mean}");
    }
}

#[test]
fn gaussian_chi_square_detects_a_slightly_wrong_sigma() {
    let dist = DiscreteGaussian::new(4, 1).unwrap();
    let wrong = DiscreteGaussian::new(43, 10).unwrap();
    let mut r = rng(2100);
    let draws: Vec<i64> = (0..100_000).map(|_| dist.sample(&mut r)).collect();
    let (stat, df) = gaussian_chi_square(&draws, &wrong);
    assert!(stat > chi_square_critical(df, Z_0_001), "stat {stat:.1}");
}

#[test]
fn discrete_gaussian_parameters() {
    assert_eq!(DiscreteGaussian::new(0, 1), None);
    assert_eq!(DiscreteGaussian::new(1, 0), None);
    assert_eq!(
        DiscreteGaussian::new(u64::MAX, 1),
        None,
        "too large to be exact"
    );
    // ρ = 1/2 with Δ₂² = 3: σ² = 3/(2·1/2) = 3.
    let d = DiscreteGaussian::for_rho(3, 1, 2).unwrap();
    assert_eq!(d.sigma2(), (3, 1));
    assert_eq!(d.sigma2_text(), "3");
    let total: f64 = (-200..=200).map(|x| d.pmf(x)).sum();
    assert!((total - 1.0).abs() < 1e-12);
    // The margin is the smallest m covering 95%.
    let m = d.margin(0.05) as i64;
    let inside = |m: i64| (-m..=m).map(|x| d.pmf(x)).sum::<f64>();
    assert!(inside(m) >= 0.95 && inside(m - 1) < 0.95, "m = {m}");
    // Tiny σ: almost always 0.
    assert_eq!(DiscreteGaussian::new(1, 100).unwrap().margin(0.05), 0);
}

#[test]
fn gaussian_margin_covers_95_percent_of_draws() {
    const N: usize = 100_000;
    let dist = DiscreteGaussian::new(25, 1).unwrap();
    let m = dist.margin(0.05);
    let mut r = rng(2200);
    let covered = (0..N)
        .filter(|_| dist.sample(&mut r).unsigned_abs() <= m)
        .count() as f64
        / N as f64;
    let se = (0.05 * 0.95 / N as f64).sqrt();
    assert!(
        covered >= 0.95 - 4.0 * se,
        "covered {covered:.4} at m = {m}"
    );
}

#[test]
fn wide_arithmetic_is_exact() {
    use super::gaussian::{divmod_wide, mul_wide};
    let x = (1u128 << 100) + 12345;
    let (hi, lo) = mul_wide(x, x);
    // x² = 2^200 + 2·12345·2^100 + 12345².
    // The middle term 2·12345·2^100 < 2^115 spills nothing into the high half.
    assert_eq!(hi, 1u128 << 72);
    assert_eq!(lo, ((2 * 12345u128) << 100) + 12345 * 12345);
    let (q, r) = divmod_wide(0, 1000, 7);
    assert_eq!((q, r), (142, 6));
    let (q, r) = divmod_wide(1, 5, 1 << 64);
    assert_eq!((q, r), (1 << 64, 5));
    assert_eq!(divmod_wide(1 << 100, 0, 3).0, u128::MAX, "saturates");
}

#[test]
fn bernoulli_exp_neg_u128_has_the_right_frequency() {
    const N: u64 = 100_000;
    for (i, (whole, frac, den)) in [(0u128, 1u128, 3u128), (1, 1, 2), (0, 5, 7), (2, 0, 1)]
        .into_iter()
        .enumerate()
    {
        let mut r = rng(2300 + i as u64);
        let hits = (0..N)
            .filter(|_| bernoulli_exp_neg_u128(&mut r, whole, frac, den))
            .count() as f64;
        let p = (-(whole as f64 + frac as f64 / den as f64)).exp();
        let se = (p * (1.0 - p) / N as f64).sqrt();
        assert!(
            (hits / N as f64 - p).abs() <= 5.0 * se,
            "γ = {whole} + {frac}/{den}"
        );
    }
}

#[test]
fn sum_margin_matches_simulation() {
    let noise = Noise::Laplace(DiscreteLaplace::new(2, 1).unwrap());
    let m = noise.sum_margin95(4);
    let mut r = rng(2400);
    const N: usize = 50_000;
    let within = (0..N)
        .filter(|_| {
            (0..4)
                .map(|_| noise.sample(&mut r))
                .sum::<i64>()
                .unsigned_abs()
                <= m
        })
        .count() as f64
        / N as f64;
    assert!((0.94..0.97).contains(&within), "{within} at m = {m}");
    assert!(m > noise.margin95());
}
