//! Exact samplers for differential-privacy noise.
//!
//! # The mechanism
//!
//! A count changes by at most Δ (its L1 *sensitivity*) when one respondent is
//! added or removed. Adding noise X with P(X = x) ∝ exp(−|x|·ε/Δ) — the
//! **discrete Laplace** distribution with scale Δ/ε — makes the published
//! count ε-differentially private: whatever one person answered, the
//! probability of any published value changes by a factor of at most e^ε.
//!
//! # Why exact
//!
//! The textbook way to draw Laplace noise — invert a floating-point uniform —
//! leaks through the gaps and rounding of floating point (Mironov 2012). Here
//! every sampler uses only integer arithmetic on uniformly random 64-bit
//! words, following Canonne, Kamath and Steinke, *The Discrete Gaussian for
//! Differential Privacy* (NeurIPS 2020):
//!
//! * [`uniform_below`] — a uniform integer by rejection sampling, without
//!   modulo bias;
//! * [`bernoulli_rational`] — a coin that comes up true with probability
//!   exactly `num/den`;
//! * [`bernoulli_exp_neg`] — a coin with probability exactly exp(−γ) for a
//!   rational γ ≥ 0 (their Algorithm 1);
//! * [`discrete_laplace`] / [`DiscreteLaplace::sample`] — the discrete
//!   Laplace distribution with a rational scale t/s (their Algorithm 2);
//! * [`DiscreteGaussian::sample`] — the discrete Gaussian with a rational
//!   σ² (their Algorithm 3), for ρ-zCDP, built on the two above with an
//!   exact 256-bit acceptance test;
//! * [`Noise`] — either, as a table's noise.
//!
//! Floating point appears only in the *description* of a distribution
//! ([`DiscreteLaplace::q`], [`DiscreteLaplace::variance`],
//! [`DiscreteLaplace::pmf`], [`DiscreteLaplace::margin95`]), never in drawing
//! from it.
//!
//! The samplers that produce published noise require a
//! [`CryptoRng`]: in production use `rand::rngs::StdRng::from_os_rng()`.
//! Tests use a seeded ChaCha20 generator.

use rand::{CryptoRng, RngCore};
use surveys::Epsilon;

mod gaussian;

pub use gaussian::DiscreteGaussian;

/// A uniformly random integer in `[0, n)`.
///
/// Draws 64-bit words and rejects the lowest `2^64 mod n` of them, so that the
/// accepted words are an exact multiple of `n` and `word % n` favours no
/// value. Fewer than half of the draws are rejected for any `n`, and none when
/// `n` is a power of two.
///
/// The range `[0, 0)` is empty; `n = 0` returns 0 rather than panicking.
pub fn uniform_below<R: RngCore + ?Sized>(rng: &mut R, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    // 2^64 mod n, computed without 128-bit arithmetic: (2^64 − n) mod n.
    let reject_below = n.wrapping_neg() % n;
    loop {
        let word = rng.next_u64();
        if word >= reject_below {
            return word % n;
        }
    }
}

/// [`uniform_below`] for a 128-bit range; `n = 0` returns 0.
fn uniform_below_u128<R: RngCore + ?Sized>(rng: &mut R, n: u128) -> u128 {
    if let Ok(small) = u64::try_from(n) {
        return u128::from(uniform_below(rng, small));
    }
    let reject_below = n.wrapping_neg() % n;
    loop {
        let word = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        if word >= reject_below {
            return word % n;
        }
    }
}

/// True with probability exactly `num / den`.
///
/// `num ≥ den` always gives true. `den = 0` is not a probability; it gives
/// false (as does `num = 0`).
pub fn bernoulli_rational<R: RngCore + ?Sized>(rng: &mut R, num: u64, den: u64) -> bool {
    bernoulli_ratio(rng, u128::from(num), u128::from(den))
}

fn bernoulli_ratio<R: RngCore + ?Sized>(rng: &mut R, num: u128, den: u128) -> bool {
    if den == 0 || num == 0 {
        return false;
    }
    if num >= den {
        return true;
    }
    uniform_below_u128(rng, den) < num
}

