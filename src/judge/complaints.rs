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
use crate::input::dates;
use crate::input::table::Table;
use crate::input::text::{Encoding, Source};
use crate::judge::people::StaffRoster;
use crate::judge::record::Complaint;
use crate::rules::plan::Plan;
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
    /// `staff_id` names nobody on the staff roster (SPEC §15).
    UnknownStaff,
    /// `staff_id` names a staff member of another unit than `unit_id` (SPEC §15).
    StaffOtherUnit,
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
            ComplaintReason::UnknownStaff => "unknown_staff",
            ComplaintReason::StaffOtherUnit => "staff_other_unit",
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
    /// What was seen, and what to correct.
    pub detail: String,
    /// Whether the complaint would have counted had it been read: its status reads
    /// `verified`, or its category is a veto category (SPEC §12 attention list).
    #[serde(skip)]
    pub would_count: bool,
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

/// The status a `status` cell (trimmed, folded) stands for (SPEC §12):
///
/// | written | status |
/// |---|---|
/// | `verified`, 已核实, 属实, 核实 | `verified` |
/// | `unverified`, 未核实, 待核实 | `unverified` |
/// | `dismissed`, 不属实, 已驳回, 驳回 | `dismissed` |
pub fn status_of(value: &str) -> Option<Status> {
    match value {
        "verified" | "已核实" | "属实" | "核实" => Some(Status::Verified),
        "unverified" | "未核实" | "待核实" => Some(Status::Unverified),
        "dismissed" | "不属实" | "已驳回" | "驳回" => Some(Status::Dismissed),
        _ => None,
    }
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
    /// How the file was decoded, when not as plain UTF-8 or as the user chose
    /// (see [`crate::rules::roster::Roster::note`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The complaints read (not rejected) that name a staff member (optional
    /// `staff_id` column, SPEC §15), in input order: what staff points are counted
    /// from. Empty when no complaint names anyone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff: Vec<StaffNamed>,
}

/// A complaint read (not rejected) that names a staff member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffNamed {
    /// The staff id as read (width-folded when the plan folds).
    pub staff_id: String,
    /// Index of the complaint's unit in the roster.
    pub unit: usize,
    /// The complaint id.
    pub complaint_id: String,
    /// Whether it is a valid complaint for staff points: verified, in the period,
    /// and of a category that does not add points (SPEC §15).
    pub valid: bool,
}

impl Complaints {
    /// No complaints: every unit deducts 0.
    pub fn none(roster: &Roster) -> Complaints {
        Complaints {
            units: vec![UnitComplaints::default(); roster.len()],
            rejects: Vec::new(),
            rows: 0,
            note: None,
            staff: Vec::new(),
        }
    }

    /// Reads and judges a complaints table, CSV or workbook (`complaint_id,
    /// unit_id, date, category, status`, optional `source` and other columns). Ids,
    /// categories and statuses may be written as the plan's labels, statuses in
    /// Chinese ([`status_of`]), dates in the everyday forms of SPEC §12; a row that
    /// lacks only columns after the required ones reads them as blank.
    ///
    /// ```
    /// use appraise::{Encoding, Source, judge::complaints::Complaints};
    /// let (plan, roster) = appraise::demo::campaign()?;
    /// let csv = Source::text("c.csv", appraise::demo::COMPLAINTS);
    /// let c = Complaints::load(&csv, Encoding::Utf8, &plan, &roster)?;
    /// assert_eq!(c.rows as usize, appraise::demo::COMPLAINTS.lines().count() - 1);
    /// # Ok::<(), appraise::Error>(())
    /// ```
    pub fn load(source: &Source, encoding: Encoding, plan: &Plan, roster: &Roster) -> Result<Complaints> {
        Complaints::load_with_staff(source, encoding, plan, roster, None)
    }

