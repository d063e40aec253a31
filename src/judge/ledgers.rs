//! The deadline ledgers and external scores (SPEC §14): service tickets
//! (按期办结率), 差评 rectifications (整改率), the commitments ledger (践诺率) and
//! assessments (暗访, 考核, 自评 scores per unit).
//!
//! Each file is read like the complaints file: CSV or workbook through the
//! project's table reader (encoding detection, everyday dates, Chinese header
//! names), every row either counted or rejected with a reason code in
//! `ledger_rejects.csv`, checked in this order: `malformed_row`, `missing_id`,
//! `unknown_unit`, `unknown_kind` (tickets) or `unknown_component`
//! (assessments), `bad_date`, `bad_score`, `closed_before_opened`, `duplicate`.
//!
//! A matter's state is judged at the end of the plan's period (the reference day
//! of the appraisal): closed by its due day (on time), closed after it (late),
//! still open with its due day passed (open and overdue), or open and not yet due
//! — outside the rate's denominator. A closing date after the period's end is not
//! known at the reference day: the matter counts as open then.

use std::collections::HashSet;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::input::dates;
use crate::input::table::Table;
use crate::input::text::{Encoding, Source};
use crate::rules::calendar::Calendar;
use crate::rules::components::DayCount;
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;

/// Which input file a ledger row came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerFile {
    /// `tickets.csv`.
    Tickets,
    /// `rectifications.csv`.
    Rectifications,
    /// `commitments.csv`.
    Commitments,
    /// `assessments.csv`.
    Assessments,
}

impl LedgerFile {
    /// The code written in `ledger_rejects.csv` and `ledger.csv`.
    pub fn code(self) -> &'static str {
        match self {
            LedgerFile::Tickets => "tickets",
            LedgerFile::Rectifications => "rectifications",
            LedgerFile::Commitments => "commitments",
            LedgerFile::Assessments => "assessments",
        }
    }

    /// The command-line flag that gives the file.
    pub fn flag(self) -> &'static str {
        match self {
            LedgerFile::Tickets => "--tickets",
            LedgerFile::Rectifications => "--rectifications",
            LedgerFile::Commitments => "--commitments",
            LedgerFile::Assessments => "--assessments",
        }
    }
}

/// Why a ledger row was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerReason {
    /// The row has more or fewer fields than the header.
    MalformedRow,
    /// The row's id is blank (a matter without an id cannot be listed or checked).
    MissingId,
    /// `unit_id` is not in the roster.
    UnknownUnit,
    /// A ticket's `kind` is not a kind of the plan's deadlines.
    UnknownKind,
    /// An assessment's `component` is not an external component of the plan.
    UnknownComponent,
    /// A date is not a date in a form of SPEC §12 (or a required one is blank).
    BadDate,
    /// An assessment's score is not a number 0–100.
    BadScore,
    /// Closed (done) before it was received (opened).
    ClosedBeforeOpened,
    /// The id (or, for assessments, the unit and component) was already read.
    Duplicate,
}

impl LedgerReason {
    /// The reason code written in `ledger_rejects.csv`.
    pub fn code(self) -> &'static str {
        match self {
            LedgerReason::MalformedRow => "malformed_row",
            LedgerReason::MissingId => "missing_id",
            LedgerReason::UnknownUnit => "unknown_unit",
            LedgerReason::UnknownKind => "unknown_kind",
            LedgerReason::UnknownComponent => "unknown_component",
            LedgerReason::BadDate => "bad_date",
            LedgerReason::BadScore => "bad_score",
            LedgerReason::ClosedBeforeOpened => "closed_before_opened",
            LedgerReason::Duplicate => "duplicate",
        }
    }
}

/// A rejected ledger row: a row of `ledger_rejects.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerReject {
    /// The file it came from.
    pub file: LedgerFile,
    /// Source line (header = 1), or the record's 0-based index.
    pub line: u64,
    /// The row's id (ticket, rating, commitment id; for assessments `unit/component`).
    pub id: String,
    /// Why.
    pub reason: LedgerReason,
    /// What was seen, and what to correct.
    pub detail: String,
}

