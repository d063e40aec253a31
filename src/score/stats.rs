//! Uncertainty and reliability (SPEC §7): Wilson intervals for rates, a linearised
//! standard error for the composite, marginal confidence sets for ranks, and
//! Cronbach's alpha.
//!
//! Methods, and why these:
//! - **Rates** — the Wilson score interval (Wilson 1927), closed form and well
//!   behaved at p = 0 or 1, unlike the Wald interval; Clopper–Pearson through beta
//!   functions loses accuracy for large n.
//! - **Composite** — items of one ballot are correlated, so the variance must come
//!   from ballot-level variation. The composite is a smooth function of ratio means;
//!   its Taylor linearisation (Woodruff 1971; R `survey`'s `svyratio`/`svycontrast`)
//!   gives each ballot an influence value `z_b = ∂C/∂ω_b` (ω_b its weight) and
//!   `V = n/(n−1)·Σ_b (z_b − z̄)²` with n the unit's valid ballots. `z_b` is linear in
//!   the ballot's score and answered vectors, so `Σ z_b²` comes exactly from the
//!   second moments kept in the [`Tally`]: no second pass, and shards merge. The
//!   interval ([`composite_interval`]) is taken on the logit of the composite's
//!   place in the score range with a t quantile on n − 1 degrees of freedom: near
//!   the top of the scale answers are skewed and a symmetric normal interval
//!   undercovers at 20–40 ballots.
//! - **Ranks** — percentile bootstraps of simulated ranks are inconsistent when units
//!   are (nearly) tied, so each ranked unit gets the marginal 95% confidence set of
//!   Mogstad, Romano, Shaikh & Wilhelm (2023, "Inference for ranks with applications
//!   to mobility across neighbourhoods and academic achievement across countries",
//!   R package `csranks`), single-step, normal approximation, units independent.
//!   Its critical value is a one-dimensional integral solved by adaptive
//!   Gauss–Kronrod quadrature and Brent's method: no randomness, no seed.
//! - **Reliability** — Cronbach's alpha per dimension over ballots that answered
//!   every item of the dimension with a scored option (listwise), with corrected
//!   item–total correlations and alpha if an item is deleted.

use libm::erfc;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::count::tally::Tally;
use crate::rules::plan::{GroupWeighting, Plan};
use crate::score::unit::UnitScore;

/// The confidence level of every interval the engine reports.
pub const LEVEL: f64 = 0.95;

/// The two-sided standard normal quantile for `level` (1.959963984540054 at 0.95).
pub fn z_value(level: f64) -> f64 {
    Normal::standard().inverse_cdf(0.5 + level / 2.0)
}

/// The two-sided Student t quantile for `level` with `df` degrees of freedom
/// (2.093024054408263 at 0.95 and 19): the composite interval's multiplier.
/// Falls back to [`z_value`] when `df` is not a positive number.
pub fn t_value(level: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) if df > 0.0 && df.is_finite() => t.inverse_cdf(0.5 + level / 2.0),
        _ => z_value(level),
    }
}

/// The lowest and highest option scores of the survey: the range a composite
/// lies in (`(0, 100)` when the survey has no scored option).
pub fn score_range(plan: &Plan) -> (f64, f64) {
    let scores = plan
        .survey
        .scales
        .iter()
        .flat_map(|s| s.options.iter().filter_map(|o| o.score));
    let (lo, hi) = scores.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if lo <= hi { (lo, hi) } else { (0.0, 100.0) }
}

/// The interval for a composite `c` with standard error `se` from `n` valid
/// ballots, on a score range `lo..=hi`: `t = t_value(level, n − 1)`; on the logit
/// of `p = (c − lo)/(hi − lo)` with the delta-method error `se / ((hi − lo)·p(1−p))`,
/// `logit(p) ± t·se_logit`, taken back to the score scale. Near the top of the
/// range ballots are skewed and the interval reaches further down than up. At a
/// bound (`p` = 0 or 1) or with `se` = 0 it is `c ± t·se`.
pub fn composite_interval(c: f64, se: f64, n: u64, lo: f64, hi: f64, level: f64) -> (f64, f64) {
    let t = t_value(level, n.saturating_sub(1) as f64);
    let range = hi - lo;
    let p = if range > 0.0 { (c - lo) / range } else { f64::NAN };
    if !(p > 0.0 && p < 1.0) || se <= 0.0 {
        return (c - t * se, c + t * se);
    }
    let logit = (p / (1.0 - p)).ln();
    let half = t * se / (range * p * (1.0 - p));
    let back = |x: f64| lo + range / (1.0 + (-x).exp());
    (back(logit - half), back(logit + half))
}

/// Wilson score interval for `k` successes in `n` trials, or `None` when `n = 0`.
///
/// `center = (p + z²/2n) / (1 + z²/n)`, `half = z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n)`,
/// written in the order statsmodels' `proportion_confint(method="wilson")` uses.
pub fn wilson(k: u64, n: u64, level: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (nf, p) = (n as f64, k as f64 / n as f64);
    let q = 1.0 - p;
    let crit = z_value(level);
    let crit2 = crit * crit;
    let denom = 1.0 + crit2 / nf;
    let center = (p + crit2 / (2.0 * nf)) / denom;
    let dist = crit * (p * q / nf + crit2 / (4.0 * nf * nf)).sqrt() / denom;
    Some((center - dist, center + dist))
}

/// The effective weight of each item in the composite: `c_i = (W_d / Σ W) · (w_i / Σ w)`
/// over the dimensions and items that have a score (0 for the others).
pub fn item_coefficients(plan: &Plan, score: &UnitScore) -> Vec<f64> {
    let s = &plan.survey;
    let mut c = vec![0.0; s.items.len()];
    let dim_total: f64 = s
        .dimensions
        .iter()
        .zip(&score.dimensions)
        .filter(|(_, x)| x.is_some())
        .map(|(d, _)| d.weight)
        .sum();
    for (d, dim) in s.dimensions.iter().enumerate() {
        if score.dimensions[d].is_none() {
            continue;
        }
        let item_total: f64 = dim
            .items
            .iter()
            .filter(|&&i| score.items[i].mean.is_some())
            .map(|&i| s.items[i].weight)
            .sum();
        for &i in &dim.items {
            if score.items[i].mean.is_some() {
                c[i] = dim.weight / dim_total * s.items[i].weight / item_total;
            }
        }
    }
    c
}

/// Standard error of a unit's composite by Taylor linearisation (see the module
/// docs), or `None` with fewer than two valid ballots or no composite.
pub fn composite_se(plan: &Plan, tally: &Tally, unit: usize, score: &UnitScore) -> Option<f64> {
    score.composite?;
    let n = score.valid;
    if n < 2 {
        return None;
    }
    let c = item_coefficients(plan, score);
    let items = c.len();
    let mg = tally.layout.moment_groups;
    // Per moment cell: α_i (coefficient on s_bi) and M_i (the mean it centres on);
    // z_b = Σ_i α_i (s_bi − M_i a_bi).
    let mut cells: Vec<(usize, Vec<f64>, Vec<f64>)> = Vec::with_capacity(mg);
    if plan.scoring.group_weighting == GroupWeighting::Pooled || mg == 1 {
        let m = tally.moments_of(unit, 0);
        let (mut alpha, mut mean) = (vec![0.0; items], vec![0.0; items]);
        for i in 0..items {
            let a = m.aa(i, i);
            if c[i] != 0.0 && a > 0.0 {
                alpha[i] = c[i] / a;
                mean[i] = m.sa(i, i) / a;
            }
        }
        cells.push((0, alpha, mean));
    } else {
        // ω_gi = W_g / Σ W over the groups that answered item i.
        let mut wsum = vec![0.0; items];
        for g in 0..mg {
            let m = tally.moments_of(unit, g);
            for (i, w) in wsum.iter_mut().enumerate() {
                if m.aa(i, i) > 0.0 {
                    *w += plan.groups[g].weight;
                }
            }
        }
        for g in 0..mg {
            let m = tally.moments_of(unit, g);
            let (mut alpha, mut mean) = (vec![0.0; items], vec![0.0; items]);
            for i in 0..items {
                let a = m.aa(i, i);
                if c[i] != 0.0 && a > 0.0 {
                    alpha[i] = c[i] * plan.groups[g].weight / wsum[i] / a;
                    mean[i] = m.sa(i, i) / a;
                }
            }
            cells.push((g, alpha, mean));
        }
    }
    let mut sum_z2 = 0.0;
    for (g, alpha, mean) in &cells {
        let m = tally.moments_of(unit, *g);
        for i in 0..items {
            if alpha[i] == 0.0 {
                continue;
            }
            for j in 0..items {
                if alpha[j] == 0.0 {
                    continue;
                }
                // Σ_b a_bi a_bj (s_bi − M_i)(s_bj − M_j); s is 0 where a is 0.
                let e = m.ss(i, j) - mean[j] * m.sa(i, j) - mean[i] * m.sa(j, i) + mean[i] * mean[j] * m.aa(i, j);
                sum_z2 += alpha[i] * alpha[j] * e;
            }
        }
    }
    let nf = n as f64;
    Some((nf / (nf - 1.0) * sum_z2.max(0.0)).sqrt())
}