    /// [`Complaints::load`] with the staff roster of SPEC §15: a complaint whose
    /// `staff_id` cell names nobody on it is rejected `unknown_staff`, one naming
    /// a person of another unit `staff_other_unit`. Without a staff roster
    /// (`None`) any staff id is taken as written.
    pub fn load_with_staff(
        source: &Source,
        encoding: Encoding,
        plan: &Plan,
        roster: &Roster,
        staff: Option<&StaffRoster>,
    ) -> Result<Complaints> {
        let mut input = Table::open(source, encoding)?;
        let cols = input.require(
            &["complaint_id", "unit_id", "date", "category", "status"],
            "complaints file",
        )?;
        let width = input.header.len();
        // Columns after the last required one are optional (SPEC §12 short rows).
        let shortest = cols.iter().max().map_or(width, |m| m + 1);
        let staff_col = input.column("staff_id");
        let mut j = Judging::new(plan, roster);
        j.staff = staff;
        let mut rec = csv::StringRecord::new();
        while let Some(line) = input.row(&mut rec)? {
            let get = |k: usize| rec.get(cols[k]).unwrap_or("").trim();
            let malformed = (rec.len() > width || rec.len() < shortest)
                .then(|| format!("{} fields, header has {width}", rec.len()));
            let named = staff_col.and_then(|k| rec.get(k)).unwrap_or("").trim();
            j.staff_cell = named.to_string();
            j.row(line, [get(0), get(1), get(2), get(3), get(4)], malformed);
        }
        let mut out = j.finish();
        out.note = input.decoding.take();
        Ok(out)
    }

    /// Judges typed complaints ([`Complaint`]) as [`Complaints::load`] judges the
    /// rows of a file with the same text: same checks, reasons and details, the
    /// same cap and veto. A reject's `row` is the record's 0-based index.
    pub fn from_records<C: std::borrow::Borrow<Complaint>>(
        records: impl IntoIterator<Item = C>,
        plan: &Plan,
        roster: &Roster,
    ) -> Complaints {
        let mut j = Judging::new(plan, roster);
        for (k, c) in records.into_iter().enumerate() {
            let c = c.borrow();
            let f = [&c.complaint_id, &c.unit_id, &c.date, &c.category, &c.status].map(|s| s.trim());
            j.staff_cell = c.staff_id.as_deref().unwrap_or("").trim().to_string();
            j.row(k as u64, f, None);
        }
        j.finish()
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

/// One judging pass over complaint rows or records: the ids taken so far and the
/// complaints counted. Files and records go through [`Judging::row`] alike.
struct Judging<'a> {
    plan: &'a Plan,
    roster: &'a Roster,
    ids: HashSet<String>,
    out: Complaints,
    /// The staff roster the `staff_id` cells are checked against, if given.
    staff: Option<&'a StaffRoster>,
    /// The current row's `staff_id` cell, trimmed (empty: names nobody).
    staff_cell: String,
}

impl<'a> Judging<'a> {
    fn new(plan: &'a Plan, roster: &'a Roster) -> Judging<'a> {
        Judging {
            plan,
            roster,
            ids: HashSet::new(),
            out: Complaints::none(roster),
            staff: None,
            staff_cell: String::new(),
        }
    }

