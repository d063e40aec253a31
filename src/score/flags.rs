//! Data-quality flags: signs that ballots may have been filled in carelessly or
//! manufactured. They are reported, never applied: a flag changes no score, status
//! or rank. Each says what it saw, what was expected and how that was estimated.
//!
//! Real raters' answers move together (a rater who is pleased is pleased on every
//! item), so a null model that takes items as answered independently cries wolf.
//! The null models here are calibrated on the campaign itself: a unit is compared
//! with its **peers**, the [`PEERS`] other judged units nearest to it in composite
//! (by rank of the composite, ties by roster order; fewer when the campaign is
//! smaller; at least [`MIN_PEERS`]).
//!
//! - `straight_lining` — more of the unit's ballots give one and the same option
//!   position to every item (three or more) than its peers' rate allows: with `s`
//!   such ballots of `n`, and `S` of `N` among the peers, the rate is
//!   `r = (S + 1) / (N + 2)` and the p-value `P(X ≥ s)`, X beta-binomial over n
//!   with mean r and the intra-class correlation ρ the peers' spread of shares
//!   shows beyond sampling (method of moments; binomial when ρ = 0): in a small
//!   campaign the peers span every level, and straight-lining follows the level.
//! - `repeated_patterns` — some answer pattern that is not straight-lined occurs
//!   in the unit more often than the peers' frequency of that very pattern allows:
//!   for a pattern seen `c ≥ 2` times among the unit's `n` ballots and `R` times
//!   among the peers' `N`, its frequency is `q = (R + 1) / (N + 1)` (the unit's
//!   first occurrence counted with the peers') and its p-value is the chance that
//!   `n − 1` other ballots give it at least `c − 1` more times,
//!   `P(Y ≥ c − 1)`, `Y ~ Binomial(n − 1, q)`. The unit's p-value is the smallest
//!   of its patterns' times the number `m` of its distinct patterns that are not
//!   straight-lined (Bonferroni, at most 1).
//! - Multiple testing: the p-values of both flags over all judged units are one
//!   family; a flag is raised when its Benjamini–Hochberg adjusted p-value is at
//!   most [`FDR`] (false discovery rate 5%, Benjamini & Hochberg 1995).
//! - `uniform_unit` — the unit's ballots vary far less than its peers': the mean
//!   within-unit variance of item scores has a robust z-score (median and MAD of
//!   the peers, Iglewicz & Hoaglin 1993) below −3.5 and is under a quarter of the
//!   peers' median.
//!
//! - `rater_spread` — one `rater_id` appears on the valid ballots of implausibly many
//!   units: at least 5 units and 4 times the median rater's count, and so far in the
//!   tail that at most `max(1, ⌊1% of raters⌋)` raters reach that count. The tail rule
//!   keeps a panel design in which some raters legitimately appraise every unit (人大
//!   代表 on a district panel) from being flagged: they are many, not a few.
//!   `unusual` is the share of raters with at least that many units. Computed from
//!   the duplicate keys of one run; `score --tallies` has no rater ids and gives none.
//!
//! Units with fewer than 5 valid ballots, or without a composite, are not judged.
//! Everything is computed from the tally (counts, straight-lining counts, the
//! per-unit pattern counts), so merged shards give the same flags.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use statrs::function::beta::ln_beta;
use statrs::function::factorial::ln_binomial;

use crate::count::tally::{Tally, pattern_hash};
use crate::score::result::UnitResult;

/// Fewest valid ballots a unit needs to be judged.
pub const MIN_BALLOTS: u64 = 5;

/// How many peers (the judged units nearest in composite) a unit is compared with.
pub const PEERS: usize = 30;

/// Fewest peers a unit needs to be judged.
pub const MIN_PEERS: usize = 5;

/// The false discovery rate at which the Benjamini–Hochberg procedure raises
/// `straight_lining` and `repeated_patterns` flags.
pub const FDR: f64 = 0.05;