/// The state of a matter at the end of the period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Closed by its due day.
    OnTime,
    /// Closed after its due day.
    Late,
    /// Open at the period's end, its due day passed (逾期未办结).
    OpenOverdue,
    /// Open at the period's end and not yet due: outside the rate.
    OpenNotDue,
    /// Received (opened) outside the period, or a commitment due before it.
    OutOfPeriod,
}

impl State {
    /// The code written in `ledger.csv`.
    pub fn code(self) -> &'static str {
        match self {
            State::OnTime => "on_time",
            State::Late => "late",
            State::OpenOverdue => "open_overdue",
            State::OpenNotDue => "open_not_due",
            State::OutOfPeriod => "out_of_period",
        }
    }
}

/// One late or overdue matter: a row of `ledger.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The ledger.
    pub file: LedgerFile,
    /// Index into the roster.
    pub unit: usize,
    /// The matter's id.
    pub id: String,
    /// Ticket kind (the plan's id), empty otherwise.
    pub kind: String,
    /// The commitment's text, empty otherwise.
    pub text: String,
    /// Received (opened); none for commitments.
    pub start: Option<Date>,
    /// The last day of its deadline.
    pub due: Date,
    /// Closed (done) by the period's end, if so.
    pub closed: Option<Date>,
    /// `late` or `open_overdue`.
    pub state: State,
    /// Days past the due day: `closed − due`, or for an open matter the days from
    /// the due day to the day after the period's end.
    pub days_over: i64,
}

/// Per-unit counts of one ledger. The rate's denominator is
/// `due = on_time + late + open_overdue`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Rows read for the unit (not rejected).
    pub read: u64,
    /// Matters whose deadline was reached by the period's end, or closed in it.
    pub due: u64,
    /// Closed by the due day.
    pub on_time: u64,
    /// Closed after the due day.
    pub late: u64,
    /// Open, the due day passed.
    pub open_overdue: u64,
    /// Open and not yet due (outside the denominator).
    pub open_not_due: u64,
    /// Received outside the period (not counted).
    pub out_of_period: u64,
}

impl Counts {
    /// `on_time / due`; `None` when nothing was due.
    pub fn rate(&self) -> Option<f64> {
        (self.due > 0).then(|| self.on_time as f64 / self.due as f64)
    }
}

/// One judged ledger file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// The file, as named.
    pub path: String,
    /// Rows read (counted + rejected).
    pub rows: u64,
    /// Per roster unit.
    pub units: Vec<Counts>,
    /// Late and overdue matters, in file order.
    pub overdue: Vec<Entry>,
}

/// The judged assessments file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Assessments {
    /// The file, as named.
    pub path: String,
    /// Rows read (counted + rejected).
    pub rows: u64,
    /// `[unit][component]`: the score, indexed like `plan.ledgers.components`
    /// (only external components have scores).
    pub scores: Vec<Vec<Option<f64>>>,
}

/// Everything read for SPEC §14.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledgers {
    /// Service tickets.
    pub tickets: Option<Ledger>,
    /// 差评 rectifications.
    pub rectifications: Option<Ledger>,
    /// Commitments.
    pub commitments: Option<Ledger>,
    /// External scores.
    pub assessments: Option<Assessments>,
    /// Rejected rows of all four files, file by file in the order above.
    pub rejects: Vec<LedgerReject>,
}

