//! Item means, dimension scores, composite and satisfaction rates (SPEC §7), all
//! computed from the [`Tally`] alone.
//!
//! For unit u, item i, group g and option o with count `n[u,g,i,o]`:
//! - `A[u,g,i] = Σ_o n` over scored options (abstentions and blanks out);
//! - pooled: `M[u,i] = Σ_g Σ_o score(o)·n / Σ_g A[u,g,i]`;
//! - weighted: `M[u,i] = Σ_g W_g·M[u,g,i] / Σ_g W_g` over groups with `A[u,g,i] > 0`;
//! - `D[u,d] = Σ w_i·M[u,i] / Σ w_i` over items of d with a defined mean;
//! - `C[u] = Σ W_d·D[u,d] / Σ W_d` over dimensions with a defined score;
//! - `R[u]` = satisfied answers ÷ scored answers, pooled over items and groups.
//!
//! Sums run in a fixed order (groups, then options, in file order), so the same
//! tally always gives the same bits.

use serde::{Deserialize, Serialize};

use crate::count::tally::Tally;
use crate::rules::plan::{GroupWeighting, Plan};

/// Per-item results of one unit, pooled over groups.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemScore {
    /// Count per option (scale order), pooled over groups.
    pub counts: Vec<u64>,
    /// Blank answers.
    pub blank: u64,
    /// Answers on scored options (`Σ_g A[u,g,i]`).
    pub scored: u64,
    /// Answers on satisfied options.
    pub satisfied: u64,
    /// Abstentions (不了解).
    pub abstained: u64,
    /// Item mean `M[u,i]`, by the plan's group weighting.
    pub mean: Option<f64>,
    /// Satisfaction rate `satisfied / scored`.
    pub rate: Option<f64>,
}

/// Scores of one unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitScore {
    /// Valid ballots.
    pub valid: u64,
    /// Valid ballots per group (plan order).
    pub valid_by_group: Vec<u64>,
    /// Valid ballots from public groups ÷ all valid ballots.
    pub public_share: Option<f64>,
    /// Per item (survey order).
    pub items: Vec<ItemScore>,
    /// `D[u,d]` per dimension (survey order).
    pub dimensions: Vec<Option<f64>>,
    /// Satisfaction rate per dimension.
    pub dimension_rates: Vec<Option<f64>>,
    /// `C[u]`.
    pub composite: Option<f64>,
    /// Satisfied answers, all items and groups.
    pub satisfied: u64,
    /// Scored answers, all items and groups.
    pub scored: u64,
    /// `R[u]`.
    pub rate: Option<f64>,
    /// Results of each group the plan reports on its own (`groups[].report`).
    pub groups: Vec<GroupScore>,
    /// Majority verdict: index into the plan's verdict levels, or the number of
    /// levels for `otherwise`; `None` without a verdict rule or scored answer.
    pub verdict: Option<usize>,
}

/// One reported group's own results for a unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupScore {
    /// Plan group index.
    pub group: usize,
    /// The group's valid ballots.
    pub valid: u64,
    /// Composite from the group's answers alone.
    pub composite: Option<f64>,
    /// Satisfaction rate from the group's answers alone.
    pub rate: Option<f64>,
}