/// One data-quality flag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// `straight_lining`, `repeated_patterns`, `uniform_unit` or `rater_spread`.
    pub kind: std::borrow::Cow<'static, str>,
    /// Roster index of the unit (`None` for a flag about a rater).
    pub unit: Option<usize>,
    /// The rater a `rater_spread` flag is about.
    pub rater: Option<String>,
    /// What was seen: the number of straight-lined ballots, the count of the most
    /// repeated pattern, a variance or a rater's count of units.
    pub observed: f64,
    /// What the peers lead one to expect: `n·r` straight-lined ballots, `1 + (n−1)·q`
    /// ballots with the pattern, the peers' median variance, or the median rater's
    /// count.
    pub expected: f64,
    /// How unusual: the p-value (straight-lining, repeated patterns), the robust
    /// z-score (uniform unit), or the share of raters reaching the count
    /// (`rater_spread`).
    pub unusual: f64,
    /// The same in words, with how the expectation was estimated.
    pub detail: String,
}
fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The robust z-score `(x − median) / (1.4826 · MAD)` of `x` against `peers`, with
/// the peers' median; `None` without peers or when their MAD is 0.
fn robust_z(peers: &mut [f64], x: f64) -> Option<(f64, f64)> {
    let med = median(peers)?;
    let mut dev: Vec<f64> = peers.iter().map(|p| (p - med).abs()).collect();
    let mad = median(&mut dev).unwrap_or(0.0) * 1.4826;
    (mad > 0.0).then(|| (med, (x - med) / mad))
}

/// Mean over items of the within-unit sample variance of scores.
fn within_variance(tally: &Tally, unit: usize) -> Option<f64> {
    let l = &tally.layout;
    let mut total = 0.0;
    let mut items = 0;
    for i in 0..l.items {
        let (mut s, mut ss, mut a) = (0.0, 0.0, 0.0);
        for g in 0..l.moment_groups {
            let m = tally.moments_of(unit, g);
            s += m.sa(i, i);
            ss += m.ss(i, i);
            a += m.aa(i, i);
        }
        if a >= 2.0 {
            total += ((ss - s * s / a) / (a - 1.0)).max(0.0);
            items += 1;
        }
    }
    (items > 0).then(|| total / items as f64)
}

/// The upper tail `P(X ≥ k)` of `X ~ Binomial(n, q)`, summed term by term from
/// `k` up (so a tiny tail keeps its digits).
pub fn binomial_tail(k: u64, n: u64, q: f64) -> f64 {
    if k == 0 || q >= 1.0 {
        return 1.0;
    }
    if k > n || q <= 0.0 {
        return 0.0;
    }
    let (lq, lr) = (q.ln(), (-q).ln_1p());
    let mut sum = 0.0;
    for j in k..=n {
        let term = (ln_binomial(n, j) + j as f64 * lq + (n - j) as f64 * lr).exp();
        sum += term;
        if j as f64 > n as f64 * q && term <= sum * 1e-17 {
            break;
        }
    }
    sum.min(1.0)
}

/// The upper tail `P(X ≥ k)` of a beta-binomial `X` over `n` trials with mean rate
/// `r` and intra-class correlation `rho` (`α = r(1−ρ)/ρ`, `β = (1−r)(1−ρ)/ρ`):
/// `Σ_{j≥k} C(n, j)·B(j + α, n − j + β)/B(α, β)`. With `rho` = 0 it is the
/// binomial tail.
pub fn beta_binomial_tail(k: u64, n: u64, r: f64, rho: f64) -> f64 {
    if rho <= 0.0 || r <= 0.0 || r >= 1.0 {
        return binomial_tail(k, n, r);
    }
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    let rho = rho.min(1.0 - 1e-9);
    let (a, b) = (r * (1.0 - rho) / rho, (1.0 - r) * (1.0 - rho) / rho);
    let base = ln_beta(a, b);
    let term = |j: u64| (ln_binomial(n, j) + ln_beta(j as f64 + a, (n - j) as f64 + b) - base).exp();
    // The terms are summed from j = k up, in that order, and the sum stops once no
    // later term can change it: each later term is then below half an ulp of the
    // sum, so adding it rounds back to the same value (the result has the bits of
    // the full sum, much sooner when n is large). Which later terms are largest
    // follows from the ratio t(j+1)/t(j) = (n−j)(j+α) / ((j+1)(n−j−1+β)): its
    // numerator minus its denominator is D(j) = j(2 − α − β) + nα − n + 1 − β,
    // linear in j (the j² cancel), so the terms rise then fall when α + β ≥ 2 (all
    // later terms are at most t(j) once D(j) ≤ 0) and fall then rise otherwise (all
    // later terms are at most max(t(j), t(n))).
    let (nf, rising) = (n as f64, a + b < 2.0);
    let last = rising.then(|| term(n));
    let mut sum = 0.0;
    for j in k..=n {
        let t = term(j);
        sum += t;
        let small = |x: f64| x <= sum * 1e-17;
        let past = match last {
            None => j as f64 * (2.0 - a - b) + nf * a - nf + 1.0 - b <= 0.0,
            Some(tn) => small(tn),
        };
        if past && small(t) {
            break;
        }
    }
    sum.min(1.0)
}