    /// Judges one complaint: `f` holds `complaint_id, unit_id, date, category,
    /// status`, trimmed; `malformed` the detail when the row's shape is wrong.
    fn row(&mut self, line: u64, f: [&str; 5], malformed: Option<String>) {
        let (plan, roster, out) = (self.plan, self.roster, &mut self.out);
        out.rows += 1;
        let get = |k: usize| f[k];
        let id = get(0).to_string();
        let raw_status = get(4);
        let status = status_of(&plan.fold(raw_status));
        let category = plan.category_by_value(get(3));
        let mut reject = |reason, detail: String| {
            out.rejects.push(ComplaintReject {
                row: line,
                complaint_id: id.clone(),
                reason,
                detail,
                would_count: status == Some(Status::Verified)
                    || category.is_some_and(|c| plan.complaints.categories[c].veto),
            });
        };
        if let Some(detail) = malformed {
            reject(ComplaintReason::MalformedRow, detail);
            return;
        }
        let unit = roster.index(get(1)).or_else(|| roster.index(&plan.fold(get(1))));
        let Some(unit) = unit else {
            let named = roster
                .units
                .iter()
                .find(|u| !get(1).is_empty() && u.name.trim() == get(1));
            reject(
                ComplaintReason::UnknownUnit,
                match named {
                    Some(u) => format!("{}; is the name of unit {}: write its unit_id", get(1), u.id),
                    None => format!("{}; not in the roster", get(1)),
                },
            );
            return;
        };
        let Some(cat) = category else {
            let valid: Vec<String> = plan
                .complaints
                .categories
                .iter()
                .map(|c| c.labels.named(&c.id))
                .collect();
            reject(
                ComplaintReason::UnknownCategory,
                format!("{}; the plan's categories are {}", get(3), valid.join(", ")),
            );
            return;
        };
        let Some(status) = status else {
            reject(
                ComplaintReason::BadStatus,
                format!(
                    "`{raw_status}`; use verified (已核实, 属实), unverified (未核实) or dismissed (不属实, 已驳回)"
                ),
            );
            return;
        };
        let wide = |c: char| c == '\u{3000}' || ('\u{FF01}'..='\u{FF5E}').contains(&c);
        let date = if !plan.input.fold_width && get(2).chars().any(wide) {
            Err(format!(
                "`{}` holds full-width characters and the plan does not fold them (input.fold_width: false); type the date with ASCII digits",
                get(2)
            ))
        } else {
            dates::parse_date(get(2)).map_err(|e| e.to_string())
        };
        let date = match date {
            Ok(d) => d,
            Err(e) => {
                reject(ComplaintReason::BadDate, e);
                return;
            }
        };
        let staff_id = plan.fold(&self.staff_cell).trim().to_string();
        if let (Some(staff), false) = (self.staff, staff_id.is_empty()) {
            match staff.index(&staff_id).map(|k| &staff.staff[k]) {
                None => {
                    reject(
                        ComplaintReason::UnknownStaff,
                        format!(
                            "staff_id {staff_id} is not on the staff roster; correct the id or add the person to the staff roster"
                        ),
                    );
                    return;
                }
                Some(m) if m.unit != unit => {
                    reject(
                        ComplaintReason::StaffOtherUnit,
                        format!(
                            "staff_id {staff_id} works in unit {}, the complaint names unit {}; correct one of them",
                            roster.units[m.unit].id, roster.units[unit].id
                        ),
                    );
                    return;
                }
                Some(_) => {}
            }
        }
        if !id.is_empty() && !self.ids.insert(id.clone()) {
            reject(ComplaintReason::Duplicate, format!("complaint_id {id} already read"));
            return;
        }
        if !staff_id.is_empty() {
            let c = &plan.complaints.categories[cat];
            out.staff.push(StaffNamed {
                staff_id,
                unit,
                complaint_id: id.clone(),
                valid: status == Status::Verified && plan.period.contains(date) && c.bonus == 0.0,
            });
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

    /// The complaints with the cap applied.
    fn finish(mut self) -> Complaints {
        self.out.finish(self.plan);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_in_chinese_follow_the_table() {
        for (w, s) in [
            ("verified", Status::Verified),
            ("已核实", Status::Verified),
            ("属实", Status::Verified),
            ("未核实", Status::Unverified),
            ("不属实", Status::Dismissed),
            ("已驳回", Status::Dismissed),
        ] {
            assert_eq!(status_of(w), Some(s), "{w}");
        }
        // Case matters and nothing is guessed.
        assert_eq!(status_of("Verified"), None);
        assert_eq!(status_of("核实中"), None);
    }
}
