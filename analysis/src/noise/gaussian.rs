//! The discrete Gaussian distribution (Canonne, Kamath and Steinke 2020,
//! Algorithm 3), sampled exactly with integer arithmetic.
//!
//! P(X = x) ∝ exp(−x² / (2σ²)) on the integers, for a rational σ² = a/b.
//! Adding independent discrete Gaussian noise of variance parameter σ² to
//! each coordinate of an integer query whose L2 sensitivity is Δ₂ is
//! ρ-zero-concentrated differentially private with ρ = Δ₂² / (2σ²)
//! (CKS 2020, Theorems 4 and 14).

use rand::{CryptoRng, RngCore};

use super::{DiscreteLaplace, bernoulli_exp_neg_u128, gcd};

/// The discrete Gaussian with variance parameter σ² = `sigma2_num / sigma2_den`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscreteGaussian {
    /// a in σ² = a/b (lowest terms).
    a: u64,
    /// b in σ² = a/b.
    b: u64,
    /// t = ⌊σ⌋ + 1, the scale of the discrete-Laplace proposal.
    t: u64,
}

/// ⌊√n⌋, exactly.
fn isqrt(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    // Start from the float estimate and correct it exactly.
    let mut r = (n as f64).sqrt() as u64;
    while r.checked_mul(r).is_none_or(|sq| sq > n) {
        r -= 1;
    }
    while (r + 1).checked_mul(r + 1).is_some_and(|sq| sq <= n) {
        r += 1;
    }
    r
}

impl DiscreteGaussian {
    /// σ² = `num / den`. `None` when either is zero, or when the numbers are
    /// so large that the exact acceptance test could overflow 128-bit
    /// arithmetic (σ² above about 2^40 or with a denominator above about
    /// 2^40); callers then ask for a simpler ε.
    pub fn new(num: u64, den: u64) -> Option<DiscreteGaussian> {
        if num == 0 || den == 0 {
            return None;
        }
        let g = gcd(num, den);
        let (a, b) = (num / g, den / g);
        let t = isqrt(a / b).checked_add(1)?;
        // |Y|·b·t must fit (|Y| < 2^63): b·t < 2^63.
        let bt = u128::from(b) * u128::from(t);
        if bt >= 1 << 63 {
            return None;
        }
        // D = 2·a·b·t² must stay below 2^126 for the long division.
        let d = 2u128
            .checked_mul(u128::from(a))?
            .checked_mul(bt)?
            .checked_mul(u128::from(t))?;
        if d >= 1 << 126 {
            return None;
        }
        Some(DiscreteGaussian { a, b, t })
    }

    /// The distribution that makes an integer query with squared L2
    /// sensitivity `l2_squared` ρ-zCDP, for ρ = `rho_num / rho_den`:
    /// σ² = Δ₂² / (2ρ) = Δ₂²·rho_den / (2·rho_num).
    pub fn for_rho(l2_squared: u64, rho_num: u64, rho_den: u64) -> Option<DiscreteGaussian> {
        let num = l2_squared.checked_mul(rho_den)?;
        let den = rho_num.checked_mul(2)?;
        DiscreteGaussian::new(num, den)
    }

    /// σ² as `(numerator, denominator)` in lowest terms.
    pub fn sigma2(&self) -> (u64, u64) {
        (self.a, self.b)
    }

    /// σ² as a float (description only).
    pub fn sigma2_f64(&self) -> f64 {
        self.a as f64 / self.b as f64
    }

    /// σ² as text: `12`, `2.5` or `100/9`.
    pub fn sigma2_text(&self) -> String {
        match surveys::Epsilon::new(self.a, self.b) {
            Some(e) => e.to_string(),
            None => format!("{}/{}", self.a, self.b),
        }
    }

    /// One draw. CKS 2020, Algorithm 3: propose Y from the discrete Laplace
    /// with scale t = ⌊σ⌋ + 1 and accept it with probability
    /// exp(−(|Y| − σ²/t)² / (2σ²)). With σ² = a/b that exponent is the
    /// rational (|Y|·b·t − a)² / (2·a·b·t²), handled exactly in 256-bit
    /// arithmetic by [`bernoulli_exp_neg_u128`]'s caller.
    pub fn sample<R: RngCore + CryptoRng + ?Sized>(&self, rng: &mut R) -> i64 {
        let Some(proposal) = DiscreteLaplace::new(self.t, 1) else {
            return 0;
        };
        let (a, b, t) = (u128::from(self.a), u128::from(self.b), u128::from(self.t));
        let den = 2 * a * b * t * t;
        loop {
            let y = proposal.sample(rng);
            let abs = u128::from(y.unsigned_abs());
            // b·t < 2^63 and |Y| < 2^64, so this fits in 128 bits.
            let ybt = abs * b * t;
            let x = ybt.abs_diff(a);
            let (hi, lo) = mul_wide(x, x);
            let (whole, frac) = divmod_wide(hi, lo, den);
            if bernoulli_exp_neg_u128(rng, whole, frac, den) {
                return y;
            }
        }
    }

