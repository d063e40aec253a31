//! The panel rule (SPEC §6): at least `min_public_share` of a unit's valid ballots
//! from public groups (群众代表不得低于70%), per-group `min_share` quotas, at least
//! `min_valid_ballots` valid ballots, and no more ballot rows than were issued.

use serde::{Deserialize, Serialize};

use crate::rules::plan::Plan;
use crate::rules::roster::Unit;

/// The panel rule's verdict on one unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PanelCheck {
    /// Fewer valid ballots than `min_valid_ballots`.
    pub too_few: bool,
    /// Each failing share rule, e.g. `public share 0.6 < 0.7` or
    /// `group service_user share 0.04 < 0.05`. Empty when the panel passes.
    pub short: Vec<String>,
    /// `Some((read, issued))` when more ballot rows came back than were issued
    /// (回收多于发出): the unit is void.
    pub over_returned: Option<(u64, u64)>,
}

/// Checks a unit's panel: `valid_by_group` are its valid ballots per plan group,
/// `read` its ballot rows read (valid or not).
///
/// A unit with no valid ballot has no public share; it is short of any positive
/// `min_public_share` or quota.
pub fn check(plan: &Plan, unit: &Unit, valid_by_group: &[u64], read: u64) -> PanelCheck {
    let valid: u64 = valid_by_group.iter().sum();
    let public: u64 = plan
        .groups
        .iter()
        .zip(valid_by_group)
        .filter(|(g, _)| g.public)
        .map(|(_, n)| n)
        .sum();
    let share = |n: u64| if valid == 0 { 0.0 } else { n as f64 / valid as f64 };
    let mut short = Vec::new();
    let min = plan.panel.min_public_share;
    if share(public) < min || (valid == 0 && min > 0.0) {
        short.push(if valid == 0 {
            format!("no valid ballot, public share needs {min}")
        } else {
            format!("public share {} < {min}", share(public))
        });
    }
    for (g, &n) in plan.groups.iter().zip(valid_by_group) {
        if let Some(q) = g.min_share
            && (share(n) < q || (valid == 0 && q > 0.0))
        {
            short.push(format!("group {} share {} < {q}", g.id, share(n)));
        }
    }
    PanelCheck {
        too_few: valid < plan.panel.min_valid_ballots,
        short,
        over_returned: unit.issued.filter(|&issued| read > issued).map(|issued| (read, issued)),
    }
}