/// True with probability exactly exp(−γ), where γ = `num / den` ≥ 0.
///
/// Canonne–Kamath–Steinke 2020, Algorithm 1. For γ ∈ [0, 1]: draw
/// A₁ ~ Bernoulli(γ/1), A₂ ~ Bernoulli(γ/2), … until the first failure at
/// step K; K is odd with probability Σ_k (−γ)^k / k! = exp(−γ). For γ > 1 the
/// result is the conjunction of ⌊γ⌋ draws of Bernoulli(exp(−1)) and one of
/// Bernoulli(exp(−(γ − ⌊γ⌋))), stopping at the first failure, so the expected
/// work stays small for any γ.
///
/// All ratios γ/k are kept exact with 128-bit denominators.
///
/// `den = 0` (γ undefined or infinite) gives false, the limit exp(−∞) = 0.
pub fn bernoulli_exp_neg<R: RngCore + ?Sized>(rng: &mut R, num: u64, den: u64) -> bool {
    if den == 0 {
        return false;
    }
    let whole = num / den;
    let frac = num % den;
    for _ in 0..whole {
        if !bernoulli_exp_neg_unit(rng, 1, 1) {
            return false;
        }
    }
    bernoulli_exp_neg_unit(rng, frac, den)
}

/// Bernoulli(exp(−num/den)) for `num ≤ den`, `den ≥ 1`: the series trick.
fn bernoulli_exp_neg_unit<R: RngCore + ?Sized>(rng: &mut R, num: u64, den: u64) -> bool {
    let num = u128::from(num);
    let den = u128::from(den);
    let mut k: u128 = 1;
    // P(continue at step k) = γ/k ≤ 1/k, so k stays tiny; den·k cannot
    // overflow 128 bits before k reaches 2^64, which it never will.
    while bernoulli_ratio(rng, num, den.saturating_mul(k)) {
        k += 1;
    }
    k % 2 == 1
}

/// One draw from the discrete Laplace distribution with scale
/// `scale_num / scale_den`: P(X = x) ∝ exp(−|x| · scale_den / scale_num).
///
/// For ε-differential privacy of a query with L1 sensitivity Δ and ε = p/q,
/// the scale is Δ/ε = Δ·q/p: `scale_num = Δ·q`, `scale_den = p`
/// (or use [`DiscreteLaplace::for_epsilon`], which checks the arithmetic).
///
/// Both parameters must be at least 1. This function never panics: a zero
/// parameter describes no usable distribution and returns 0 — which is *no
/// noise*, so code that publishes must build its sampler with
/// [`DiscreteLaplace::new`] or [`DiscreteLaplace::for_epsilon`], which refuse
/// zero parameters.
pub fn discrete_laplace<R: RngCore + CryptoRng + ?Sized>(
    rng: &mut R,
    scale_num: u64,
    scale_den: u64,
) -> i64 {
    match DiscreteLaplace::new(scale_num, scale_den) {
        Some(d) => d.sample(rng),
        None => 0,
    }
}

/// The discrete Laplace distribution on the integers with a rational scale
/// t/s (`scale_num / scale_den`, both ≥ 1, kept in lowest terms):
/// P(X = x) = (1 − q)/(1 + q) · q^|x| with q = exp(−s/t).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscreteLaplace {
    scale_num: u64,
    scale_den: u64,
}

pub(crate) const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

impl DiscreteLaplace {
    /// The distribution with scale `scale_num / scale_den`; `None` when either
    /// is zero (scale 0 adds no noise, an infinite scale is no distribution).
    pub fn new(scale_num: u64, scale_den: u64) -> Option<DiscreteLaplace> {
        if scale_num == 0 || scale_den == 0 {
            return None;
        }
        let g = gcd(scale_num, scale_den);
        Some(DiscreteLaplace {
            scale_num: scale_num / g,
            scale_den: scale_den / g,
        })
    }

    /// The distribution that makes a query with L1 `sensitivity` Δ
    /// ε-differentially private: scale Δ/ε. `None` when Δ or ε is zero or the
    /// exact scale does not fit in 64-bit integers.
    pub fn for_epsilon(sensitivity: u64, epsilon: Epsilon) -> Option<DiscreteLaplace> {
        let scale_num = sensitivity.checked_mul(epsilon.denominator())?;
        DiscreteLaplace::new(scale_num, epsilon.numerator())
    }

    /// The numerator t of the scale t/s.
    pub fn scale_num(&self) -> u64 {
        self.scale_num
    }

    /// The denominator s of the scale t/s.
    pub fn scale_den(&self) -> u64 {
        self.scale_den
    }

