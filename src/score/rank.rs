//! Status, final score, grade and rank (SPEC §9, §10).
//!
//! - Status, first that applies: `excluded`, `void`, `vetoed`, `too_few_ballots`,
//!   `panel_short`, `incomplete`, else `ranked`.
//! - Final `F = max(0, C − X + B)` (`B` the capped bonus, 0 without bonus
//!   categories); published as `F` rounded to `decimals` half away
//!   from zero on its exact binary value ([`crate::num::round_steps`]).
//! - Rank: competition ranking (1, 2, 2, 4) of ranked units on the published `F`.
//!   Listing order: published F desc, rate desc, valid ballots desc, unit_id asc.
//! - Grades on the published F, highest band first; a band with `max_share` has
//!   `floor(max_share × ranked)` places filled in listing order, and units that do
//!   not fit drop to the next band. With `share_of: department` (or `kind`) the
//!   places are `floor(max_share × ranked units of the department)`, per department,
//!   each filled in listing order. A vetoed unit gets the lowest band.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::num;
use crate::rules::plan::{Plan, ShareOf};
use crate::rules::roster::Roster;
use crate::score::result::{Placing, Standing, UnitStatus};

/// Ranks, grades and flags every unit; `standings` are in roster order.
pub fn place(plan: &Plan, roster: &Roster, standings: &[Standing]) -> Vec<Placing> {
    let d = plan.ranking.decimals;
    let mut out: Vec<Placing> = standings
        .iter()
        .map(|s| Placing {
            published: s.final_score.map(|f| num::round_steps(f, d)),
            ..Placing::default()
        })
        .collect();
    let mut order: Vec<usize> = (0..standings.len())
        .filter(|&u| standings[u].status == UnitStatus::Ranked && out[u].published.is_some())
        .collect();
    let published: Vec<i64> = out.iter().map(|p| p.published.unwrap_or(i64::MIN)).collect();
    let key = |u: usize| published[u];
    order.sort_by(|&a, &b| {
        key(b)
            .cmp(&key(a))
            .then_with(|| cmp_opt(standings[b].rate, standings[a].rate))
            .then_with(|| standings[b].valid.cmp(&standings[a].valid))
            .then_with(|| roster.units[a].id.cmp(&roster.units[b].id))
    });
    let steps: Vec<i64> = order.iter().map(|&u| key(u)).collect();
    // Places left in each band with a quota, per scope: the whole list, or each
    // department or kind (keyed by its name).
    let scope = |g: &crate::rules::plan::Grade, u: usize| -> &str {
        match g.share_of {
            ShareOf::Ranked => "",
            ShareOf::Department => &roster.units[u].department,
            ShareOf::Kind => &roster.units[u].kind,
        }
    };
    let mut places: Vec<BTreeMap<&str, u64>> = vec![BTreeMap::new(); plan.grades.len()];
    for (b, g) in plan.grades.iter().enumerate() {
        if let Some(s) = g.max_share {
            let mut members: BTreeMap<&str, u64> = BTreeMap::new();
            for &u in &order {
                *members.entry(scope(g, u)).or_default() += 1;
            }
            places[b] = members.into_iter().map(|(k, n)| (k, num::floor_share(s, n))).collect();
        }
    }
    // Competition ranks within a department or kind: 1 + the units of the same
    // group with a higher published score. `order` runs from the highest score
    // down, so per group: (units seen, the last score, its rank) gives each unit's
    // rank in one pass (a scan of the whole list per unit took minutes at 100,000).
    let mut by_department: BTreeMap<&str, (u64, i64, u64)> = BTreeMap::new();
    let mut by_kind: BTreeMap<&str, (u64, i64, u64)> = BTreeMap::new();
    let group_rank = |seen: &mut (u64, i64, u64), me: i64| -> u64 {
        let (n, last, rank) = seen;
        if *n == 0 || *last != me {
            *last = me;
            *rank = *n + 1;
        }
        *n += 1;
        *rank
    };
    for (pos, &u) in order.iter().enumerate() {
        let me = steps[pos];
        let above = steps.partition_point(|&s| s > me) as u64;
        let below = (steps.len() - steps.partition_point(|&s| s >= me)) as u64;
        let unit = &roster.units[u];
        let rank_department = group_rank(by_department.entry(&unit.department).or_default(), me);
        let rank_kind = group_rank(by_kind.entry(&unit.kind).or_default(), me);
        let p = &mut out[u];
        p.position = Some(pos);
        p.rank = Some(above + 1);
        p.rank_department = Some(rank_department);
        p.rank_kind = Some(rank_kind);
        p.top = above < plan.ranking.top_n;
        p.bottom = below < plan.ranking.bottom_n;
        let value = num::steps_value(me, d);
        let mut band = plan.grades.iter().position(|g| value >= g.min);
        while let Some(b) = band {
            let g = &plan.grades[b];
            match places[b].get_mut(scope(g, u)) {
                Some(0) => band = (b + 1 < plan.grades.len()).then_some(b + 1),
                Some(left) => {
                    *left -= 1;
                    break;
                }
                None => break,
            }
        }
        p.grade = band;
    }
    for (u, s) in standings.iter().enumerate() {
        if s.status == UnitStatus::Vetoed {
            out[u].grade = plan.grades.len().checked_sub(1);
        }
    }
    out
}

/// Orders `Option<f64>` with `None` lowest.
fn cmp_opt(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

/// The awards of each unit (indices into the plan's `awards`), in roster order.
///
/// An award goes to the ranked units that meet all of its conditions (`min_rate`
/// on the satisfaction rate, `min_final` on the published final score,
/// `max_complaints` on the verified complaints counted in the period), the first
/// `count` of them in listing order, and to any further one tied in rank with the
/// last of those (as the 前N flags include ties).
pub fn awards(plan: &Plan, units: &[crate::score::result::UnitResult]) -> Vec<Vec<usize>> {
    awards_by_kind(plan, None, units)
}

/// [`awards`] with each award's `kinds` honoured (SPEC §15): an award with kinds
/// goes only to units of those roster kinds, its count taken among them. Without
/// a roster (`None`) kinds are not known and no award with kinds is given.
pub fn awards_by_kind(
    plan: &Plan,
    roster: Option<&crate::rules::roster::Roster>,
    units: &[crate::score::result::UnitResult],
) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); units.len()];
    let listing = crate::score::result::listing(units);
    let d = plan.ranking.decimals;
    for (a, award) in plan.awards.iter().enumerate() {
        let eligible = listing.iter().copied().filter(|&u| {
            let r = &units[u];
            award.min_rate.is_none_or(|m| r.score.rate.is_some_and(|x| x >= m))
                && award
                    .min_final
                    .is_none_or(|m| r.placing.published.is_some_and(|p| num::steps_value(p, d) >= m))
                && award.max_complaints.is_none_or(|m| r.complaints.counted <= m)
                && (award.kinds.is_empty()
                    || roster
                        .and_then(|ro| ro.units.get(r.unit))
                        .is_some_and(|x| award.kinds.iter().any(|k| k.trim() == x.kind.trim())))
        });
        let mut last_rank = None;
        for (taken, u) in eligible.enumerate() {
            let rank = units[u].placing.rank;
            if taken as u64 >= award.count && rank != last_rank {
                break;
            }
            out[u].push(a);
            last_rank = rank;
        }
    }
    out
}
