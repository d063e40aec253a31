//! Data-quality flags: signs that ballots may have been filled in carelessly or
//! manufactured. They are reported, never applied: a flag changes no score, status
//! or rank. Each says what it saw and how unusual that is.
//!
//! - `straight_lining` — the unit's share of ballots that gave one and the same
//!   option to every item (three or more) is an outlier among units: robust z-score
//!   (median and MAD, Iglewicz & Hoaglin 1993) above 3.5 and a share of at least 0.5.
//!   All-满意 ballots are common in satisfied units, hence the comparison with peers.
//! - `repeated_patterns` — more ballots repeat an earlier ballot's exact answers than
//!   chance allows: the expected number of coinciding pairs if each rater answered
//!   independently with the unit's own answer shares is
//!   `λ = C(n, 2) · Π_i Σ_o p_io²` (blank and abstention count as answers), and the
//!   flag needs at least 3 repeats and a Poisson tail `P(X ≥ repeats; λ) < 10⁻⁴`.
//! - `uniform_unit` — the unit's ballots vary far less than its peers': the mean
//!   within-unit variance of item scores has a robust z-score below −3.5 and is under
//!   a quarter of the median unit's.
//!
//! - `rater_spread` — one `rater_id` appears on the valid ballots of implausibly many
//!   units: at least 5 units and 4 times the median rater's count, and so far in the
//!   tail that at most `max(1, ⌊1% of raters⌋)` raters reach that count. The tail rule
//!   keeps a panel design in which some raters legitimately appraise every unit (人大
//!   代表 on a district panel) from being flagged: they are many, not a few.
//!   `unusual` is the share of raters with at least that many units. Computed from
//!   the duplicate keys of one run; `score --tallies` has no rater ids and gives none.
//!
//! Units with fewer than 5 valid ballots are not judged.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use statrs::distribution::{DiscreteCDF, Poisson};

use crate::count::tally::Tally;
use crate::score::result::UnitResult;

/// Fewest valid ballots a unit needs to be judged.
pub const MIN_BALLOTS: u64 = 5;

/// One data-quality flag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// `straight_lining`, `repeated_patterns`, `uniform_unit` or `rater_spread`.
    pub kind: std::borrow::Cow<'static, str>,
    /// Roster index of the unit (`None` for a flag about a rater).
    pub unit: Option<usize>,
    /// The rater a `rater_spread` flag is about.
    pub rater: Option<String>,
    /// What was seen (a share, a count or a variance).
    pub observed: f64,
    /// What was expected: the peers' median, or λ for repeats.
    pub expected: f64,
    /// How unusual: robust z-score, the Poisson tail probability for repeats, or
    /// the share of raters reaching the count for `rater_spread`.
    pub unusual: f64,
    /// The same in words.
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