    /// The normalising constant Σ exp(−x²/2σ²) and the truncation point
    /// beyond which the terms are negligible (below 1e-300 relative).
    fn support(&self) -> (f64, i64) {
        let s2 = self.sigma2_f64();
        let limit = (s2.sqrt() * 40.0).ceil() as i64 + 2;
        let mut z = 1.0;
        for x in 1..=limit {
            z += 2.0 * (-(x as f64).powi(2) / (2.0 * s2)).exp();
        }
        (z, limit)
    }

    /// P(X = x) (floating point: describes, does not sample).
    pub fn pmf(&self, x: i64) -> f64 {
        let (z, _) = self.support();
        (-(x as f64).powi(2) / (2.0 * self.sigma2_f64())).exp() / z
    }

    /// Var X, summed numerically (slightly below σ² for small σ).
    pub fn variance(&self) -> f64 {
        let s2 = self.sigma2_f64();
        let (z, limit) = self.support();
        let mut v = 0.0;
        for x in 1..=limit {
            let xf = x as f64;
            v += 2.0 * xf * xf * (-xf * xf / (2.0 * s2)).exp();
        }
        v / z
    }

    /// The smallest m with P(|X| ≤ m) ≥ 1 − `alpha`, by summing the pmf.
    pub fn margin(&self, alpha: f64) -> u64 {
        let s2 = self.sigma2_f64();
        let (z, limit) = self.support();
        let mut inside = 1.0 / z;
        let mut m: i64 = 0;
        while 1.0 - inside > alpha && m < limit {
            m += 1;
            inside += 2.0 * (-(m as f64).powi(2) / (2.0 * s2)).exp() / z;
        }
        m.unsigned_abs()
    }

    /// The pmf on `[-limit, limit]` (for sums of several draws).
    pub(crate) fn pmf_vector(&self) -> Vec<f64> {
        let s2 = self.sigma2_f64();
        let (z, _) = self.support();
        let limit = (s2.sqrt() * 9.0).ceil() as i64 + 1;
        (-limit..=limit)
            .map(|x| (-(x as f64).powi(2) / (2.0 * s2)).exp() / z)
            .collect()
    }
}

/// x·y as a 256-bit number `(high, low)`.
pub(crate) fn mul_wide(x: u128, y: u128) -> (u128, u128) {
    let mask = u128::from(u64::MAX);
    let (x1, x0) = (x >> 64, x & mask);
    let (y1, y0) = (y >> 64, y & mask);
    let p00 = x0 * y0;
    let p01 = x0 * y1;
    let p10 = x1 * y0;
    let p11 = x1 * y1;
    let mid = (p00 >> 64) + (p01 & mask) + (p10 & mask);
    let lo = (p00 & mask) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// `(hi·2^128 + lo) / d` and its remainder, for 0 < d < 2^126. A quotient of
/// 2^128 or more is returned as `u128::MAX`: the caller draws that many
/// Bernoulli(e^−1) coins and stops at the first failure, so the difference
/// could only show after 2^128 consecutive successes (probability e^−2^128).
pub(crate) fn divmod_wide(hi: u128, lo: u128, d: u128) -> (u128, u128) {
    if d == 0 {
        return (u128::MAX, 0);
    }
    let mut rem: u128 = 0;
    let mut quot: u128 = 0;
    let mut saturated = false;
    for i in (0..256).rev() {
        let bit = if i >= 128 {
            (hi >> (i - 128)) & 1
        } else {
            (lo >> i) & 1
        };
        rem = (rem << 1) | bit;
        if rem >= d {
            rem -= d;
            if i >= 128 {
                saturated = true;
            } else {
                quot |= 1 << i;
            }
        }
    }
    (if saturated { u128::MAX } else { quot }, rem)
}