/// The intra-class correlation of straight-lining among peers, by the method of
/// moments: with the peers' shares `p_k = s_k/n_k`, their pooled rate `r`, their
/// sample variance `S²` (divisor K − 1) and `h` the mean of `1/n_k`,
/// `ρ = max(0, (S² − r(1−r)·h) / (r(1−r)·(1 − h)))`, at most 1. It widens the
/// binomial where units differ more than sampling explains (their level, panel).
fn overdispersion(peers: &[(u64, u64)]) -> f64 {
    let k = peers.len();
    if k < 2 {
        return 0.0;
    }
    let (s, n): (u64, u64) = peers.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if n == 0 {
        return 0.0;
    }
    let r = s as f64 / n as f64;
    let shares: Vec<f64> = peers.iter().map(|&(s, n)| s as f64 / n.max(1) as f64).collect();
    let mean = shares.iter().sum::<f64>() / k as f64;
    let var = shares.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / (k - 1) as f64;
    let h = peers.iter().map(|&(_, n)| 1.0 / n.max(1) as f64).sum::<f64>() / k as f64;
    let binomial = r * (1.0 - r);
    if binomial <= 0.0 || h >= 1.0 {
        return 0.0;
    }
    ((var - binomial * h) / (binomial * (1.0 - h))).clamp(0.0, 1.0)
}

/// Benjamini–Hochberg adjusted p-values: `p_(i)·m/i` for the i-th smallest of m,
/// made monotone from the largest down and capped at 1, in the input's order.
/// A test is a discovery at false discovery rate α when its adjusted value ≤ α.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut adjusted = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &k) in order.iter().enumerate().rev() {
        running = running.min(p[k] * m as f64 / (rank + 1) as f64).min(1.0);
        adjusted[k] = running;
    }
    adjusted
}

/// The peers of each position in `sorted`: the `PEERS` others nearest in that
/// order (a window around it, moved inward at the ends).
fn peer_window(len: usize, pos: usize) -> std::ops::Range<usize> {
    let w = (PEERS + 1).min(len);
    let start = pos.saturating_sub(PEERS / 2).min(len - w);
    start..start + w
}

/// Hashes of the straight-lined patterns (one option position on every item).
fn straight_hashes(tally: &Tally) -> BTreeSet<u64> {
    let l = &tally.layout;
    let widest = (0..l.items).map(|i| l.offsets[i + 1] - l.offsets[i]).max().unwrap_or(0);
    (0..widest.min(256))
        .map(|c| pattern_hash(&vec![c as u8; l.items]))
        .collect()
}

/// One unit's test of the repeated-pattern flag against its peers.
struct PatternTest {
    p: f64,
    count: u64,
    expected: f64,
    peers_with: u64,
    peer_ballots: u64,
    distinct: usize,
}

fn pattern_test(tally: &Tally, unit: usize, n: u64, peers: &[usize], straight: &BTreeSet<u64>) -> Option<PatternTest> {
    if tally.pattern_overflow[unit] {
        return None;
    }
    let peers: Vec<usize> = peers.iter().copied().filter(|&k| !tally.pattern_overflow[k]).collect();
    if peers.len() < MIN_PEERS {
        return None;
    }
    let peer_ballots: u64 = peers.iter().map(|&k| tally.patterns[k].values().sum::<u64>()).sum();
    let own: Vec<(u64, u64)> = tally.patterns[unit]
        .iter()
        .filter(|(h, _)| !straight.contains(h))
        .map(|(&h, &c)| (h, c))
        .collect();
    let mut best = PatternTest {
        p: 1.0,
        count: own.iter().map(|x| x.1).max().unwrap_or(0),
        expected: 0.0,
        peers_with: 0,
        peer_ballots,
        distinct: own.len(),
    };
    let mut first = true;
    for &(h, c) in &own {
        let with: u64 = peers
            .iter()
            .map(|&k| tally.patterns[k].get(&h).copied().unwrap_or(0))
            .sum();
        let q = (with + 1) as f64 / (peer_ballots + 1) as f64;
        let p = if c >= 2 { binomial_tail(c - 1, n - 1, q) } else { 1.0 };
        if first || p < best.p || (p == best.p && c > best.count) {
            first = false;
            best.p = p;
            best.count = c;
            best.expected = 1.0 + (n - 1) as f64 * q;
            best.peers_with = with;
        }
    }
    best.p = (best.p * best.distinct.max(1) as f64).min(1.0);
    Some(best)
}

