//! Complaints and inspection findings (投诉, 暗访, 抽查): deductions and veto
//! (SPEC §8).
//!
//! Only a complaint with status `verified` and a date inside the plan's period
//! (both ends inclusive) counts: it deducts its category's points, and a veto
//! category (一票否决) marks the unit `vetoed`. The deduction is
//! `X = min(max_deduction, Σ points)`. Unverified, dismissed and out-of-period
//! complaints are read and counted but deduct nothing; malformed ones are rejects,
//! checked in the order `unknown_unit`, `unknown_category`, `bad_status`,
//! `bad_date`, `duplicate` (a complaint id already taken by a complaint that passed
//! the earlier checks).
//!
//! The same file carries records that add points (加分: commendations, awards),
//! under categories with `bonus`: counted by the same rules, they add
//! `B = min(max_bonus, Σ bonus)` to the final score, `F = max(0, C − X + B)`, so a
//! plan with `max_bonus: 10` on 100-point scores is "base 100, at most 110".

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::input::csvin;
use crate::input::text::{Encoding, Source};
use crate::rules::plan::{Plan, parse_date};
use crate::rules::roster::Roster;

/// Why a complaint was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintReason {
    /// The row has more or fewer fields than the header.
    MalformedRow,
    /// `unit_id` is not in the roster.
    UnknownUnit,
    /// `category` is not a category of the plan.
    UnknownCategory,
    /// `status` is not `verified`, `unverified` or `dismissed`.
    BadStatus,
    /// `date` is not a date `YYYY-MM-DD`.
    BadDate,
    /// The complaint id was already taken.
    Duplicate,
}

impl ComplaintReason {
    /// The reason code written in `complaint_rejects.csv`.
    pub fn code(self) -> &'static str {
        match self {
            ComplaintReason::MalformedRow => "malformed_row",
            ComplaintReason::UnknownUnit => "unknown_unit",
            ComplaintReason::UnknownCategory => "unknown_category",
            ComplaintReason::BadStatus => "bad_status",
            ComplaintReason::BadDate => "bad_date",
            ComplaintReason::Duplicate => "duplicate",
        }
    }
}

/// A rejected complaint: a row of `complaint_rejects.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintReject {
    /// Source line (header = 1).
    pub row: u64,
    /// The complaint's id, trimmed.
    pub complaint_id: String,
    /// Why.
    pub reason: ComplaintReason,
    /// What was seen.
    pub detail: String,
}

/// A complaint's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 经查实: deducts when in the period.
    Verified,
    /// Not (yet) checked.
    Unverified,
    /// Checked and found groundless.
    Dismissed,
}

/// Per-unit effect of the complaints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitComplaints {
    /// Complaints read for the unit (not rejected).
    pub read: u64,
    /// Verified complaints inside the period.
    pub counted: u64,
    /// Counted complaints of a category that deducts points (`points > 0`).
    pub deducting: u64,
    /// Verified complaints outside the period.
    pub out_of_period: u64,
    /// Unverified complaints.
    pub unverified: u64,
    /// Dismissed complaints.
    pub dismissed: u64,
    /// Σ points of counted complaints, before the cap.
    pub points: f64,
    /// `min(max_deduction, points)`.
    pub deduction: f64,
    /// Σ bonus of counted records, before the cap.
    pub bonus_points: f64,
    /// `min(max_bonus, bonus_points)`, added to the final score.
    pub bonus: f64,
    /// Whether a counted complaint is of a veto category.
    pub vetoed: bool,
    /// Ids of the counted veto complaints.
    pub veto_ids: Vec<String>,
}

/// The complaints of a campaign.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Complaints {
    /// Per roster unit.
    pub units: Vec<UnitComplaints>,
    /// Rejected rows.
    pub rejects: Vec<ComplaintReject>,
    /// Rows read.
    pub rows: u64,
}

impl Complaints {
    /// No complaints: every unit deducts 0.
    pub fn none(roster: &Roster) -> Complaints {
        Complaints {
            units: vec![UnitComplaints::default(); roster.len()],
            rejects: Vec::new(),
            rows: 0,
        }
    }

    /// Reads and judges a complaints CSV (`complaint_id, unit_id, date, category,
    /// status`, optional `source` and other columns).
    pub fn load(source: &Source, encoding: Encoding, plan: &Plan, roster: &Roster) -> Result<Complaints> {
        let path = source.path();
        let mut input = csvin::from_text(path, source.open(encoding)?)?;
        let cols = input.require(
            &["complaint_id", "unit_id", "date", "category", "status"],
            "complaints file",
        )?;
        let width = input.header.len();
        let mut out = Complaints::none(roster);
        let mut ids: HashSet<String> = HashSet::new();
        let mut rec = csv::StringRecord::new();
        while input.next_row(&mut rec)? {
            out.rows += 1;
            let line = csvin::line_of(&rec);
            let get = |k: usize| rec.get(cols[k]).unwrap_or("").trim();
            let id = get(0).to_string();
            let mut reject = |reason, detail: String| {
                out.rejects.push(ComplaintReject {
                    row: line,
                    complaint_id: id.clone(),
                    reason,
                    detail,
                });
            };
            if rec.len() != width {
                reject(
                    ComplaintReason::MalformedRow,
                    format!("{} fields, header has {width}", rec.len()),
                );
                continue;
            }
            let Some(unit) = roster.index(get(1)) else {
                reject(ComplaintReason::UnknownUnit, get(1).to_string());
                continue;
            };
            let Some(cat) = plan.category_index(get(3)) else {
                reject(ComplaintReason::UnknownCategory, get(3).to_string());
                continue;
            };
            let status = match get(4) {
                "verified" => Status::Verified,
                "unverified" => Status::Unverified,
                "dismissed" => Status::Dismissed,
                other => {
                    reject(
                        ComplaintReason::BadStatus,
                        format!("`{other}`; use verified, unverified or dismissed"),
                    );
                    continue;
                }
            };
            let Some(date) = parse_date(get(2)) else {
                reject(
                    ComplaintReason::BadDate,
                    format!("`{}`; write dates as YYYY-MM-DD", get(2)),
                );
                continue;
            };
            if !id.is_empty() && !ids.insert(id.clone()) {
                reject(ComplaintReason::Duplicate, format!("complaint_id {id} already read"));
                continue;
            }
            let u = &mut out.units[unit];
            u.read += 1;
            match status {
                Status::Unverified => u.unverified += 1,
                Status::Dismissed => u.dismissed += 1,
                Status::Verified if !plan.period.contains(date) => u.out_of_period += 1,
                Status::Verified => {
                    let c = &plan.complaints.categories[cat];
                    u.counted += 1;
                    if c.points > 0.0 {
                        u.deducting += 1;
                    }
                    u.points += c.points;
                    u.bonus_points += c.bonus;
                    if c.veto {
                        u.vetoed = true;
                        u.veto_ids.push(id.clone());
                    }
                }
            }
        }
        out.finish(plan);
        Ok(out)
    }

    /// Applies the cap to every unit's points.
    fn finish(&mut self, plan: &Plan) {
        for u in &mut self.units {
            u.deduction = match plan.complaints.max_deduction {
                Some(m) => u.points.min(m),
                None => u.points,
            };
            u.bonus = match plan.complaints.max_bonus {
                Some(m) => u.bonus_points.min(m),
                None => u.bonus_points,
            };
        }
    }
}