impl UnitScore {
    /// Whether every dimension has a score (else the unit is `incomplete`).
    pub fn is_complete(&self) -> bool {
        self.dimensions.iter().all(Option::is_some)
    }
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Weighted mean of the defined values: `Σ w·x / Σ w`, `None` when none is defined.
pub fn weighted_mean(pairs: impl IntoIterator<Item = (f64, Option<f64>)>) -> Option<f64> {
    let (mut num, mut den, mut any) = (0.0, 0.0, false);
    for (w, x) in pairs {
        if let Some(x) = x {
            num += w * x;
            den += w;
            any = true;
        }
    }
    any.then(|| num / den)
}

/// Scores unit `u` from the tally, with every group, and each reported group on
/// its own.
pub fn score_unit(plan: &Plan, tally: &Tally, u: usize) -> UnitScore {
    let mut score = score_groups(plan, tally, u, &|_| true);
    score.groups = (0..plan.groups.len())
        .filter(|&g| plan.groups[g].report)
        .map(|g| {
            let own = score_groups(plan, tally, u, &|x| x == g);
            GroupScore {
                group: g,
                valid: own.valid,
                composite: own.composite,
                rate: own.rate,
            }
        })
        .collect();
    score.verdict = plan.verdict.as_ref().and_then(|v| {
        let s = &plan.survey;
        let scored = score.scored;
        if scored == 0 {
            return None;
        }
        let level = v.levels.iter().position(|l| {
            let votes: u64 = s
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    s.scales[it.scale]
                        .options
                        .iter()
                        .enumerate()
                        .filter(|(_, o)| o.score.is_some() && l.codes.contains(&o.code))
                        .map(|(o, _)| score.items[i].counts[o])
                        .sum::<u64>()
                })
                .sum();
            // More than half: 2·votes > scored, in whole numbers.
            2 * votes > scored
        });
        Some(level.unwrap_or(v.levels.len()))
    });
    score
}

/// Scores unit `u` from the answers of the groups `include` accepts.
fn score_groups(plan: &Plan, tally: &Tally, u: usize, include: &dyn Fn(usize) -> bool) -> UnitScore {
    let survey = &plan.survey;
    let valid_by_group: Vec<u64> = tally
        .valid_by_group(u)
        .iter()
        .enumerate()
        .map(|(g, &n)| if include(g) { n } else { 0 })
        .collect();
    let valid: u64 = valid_by_group.iter().sum();
    let public: u64 = plan
        .groups
        .iter()
        .zip(&valid_by_group)
        .filter(|(g, _)| g.public)
        .map(|(_, n)| n)
        .sum();
    let mut items = Vec::with_capacity(survey.items.len());
    for (i, item) in survey.items.iter().enumerate() {
        let scale = &survey.scales[item.scale];
        let mut s = ItemScore {
            counts: vec![0; scale.options.len()],
            ..ItemScore::default()
        };
        let (mut sum, mut weighted) = (0.0, Vec::with_capacity(plan.groups.len()));
        for (g, group) in plan.groups.iter().enumerate() {
            if !include(g) {
                continue;
            }
            let c = tally.item(u, g, i);
            let (mut gsum, mut ga) = (0.0, 0u64);
            for (o, opt) in scale.options.iter().enumerate() {
                let n = c[o];
                s.counts[o] += n;
                match opt.score {
                    Some(score) => {
                        gsum += score * n as f64;
                        ga += n;
                        if opt.satisfied {
                            s.satisfied += n;
                        }
                    }
                    None => s.abstained += n,
                }
            }
            s.blank += c[scale.options.len()];
            s.scored += ga;
            sum += gsum;
            weighted.push((group.weight, (ga > 0).then(|| gsum / ga as f64)));
        }
        s.mean = match plan.scoring.group_weighting {
            GroupWeighting::Pooled => (s.scored > 0).then(|| sum / s.scored as f64),
            GroupWeighting::Weighted => weighted_mean(weighted),
        };
        s.rate = ratio(s.satisfied, s.scored);
        items.push(s);
    }
    let dimensions: Vec<Option<f64>> = survey
        .dimensions
        .iter()
        .map(|d| weighted_mean(d.items.iter().map(|&i| (survey.items[i].weight, items[i].mean))))
        .collect();
    let dimension_rates = survey
        .dimensions
        .iter()
        .map(|d| {
            let (sat, sc) = d
                .items
                .iter()
                .fold((0, 0), |(a, b), &i| (a + items[i].satisfied, b + items[i].scored));
            ratio(sat, sc)
        })
        .collect();
    let composite = weighted_mean(survey.dimensions.iter().zip(&dimensions).map(|(d, x)| (d.weight, *x)));
    let satisfied = items.iter().map(|s| s.satisfied).sum();
    let scored = items.iter().map(|s| s.scored).sum();
    UnitScore {
        valid,
        public_share: ratio(public, valid),
        valid_by_group,
        items,
        dimensions,
        dimension_rates,
        composite,
        satisfied,
        scored,
        rate: ratio(satisfied, scored),
        groups: Vec::new(),
        verdict: None,
    }
}