/// The §14 input files of a run (each optional), and the holiday file for
/// working-day deadlines. This one struct is what `campaign::Options` carries,
/// so a run takes new inputs without growing its argument list.
#[derive(Clone, Debug, Default)]
pub struct LedgerSources {
    /// `tickets.csv` (`ticket_id, unit_id, received, closed[, kind]`).
    pub tickets: Option<Source>,
    /// `rectifications.csv` (`rating_id, unit_id, opened, closed`).
    pub rectifications: Option<Source>,
    /// `commitments.csv` (`commitment_id, unit_id, text, due, done`).
    pub commitments: Option<Source>,
    /// `assessments.csv` (`unit_id, component, score`).
    pub assessments: Option<Source>,
    /// The holiday file of [`Calendar::load`].
    pub holidays: Option<Source>,
}

/// A service ticket as data, judged like a row of `tickets.csv` with this text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// `ticket_id`.
    pub ticket_id: String,
    /// `unit_id`.
    pub unit_id: String,
    /// `received`: a date.
    pub received: String,
    /// `closed`: a date, blank when open.
    pub closed: String,
    /// `kind`: a kind of the plan's ticket deadlines (blank: the only kind).
    pub kind: String,
}

/// A 差评 rectification as data (a row of `rectifications.csv`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rectification {
    /// `rating_id`: the 差评's id.
    pub rating_id: String,
    /// `unit_id`.
    pub unit_id: String,
    /// `opened`: the rating's date.
    pub opened: String,
    /// `closed`: the date the rectification was done, blank when open.
    pub closed: String,
}

/// A commitment as data (a row of `commitments.csv`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// `commitment_id`.
    pub commitment_id: String,
    /// `unit_id`.
    pub unit_id: String,
    /// `text`: what was pledged.
    pub text: String,
    /// `due`: the pledged date.
    pub due: String,
    /// `done`: the date it was done, blank when not.
    pub done: String,
}

/// An external score as data (a row of `assessments.csv`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// `unit_id`.
    pub unit_id: String,
    /// `component`: an external component of the plan (id or label).
    pub component: String,
    /// `score`: 0–100.
    pub score: String,
}

/// Typed §14 records, judged as the files with the same text would be.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRecords {
    /// Tickets (`None`: no tickets file).
    pub tickets: Option<Vec<Ticket>>,
    /// Rectifications.
    pub rectifications: Option<Vec<Rectification>>,
    /// Commitments.
    pub commitments: Option<Vec<Commitment>>,
    /// Assessments.
    pub assessments: Option<Vec<Assessment>>,
}

/// Canonical column names and the Chinese headers accepted for them.
const TICKET_COLS: &[(&str, &[&str])] = &[
    ("ticket_id", &["工单编号", "工单号", "编号"]),
    ("unit_id", &["单位编号", "单位代码"]),
    ("received", &["受理日期", "受理时间", "登记日期"]),
    ("closed", &["办结日期", "办结时间"]),
];
const RECT_COLS: &[(&str, &[&str])] = &[
    ("rating_id", &["评价编号", "差评编号", "编号"]),
    ("unit_id", &["单位编号", "单位代码"]),
    ("opened", &["差评日期", "评价日期", "整改开始"]),
    ("closed", &["整改完成日期", "整改日期", "办结日期"]),
];
const COMMIT_COLS: &[(&str, &[&str])] = &[
    ("commitment_id", &["承诺编号", "编号"]),
    ("unit_id", &["单位编号", "单位代码"]),
    ("text", &["承诺事项", "承诺内容"]),
    ("due", &["承诺时限", "完成时限"]),
    ("done", &["完成日期", "兑现日期"]),
];
const ASSESS_COLS: &[(&str, &[&str])] = &[
    ("unit_id", &["单位编号", "单位代码"]),
    ("component", &["考核项目", "项目"]),
    ("score", &["得分", "分数"]),
];
const KIND_ALIASES: &[&str] = &["类别", "类型", "办件类型"];

/// The index of a column by its name or one of its aliases.
fn column(t: &Table, name: &str, aliases: &[&str]) -> Option<usize> {
    t.column(name).or_else(|| aliases.iter().find_map(|a| t.column(a)))
}