/// A marginal confidence set for one unit's rank (1 = best).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankSet {
    /// The critical value `c_j`.
    pub c: f64,
    /// Best rank the evidence allows.
    pub lower: u64,
    /// Worst rank the evidence allows.
    pub upper: u64,
}

// statrs' erfc is off by about 1e-11 near 1 (Φ(1) = 0.84134474605494 instead of
// 0.84134474606854); libm's (musl's) is within an ulp.
fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// `Φ(a) − Φ(b)` for `a ≥ b`, without cancellation in either tail.
fn norm_between(a: f64, b: f64) -> f64 {
    let r = std::f64::consts::SQRT_2;
    if b > 0.0 {
        0.5 * (erfc(b / r) - erfc(a / r))
    } else if a < 0.0 {
        0.5 * (erfc(-a / r) - erfc(-b / r))
    } else {
        1.0 - 0.5 * erfc(a / r) - 0.5 * erfc(-b / r)
    }
}

// Gauss–Kronrod 7/15 nodes and weights on [−1, 1].
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// Adaptive Gauss–Kronrod (7/15) integration of the pair-valued `f` over
/// `[a, b]`; the error of the first component is held to `tol`.
fn integrate(f: &dyn Fn(f64) -> (f64, f64), a: f64, b: f64, tol: f64, depth: u32) -> (f64, f64) {
    let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
    let fc = f(mid);
    let (mut k, mut g, mut k2) = (WGK[7] * fc.0, WG[3] * fc.0, WGK[7] * fc.1);
    for (n, (&x, &w)) in XGK[..7].iter().zip(&WGK[..7]).enumerate() {
        let (f1, f2) = (f(mid - half * x), f(mid + half * x));
        k += w * (f1.0 + f2.0);
        k2 += w * (f1.1 + f2.1);
        if n % 2 == 1 {
            g += WG[n / 2] * (f1.0 + f2.0);
        }
    }
    let (k, g, k2) = (k * half, g * half, k2 * half);
    // A non-finite error estimate cannot shrink by halving: stop rather than recurse
    // 2^depth times.
    if (k - g).abs() <= tol || depth == 0 || !(k - g).is_finite() {
        (k, k2)
    } else {
        let (l, r) = (
            integrate(f, a, mid, tol / 2.0, depth - 1),
            integrate(f, mid, b, tol / 2.0, depth - 1),
        );
        (l.0 + r.0, l.1 + r.1)
    }
}

/// The standard normal density.
fn density(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// `P(T_j ≤ c)` and its derivative in `c`, for a unit with standard error `sj`
/// against `others`, the `(s_k, s_jk)` of every unit with `s_jk > 0` (see
/// [`rank_sets`]).
fn p_max_below(sj: f64, others: &[(f64, f64)], c: f64, tol: f64) -> (f64, f64) {
    if others.is_empty() {
        return (1.0, 0.0);
    }
    // Π_k F_k(x) and its c-derivative, F_k = Φ((x + c·s_jk)/s_k) − Φ((x − c·s_jk)/s_k).
    let product = |x: f64| -> (f64, f64) {
        let (mut p, mut dlog) = (1.0, 0.0);
        for &(sk, sjk) in others {
            if sk > 0.0 {
                let (hi, lo) = ((x + c * sjk) / sk, (x - c * sjk) / sk);
                let f = norm_between(hi, lo);
                if f <= 0.0 {
                    return (0.0, 0.0);
                }
                p *= f;
                dlog += (density(hi) + density(lo)) * sjk / sk / f;
            } else if x.abs() > c * sjk {
                return (0.0, 0.0);
            }
        }
        (p, p * dlog)
    };
    let has_zero = others.iter().any(|&(sk, _)| sk == 0.0);
    over_t(sj, c, tol, has_zero, &product)
}

/// [`p_max_below`] with the others given as a [`Spread`]'s weighted nodes
/// `(s, weight, hypot(s_j, s))` and a count of others with `s_k = 0`: the product
/// is `exp(Σ weight·log F(s))`.
fn p_max_below_spread(sj: f64, nodes: &[(f64, f64, f64)], zeros: usize, c: f64, tol: f64) -> (f64, f64) {
    if nodes.is_empty() && zeros == 0 {
        return (1.0, 0.0);
    }
    let product = |x: f64| -> (f64, f64) {
        // An other with s_k = 0 has s_jk = s_j and confines |x| ≤ c·s_j.
        if zeros > 0 && x.abs() > c * sj {
            return (0.0, 0.0);
        }
        let (mut log_p, mut dlog) = (0.0, 0.0);
        for &(sk, w, sjk) in nodes {
            let (hi, lo) = ((x + c * sjk) / sk, (x - c * sjk) / sk);
            let f = norm_between(hi, lo);
            if f <= 0.0 {
                return (0.0, 0.0);
            }
            log_p += w * f.ln();
            dlog += w * (density(hi) + density(lo)) * sjk / sk / f;
        }
        let p = log_p.exp();
        (p, p * dlog)
    };
    over_t(sj, c, tol, zeros > 0, &product)
}

/// `∫ φ(x; 0, s_j)·product(x) dx` and its c-derivative, `product` giving the
/// product of the others' factors and its c-derivative at `x`; `has_zero` when
/// an other has `s_k = 0`.
fn over_t(sj: f64, c: f64, tol: f64, has_zero: bool, product: &dyn Fn(f64) -> (f64, f64)) -> (f64, f64) {
    if sj == 0.0 {
        return product(0.0);
    }
    // x = s_j·t with t ~ N(0, 1); the integrand is even in t, so integrate [0, B]
    // and double. A unit with s_k = 0 confines |x| ≤ c·s_jk = c·s_j, i.e. |t| ≤ c;
    // moving that edge adds φ(c)·Π(c·s_j) to the half-range derivative.
    let mut bound: f64 = 8.5;
    let confined = has_zero && c < bound;
    if confined {
        bound = c;
    }
    let f = |t: f64| {
        let (p, dp) = product(sj * t);
        let w = density(t);
        (w * p, w * dp)
    };
    let (p, mut dp) = integrate(&f, 0.0, bound, tol / 2.0, 24);
    if confined {
        dp += density(c) * product(sj * c * (1.0 - 1e-12)).0;
    }
    (2.0 * p, 2.0 * dp)
}

/// Tolerance of the first solve of a critical value.
const COARSE: f64 = 1e-7;
/// Tolerance of the second solve, when the set depends on the digits.
const FINE: f64 = 1e-12;

/// Solves `P(T_j ≤ c) = level` for c by Newton's method from the Šidák value,
/// safeguarded by bisection inside a bracket; each `P` is integrated to absolute
/// error `tol`, and c is found to about `tol` too.
fn critical_value(sj: f64, others: &[(f64, f64)], level: f64, tol: f64, start: Option<f64>) -> f64 {
    solve_c(
        &|c, tol| p_max_below(sj, others, c, tol),
        others.len(),
        level,
        tol,
        start,
    )
}

/// [`critical_value`] for `p(c, tol) = (P(T_j ≤ c), its c-derivative)` against
/// `m` others.
fn solve_c(p: &dyn Fn(f64, f64) -> (f64, f64), m: usize, level: f64, tol: f64, start: Option<f64>) -> f64 {
    if m == 0 || p(0.0, tol).0 >= level {
        return 0.0;
    }
    let m = m as f64;
    let (mut lo, mut hi) = (0.0, 64.0);
    // Šidák: K − 1 independent comparisons. T_j's comparisons share e_j, so the
    // answer is a little smaller; Newton gets there in a few steps.
    let mut c = start.unwrap_or_else(|| Normal::standard().inverse_cdf(1.0 - (1.0 - level.powf(1.0 / m)) / 2.0));
    for _ in 0..100 {
        let (p, dp) = p(c, tol);
        let r = p - level;
        if r < 0.0 {
            lo = c;
        } else {
            hi = c;
        }
        let newton = if dp > 0.0 { c - r / dp } else { f64::NAN };
        let next = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            (lo + hi) / 2.0
        };
        if (next - c).abs() < tol || hi - lo < tol {
            return next;
        }
        c = next;
    }
    c
}