    /// The scale as text: a decimal where it terminates (`2`, `0.5`), else a
    /// fraction (`4/3`).
    pub fn scale_text(&self) -> String {
        match Epsilon::new(self.scale_num, self.scale_den) {
            Some(e) => e.to_string(),
            None => format!("{}/{}", self.scale_num, self.scale_den),
        }
    }

    /// One draw. Canonne–Kamath–Steinke 2020, Algorithm 2:
    ///
    /// 1. U uniform in {0, …, t−1}; accept with probability exp(−U/t), else
    ///    start again;
    /// 2. V ≥ 0 geometric: count successes of Bernoulli(exp(−1)) until the
    ///    first failure;
    /// 3. X = U + t·V is then geometric with parameter exp(−1/t);
    ///    Y = ⌊X / s⌋ is geometric with parameter exp(−s/t);
    /// 4. a fair sign B; reject (B = negative, Y = 0) so that 0 is not counted
    ///    twice; return ±Y.
    ///
    /// Integer arithmetic only. A magnitude beyond `i64::MAX` (possible only
    /// for absurd scales near 2^63) saturates.
    pub fn sample<R: RngCore + CryptoRng + ?Sized>(&self, rng: &mut R) -> i64 {
        let t = self.scale_num;
        let s = u128::from(self.scale_den);
        loop {
            let u = uniform_below(rng, t);
            if !bernoulli_exp_neg(rng, u, t) {
                continue;
            }
            let mut v: u128 = 0;
            while bernoulli_exp_neg(rng, 1, 1) {
                v += 1;
            }
            let x = u128::from(t)
                .saturating_mul(v)
                .saturating_add(u128::from(u));
            let y = x / s;
            let negative = bernoulli_rational(rng, 1, 2);
            if negative && y == 0 {
                continue;
            }
            let y = i64::try_from(y).unwrap_or(i64::MAX);
            return if negative { -y } else { y };
        }
    }

    /// s/t, the rate of decay, as a float (description only).
    fn rate(&self) -> f64 {
        self.scale_den as f64 / self.scale_num as f64
    }

    /// 1 − q, computed without cancellation when q is close to 1.
    fn one_minus_q(&self) -> f64 {
        -(-self.rate()).exp_m1()
    }

    /// q = exp(−s/t), the ratio P(|X| = k+1) / P(|X| = k).
    pub fn q(&self) -> f64 {
        (-self.rate()).exp()
    }

    /// Var X = 2q / (1 − q)²; the mean is 0.
    pub fn variance(&self) -> f64 {
        let q = self.q();
        let d = self.one_minus_q();
        2.0 * q / (d * d)
    }

    /// P(X = x) = (1 − q)/(1 + q) · q^|x|.
    pub fn pmf(&self, x: i64) -> f64 {
        let q = self.q();
        self.one_minus_q() / (1.0 + q) * (-(x.unsigned_abs() as f64) * self.rate()).exp()
    }

    /// P(|X| > m) = 2 q^(m+1) / (1 + q).
    pub fn tail(&self, m: u64) -> f64 {
        let q = self.q();
        2.0 * (-(m as f64 + 1.0) * self.rate()).exp() / (1.0 + q)
    }

    /// The smallest m with P(|X| ≤ m) ≥ 0.95: "95% of the time the noise is
    /// no larger than m". Floating point: this describes, it does not sample.
    /// For scales so large that m exceeds `u64::MAX` (about 5·10^18 and up)
    /// it saturates at `u64::MAX`.
    pub fn margin95(&self) -> u64 {
        self.margin(0.05)
    }
}

/// Bernoulli(exp(−γ)) for γ = `whole` + `frac`/`den` (`frac` < `den`),
/// with 128-bit parts: the conjunction of `whole` Bernoulli(e^−1) coins and
/// one Bernoulli(exp(−frac/den)), stopping at the first failure. The step
/// k of the series trick is drawn as Bernoulli(1/k) ∧ Bernoulli(frac/den),
/// which is exactly Bernoulli(frac/(den·k)) without forming den·k.
pub(crate) fn bernoulli_exp_neg_u128<R: RngCore + ?Sized>(
    rng: &mut R,
    whole: u128,
    frac: u128,
    den: u128,
) -> bool {
    if den == 0 {
        return false;
    }
    let mut i: u128 = 0;
    while i < whole {
        if !bernoulli_exp_neg_unit(rng, 1, 1) {
            return false;
        }
        i += 1;
    }
    let mut k: u128 = 1;
    while bernoulli_ratio(rng, 1, k) && bernoulli_ratio(rng, frac, den) {
        k += 1;
    }
    k % 2 == 1
}