/// The indices of required columns, or an error naming the first missing one.
fn require(t: &Table, cols: &[(&str, &[&str])], what: &str) -> Result<Vec<usize>> {
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let mut out = Vec::new();
    for (name, aliases) in cols {
        match column(t, name, aliases) {
            Some(k) => out.push(k),
            None => {
                return Err(crate::error::Error::input(
                    crate::error::Position::line(&t.path, 1).with_column(*name),
                    format!(
                        "the {what} has no `{name}` column (nor {}; found: {}); a {what} needs the columns {}",
                        aliases.join(", "),
                        t.header.join(", "),
                        names.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(out)
}

impl Ledgers {
    /// Reads and judges the files given (CSV or workbook each); a file not given
    /// leaves its ledger `None`. Working-day deadlines use the holiday file when
    /// given, else Monday to Friday (the campaign refuses a working-day plan
    /// without one, see `campaign::run`).
    pub fn load(sources: &LedgerSources, encoding: Encoding, plan: &Plan, roster: &Roster) -> Result<Ledgers> {
        let calendar = match &sources.holidays {
            Some(h) => Calendar::load(h, encoding)?,
            None => Calendar::weekdays_only(),
        };
        let mut j = Judging::new(plan, roster, &calendar);
        if let Some(s) = &sources.tickets {
            let mut t = Table::open(s, encoding)?;
            let cols = require(&t, TICKET_COLS, "tickets file")?;
            let kind = column(&t, "kind", KIND_ALIASES);
            j.start(LedgerFile::Tickets, s);
            read_rows(&mut t, &cols, kind, |line, f, k, bad| {
                j.ticket(line, [f[0], f[1], f[2], f[3], k.unwrap_or("")], bad)
            })?;
        }
        if let Some(s) = &sources.rectifications {
            let mut t = Table::open(s, encoding)?;
            let cols = require(&t, RECT_COLS, "rectifications file")?;
            j.start(LedgerFile::Rectifications, s);
            read_rows(&mut t, &cols, None, |line, f, _, bad| {
                j.rectification(line, [f[0], f[1], f[2], f[3]], bad)
            })?;
        }
        if let Some(s) = &sources.commitments {
            let mut t = Table::open(s, encoding)?;
            let cols = require(&t, COMMIT_COLS, "commitments file")?;
            j.start(LedgerFile::Commitments, s);
            read_rows(&mut t, &cols, None, |line, f, _, bad| {
                j.commitment(line, [f[0], f[1], f[2], f[3], f[4]], bad)
            })?;
        }
        if let Some(s) = &sources.assessments {
            let mut t = Table::open(s, encoding)?;
            let cols = require(&t, ASSESS_COLS, "assessments file")?;
            j.start(LedgerFile::Assessments, s);
            read_rows(&mut t, &cols, None, |line, f, _, bad| {
                j.assessment(line, [f[0], f[1], f[2]], bad)
            })?;
        }
        Ok(j.out)
    }

    /// Judges typed records as [`Ledgers::load`] judges file rows with the same
    /// text (a reject's `line` is the record's 0-based index).
    pub fn from_records(records: &LedgerRecords, calendar: &Calendar, plan: &Plan, roster: &Roster) -> Ledgers {
        let mut j = Judging::new(plan, roster, calendar);
        if let Some(v) = &records.tickets {
            j.start(LedgerFile::Tickets, &Source::text("tickets", ""));
            for (k, t) in v.iter().enumerate() {
                let f = [&t.ticket_id, &t.unit_id, &t.received, &t.closed, &t.kind].map(|s| s.trim());
                j.ticket(k as u64, f, None);
            }
        }
        if let Some(v) = &records.rectifications {
            j.start(LedgerFile::Rectifications, &Source::text("rectifications", ""));
            for (k, r) in v.iter().enumerate() {
                let f = [&r.rating_id, &r.unit_id, &r.opened, &r.closed].map(|s| s.trim());
                j.rectification(k as u64, f, None);
            }
        }
        if let Some(v) = &records.commitments {
            j.start(LedgerFile::Commitments, &Source::text("commitments", ""));
            for (k, c) in v.iter().enumerate() {
                let f = [&c.commitment_id, &c.unit_id, &c.text, &c.due, &c.done].map(|s| s.trim());
                j.commitment(k as u64, f, None);
            }
        }
        if let Some(v) = &records.assessments {
            j.start(LedgerFile::Assessments, &Source::text("assessments", ""));
            for (k, a) in v.iter().enumerate() {
                let f = [&a.unit_id, &a.component, &a.score].map(|s| s.trim());
                j.assessment(k as u64, f, None);
            }
        }
        j.out
    }

    /// Whether nothing was read (no file given).
    pub fn is_empty(&self) -> bool {
        self.tickets.is_none()
            && self.rectifications.is_none()
            && self.commitments.is_none()
            && self.assessments.is_none()
            && self.rejects.is_empty()
    }

    /// Rows read over the four files.
    pub fn rows(&self) -> u64 {
        [&self.tickets, &self.rectifications, &self.commitments]
            .iter()
            .filter_map(|l| l.as_ref().map(|l| l.rows))
            .sum::<u64>()
            + self.assessments.as_ref().map_or(0, |a| a.rows)
    }

    /// The ledger of a file (`None` for assessments or a file not read).
    pub fn ledger(&self, file: LedgerFile) -> Option<&Ledger> {
        match file {
            LedgerFile::Tickets => self.tickets.as_ref(),
            LedgerFile::Rectifications => self.rectifications.as_ref(),
            LedgerFile::Commitments => self.commitments.as_ref(),
            LedgerFile::Assessments => None,
        }
    }

    /// Rejected rows of one file.
    pub fn rejected(&self, file: LedgerFile) -> u64 {
        self.rejects.iter().filter(|r| r.file == file).count() as u64
    }
}

/// Reads every row of `t`: `f(line, required fields trimmed, optional field,
/// malformed detail)`.
fn read_rows(
    t: &mut Table,
    cols: &[usize],
    optional: Option<usize>,
    mut f: impl FnMut(u64, Vec<&str>, Option<&str>, Option<String>),
) -> Result<()> {
    let width = t.header.len();
    // Columns after the last required one may be missing from a short row.
    let shortest = cols.iter().max().map_or(width, |m| m + 1);
    let mut rec = csv::StringRecord::new();
    while let Some(line) = t.row(&mut rec)? {
        let get = |k: usize| rec.get(k).unwrap_or("").trim();
        let bad =
            (rec.len() > width || rec.len() < shortest).then(|| format!("{} fields, header has {width}", rec.len()));
        let fields: Vec<&str> = cols.iter().map(|&k| get(k)).collect();
        f(line, fields, optional.map(get), bad);
    }
    Ok(())
}

/// One judging pass over the §14 files.
struct Judging<'a> {
    plan: &'a Plan,
    roster: &'a Roster,
    calendar: &'a Calendar,
    file: LedgerFile,
    ids: HashSet<String>,
    out: Ledgers,
}

/// A matter's fields once its checks passed.
struct Matter<'a> {
    unit: usize,
    id: &'a str,
    kind: String,
    text: String,
    start: Option<Date>,
    due: Date,
    closed: Option<Date>,
}

impl<'a> Judging<'a> {
    fn new(plan: &'a Plan, roster: &'a Roster, calendar: &'a Calendar) -> Judging<'a> {
        Judging {
            plan,
            roster,
            calendar,
            file: LedgerFile::Tickets,
            ids: HashSet::new(),
            out: Ledgers::default(),
        }
    }

    /// Starts a file: its own ids, an empty ledger.
    fn start(&mut self, file: LedgerFile, source: &Source) {
        self.file = file;
        self.ids.clear();
        let path = source.path().display().to_string();
        let ledger = Ledger {
            path: path.clone(),
            rows: 0,
            units: vec![Counts::default(); self.roster.len()],
            overdue: Vec::new(),
        };
        match file {
            LedgerFile::Tickets => self.out.tickets = Some(ledger),
            LedgerFile::Rectifications => self.out.rectifications = Some(ledger),
            LedgerFile::Commitments => self.out.commitments = Some(ledger),
            LedgerFile::Assessments => {
                self.out.assessments = Some(Assessments {
                    path,
                    rows: 0,
                    scores: vec![vec![None; self.plan.ledgers.components.len()]; self.roster.len()],
                })
            }
        }
    }

    fn reject(&mut self, line: u64, id: &str, reason: LedgerReason, detail: String) {
        self.out.rejects.push(LedgerReject {
            file: self.file,
            line,
            id: id.to_string(),
            reason,
            detail,
        });
    }

    fn count_row(&mut self) {
        match self.file {
            LedgerFile::Assessments => {
                if let Some(a) = &mut self.out.assessments {
                    a.rows += 1;
                }
            }
            f => {
                if let Some(l) = self.ledger_mut(f) {
                    l.rows += 1;
                }
            }
        }
    }

    fn ledger_mut(&mut self, f: LedgerFile) -> Option<&mut Ledger> {
        match f {
            LedgerFile::Tickets => self.out.tickets.as_mut(),
            LedgerFile::Rectifications => self.out.rectifications.as_mut(),
            LedgerFile::Commitments => self.out.commitments.as_mut(),
            LedgerFile::Assessments => None,
        }
    }

    /// The unit of a `unit_id` cell, or the `unknown_unit` detail.
    fn unit(&self, v: &str) -> std::result::Result<usize, String> {
        let (plan, roster) = (self.plan, self.roster);
        roster.index(v).or_else(|| roster.index(&plan.fold(v))).ok_or_else(|| {
            match roster.units.iter().find(|u| !v.is_empty() && u.name.trim() == v) {
                Some(u) => format!("{v}; is the name of unit {}: write its unit_id", u.id),
                None => format!("{v}; not in the roster"),
            }
        })
    }

    /// A date cell (`what` names the column in the detail).
    fn date(&self, v: &str, what: &str) -> std::result::Result<Date, String> {
        let wide = |c: char| c == '\u{3000}' || ('\u{FF01}'..='\u{FF5E}').contains(&c);
        if !self.plan.input.fold_width && v.chars().any(wide) {
            return Err(format!(
                "{what}: `{v}` holds full-width characters and the plan does not fold them (input.fold_width: false); type the date with ASCII digits"
            ));
        }
        dates::parse_date(v).map_err(|e| format!("{what}: {e}"))
    }

    /// The common checks of a matter row; `None` when it was rejected.
    fn common(&mut self, line: u64, id: &str, unit: &str, malformed: Option<String>) -> Option<usize> {
        self.count_row();
        if let Some(d) = malformed {
            self.reject(line, id, LedgerReason::MalformedRow, d);
            return None;
        }
        if id.is_empty() {
            self.reject(
                line,
                id,
                LedgerReason::MissingId,
                format!("the {} id is blank; give every row an id", self.file.code()),
            );
            return None;
        }
        match self.unit(unit) {
            Ok(u) => Some(u),
            Err(d) => {
                self.reject(line, id, LedgerReason::UnknownUnit, d);
                None
            }
        }
    }

    /// `closed` (blank = open), checked against `start`.
    fn closing(&mut self, line: u64, id: &str, v: &str, start: Option<Date>, what: &str) -> Option<Option<Date>> {
        if v.is_empty() {
            return Some(None);
        }
        let d = match self.date(v, what) {
            Ok(d) => d,
            Err(e) => {
                self.reject(line, id, LedgerReason::BadDate, e);
                return None;
            }
        };
        if let Some(s) = start
            && d < s
        {
            self.reject(
                line,
                id,
                LedgerReason::ClosedBeforeOpened,
                format!("{what} {d} is before {s}; correct one of the dates"),
            );
            return None;
        }
        Some(Some(d))
    }

    fn take_id(&mut self, line: u64, id: &str) -> bool {
        if self.ids.insert(id.to_string()) {
            return true;
        }
        let what = self.file.code();
        self.reject(
            line,
            id,
            LedgerReason::Duplicate,
            format!("{what} id {id} already read"),
        );
        false
    }

    /// `ticket_id, unit_id, received, closed, kind`.
    fn ticket(&mut self, line: u64, f: [&str; 5], malformed: Option<String>) {
        let [id, unit, received, closed, kind] = f;
        let Some(u) = self.common(line, id, unit, malformed) else {
            return;
        };
        let Some(rules) = &self.plan.ledgers.tickets else {
            self.reject(
                line,
                id,
                LedgerReason::UnknownKind,
                "the plan has no `tickets:` deadlines; add them to judge tickets".into(),
            );
            return;
        };
        let Some(k) = rules.kind_index(kind) else {
            let kinds: Vec<&str> = rules.deadlines.iter().map(|d| d.kind.as_str()).collect();
            let detail = if kind.is_empty() {
                format!("the kind is blank and the plan has several: {}", kinds.join(", "))
            } else {
                format!("{kind}; the plan's kinds are {}", kinds.join(", "))
            };
            self.reject(line, id, LedgerReason::UnknownKind, detail);
            return;
        };
        let (days, count, kind_id) = (rules.deadlines[k].days, rules.days, rules.deadlines[k].kind.clone());
        self.timed(line, id, u, kind_id, (received, "received"), closed, (days, count));
    }

    /// `rating_id, unit_id, opened, closed`.
    fn rectification(&mut self, line: u64, f: [&str; 4], malformed: Option<String>) {
        let [id, unit, opened, closed] = f;
        let Some(u) = self.common(line, id, unit, malformed) else {
            return;
        };
        let (days, count) = self
            .plan
            .ledgers
            .rectifications
            .as_ref()
            .map_or((0, DayCount::Calendar), |r| (r.deadline, r.days));
        self.timed(line, id, u, String::new(), (opened, "opened"), closed, (days, count));
    }

    /// A ticket or rectification of unit `u` (kind `kind`, empty for a
    /// rectification) whose deadline runs `days` from the date in `start`
    /// (its text and its column's name): judged (bad date, closed before opened,
    /// a deadline past 9999, a repeated id) and recorded.
    #[allow(clippy::too_many_arguments)]
    fn timed(
        &mut self,
        line: u64,
        id: &str,
        u: usize,
        kind: String,
        (start, what): (&str, &str),
        closed: &str,
        (days, count): (u32, DayCount),
    ) {
        let start = match self.date(start, what) {
            Ok(d) => d,
            Err(e) => {
                self.reject(line, id, LedgerReason::BadDate, e);
                return;
            }
        };
        let Some(closed) = self.closing(line, id, closed, Some(start), "closed") else {
            return;
        };
        let Some(due) = self.calendar.due(start, days, count) else {
            self.reject(
                line,
                id,
                LedgerReason::BadDate,
                format!("{what} {start}: the deadline falls past 9999-12-31"),
            );
            return;
        };
        if !self.take_id(line, id) {
            return;
        }
        self.record(Matter {
            unit: u,
            id,
            kind,
            text: String::new(),
            start: Some(start),
            due,
            closed,
        });
    }

    /// `commitment_id, unit_id, text, due, done`.
    fn commitment(&mut self, line: u64, f: [&str; 5], malformed: Option<String>) {
        let [id, unit, text, due, done] = f;
        let Some(u) = self.common(line, id, unit, malformed) else {
            return;
        };
        let due = match self.date(due, "due") {
            Ok(d) => d,
            Err(e) => {
                self.reject(line, id, LedgerReason::BadDate, e);
                return;
            }
        };
        let Some(closed) = self.closing(line, id, done, None, "done") else {
            return;
        };
        if !self.take_id(line, id) {
            return;
        }
        self.record(Matter {
            unit: u,
            id,
            kind: String::new(),
            text: text.to_string(),
            start: None,
            due,
            closed,
        });
    }

    /// `unit_id, component, score`.
    fn assessment(&mut self, line: u64, f: [&str; 3], malformed: Option<String>) {
        let [unit, component, score] = f;
        let id = format!("{unit}/{component}");
        self.count_row();
        if let Some(d) = malformed {
            self.reject(line, &id, LedgerReason::MalformedRow, d);
            return;
        }
        let u = match self.unit(unit) {
            Ok(u) => u,
            Err(d) => {
                self.reject(line, &id, LedgerReason::UnknownUnit, d);
                return;
            }
        };
        let rules = &self.plan.ledgers;
        let Some(c) = rules.assessment_index(component) else {
            let names: Vec<&str> = rules
                .components
                .iter()
                .filter(|c| c.source == crate::rules::components::ComponentSource::Assessment)
                .map(|c| c.id.as_str())
                .collect();
            let detail = if names.is_empty() {
                format!("{component}; the plan has no external component (components:)")
            } else {
                format!("{component}; the plan's external components are {}", names.join(", "))
            };
            self.reject(line, &id, LedgerReason::UnknownComponent, detail);
            return;
        };
        let folded = crate::input::fold::fold_width(score);
        let value = folded
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && (0.0..=100.0).contains(x));
        let Some(value) = value else {
            self.reject(
                line,
                &id,
                LedgerReason::BadScore,
                format!("`{score}` is not a score from 0 to 100; write a number such as 92.5"),
            );
            return;
        };
        let key = format!("{}\u{0}{}", self.roster.units[u].id, rules.components[c].id);
        if !self.ids.insert(key) {
            self.reject(
                line,
                &id,
                LedgerReason::Duplicate,
                format!(
                    "unit {} already has a {} score; keep one row per unit and component",
                    self.roster.units[u].id, rules.components[c].id
                ),
            );
            return;
        }
        if let Some(a) = &mut self.out.assessments {
            a.scores[u][c] = Some(value);
        }
    }

    /// Counts a matter that passed every check, in its state at the period's end.
    fn record(&mut self, m: Matter<'_>) {
        let period = self.plan.period;
        let end = period.end;
        let in_period = match m.start {
            Some(s) => period.contains(s),
            None => m.due >= period.start,
        };
        // A closing after the reference day is not known then: open.
        let closed = m.closed.filter(|c| *c <= end);
        let state = if !in_period {
            State::OutOfPeriod
        } else {
            match closed {
                Some(c) if c <= m.due => State::OnTime,
                Some(_) => State::Late,
                None if m.due <= end => State::OpenOverdue,
                None => State::OpenNotDue,
            }
        };
        let days = |a: Date, b: Date| (a - b).get_days() as i64;
        let days_over = match (state, closed) {
            (State::Late, Some(c)) => days(c, m.due),
            (State::OpenOverdue, _) => days(end, m.due) + 1,
            _ => 0,
        };
        let file = self.file;
        let Some(l) = self.ledger_mut(file) else {
            return;
        };
        let c = &mut l.units[m.unit];
        c.read += 1;
        match state {
            State::OnTime => c.on_time += 1,
            State::Late => c.late += 1,
            State::OpenOverdue => c.open_overdue += 1,
            State::OpenNotDue => c.open_not_due += 1,
            State::OutOfPeriod => c.out_of_period += 1,
        }
        if matches!(state, State::OnTime | State::Late | State::OpenOverdue) {
            c.due += 1;
        }
        if matches!(state, State::Late | State::OpenOverdue) {
            l.overdue.push(Entry {
                file,
                unit: m.unit,
                id: m.id.to_string(),
                kind: m.kind,
                text: m.text,
                start: m.start,
                due: m.due,
                closed,
                state,
                days_over,
            });
        }
    }
}