/// Every flag of a campaign, in roster order and then by kind.
pub fn flags(tally: &Tally, units: &[UnitResult]) -> Vec<Flag> {
    flags_on(tally, units, 1)
}

/// [`flags`] computed on up to `threads` threads (the units' tests split in two
/// halves when `threads` > 1 and there are at least 64 units); the same flags.
pub fn flags_on(tally: &Tally, units: &[UnitResult], threads: usize) -> Vec<Flag> {
    let judged: Vec<usize> = (0..units.len())
        .filter(|&k| units[k].score.valid >= MIN_BALLOTS && units[k].score.composite.is_some())
        .collect();
    let mut sorted = judged.clone();
    sorted.sort_by(|&a, &b| {
        let (x, y) = (
            units[a].score.composite.unwrap_or(0.0),
            units[b].score.composite.unwrap_or(0.0),
        );
        x.total_cmp(&y).then(a.cmp(&b))
    });
    let straight_set = straight_hashes(tally);
    // Per judged unit (in `sorted` order): its peers, the straight-lining test and
    // the pattern test; p-values into one Benjamini–Hochberg family.
    struct Tests {
        k: usize,
        peers: Vec<usize>,
        straight: Option<(f64, f64, u64, u64, f64)>,
        pattern: Option<PatternTest>,
        variance: Option<(f64, f64, f64)>,
    }
    let test = |pos: usize, k: usize| -> Tests {
        let peers: Vec<usize> = sorted[peer_window(sorted.len(), pos)]
            .iter()
            .copied()
            .filter(|&j| j != k)
            .collect();
        let mut t = Tests {
            k,
            peers: Vec::new(),
            straight: None,
            pattern: None,
            variance: None,
        };
        if peers.len() >= MIN_PEERS {
            let u = units[k].unit;
            let n = units[k].score.valid;
            let s = tally.straight[u];
            let counts: Vec<(u64, u64)> = peers
                .iter()
                .map(|&j| (tally.straight[units[j].unit], units[j].score.valid))
                .collect();
            let (ss, nn) = counts.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            if tally.layout.items >= 3 {
                let r = (ss + 1) as f64 / (nn + 2) as f64;
                let rho = overdispersion(&counts);
                t.straight = Some((beta_binomial_tail(s, n, r, rho), r, ss, nn, rho));
            }
            let peer_units: Vec<usize> = peers.iter().map(|&j| units[j].unit).collect();
            t.pattern = pattern_test(tally, u, n, &peer_units, &straight_set);
            if let Some(v) = within_variance(tally, u) {
                let mut pv: Vec<f64> = peer_units.iter().filter_map(|&j| within_variance(tally, j)).collect();
                t.variance = robust_z(&mut pv, v).map(|(med, z)| (v, med, z));
            }
            t.peers = peers;
        }
        t
    };
    // Each unit's tests are its own (a beta-binomial tail over tens of thousands
    // of ballots takes thousands of terms): the second half of the units on a
    // second thread when there are many, in order, so the results are the same.
    let tests: Vec<Tests> = if threads > 1 && sorted.len() >= 64 {
        let half = sorted.len() / 2;
        std::thread::scope(|s| {
            let second = s.spawn(|| {
                (half..sorted.len())
                    .map(|pos| test(pos, sorted[pos]))
                    .collect::<Vec<_>>()
            });
            let mut tests: Vec<Tests> = (0..half).map(|pos| test(pos, sorted[pos])).collect();
            tests.extend(second.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            tests
        })
    } else {
        (0..sorted.len()).map(|pos| test(pos, sorted[pos])).collect()
    };
    let mut p: Vec<f64> = Vec::new();
    for t in &tests {
        p.extend(t.straight.map(|x| x.0));
        p.extend(t.pattern.as_ref().map(|x| x.p));
    }
    let family = p.len();
    let adjusted = benjamini_hochberg(&p);
    let mut next = adjusted.iter();
    let mut found: BTreeMap<(usize, u8), Flag> = BTreeMap::new();
    for t in &tests {
        let r = &units[t.k];
        let u = r.unit;
        let n = r.score.valid;
        if let Some((pv, rate, ss, nn, rho)) = t.straight {
            let q = next.next().copied().unwrap_or(1.0);
            let s = tally.straight[u];
            if q <= FDR && s as f64 > n as f64 * rate {
                found.insert(
                    (t.k, 0),
                    Flag {
                        kind: "straight_lining".into(),
                        unit: Some(u),
                        rater: None,
                        observed: s as f64,
                        expected: n as f64 * rate,
                        unusual: pv,
                        detail: format!(
                            "{s} of {n} ballots give one option to every item; about {:.1} expected at the rate of the {} units nearest in composite ({ss} of {nn} ballots, rate (S+1)/(N+2) = {rate:.3}, spread between them ρ = {rho:.3}); beta-binomial P = {pv:.1e}, Benjamini–Hochberg adjusted {q:.1e} ≤ {FDR} over {family} tests",
                            n as f64 * rate,
                            t.peers.len()
                        ),
                    },
                );
            }
        }
        if let Some(pt) = &t.pattern {
            let q = next.next().copied().unwrap_or(1.0);
            if q <= FDR && pt.count as f64 > pt.expected {
                found.insert(
                    (t.k, 1),
                    Flag {
                        kind: "repeated_patterns".into(),
                        unit: Some(u),
                        rater: None,
                        observed: pt.count as f64,
                        expected: pt.expected,
                        unusual: pt.p,
                        detail: format!(
                            "{} of {n} ballots give one and the same mixed answer pattern; about {:.2} expected from that pattern's frequency among the {} units nearest in composite ({} of {} ballots, (R+1)/(N+1)); binomial P × {} patterns = {:.1e}, Benjamini–Hochberg adjusted {q:.1e} ≤ {FDR} over {family} tests",
                            pt.count,
                            pt.expected,
                            t.peers.len(),
                            pt.peers_with,
                            pt.peer_ballots,
                            pt.distinct,
                            pt.p
                        ),
                    },
                );
            }
        }
        if let Some((v, med, z)) = t.variance
            && z < -3.5
            && v < med / 4.0
        {
            found.insert(
                (t.k, 2),
                Flag {
                    kind: "uniform_unit".into(),
                    unit: Some(u),
                    rater: None,
                    observed: v,
                    expected: med,
                    unusual: z,
                    detail: format!(
                        "item scores vary {v:.1} (mean variance) against a median of {med:.1} among the {} units nearest in composite, robust z {z:.1}",
                        t.peers.len()
                    ),
                },
            );
        }
    }
    found.into_values().collect()
}

/// Fewest units a rater needs to be flagged by [`rater_spread`].
pub const MIN_RATER_UNITS: u64 = 5;

/// Raters with at least [`MIN_RATER_UNITS`] units that [`rater_spread`] keeps
/// from its first pass over the log (about 40 bytes each); with more, it reads
/// the log a second time for those that pass.
const KEPT_RATERS: usize = 1 << 20;

/// `rater_spread` flags from the raters of the valid ballots (one per (unit,
/// rater) pair, as the duplicate check keeps them: a rater's count is their
/// number of units), most units first, then by id.
///
/// One pass over the log, one partition at a time
/// ([`RaterLog::counts`](crate::judge::partitions::RaterLog::counts)), gives the
/// histogram of counts (R, the median, `reach`) and keeps the raters with at
/// least [`MIN_RATER_UNITS`] units, of which those that pass are flagged; when
/// more than 2²⁰ have that many, a second pass finds them instead.
/// The counts are exact per rater id; memory is one partition (about 1/256 of
/// the log), the histogram and the raters kept. Errors only when the log's
/// temporary file fails.
pub fn rater_spread(raters: &mut crate::judge::partitions::RaterLog) -> crate::error::Result<Vec<Flag>> {
    rater_spread_on(raters, 1)
}

/// [`rater_spread`] with the partitions counted on `threads` threads (the same
/// flags: the counts are combined in a way that does not depend on which thread
/// counted which rater). A run of 10⁸ ballots spent six seconds here on one.
pub fn rater_spread_on(raters: &crate::judge::partitions::RaterLog, threads: usize) -> crate::error::Result<Vec<Flag>> {
    spread_keeping(raters, KEPT_RATERS, threads)
}

/// [`rater_spread_on`] keeping at most `most` raters from the first pass.
fn spread_keeping(
    raters: &crate::judge::partitions::RaterLog,
    most: usize,
    threads: usize,
) -> crate::error::Result<Vec<Flag>> {
    // How many raters have each count, and those with at least MIN_RATER_UNITS
    // (None once more than `most` have).
    type Acc = (BTreeMap<u64, u64>, Option<Vec<(String, u64)>>);
    let parts = raters.counts_each(
        threads,
        || -> Acc { (BTreeMap::new(), Some(Vec::new())) },
        |(per_count, kept), r, n| {
            *per_count.entry(n).or_default() += 1;
            if n >= MIN_RATER_UNITS
                && let Some(k) = kept
            {
                if k.len() < most {
                    k.push((String::from_utf8_lossy(r).into_owned(), n));
                } else {
                    *kept = None;
                }
            }
        },
    )?;
    let mut per_count: BTreeMap<u64, u64> = BTreeMap::new();
    let mut kept: Option<Vec<(String, u64)>> = Some(Vec::new());
    for (counts, part) in parts {
        for (c, k) in counts {
            *per_count.entry(c).or_default() += k;
        }
        kept = match (kept, part) {
            (Some(mut a), Some(b)) if a.len() + b.len() <= most => {
                a.extend(b);
                Some(a)
            }
            _ => None,
        };
    }
    let raters_n: u64 = per_count.values().sum();
    // The median of the counts (the mean of the two middle ones for an even
    // number), read off the histogram.
    let nth = |i: u64| {
        let mut seen = 0;
        per_count.iter().find_map(|(&c, &k)| {
            seen += k;
            (seen > i).then_some(c as f64)
        })
    };
    let median = match raters_n {
        0 => return Ok(Vec::new()),
        n if n % 2 == 1 => nth(n / 2).unwrap_or(0.0),
        n => (nth(n / 2 - 1).unwrap_or(0.0) + nth(n / 2).unwrap_or(0.0)) / 2.0,
    };
    let at_least = |c: u64| per_count.range(c..).map(|(_, &k)| k).sum::<u64>();
    let allowed = (raters_n / 100).max(1);
    let candidate = |c: u64| c >= MIN_RATER_UNITS && c as f64 >= 4.0 * median && at_least(c) <= allowed;
    let mut found: Vec<(String, u64)> = match kept {
        Some(k) => k.into_iter().filter(|&(_, c)| candidate(c)).collect(),
        None => raters
            .counts_each(threads, Vec::new, |found, r, c| {
                if candidate(c) {
                    found.push((String::from_utf8_lossy(r).into_owned(), c));
                }
            })?
            .concat(),
    };
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(found
        .into_iter()
        .map(|(r, c)| Flag {
            kind: "rater_spread".into(),
            unit: None,
            observed: c as f64,
            expected: median,
            unusual: at_least(c) as f64 / raters_n as f64,
            detail: format!(
                "rater {} is on the valid ballots of {c} units; the median rater is on {median}, and {} of {raters_n} raters reach {c}",
                crate::judge::ballots::clip(&r),
                at_least(c)
            ),
            rater: Some(r),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robust_z_by_hand() {
        // Values 1, 2, 3, 4, 100: median 3; |dev| 2, 1, 0, 1, 97 → MAD 1 → scale 1.4826.
        let (med, z) = robust_z(&mut [1.0, 2.0, 3.0, 4.0, 100.0], 100.0).unwrap();
        assert_eq!(med, 3.0);
        assert!((z - 97.0 / 1.4826).abs() < 1e-12);
        let (_, z) = robust_z(&mut [1.0, 2.0, 3.0, 4.0, 100.0], 1.0).unwrap();
        assert!((z + 2.0 / 1.4826).abs() < 1e-12);
        assert_eq!(robust_z(&mut [5.0, 5.0, 5.0], 1.0), None);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn benjamini_hochberg_by_hand() {
        // p = 0.01, 0.04, 0.03, 0.20, 0.005 (m = 5). Sorted: 0.005, 0.01, 0.03, 0.04,
        // 0.20; p·m/rank: 0.025, 0.025, 0.05, 0.05, 0.20; monotone from the top: the
        // same. At 5%: the first four are discoveries (0.04·5/4 = 0.05 ≤ 0.05).
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.20, 0.005]);
        let want = [0.025, 0.05, 0.05, 0.20, 0.025];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{q:?}");
        }
        // Monotonicity: p = 0.04, 0.041 → 0.04·2/1 = 0.08, 0.041·2/2 = 0.041 → 0.041, 0.041.
        assert_eq!(benjamini_hochberg(&[0.04, 0.041]), vec![0.041, 0.041]);
        assert!(benjamini_hochberg(&[]).is_empty());
    }

    #[test]
    fn binomial_tail_by_hand() {
        // X ~ Bin(3, ½): P(X ≥ 2) = (3 + 1)/8.
        assert!((binomial_tail(2, 3, 0.5) - 0.5).abs() < 1e-15);
        // P(X ≥ 1) = 1 − 0.99²⁹ = 0.25282790566840385 for Bin(29, 0.01).
        assert!((binomial_tail(1, 29, 0.01) - 0.252_827_905_668_403_85).abs() < 1e-14);
        // Eight copies in a 30-ballot unit, pattern unseen among 600 peer ballots:
        // q = 1/601, P(Y ≥ 7), Y ~ Bin(29, q) = Σ_{j≥7} C(29,j) q^j (1−q)^(29−j)
        // = 5.337073842278973e-14 (exact sum in Python).
        let p = binomial_tail(7, 29, 1.0 / 601.0);
        assert!((p / 5.337_073_842_278_973e-14 - 1.0).abs() < 1e-9, "{p}");
        assert_eq!(binomial_tail(0, 5, 0.1), 1.0);
        assert_eq!(binomial_tail(6, 5, 0.1), 0.0);
        assert_eq!(binomial_tail(1, 5, 0.0), 0.0);
    }

    /// The tail summed over every term, as before the early stop.
    fn beta_binomial_full(k: u64, n: u64, r: f64, rho: f64) -> f64 {
        let rho = rho.min(1.0 - 1e-9);
        let (a, b) = (r * (1.0 - rho) / rho, (1.0 - r) * (1.0 - rho) / rho);
        let base = ln_beta(a, b);
        let sum: f64 = (k..=n)
            .map(|j| (ln_binomial(n, j) + ln_beta(j as f64 + a, (n - j) as f64 + b) - base).exp())
            .sum();
        sum.min(1.0)
    }

    #[test]
    fn beta_binomial_early_stop_keeps_every_bit() {
        // α + β = (1 − ρ)/ρ: ρ = 0.01 gives 99 (terms rise then fall), ρ = 0.6 gives
        // ⅔ (terms fall then rise: the stop must also wait for t(n)); k below, at
        // and above the mode n·r.
        for &(n, r, rho) in &[
            (3000u64, 0.01, 0.01),
            (3000, 0.2, 0.01),
            (3000, 0.01, 0.6),
            (3000, 0.5, 0.6),
            (500, 0.3, 0.0005),
            (40, 0.1, 0.3),
        ] {
            for k in [1, 2, 5, 30, 60, 300, 600, 1500, 2999, 3000] {
                if k <= n {
                    let (fast, full) = (beta_binomial_tail(k, n, r, rho), beta_binomial_full(k, n, r, rho));
                    assert_eq!(fast.to_bits(), full.to_bits(), "k={k} n={n} r={r} rho={rho}");
                }
            }
        }
    }

    #[test]
    fn beta_binomial_and_overdispersion_by_hand() {
        // r = ½, ρ = ⅓ → α = β = ½·(⅔)/(⅓) = 1: uniform on {0, 1, 2} for n = 2,
        // so P(X ≥ 2) = ⅓ and P(X ≥ 1) = ⅔.
        assert!((beta_binomial_tail(2, 2, 0.5, 1.0 / 3.0) - 1.0 / 3.0).abs() < 1e-12);
        assert!((beta_binomial_tail(1, 2, 0.5, 1.0 / 3.0) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(beta_binomial_tail(2, 3, 0.5, 0.0), 0.5);
        // Peers (2 of 10), (8 of 10): r = ½, shares 0.2, 0.8, S² = 0.18, h = 0.1;
        // ρ = (0.18 − 0.25·0.1)/(0.25·0.9) = 0.155/0.225 = 0.6888….
        assert!((overdispersion(&[(2, 10), (8, 10)]) - 0.155 / 0.225).abs() < 1e-12);
        // Equal shares: less spread than sampling gives → 0.
        assert_eq!(overdispersion(&[(5, 10), (5, 10)]), 0.0);
    }

    #[test]
    fn peers_are_the_nearest_in_composite() {
        // 100 units in composite order, PEERS = 30: a window of 31 around each,
        // moved inward at the ends.
        assert_eq!(peer_window(100, 50), 35..66);
        assert_eq!(peer_window(100, 3), 0..31);
        assert_eq!(peer_window(100, 99), 69..100);
        assert_eq!(peer_window(8, 5), 0..8);
    }

    /// Keys for `raters`: (name, number of units), units 0, 1, 2, …
    /// Each rater's count spread over distinct units, logged in a spilling log
    /// (budget 0) and spread with it; the same flags when no rater is kept from
    /// the first pass (the second pass finds them), and on two or three threads
    /// (partitions read from the temporary file at once), both passes.
    fn spread(raters: &[(String, usize)]) -> Vec<Flag> {
        let log = || {
            let mut log = crate::judge::partitions::RaterLog::with_budget(0);
            for (r, n) in raters {
                for _ in 0..*n {
                    log.push(r);
                }
            }
            log
        };
        let flags = rater_spread(&mut log()).expect("log");
        for threads in [1, 2, 3] {
            let again = spread_keeping(&log(), 0, threads).expect("log");
            assert_eq!(
                format!("{again:?}"),
                format!("{flags:?}"),
                "second pass, {threads} threads"
            );
            let again = rater_spread_on(&log(), threads).expect("log");
            assert_eq!(format!("{again:?}"), format!("{flags:?}"), "{threads} threads");
        }
        flags
    }

    #[test]
    fn a_few_raters_on_many_units_are_flagged() {
        // 200 raters on 1 unit each, Y on 4, Z on 6, X on 12: 203 raters, median 1,
        // at most max(1, ⌊203/100⌋) = 2 raters may reach a flagged count.
        // X: 12 ≥ 5, 12 ≥ 4·1, 1 rater reaches 12 → flagged, unusual 1/203.
        // Z: 6 ≥ 5, 2 raters reach 6 (Z, X) ≤ 2 → flagged, unusual 2/203.
        // Y: 4 < 5 → not flagged.
        let mut raters: Vec<(String, usize)> = (0..200).map(|k| (format!("p{k}"), 1)).collect();
        raters.extend([("Y".to_string(), 4), ("Z".to_string(), 6), ("X".to_string(), 12)]);
        let flags = spread(&raters);
        let seen: Vec<(Option<&str>, f64, f64, f64)> = flags
            .iter()
            .map(|f| (f.rater.as_deref(), f.observed, f.expected, f.unusual))
            .collect();
        assert_eq!(
            seen,
            vec![(Some("X"), 12.0, 1.0, 1.0 / 203.0), (Some("Z"), 6.0, 1.0, 2.0 / 203.0)]
        );
        assert!(flags.iter().all(|f| f.unit.is_none() && f.kind == "rater_spread"));
    }

    #[test]
    fn a_panel_that_appraises_every_unit_is_not_flagged() {
        // 100 public raters on 1 unit, 30 panel members on all 10 units: 130 raters,
        // at most max(1, ⌊130/100⌋) = 1 may reach a flagged count; 30 reach 10.
        let mut raters: Vec<(String, usize)> = (0..100).map(|k| (format!("p{k}"), 1)).collect();
        raters.extend((0..30).map(|k| (format!("panel{k}"), 10)));
        assert!(spread(&raters).is_empty());
        assert!(spread(&[]).is_empty());
    }
}