impl DiscreteLaplace {
    /// The smallest m with P(|X| > m) ≤ `alpha` (floating point: describes,
    /// does not sample).
    pub fn margin(&self, alpha: f64) -> u64 {
        // tail(m) ≤ α  ⇔  (m + 1)·s/t ≥ ln(2 / ((1 + q)·α)).
        let need = (2.0 / ((1.0 + self.q()) * alpha)).ln() / self.rate() - 1.0;
        // `as` saturates: a NaN or negative estimate becomes 0, a huge one u64::MAX.
        let mut m = need.ceil().max(0.0) as u64;
        // The estimate can be off by rounding; settle on the exact smallest
        // m by the same formula as `tail`, within a few steps.
        for _ in 0..4 {
            if m > 0 && self.tail(m - 1) <= alpha {
                m -= 1;
            }
        }
        for _ in 0..4 {
            if self.tail(m) > alpha {
                m = m.saturating_add(1);
            }
        }
        m
    }

    /// The pmf on `[-limit, limit]`, `limit` where the tail is below 1e-12.
    pub(crate) fn pmf_vector(&self) -> Vec<f64> {
        let limit = i64::try_from(self.margin(1e-12).min(1 << 20)).unwrap_or(1 << 20);
        (-limit..=limit).map(|x| self.pmf(x)).collect()
    }
}

/// The noise of one part of a table: which distribution, with its
/// parameters. Every published cell of the part gets an independent draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Noise {
    Laplace(DiscreteLaplace),
    Gaussian(DiscreteGaussian),
}

impl Noise {
    /// One exact draw.
    pub fn sample<R: RngCore + CryptoRng + ?Sized>(&self, rng: &mut R) -> i64 {
        match self {
            Noise::Laplace(d) => d.sample(rng),
            Noise::Gaussian(d) => d.sample(rng),
        }
    }

    /// The smallest m with P(|noise| ≤ m) ≥ 0.95.
    pub fn margin95(&self) -> u64 {
        self.margin(0.05)
    }

    /// The smallest m with P(|noise| > m) ≤ `alpha`.
    pub fn margin(&self, alpha: f64) -> u64 {
        match self {
            Noise::Laplace(d) => d.margin(alpha),
            Noise::Gaussian(d) => d.margin(alpha),
        }
    }

    /// The parameter as text: the Laplace scale, or σ² for the Gaussian.
    pub fn parameter_text(&self) -> String {
        match self {
            Noise::Laplace(d) => d.scale_text(),
            Noise::Gaussian(d) => d.sigma2_text(),
        }
    }

    /// The 95% margin of the sum of `k` independent draws, by convolving the
    /// pmf numerically (description only). Falls back to a normal
    /// approximation when the convolution would be too large.
    pub fn sum_margin95(&self, k: usize) -> u64 {
        if k <= 1 {
            return self.margin95();
        }
        let pmf = match self {
            Noise::Laplace(d) => d.pmf_vector(),
            Noise::Gaussian(d) => d.pmf_vector(),
        };
        let width = pmf.len();
        // About width²·k²/2 multiplications; beyond that the sum is close
        // enough to normal (k large) for the margin to be read from it.
        if (width as f64) * (width as f64) * (k as f64) * (k as f64) > 2e8 {
            let var = match self {
                Noise::Laplace(d) => d.variance(),
                Noise::Gaussian(d) => d.variance(),
            };
            return (1.959_963_985 * (var * k as f64).sqrt()).ceil() as u64;
        }
        let mut acc = pmf.clone();
        for _ in 1..k {
            let mut next = vec![0.0; acc.len() + width - 1];
            for (i, &a) in acc.iter().enumerate() {
                if a < 1e-300 {
                    continue;
                }
                for (j, &p) in pmf.iter().enumerate() {
                    next[i + j] += a * p;
                }
            }
            acc = next;
        }
        // acc is centred on a sum of 0 (the pmf is symmetric about 0).
        let centre = (acc.len() - 1) / 2;
        let mut inside = acc[centre];
        let mut m = 0usize;
        while 1.0 - inside > 0.05 && m < centre {
            m += 1;
            inside += acc[centre - m] + acc[centre + m];
        }
        m as u64
    }
}

#[cfg(test)]
mod tests;