/// Marginal `level` confidence sets for the ranks of units with estimates `est`
/// and standard errors `se` (rank 1 = highest estimate).
///
/// For unit j, with `s_jk = sqrt(s_j² + s_k²)` and `d_k = est_k − est_j`, the critical
/// value `c_j` is the `level` quantile of `T_j = max_{k≠j} |e_k − e_j| / s_jk`,
/// `e ~ N(0, diag(s²))`:
/// `P(T_j ≤ c) = ∫ φ(x; 0, s_j) Π_{k≠j} [Φ((x + c·s_jk)/s_k) − Φ((x − c·s_jk)/s_k)] dx`.
/// Then `lower_j = 1 + #{k: d_k − c_j·s_jk > 0}` and
/// `upper_j = 1 + #{k ≠ j: d_k + c_j·s_jk ≥ 0}`.
///
/// Near-linear in the number of units: the product over the others is taken
/// factor by factor up to [`EXACT_MAX`] of them, and beyond through the
/// standard-error quadrature (`Spread`: its factors depend on `s_k` alone, so
/// the sum of their logarithms is a smooth function of the spread of the `s_k`,
/// interpolated on a few nodes per panel); the sets are counted with binary
/// searches in units bucketed by standard error and sorted by estimate.
pub fn rank_sets(est: &[f64], se: &[f64], level: f64, threads: usize) -> Vec<RankSet> {
    let field = Field::new(est, se, level, threads);
    // c_j varies smoothly with s_j: solving in order of s_j, each solve starts from
    // the previous one and Newton needs two or three steps. The order is cut into
    // fixed chunks that start cold, so the bits of every c_j are the same however
    // many threads share the chunks.
    let mut order: Vec<usize> = (0..est.len()).collect();
    order.sort_by(|&a, &b| se[a].total_cmp(&se[b]).then(a.cmp(&b)));
    let chunks: Vec<&[usize]> = order.chunks(16).collect();
    let threads = threads.min(chunks.len()).max(1);
    let solve = |chunk: &[usize]| -> Vec<(usize, RankSet)> {
        let mut warm = None;
        chunk
            .iter()
            .map(|&j| {
                let set = field.rank_set(level, j, warm);
                if set.c > 0.0 {
                    warm = Some(set.c);
                }
                (j, set)
            })
            .collect()
    };
    // Chunks differ in cost (and a core may be busy with other work): each
    // thread claims the next unsolved one. A chunk's result does not depend on
    // which thread solves it.
    let solved = crate::par::claim_each(threads, chunks.len(), Vec::new, |acc: &mut Vec<(usize, RankSet)>, k| {
        acc.extend(solve(chunks[k]));
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap_or_else(|never| match never {});
    let mut out = vec![
        RankSet {
            c: 0.0,
            lower: 1,
            upper: 1
        };
        est.len()
    ];
    for (j, set) in solved.into_iter().flatten() {
        out[j] = set;
    }
    out
}

/// Up to this many others, a unit's `P(T_j ≤ c)` multiplies their factors one by
/// one (the plain form); beyond,
/// through the spread (`Spread`) of their standard errors.
pub const EXACT_MAX: usize = 64;

/// Panels of the standard-error quadrature span at most this ratio `b/a`.
///
/// Why 2 with 16 nodes: the interpolation error on a panel falls as ρ⁻ⁿ for n
/// nodes, ρ set by the nearest singularity of `log F(s)` (s = 0, which a panel
/// [a, 2a] sees at ρ = 3 + √8 ≈ 5.8: 5.8⁻¹⁶ ≈ 6e-13). Panels of 1.25 with 12
/// nodes were as exact but took 2.2 times the nodes per octave, and each node
/// costs two `erfc`, a logarithm and two exponentials per integrand point:
/// 300 units' rank sets took 0.85 s of one core, now 0.49 s, with the same
/// sets and critical values within 1e-13 of each other on the 10⁷ benchmark.
const PANEL_RATIO: f64 = 2.0;
/// Interpolation nodes per panel (a panel with no more distinct values than this
/// lists them exactly, with their multiplicities).
const PANEL_NODES: usize = 16;

/// The positive standard errors of all usable units, as weighted nodes: for any
/// smooth `g`, `Σ_k g(s_k) ≈ Σ_i w_i·g(node_i)`. The range of the `s_k` is cut into
/// panels of ratio at most [`PANEL_RATIO`]; in a panel, `g` is replaced by its
/// interpolating polynomial at [`PANEL_NODES`] Chebyshev points, so `w_i` is the sum
/// over the panel's `s_k` of the `i`-th Lagrange basis polynomial. The factor
/// `log F_k(x)` of the rank-set integrand is analytic in `s_k > 0` and varies on the
/// scale of `s_k` itself, so on panels this narrow the interpolation error is near
/// rounding (the tests compare with the exact product). A unit's own `s_j` is taken
/// out of the sums by subtracting its basis values ([`Spread::without`]).
#[derive(Clone, Debug, Default)]
struct Spread {
    /// Node values, panel after panel.
    nodes: Vec<f64>,
    /// Weight of each node.
    weights: Vec<f64>,
    /// Per panel: its lower bound, its first node and whether it lists its values
    /// exactly (else it holds [`PANEL_NODES`] Chebyshev nodes).
    panels: Vec<(f64, usize, bool)>,
}

/// Barycentric weight `i` of the `n` Chebyshev points of the first kind.
fn cheb_lambda(i: usize, n: usize) -> f64 {
    let n = n as f64;
    let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
    sign * ((2 * i + 1) as f64 * std::f64::consts::PI / (2.0 * n)).sin()
}

/// The Lagrange basis values at `s` of the Chebyshev nodes `xs` (barycentric form;
/// `out` as long as `xs`).
fn lagrange(xs: &[f64], s: f64, out: &mut [f64]) {
    if let Some(k) = xs.iter().position(|&x| x == s) {
        out.iter_mut().for_each(|o| *o = 0.0);
        out[k] = 1.0;
        return;
    }
    let mut den = 0.0;
    for (i, (&x, o)) in xs.iter().zip(out.iter_mut()).enumerate() {
        *o = cheb_lambda(i, xs.len()) / (s - x);
        den += *o;
    }
    out.iter_mut().for_each(|o| *o /= den);
}

impl Spread {
    /// The spread of `values` (positive, finite, sorted ascending).
    fn new(values: &[f64]) -> Spread {
        let mut sp = Spread::default();
        let (Some(&lo), Some(&hi)) = (values.first(), values.last()) else {
            return sp;
        };
        let count = ((hi / lo).ln() / PANEL_RATIO.ln()).ceil();
        let count = if count.is_finite() {
            (count as usize).clamp(1, 4096)
        } else {
            1
        };
        let bound = |p: usize| {
            if p == 0 {
                lo
            } else if p >= count {
                hi
            } else {
                lo * (hi / lo).powf(p as f64 / count as f64)
            }
        };
        let mut start = 0;
        let mut basis = [0.0; PANEL_NODES];
        for p in 0..count {
            let (a, b) = (bound(p), bound(p + 1));
            let end = if p + 1 == count {
                values.len()
            } else {
                start + values[start..].partition_point(|&v| v < b)
            };
            let mine = &values[start..end];
            let first = sp.nodes.len();
            let mut distinct = mine.to_vec();
            distinct.dedup();
            if distinct.len() <= PANEL_NODES {
                for &v in &distinct {
                    sp.nodes.push(v);
                    sp.weights.push(mine.iter().filter(|&&x| x == v).count() as f64);
                }
                sp.panels.push((a, first, true));
            } else {
                let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
                for i in 0..PANEL_NODES {
                    let t = ((2 * i + 1) as f64 * std::f64::consts::PI / (2.0 * PANEL_NODES as f64)).cos();
                    sp.nodes.push(mid + half * t);
                    sp.weights.push(0.0);
                }
                for &v in mine {
                    lagrange(&sp.nodes[first..], v, &mut basis);
                    for (w, l) in sp.weights[first..].iter_mut().zip(&basis) {
                        *w += l;
                    }
                }
                sp.panels.push((a, first, false));
            }
            start = end;
        }
        sp
    }

    /// The nodes and weights without one unit of standard error `s`, as `(node,
    /// weight)` pairs of nonzero weight: the unit is taken out as a node of its own
    /// with weight −1, which is exact whatever panel `s` falls in.
    fn without(&self, s: Option<f64>) -> Vec<(f64, f64)> {
        let mut out: Vec<(f64, f64)> = self
            .nodes
            .iter()
            .zip(&self.weights)
            .filter(|&(_, &w)| w != 0.0)
            .map(|(&s, &w)| (s, w))
            .collect();
        if let Some(s) = s {
            out.push((s, -1.0));
        }
        out
    }
}

/// The critical value as a function of the unit's own standard error, for a
/// campaign of more than [`EXACT_MAX`] usable units: `c_j` depends on unit j only
/// through `s_j` (the others' spread less one unit of standard error `s_j`), and
/// smoothly, so it is solved to [`FINE`] at Chebyshev nodes of `s` (panels of ratio
/// at most 2, [`CURVE_NODES`] nodes each, or every distinct `s_j` when there are
/// fewer) and interpolated between them. The nodes are solved cold, each on its
/// own, so the values are the same bits however many threads solve them.
#[derive(Clone, Debug, Default)]
struct Curve {
    /// Per panel: lower bound, first node, whether its nodes are the exact values.
    panels: Vec<(f64, usize, bool)>,
    nodes: Vec<f64>,
    values: Vec<f64>,
}

/// Nodes per panel of the [`Curve`].
const CURVE_NODES: usize = 16;

impl Curve {
    /// The curve over the distinct positive standard errors `values` (sorted),
    /// `solve(s)` giving the critical value of a unit of standard error `s`.
    fn new(values: &[f64], threads: usize, solve: &(dyn Fn(f64) -> f64 + Sync)) -> Curve {
        let mut curve = Curve::default();
        let (Some(&lo), Some(&hi)) = (values.first(), values.last()) else {
            return curve;
        };
        if values.len() <= CURVE_NODES {
            curve.panels.push((lo, 0, true));
            curve.nodes = values.to_vec();
        } else {
            let count = ((hi / lo).log2().ceil() as usize).clamp(1, 1024);
            for p in 0..count {
                let a = if p == 0 {
                    lo
                } else {
                    lo * (hi / lo).powf(p as f64 / count as f64)
                };
                let b = if p + 1 == count {
                    hi
                } else {
                    lo * (hi / lo).powf((p + 1) as f64 / count as f64)
                };
                curve.panels.push((a, curve.nodes.len(), false));
                let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
                for i in 0..CURVE_NODES {
                    let t = ((2 * i + 1) as f64 * std::f64::consts::PI / (2.0 * CURVE_NODES as f64)).cos();
                    curve.nodes.push(mid + half * t);
                }
            }
        }
        let nodes = &curve.nodes;
        let threads = threads.clamp(1, nodes.len().max(1));
        curve.values = if threads == 1 {
            nodes.iter().map(|&s| solve(s)).collect()
        } else {
            let mut values = vec![0.0; nodes.len()];
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        scope.spawn(move || {
                            (t..nodes.len())
                                .step_by(threads)
                                .map(|k| (k, solve(nodes[k])))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                for h in handles {
                    for (k, v) in h.join().unwrap_or_default() {
                        values[k] = v;
                    }
                }
            });
            values
        };
        curve
    }

    /// The critical value at `s` (inside the range the curve was made over).
    fn at(&self, s: f64) -> f64 {
        let p = self.panels.partition_point(|q| q.0 <= s).saturating_sub(1);
        let Some(&(_, first, exact)) = self.panels.get(p) else {
            return f64::NAN;
        };
        let end = self.panels.get(p + 1).map_or(self.nodes.len(), |q| q.1);
        let (xs, ys) = (&self.nodes[first..end], &self.values[first..end]);
        if let Some(k) = xs.iter().position(|&x| x == s) {
            return ys[k];
        }
        if exact {
            return f64::NAN;
        }
        let mut basis = [0.0; CURVE_NODES];
        lagrange(xs, s, &mut basis);
        basis.iter().zip(ys).map(|(l, y)| l * y).sum()
    }
}

/// Units of similar standard error, sorted by estimate, for counting rank sets
/// with binary searches.
#[derive(Debug)]
struct Bucket {
    /// Smallest and largest standard error of the bucket.
    lo: f64,
    hi: f64,
    /// `(estimate, unit)`, by estimate.
    units: Vec<(f64, usize)>,
}

/// What every unit's rank set is solved against, prepared once.
struct Field<'a> {
    est: &'a [f64],
    se: &'a [f64],
    /// Units with a finite estimate and a finite, non-negative standard error.
    usable: Vec<bool>,
    /// Usable units, in buckets of similar standard error.
    buckets: Vec<Bucket>,
    /// The other units, checked one by one.
    odd: Vec<usize>,
    /// Usable units with `s = 0`.
    zeros: usize,
    /// Usable units with `s > 0`.
    positive: usize,
    /// Each usable unit's bucket and place in it.
    place: Vec<(usize, usize)>,
    /// The spread of the positive standard errors of usable units, when more than
    /// [`EXACT_MAX`] units are usable.
    spread: Option<Spread>,
    /// With the spread, the critical value as a function of `s_j > 0`.
    curve: Option<Curve>,
}

/// Buckets of the rank-set count: enough that each spans a narrow range of
/// standard errors, few enough that a unit's binary searches stay cheap.
const BUCKETS: usize = 64;

impl<'a> Field<'a> {
    fn new(est: &'a [f64], se: &'a [f64], level: f64, threads: usize) -> Field<'a> {
        let usable: Vec<bool> = (0..est.len())
            .map(|k| est[k].is_finite() && se[k].is_finite() && se[k] >= 0.0)
            .collect();
        let mut by_se: Vec<usize> = (0..est.len()).filter(|&k| usable[k]).collect();
        by_se.sort_by(|&a, &b| se[a].total_cmp(&se[b]).then(a.cmp(&b)));
        let size = by_se.len().div_ceil(BUCKETS).max(16);
        let buckets: Vec<Bucket> = by_se
            .chunks(size)
            .map(|ch| {
                let mut units: Vec<(f64, usize)> = ch.iter().map(|&k| (est[k], k)).collect();
                units.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                Bucket {
                    lo: se[ch[0]],
                    hi: se[ch[ch.len() - 1]],
                    units,
                }
            })
            .collect();
        let mut place = vec![(usize::MAX, 0); est.len()];
        for (b, bucket) in buckets.iter().enumerate() {
            for (p, u) in bucket.units.iter().enumerate() {
                place[u.1] = (b, p);
            }
        }
        let positive: Vec<f64> = by_se.iter().map(|&k| se[k]).filter(|&s| s > 0.0).collect();
        let zeros = by_se.len() - positive.len();
        let spread = (by_se.len() > EXACT_MAX + 1).then(|| Spread::new(&positive));
        let curve = spread.as_ref().map(|spread| {
            let mut distinct = positive.clone();
            distinct.dedup();
            let m = positive.len().saturating_sub(1) + zeros;
            let solve = |s: f64| {
                let nodes: Vec<(f64, f64, f64)> = spread
                    .without(Some(s))
                    .iter()
                    .map(|&(sk, w)| (sk, w, s.hypot(sk)))
                    .collect();
                solve_c(
                    &|c, tol| p_max_below_spread(s, &nodes, zeros, c, tol),
                    m,
                    level,
                    FINE,
                    None,
                )
            };
            Curve::new(&distinct, threads, &solve)
        });
        let odd = (0..est.len()).filter(|&k| !usable[k]).collect();
        Field {
            curve,
            est,
            se,
            usable,
            buckets,
            odd,
            zeros,
            positive: positive.len(),
            place,
            spread,
        }
    }

    /// The rank set of unit `j`, solving its critical value from `warm` when given.
    ///
    /// A unit whose estimate or standard error is not finite gets the whole range of
    /// ranks (nothing is known of it), and is left out of the others' sets' solves.
    fn rank_set(&self, level: f64, j: usize, warm: Option<f64>) -> RankSet {
        let (est, se) = (self.est, self.se);
        if !self.usable[j] {
            return RankSet {
                c: f64::INFINITY,
                lower: 1,
                upper: est.len() as u64,
            };
        }
        let sj = se[j];
        let solve = |tol: f64, start: Option<f64>| -> f64 {
            match &self.spread {
                None => {
                    // Pairs with s_jk = 0 are ordered by their estimates alone: they are
                    // left out.
                    let others: Vec<(f64, f64)> = (0..se.len())
                        .filter(|&k| k != j && self.usable[k] && sj.hypot(se[k]) > 0.0)
                        .map(|k| (se[k], sj.hypot(se[k])))
                        .collect();
                    critical_value(sj, &others, level, tol, start)
                }
                Some(spread) => {
                    let nodes = if sj > 0.0 {
                        spread.without(Some(sj))
                    } else {
                        spread.without(None)
                    };
                    // Others with s_k = 0 pair with j only when s_j > 0.
                    let zeros = if sj > 0.0 { self.zeros } else { 0 };
                    let nodes: Vec<(f64, f64, f64)> = nodes.iter().map(|&(s, w)| (s, w, sj.hypot(s))).collect();
                    let m = self.positive - usize::from(sj > 0.0) + zeros;
                    solve_c(
                        &|c, tol| p_max_below_spread(sj, &nodes, zeros, c, tol),
                        m,
                        level,
                        tol,
                        start,
                    )
                }
            }
        };
        if let Some(curve) = self.curve.as_ref().filter(|_| sj > 0.0) {
            let c = curve.at(sj);
            let (lower, upper) = self.count(j, c);
            return RankSet { c, lower, upper };
        }
        // A coarse c decides the set unless some |d_k|/s_jk lies close to it; only
        // then is c solved to full precision.
        let mut c = solve(COARSE, warm);
        let is_close = |k: usize| {
            let sjk = sj.hypot(se[k]);
            k != j && sjk > 0.0 && ((est[k] - est[j]).abs() / sjk - c).abs() < 1e-4
        };
        let mut close = self.odd.iter().any(|&k| is_close(k));
        if !close {
            // |d_k| within (c ± 1e-4)·s_jk, on either side of est_j.
            let (lo_c, hi_c) = (c - 1e-4, c + 1e-4);
            let ej = est[j];
            for bucket in &self.buckets {
                let t_lo = lo_c.max(0.0) * sj.hypot(bucket.lo);
                let t_hi = hi_c * sj.hypot(bucket.hi);
                let m = |t: f64| t.abs() * 1e-9 + (ej.abs() + 1.0) * 1e-9;
                let (inner, outer) = (t_lo - m(t_lo), t_hi + m(t_hi));
                for (w0, w1) in [(ej + inner, ej + outer), (ej - outer, ej - inner)] {
                    let a = bucket.units.partition_point(|u| u.0 < w0);
                    let z = bucket.units.partition_point(|u| u.0 <= w1);
                    if bucket.units[a..z].iter().any(|u| is_close(u.1)) {
                        close = true;
                        break;
                    }
                }
                if close {
                    break;
                }
            }
        }
        if close {
            c = solve(FINE, Some(c));
        }
        let (lower, upper) = self.count(j, c);
        RankSet { c, lower, upper }
    }

    /// `(lower, upper)` of unit j's set for the critical value `c`. Lower counts
    /// `d_k − c·s_jk > 0`, upper `d_k + c·s_jk ≥ 0`; in a bucket `c·s_jk` lies between
    /// `c·hypot(s_j, lo)` and `c·hypot(s_j, hi)`, so only the units whose estimate
    /// falls in a window that wide are checked one by one: the rest are decided by
    /// where they sit in the bucket's estimate order.
    fn count(&self, j: usize, c: f64) -> (u64, u64) {
        let (est, se, sj) = (self.est, self.se, self.se[j]);
        let (mut lower, mut upper) = (1, 1);
        let counts = |k: usize, lower: &mut u64, upper: &mut u64| {
            if k == j {
                return;
            }
            let d = est[k] - est[j];
            let sjk = sj.hypot(se[k]);
            if d - c * sjk > 0.0 {
                *lower += 1;
            }
            if d + c * sjk >= 0.0 {
                *upper += 1;
            }
        };
        for &k in &self.odd {
            counts(k, &mut lower, &mut upper);
        }
        let ej = est[j];
        for (b, bucket) in self.buckets.iter().enumerate() {
            let t_lo = c * sj.hypot(bucket.lo);
            let t_hi = c * sj.hypot(bucket.hi);
            let m = |t: f64| t.abs() * 1e-9 + (ej.abs() + 1.0) * 1e-9;
            let u = &bucket.units;
            // Lower window: est_k − est_j in [t_lo, t_hi], widened.
            let a = u.partition_point(|x| x.0 < ej + t_lo - m(t_lo));
            let z = u.partition_point(|x| x.0 <= ej + t_hi + m(t_hi));
            lower += (u.len() - z) as u64;
            for x in &u[a..z] {
                counts(x.1, &mut lower, &mut 0);
            }
            // Upper window: est_k − est_j in [−t_hi, −t_lo], widened.
            let a = u.partition_point(|x| x.0 < ej - t_hi - m(t_hi));
            let z = u.partition_point(|x| x.0 <= ej - t_lo + m(t_lo));
            upper += (u.len() - z) as u64;
            if self.place[j].0 == b && self.place[j].1 >= z {
                upper -= 1;
            }
            for x in &u[a..z] {
                counts(x.1, &mut 0, &mut upper);
            }
        }
        (lower, upper)
    }
}