/// Robust z-scores `(x − median) / (1.4826 · MAD)` of the defined values, or
/// `None` for all when the MAD is 0.
fn robust_z(values: &[Option<f64>]) -> (Option<f64>, Vec<Option<f64>>) {
    let mut xs: Vec<f64> = values.iter().flatten().copied().collect();
    let Some(med) = median(&mut xs) else {
        return (None, vec![None; values.len()]);
    };
    let mut dev: Vec<f64> = xs.iter().map(|x| (x - med).abs()).collect();
    let mad = median(&mut dev).unwrap_or(0.0) * 1.4826;
    let z = values
        .iter()
        .map(|v| v.filter(|_| mad > 0.0).map(|x| (x - med) / mad))
        .collect();
    (Some(med), z)
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

/// Expected coinciding pairs of answer patterns under independence.
fn expected_pairs(tally: &Tally, unit: usize, n: u64) -> f64 {
    let l = &tally.layout;
    let mut same = 1.0;
    for i in 0..l.items {
        let width = l.offsets[i + 1] - l.offsets[i];
        let mut counts = vec![0u64; width];
        for g in 0..l.groups {
            for (c, x) in counts.iter_mut().zip(tally.item(unit, g, i)) {
                *c += x;
            }
        }
        let total: u64 = counts.iter().sum();
        if total == 0 {
            continue;
        }
        same *= counts.iter().map(|&c| (c as f64 / total as f64).powi(2)).sum::<f64>();
    }
    let n = n as f64;
    n * (n - 1.0) / 2.0 * same
}

/// Every flag of a campaign, in roster order and then by kind.
pub fn flags(tally: &Tally, units: &[UnitResult]) -> Vec<Flag> {
    let judged = |r: &UnitResult| r.score.valid >= MIN_BALLOTS;
    let straight: Vec<Option<f64>> = units
        .iter()
        .map(|r| judged(r).then(|| tally.straight[r.unit] as f64 / r.score.valid as f64))
        .collect();
    let variance: Vec<Option<f64>> = units
        .iter()
        .map(|r| {
            if judged(r) {
                within_variance(tally, r.unit)
            } else {
                None
            }
        })
        .collect();
    let (straight_med, straight_z) = robust_z(&straight);
    let (var_med, var_z) = robust_z(&variance);
    let mut out = Vec::new();
    for (k, r) in units.iter().enumerate() {
        if !judged(r) {
            continue;
        }
        if let (Some(share), Some(z), Some(med)) = (straight[k], straight_z[k], straight_med)
            && z > 3.5
            && share >= 0.5
        {
            out.push(Flag {
                kind: "straight_lining".into(),
                unit: Some(r.unit),
                rater: None,
                observed: share,
                expected: med,
                unusual: z,
                detail: format!(
                    "{} of {} ballots give one option to every item; peers' median share {:.2}, robust z {:.1}",
                    tally.straight[r.unit], r.score.valid, med, z
                ),
            });
        }
        if !tally.pattern_overflow[r.unit] {
            let n = r.score.valid;
            let repeats = n.saturating_sub(tally.patterns[r.unit].len() as u64);
            let lambda = expected_pairs(tally, r.unit, n);
            if repeats >= 3 {
                let tail = if lambda > 0.0 {
                    Poisson::new(lambda).map_or(0.0, |p| 1.0 - p.cdf(repeats - 1))
                } else {
                    0.0
                };
                if tail < 1e-4 {
                    out.push(Flag {
                        kind: "repeated_patterns".into(),
                        unit: Some(r.unit),
                        rater: None,
                        observed: repeats as f64,
                        expected: lambda,
                        unusual: tail,
                        detail: format!(
                            "{repeats} ballots repeat an earlier ballot's exact answers; about {lambda:.2} expected if raters answered independently (P = {tail:.1e})"
                        ),
                    });
                }
            }
        }
        if let (Some(v), Some(z), Some(med)) = (variance[k], var_z[k], var_med)
            && z < -3.5
            && v < med / 4.0
        {
            out.push(Flag {
                kind: "uniform_unit".into(),
                unit: Some(r.unit),
                rater: None,
                observed: v,
                expected: med,
                unusual: z,
                detail: format!(
                    "item scores vary {v:.1} (mean variance) against peers' median {med:.1}, robust z {z:.1}"
                ),
            });
        }
    }
    out
}

/// Fewest units a rater needs to be flagged by [`rater_spread`].
pub const MIN_RATER_UNITS: u64 = 5;

/// `rater_spread` flags from the (unit, rater_id) keys of the valid ballots (each
/// pair once, as the duplicate check keeps them), most units first, then by id.
///
/// Memory stays at 8 bytes per key: the raters are counted by a 64-bit hash of
/// their id, and only the few candidates are then counted again exactly by id, so
/// a hash collision can neither create nor hide a flag.
pub fn rater_spread<'k, I>(keys: impl Fn() -> I) -> Vec<Flag>
where
    I: Iterator<Item = (usize, &'k str)>,
{
    let mut hashes: Vec<u64> = keys().map(|(_, r)| crate::judge::keys::hash(r.as_bytes())).collect();
    hashes.sort_unstable();
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for h in hashes {
        match runs.last_mut() {
            Some((g, n)) if *g == h => *n += 1,
            _ => runs.push((h, 1)),
        }
    }
    let raters = runs.len() as u64;
    let mut counts: Vec<f64> = runs.iter().map(|r| r.1 as f64).collect();
    let Some(median) = median(&mut counts) else {
        return Vec::new();
    };
    // `counts` is sorted now: the raters with at least `c` units are its tail.
    let at_least = |c: u64| raters - counts.partition_point(|&x| x < c as f64) as u64;
    let allowed = (raters / 100).max(1);
    let candidate = |c: u64| c >= MIN_RATER_UNITS && c as f64 >= 4.0 * median && at_least(c) <= allowed;
    let wanted: BTreeSet<u64> = runs.iter().filter(|r| candidate(r.1)).map(|r| r.0).collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut exact: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, r) in keys() {
        if wanted.contains(&crate::judge::keys::hash(r.as_bytes())) {
            *exact.entry(r).or_default() += 1;
        }
    }
    let mut found: Vec<(&str, u64)> = exact.into_iter().filter(|&(_, c)| candidate(c)).collect();
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    found
        .into_iter()
        .map(|(r, c)| Flag {
            kind: "rater_spread".into(),
            unit: None,
            rater: Some(r.to_string()),
            observed: c as f64,
            expected: median,
            unusual: at_least(c) as f64 / raters as f64,
            detail: format!(
                "rater {} is on the valid ballots of {c} units; the median rater is on {median}, and {} of {raters} raters reach {c}",
                crate::judge::ballots::clip(r),
                at_least(c)
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robust_z_by_hand() {
        // Values 1, 2, 3, 4, 100: median 3; |dev| 2, 1, 0, 1, 97 → MAD 1 → scale 1.4826.
        let (med, z) = robust_z(&[Some(1.0), Some(2.0), Some(3.0), Some(4.0), Some(100.0), None]);
        assert_eq!(med, Some(3.0));
        assert!((z[4].unwrap() - 97.0 / 1.4826).abs() < 1e-12);
        assert!((z[0].unwrap() + 2.0 / 1.4826).abs() < 1e-12);
        assert_eq!(z[5], None);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    /// Keys for `raters`: (name, number of units), units 0, 1, 2, …
    fn keys(raters: &[(String, usize)]) -> Vec<(usize, &str)> {
        raters
            .iter()
            .flat_map(|(r, n)| (0..*n).map(move |u| (u, r.as_str())))
            .collect()
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
        let k = keys(&raters);
        let flags = rater_spread(|| k.iter().copied());
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
        let k = keys(&raters);
        assert!(rater_spread(|| k.iter().copied()).is_empty());
        assert!(rater_spread(std::iter::empty).is_empty());
    }
}