/// Cronbach's alpha of one dimension, with item diagnostics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    /// Ballots used (listwise complete on the dimension).
    pub n: u64,
    /// Cronbach's alpha, or `None` with fewer than two items, two ballots or no
    /// variance.
    pub alpha: Option<f64>,
    /// Corrected item–total correlation of each item (with the sum of the others).
    pub item_total: Vec<Option<f64>>,
    /// Alpha of the dimension without each item.
    pub alpha_if_deleted: Vec<Option<f64>>,
}

fn alpha_of(cov: &[Vec<f64>], keep: &[usize]) -> Option<f64> {
    let k = keep.len();
    if k < 2 {
        return None;
    }
    let trace: f64 = keep.iter().map(|&i| cov[i][i]).sum();
    let total: f64 = keep
        .iter()
        .flat_map(|&i| keep.iter().map(move |&j| (i, j)))
        .map(|(i, j)| cov[i][j])
        .sum();
    (total > 0.0).then(|| k as f64 / (k as f64 - 1.0) * (1.0 - trace / total))
}

/// Cronbach's alpha of dimension `d` from the tally's reliability sums.
pub fn reliability(tally: &Tally, d: usize) -> Reliability {
    let (n, sum, cross) = tally.reliability_of(d);
    let k = sum.len();
    let none = Reliability {
        n: n as u64,
        alpha: None,
        item_total: vec![None; k],
        alpha_if_deleted: vec![None; k],
    };
    if n < 2.0 {
        return none;
    }
    let mut cov = vec![vec![0.0; k]; k];
    let mut q = 0;
    for i in 0..k {
        for j in i..k {
            let v = (cross[q] - sum[i] * sum[j] / n) / (n - 1.0);
            cov[i][j] = v;
            cov[j][i] = v;
            q += 1;
        }
    }
    let all: Vec<usize> = (0..k).collect();
    let row: Vec<f64> = (0..k).map(|i| cov[i].iter().sum()).collect();
    let total: f64 = row.iter().sum();
    let item_total = (0..k)
        .map(|i| {
            let c = row[i] - cov[i][i];
            let rest = total - 2.0 * row[i] + cov[i][i];
            (cov[i][i] > 0.0 && rest > 0.0 && k > 1).then(|| c / (cov[i][i] * rest).sqrt())
        })
        .collect();
    let alpha_if_deleted = (0..k)
        .map(|i| {
            let keep: Vec<usize> = all.iter().copied().filter(|&x| x != i).collect();
            alpha_of(&cov, &keep)
        })
        .collect();
    Reliability {
        n: n as u64,
        alpha: alpha_of(&cov, &all),
        item_total,
        alpha_if_deleted,
    }
}

/// The normal CDF, exposed for tests and reports.
pub fn phi(x: f64) -> f64 {
    norm_cdf(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_and_wilson_by_hand() {
        assert!((z_value(0.95) - 1.959_963_984_540_054).abs() < 1e-12);
        // k = 7, n = 10, z² = 3.841458820694124:
        // denom = 1 + 0.3841458820694124 = 1.3841458820694124
        // center = (0.7 + 0.19207294103470620) / denom = 0.6445312...
        // dist = z·sqrt(0.021 + 0.009603647051735310) / denom = 0.2479...
        let (lo, hi) = wilson(7, 10, 0.95).unwrap();
        let z2: f64 = 1.959_963_984_540_054f64.powi(2);
        let denom = 1.0 + z2 / 10.0;
        let center = (0.7 + z2 / 20.0) / denom;
        let dist = 1.959_963_984_540_054 * (0.21 / 10.0 + z2 / 400.0).sqrt() / denom;
        assert!((lo - (center - dist)).abs() < 1e-15 && (hi - (center + dist)).abs() < 1e-15);
        assert!((lo - 0.396_778_147_461_145_4).abs() < 1e-12, "{lo}");
        assert!((hi - 0.892_208_732_593_698_9).abs() < 1e-12, "{hi}");
        // At p = 0 the interval starts at 0 and stays inside [0, 1].
        let (lo, hi) = wilson(0, 10, 0.95).unwrap();
        assert!(lo.abs() < 1e-15 && hi > 0.0 && hi < 1.0);
        assert_eq!(wilson(0, 0, 0.95), None);
    }

    #[test]
    fn t_quantiles_and_the_composite_interval_by_hand() {
        // R: qt(0.975, 19) = 2.093024054408263, qt(0.975, 10) = 2.228138851986274.
        assert!((t_value(0.95, 19.0) - 2.093_024_054_408_263).abs() < 1e-9);
        assert!((t_value(0.95, 10.0) - 2.228_138_851_986_274).abs() < 1e-9);
        assert_eq!(t_value(0.95, 0.0), z_value(0.95));
        // C = 90, se = 2, n = 20 on 0–100: p = 0.9, logit = ln 9 = 2.1972245773362196,
        // half = 2.093024054408263·2/(100·0.9·0.1) = 0.46511645653516953;
        // 100/(1 + e^−(2.19722 ∓ 0.46512)) = 84.96818734308513 and 93.4767561562779.
        let (lo, hi) = composite_interval(90.0, 2.0, 20, 0.0, 100.0, 0.95);
        assert!((lo - 84.968_187_343_085_13).abs() < 1e-7, "{lo}");
        assert!((hi - 93.476_756_156_277_9).abs() < 1e-7, "{hi}");
        // At the top of the range: C ± t·se.
        assert_eq!(composite_interval(100.0, 0.0, 20, 0.0, 100.0, 0.95), (100.0, 100.0));
    }

    #[test]
    fn rank_sets_of_far_apart_units_are_points() {
        // Three units 10 standard errors apart: every set is a single rank.
        let sets = rank_sets(&[90.0, 70.0, 50.0], &[1.0, 1.0, 1.0], 0.95, 2);
        let ranks: Vec<(u64, u64)> = sets.iter().map(|s| (s.lower, s.upper)).collect();
        assert_eq!(ranks, vec![(1, 1), (2, 2), (3, 3)]);
        // With two others, T_j is the max of two correlated |N(0, 1)|-scaled
        // differences: c lies between the one-comparison 1.96 and Bonferroni 2.24.
        assert!(sets[0].c > 1.96 && sets[0].c < 2.25, "{}", sets[0].c);
    }

    #[test]
    fn tied_units_share_their_sets() {
        let sets = rank_sets(&[80.0, 80.0], &[1.0, 1.0], 0.95, 2);
        // One comparison: T = |e_2 − e_1| / sqrt(2) ~ |N(0, 1)|, so c = 1.959964.
        assert!((sets[0].c - 1.959_963_984_540_054).abs() < 1e-7, "{}", sets[0].c);
        assert_eq!((sets[0].lower, sets[0].upper), (1, 2));
        assert_eq!((sets[1].lower, sets[1].upper), (1, 2));
        // Zero standard errors: ordered by the estimates alone, ties share.
        let sets = rank_sets(&[80.0, 80.0, 70.0], &[0.0, 0.0, 0.0], 0.95, 2);
        let ranks: Vec<(u64, u64)> = sets.iter().map(|s| (s.lower, s.upper)).collect();
        assert_eq!(ranks, vec![(1, 2), (1, 2), (3, 3)]);
    }

    #[test]
    fn quadrature_integrates_the_normal_density() {
        let f = |t: f64| ((-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt(), t * t);
        assert!((integrate(&f, -8.5, 8.5, 1e-13, 30).0 - 1.0).abs() < 1e-12);
        let (p, t2) = integrate(&f, -1.0, 1.0, 1e-13, 30);
        assert!((p - (phi(1.0) - phi(-1.0))).abs() < 1e-12);
        // ∫_{-1}^{1} t² dt = 2/3.
        assert!((t2 - 2.0 / 3.0).abs() < 1e-14);
    }
}

/// Comparisons with reference values made by established libraries; the data and
/// the script that made them are in `tests/fixtures/stats/` (`make_reference.py`
/// names library, version and call for each file).
#[cfg(test)]
mod reference {
    use super::*;
    use crate::input::text::{Encoding, Source};
    use std::path::Path;

    fn rows(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').map(|c| c.trim().to_string()).collect())
            .collect()
    }

    fn close(a: f64, b: f64, what: &str) {
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            "{what}: got {a}, reference {b}"
        );
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // statsmodels.stats.proportion.proportion_confint(count, nobs, method="wilson")
        for r in rows(include_str!("../../tests/fixtures/stats/wilson.csv")) {
            let (k, n): (u64, u64) = (r[0].parse().unwrap(), r[1].parse().unwrap());
            let (lo, hi) = wilson(k, n, 0.95).unwrap();
            close(lo, r[2].parse().unwrap(), &format!("lo {k}/{n}"));
            close(hi, r[3].parse().unwrap(), &format!("hi {k}/{n}"));
        }
    }

    /// A plan with one public group and no answer quota, and a one-unit roster
    /// (`U`), on `survey`: the campaign the reference datasets are scored in.
    pub(super) fn one_unit(survey: crate::Survey) -> (crate::Plan, crate::Roster) {
        let plan = crate::Plan::from_yaml(
            "id: p\nsurvey: s.yaml\nperiod: {start: 2020-01-01, end: 2020-12-31}\ngroups: [{id: g, public: true}]\nvalidity: {min_answered_share: 0}\n",
            Path::new("p.yaml"),
            survey,
        )
        .unwrap();
        let roster = crate::Roster::read_from(
            &Source::text("r.csv", "unit_id,name,department,kind\nU,u,d,k\n"),
            Encoding::Utf8,
        )
        .unwrap();
        (plan, roster)
    }

    /// Builds a tally of a one-dimension campaign whose ballots are the rows of a
    /// dataset (all in one unit, one group), so the reliability sums are the
    /// dataset's.
    fn alpha_of_dataset(text: &str) -> Reliability {
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let items: String = header
            .iter()
            .map(|h| format!("  - {{id: {h}, dimension: d, scale: s, zh: {h}}}\n"))
            .collect();
        let survey = format!(
            "id: s\nscales:\n  s:\n    options:\n{}dimensions: [{{id: d}}]\nitems:\n{items}",
            [0, 20, 60, 80, 100]
                .iter()
                .map(|v| format!("      - {{code: \"{v}\", score: {v}}}\n"))
                .collect::<String>()
        );
        let survey = crate::Survey::from_yaml(&survey, Path::new("s.yaml")).unwrap();
        let (plan, roster) = one_unit(survey);
        let mut csv = format!("ballot_id,unit_id,rater_id,rater_group,{}\n", header.join(","));
        for (b, line) in text.lines().skip(1).enumerate() {
            csv.push_str(&format!("B{b},U,R{b},g,{line}\n"));
        }
        let (tally, rejects, _) = crate::count::read::tally_files(
            &plan,
            &roster,
            &[Source::text("b.csv", csv)],
            Encoding::Utf8,
            &mut |_| {},
        )
        .unwrap();
        assert!(rejects.is_empty(), "{rejects:?}");
        reliability(&tally, 0)
    }

    #[test]
    fn alpha_matches_pingouin() {
        // pingouin.cronbach_alpha(data, nan_policy="listwise"); item–total with numpy.
        let expected = rows(include_str!("../../tests/fixtures/stats/alpha_expected.csv"));
        let items = rows(include_str!("../../tests/fixtures/stats/item_total.csv"));
        for (name, data) in [
            ("a", include_str!("../../tests/fixtures/stats/alpha_a.csv")),
            ("b", include_str!("../../tests/fixtures/stats/alpha_b.csv")),
            ("c", include_str!("../../tests/fixtures/stats/alpha_c.csv")),
        ] {
            let r = alpha_of_dataset(data);
            let e = expected.iter().find(|e| e[0] == name).unwrap();
            assert_eq!(r.n.to_string(), e[1], "listwise n of {name}");
            close(r.alpha.unwrap(), e[2].parse().unwrap(), &format!("alpha {name}"));
            for (k, it) in items.iter().filter(|i| i[0] == name).enumerate() {
                close(
                    r.item_total[k].unwrap(),
                    it[2].parse().unwrap(),
                    &format!("item-total {name} {}", it[1]),
                );
                close(
                    r.alpha_if_deleted[k].unwrap(),
                    it[3].parse().unwrap(),
                    &format!("alpha if deleted {name} {}", it[1]),
                );
            }
        }
    }

    #[test]
    fn composite_se_matches_the_influence_function() {
        // mpmath central differences of C in each ballot's weight (make_reference.py).
        let data = include_str!("../../tests/fixtures/stats/composite_ballots.csv");
        let survey = crate::Survey::from_yaml(
            "id: s\nscales:\n  s:\n    options:\n      - {code: \"100\", score: 100}\n      - {code: \"60\", score: 60}\n      - {code: \"0\", score: 0}\n      - {code: A, abstain: true}\ndimensions: [{id: d1, weight: 1}, {id: d2, weight: 2}]\nitems:\n  - {id: i1, dimension: d1, scale: s, weight: 2, zh: a}\n  - {id: i2, dimension: d1, scale: s, weight: 1, zh: b}\n  - {id: i3, dimension: d2, scale: s, zh: c}\n  - {id: i4, dimension: d2, scale: s, zh: d}\n  - {id: i5, dimension: d2, scale: s, zh: e}\n",
            Path::new("s.yaml"),
        )
        .unwrap();
        let roster = crate::Roster::read_from(
            &Source::text("r.csv", "unit_id,name,department,kind\nU,u,d,k\n"),
            Encoding::Utf8,
        )
        .unwrap();
        let mut csv = String::from("ballot_id,unit_id,rater_id,rater_group,i1,i2,i3,i4,i5\n");
        for (b, line) in data.lines().skip(1).enumerate() {
            csv.push_str(&format!("B{b},U,R{b},{line}\n"));
        }
        for r in rows(include_str!("../../tests/fixtures/stats/composite_expected.csv")) {
            let plan = crate::Plan::from_yaml(
                &format!(
                    "id: p\nsurvey: s.yaml\nperiod: {{start: 2020-01-01, end: 2020-12-31}}\ngroups: [{{id: public, public: true, weight: 3}}, {{id: npc, weight: 1}}]\nvalidity: {{min_answered_share: 0}}\nscoring: {{group_weighting: {}}}\n",
                    r[0]
                ),
                Path::new("p.yaml"),
                survey.clone(),
            )
            .unwrap();
            let (tally, rejects, _) = crate::count::read::tally_files(
                &plan,
                &roster,
                &[Source::text("b.csv", csv.clone())],
                Encoding::Utf8,
                &mut |_| {},
            )
            .unwrap();
            assert!(rejects.is_empty(), "{rejects:?}");
            let score = crate::score::unit::score_unit(&plan, &tally, 0);
            close(
                score.composite.unwrap(),
                r[1].parse().unwrap(),
                &format!("composite {}", r[0]),
            );
            close(
                composite_se(&plan, &tally, 0, &score).unwrap(),
                r[2].parse().unwrap(),
                &format!("se {}", r[0]),
            );
        }
    }

    #[test]
    fn rank_sets_match_an_independent_quadrature() {
        // scipy.integrate.quad + brentq, cross-checked by 10^6 simulated draws.
        let input = rows(include_str!("../../tests/fixtures/stats/ranks_input.csv"));
        let est: Vec<f64> = input.iter().map(|r| r[1].parse().unwrap()).collect();
        let se: Vec<f64> = input.iter().map(|r| r[2].parse().unwrap()).collect();
        let sets = rank_sets(&est, &se, 0.95, 2);
        for (k, r) in rows(include_str!("../../tests/fixtures/stats/ranks_expected.csv"))
            .iter()
            .enumerate()
        {
            let c: f64 = r[1].parse().unwrap();
            assert!((sets[k].c - c).abs() < 1e-6, "unit {}: c {} vs {c}", r[0], sets[k].c);
            assert_eq!(
                (sets[k].lower.to_string(), sets[k].upper.to_string()),
                (r[2].clone(), r[3].clone()),
                "unit {}",
                r[0]
            );
        }
    }
}

/// Coverage of the composite interval by simulation: a unit with a planted true
/// composite is surveyed many times; the share of 95% intervals that cover the
/// truth should be close to 0.95.
/// The rank-set machinery against its plain form: the exact product over every
/// other unit and the count over every pair.
#[cfg(test)]
mod rank_speed {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The rank set as first written: the others listed one by one, every pair
    /// counted.
    fn plain(est: &[f64], se: &[f64], level: f64, j: usize) -> RankSet {
        if !(est[j].is_finite() && se[j].is_finite() && se[j] >= 0.0) {
            return RankSet {
                c: f64::INFINITY,
                lower: 1,
                upper: est.len() as u64,
            };
        }
        let usable = |k: usize| est[k].is_finite() && se[k].is_finite() && se[k] >= 0.0;
        let others: Vec<(f64, f64)> = (0..se.len())
            .filter(|&k| k != j && usable(k) && se[j].hypot(se[k]) > 0.0)
            .map(|k| (se[k], se[j].hypot(se[k])))
            .collect();
        let mut c = critical_value(se[j], &others, level, COARSE, None);
        let close = (0..est.len()).any(|k| {
            let sjk = se[j].hypot(se[k]);
            k != j && sjk > 0.0 && ((est[k] - est[j]).abs() / sjk - c).abs() < 1e-4
        });
        if close {
            c = critical_value(se[j], &others, level, FINE, Some(c));
        }
        count_plain(est, se, j, c)
    }

    fn count_plain(est: &[f64], se: &[f64], j: usize, c: f64) -> RankSet {
        let (mut lower, mut upper) = (1, 1);
        for k in 0..est.len() {
            if k == j {
                continue;
            }
            let d = est[k] - est[j];
            let sjk = se[j].hypot(se[k]);
            if d - c * sjk > 0.0 {
                lower += 1;
            }
            if d + c * sjk >= 0.0 {
                upper += 1;
            }
        }
        RankSet { c, lower, upper }
    }

    #[test]
    fn the_spread_integrates_polynomials_exactly() {
        // s = 1, 2, …, 20: ratio 20 cuts into ⌈ln 20 / ln 2⌉ = ⌈4.32⌉ = 5 panels
        // of at most 16 values each ([1, 2) holds 1, … [8, 16) 8, [16, 20] 5), so
        // each lists its values. Σ s² = 20·21·41/6 = 2870; Σ s³ = (20·21/2)² =
        // 44100; without s = 3: 2870 − 9 = 2861.
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        let sp = Spread::new(&values);
        assert_eq!(sp.panels.len(), 5);
        assert!(sp.panels.iter().all(|p| p.2));
        let sum = |nodes: &[(f64, f64)], pow: i32| nodes.iter().map(|&(s, w)| w * s.powi(pow)).sum::<f64>();
        let all = sp.without(None);
        assert!((sum(&all, 0) - 20.0).abs() < 1e-9, "{}", sum(&all, 0));
        assert!((sum(&all, 2) - 2870.0).abs() < 1e-9);
        assert!((sum(&all, 3) - 44100.0).abs() < 1e-8);
        assert!((sum(&sp.without(Some(3.0)), 2) - 2861.0).abs() < 1e-9);
        // 1 000 values from 2 to 6: the panels interpolate on 16 Chebyshev nodes,
        // which reproduce any polynomial of degree < 16: the weights still add up
        // to the count and reproduce Σ s² to rounding.
        let values: Vec<f64> = (0..1000).map(|k| 2.0 + 4.0 * f64::from(k) / 999.0).collect();
        let sp = Spread::new(&values);
        assert!(sp.panels.iter().any(|p| !p.2), "some panel interpolates");
        let want: f64 = values.iter().map(|s| s * s).sum();
        let all = sp.without(None);
        assert!((sum(&all, 2) - want).abs() < 1e-8 * want);
        let want15: f64 = values.iter().map(|s| s.powi(15)).sum();
        assert!(
            (sum(&all, 15) - want15).abs() < 1e-13 * want15,
            "degree 15 is reproduced: {}",
            (sum(&all, 15) - want15) / want15
        );
        assert!((sum(&all, 0) - 1000.0).abs() < 1e-9);
    }

    /// Estimates and standard errors like a province's windows: composites near the
    /// top of the scale, standard errors of 20–40 ballots, a few units with s = 0
    /// or nothing known.
    fn campaign(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut est = Vec::with_capacity(n);
        let mut se = Vec::with_capacity(n);
        for k in 0..n {
            est.push(85.0 + 8.0 * (rng.random::<f64>() - 0.5) + rng.random::<f64>());
            se.push(match k % 97 {
                5 => 0.0,
                11 => f64::NAN,
                _ => 1.5 + 3.0 * rng.random::<f64>() * rng.random::<f64>(),
            });
        }
        (est, se)
    }

    /// Timings for BENCHMARKS.md (not a check): `cargo test --release --lib
    /// rank_sets_timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    #[allow(clippy::print_stdout)]
    fn rank_sets_timing() {
        for n in [1_000, 10_000, 100_000] {
            let (est, se) = campaign(n, 1);
            let t = std::time::Instant::now();
            let sets = rank_sets(&est, &se, LEVEL, 2);
            println!("{n} units: {:.3} s ({} sets)", t.elapsed().as_secs_f64(), sets.len());
        }
    }

    #[test]
    fn counting_with_buckets_matches_every_pair() {
        // Any c: the bucketed count is the plain count.
        let (est, se) = campaign(700, 7);
        let field = Field::new(&est, &se, LEVEL, 2);
        for j in (0..est.len()).step_by(7) {
            if !field.usable[j] {
                continue;
            }
            for c in [0.0, 1.0, 2.5, 3.3, 40.0] {
                let want = count_plain(&est, &se, j, c);
                // c fixed: count only (the part of rank_set after the solve).
                let got = field.count(j, c);
                assert_eq!((got.0, got.1), (want.lower, want.upper), "unit {j}, c {c}");
            }
        }
    }

    #[test]
    fn the_spread_gives_the_sets_of_the_exact_product() {
        // 700 units: above EXACT_MAX, so the field solves through the spread; the
        // plain solve multiplies all 699 factors. Same sets, c within 1e-8.
        let (est, se) = campaign(700, 11);
        let field = Field::new(&est, &se, LEVEL, 2);
        assert!(field.spread.is_some());
        for j in (0..est.len()).step_by(23).chain([5, 11, 102]) {
            let got = field.rank_set(LEVEL, j, None);
            let want = plain(&est, &se, LEVEL, j);
            assert_eq!((got.lower, got.upper), (want.lower, want.upper), "unit {j}");
            if want.c.is_finite() {
                assert!((got.c - want.c).abs() < 1e-8, "unit {j}: c {} vs {}", got.c, want.c);
            }
        }
    }

    #[test]
    fn a_campaign_whose_errors_are_all_zero_is_ordered_by_its_estimates() {
        // 100 units, s = 0 everywhere: no pair has s_jk > 0, so c = 0 and the sets
        // are the ranks of the estimates (ties share: 50 units at 90, 50 at 80).
        let est: Vec<f64> = (0..100).map(|k| if k < 50 { 90.0 } else { 80.0 }).collect();
        let sets = rank_sets(&est, &[0.0; 100], LEVEL, 2);
        assert_eq!((sets[0].c, sets[0].lower, sets[0].upper), (0.0, 1, 50));
        assert_eq!((sets[99].lower, sets[99].upper), (51, 100));
    }

    #[test]
    fn small_campaigns_keep_the_bits_of_the_plain_form() {
        let (est, se) = campaign(120, 3);
        let sets = rank_sets(&est, &se, LEVEL, 2);
        for (j, set) in sets.iter().enumerate() {
            let want = plain(&est, &se, LEVEL, j);
            assert_eq!((set.lower, set.upper), (want.lower, want.upper), "unit {j}");
        }
    }
}

#[cfg(test)]
mod coverage {
    use super::reference::one_unit;
    use super::*;
    use crate::count::tally::{Layout, Tally};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::path::Path;

    /// Six items in two dimensions (weights 1 and 2; item weights 2,1,1 and 1,1,1),
    /// scale 100 / 60 / 0 / abstain; answers hang together through a rater effect.
    fn setup() -> (crate::Plan, crate::Roster) {
        let survey = crate::Survey::from_yaml(
            "id: s\nscales:\n  s:\n    options:\n      - {code: \"1\", score: 100, satisfied: true}\n      - {code: \"2\", score: 60, satisfied: true}\n      - {code: \"3\", score: 0}\n      - {code: \"9\", abstain: true}\ndimensions: [{id: a, weight: 1}, {id: b, weight: 2}]\nitems:\n  - {id: i1, dimension: a, scale: s, weight: 2, zh: x}\n  - {id: i2, dimension: a, scale: s, zh: x}\n  - {id: i3, dimension: a, scale: s, zh: x}\n  - {id: i4, dimension: b, scale: s, zh: x}\n  - {id: i5, dimension: b, scale: s, zh: x}\n  - {id: i6, dimension: b, scale: s, zh: x}\n",
            Path::new("s.yaml"),
        )
        .unwrap();
        one_unit(survey)
    }

    fn ballot(rng: &mut ChaCha8Rng, codes: &mut [u8], shift: f64) {
        let rater: f64 = rng.random::<f64>() * 2.0 - 1.0;
        for (i, c) in codes.iter_mut().enumerate() {
            let u: f64 = rng.random();
            *c = if u < 0.04 {
                3 // abstain
            } else if u < 0.06 {
                crate::judge::ballots::BLANK
            } else {
                let y = shift + 0.8 * rater + 0.1 * i as f64 + (rng.random::<f64>() - 0.5) * 1.6;
                if y > 0.2 {
                    0
                } else if y > -0.6 {
                    1
                } else {
                    2
                }
            };
        }
    }

    fn composite(
        plan: &crate::Plan,
        roster: &crate::Roster,
        rng: &mut ChaCha8Rng,
        n: usize,
        shift: f64,
    ) -> (f64, Option<f64>) {
        let mut t = Tally::new(Layout::new(plan, roster));
        let mut codes = [0u8; 6];
        for _ in 0..n {
            ballot(rng, &mut codes, shift);
            t.add(0, 0, &codes);
        }
        let s = crate::score::unit::score_unit(plan, &t, 0);
        (s.composite.unwrap_or(f64::NAN), composite_se(plan, &t, 0, &s))
    }

    #[test]
    #[allow(clippy::print_stderr)] // the observed coverage is worth seeing with --nocapture
    fn composite_intervals_cover_about_95_percent() {
        let (plan, roster) = setup();
        let mut rng = ChaCha8Rng::seed_from_u64(20261123);
        // Two planted units: near the top of the scale (shift 0.4, truth ≈ 88.7,
        // answers skewed) and mid-scale (shift −0.4, truth ≈ 60.5).
        for shift in [0.4, -0.4] {
            // The truth: the composite of 400,000 ballots (its own SE is about 0.03).
            let (truth, _) = composite(&plan, &roster, &mut rng, 400_000, shift);
            for n in [20usize, 40, 200] {
                let runs = 10_000;
                let covered = (0..runs)
                    .filter(|_| {
                        let (c, se) = composite(&plan, &roster, &mut rng, n, shift);
                        se.is_some_and(|se| {
                            let (a, b) = composite_interval(c, se, n as u64, 0.0, 100.0, LEVEL);
                            a <= truth && truth <= b
                        })
                    })
                    .count();
                let coverage = covered as f64 / runs as f64;
                eprintln!("n = {n}: coverage {coverage} over {runs} simulated units (truth {truth:.3})");
                // 10,000 runs: the binomial SE of a coverage near 0.95 is 0.0022, so
                // the band 0.94–0.96 is ±4.5 SE. Measured (seed 20261123): 0.9496,
                // 0.9482, 0.9490 at the top, 0.9563, 0.9540, 0.9495 mid-scale; the
                // plain normal interval C ± 1.96·se gave 0.926 at n = 20 at the top,
                // and C ± t·se alone 0.926, 0.940, 0.949.
                assert!((0.94..=0.96).contains(&coverage), "n = {n}: coverage {coverage}");
            }
        }
    }
}
