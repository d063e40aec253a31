//! The attention list (SPEC §12): everything that changed or may have changed a
//! result, named where the clerk looks — printed by the command on stderr, at the
//! top of `report.md`, in `results.json` and `results.xlsx`.
//!
//! Each stage detects what it knows and this module words it: rejected complaints
//! that would have counted (the judge marks them, `ComplaintReject::would_count`),
//! a plan with complaint categories but no complaints file (the campaign knows),
//! roster units without a ballot row and reject reasons above 10% of a file's rows
//! (the tally and the rejects).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::count::tally::Tally;
use crate::error::{Error, ErrorKind, Result};
use crate::judge::ballots::{FileSummary, Reason};
use crate::judge::complaints::Complaints;
use crate::judge::rejects::Rejects;
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;

/// What kind of thing needs a person's attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttentionKind {
    /// A complaint that would have counted (verified, or of a veto category) was
    /// rejected, so its deduction or veto did not apply.
    ComplaintRejected,
    /// The plan defines complaint categories but no complaints file was given.
    NoComplaintsFile,
    /// A roster unit has no ballot row at all.
    UnitWithoutBallots,
    /// One reject reason took more than 10% of a ballot file's rows.
    RejectShare,
    /// An input was decoded other than as plain UTF-8 or as the user chose: an
    /// encoding guessed (GBK), or a few invalid bytes replaced by U+FFFD. A wrong
    /// guess garbles every name, so a person confirms it (or passes `--encoding`).
    Decoding,
    /// The plan's `survey:` is an absolute path or leaves the plan's folder
    /// (`../`): accepted, and said, since the questionnaire then lives elsewhere.
    SurveyOutsidePlan,
    /// Rows of a ledger file (tickets, rectifications, commitments, assessments)
    /// were rejected (SPEC §14).
    LedgerRejected,
    /// The plan reports a ledger but its file was not given (SPEC §14).
    NoLedgerFile,
}

impl AttentionKind {
    /// The code written in `results.json`.
    pub fn code(self) -> &'static str {
        match self {
            AttentionKind::ComplaintRejected => "complaint_rejected",
            AttentionKind::NoComplaintsFile => "no_complaints_file",
            AttentionKind::UnitWithoutBallots => "unit_without_ballots",
            AttentionKind::RejectShare => "reject_share",
            AttentionKind::Decoding => "decoding",
            AttentionKind::SurveyOutsidePlan => "survey_outside_plan",
            AttentionKind::LedgerRejected => "ledger_rejected",
            AttentionKind::NoLedgerFile => "no_ledger_file",
        }
    }
}

/// One entry of the attention list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attention {
    /// What kind.
    pub kind: AttentionKind,
    /// What it is about: a complaint id, a unit id, a file, or empty.
    pub subject: String,
    /// What happened and what to do.
    pub message: String,
    /// The whole entry in Chinese (subject included), for reports in a plan whose
    /// `language` is `zh`; empty when there is none (then the English line is shown).
    /// Codes (reject reasons, file kinds) and notes quoted from a reader stay as
    /// they are.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message_zh: String,
}

impl Attention {
    /// The entry as a person reads it in `lang`: the Chinese line for `zh` when
    /// there is one, else `subject: message`.
    pub fn text(&self, lang: crate::rules::plan::Language) -> String {
        if lang == crate::rules::plan::Language::Zh && !self.message_zh.is_empty() {
            self.message_zh.clone()
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for Attention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.subject.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.subject, self.message)
        }
    }
}

/// The attention entry for a plan with complaint categories run without a
/// complaints file, if that is the case.
pub fn no_complaints(plan: &Plan, given: bool) -> Option<Attention> {
    let cats = &plan.complaints.categories;
    (!given && !cats.is_empty()).then(|| {
        let ids: Vec<&str> = cats.iter().map(|c| c.id.as_str()).collect();
        Attention {
            kind: AttentionKind::NoComplaintsFile,
            subject: String::new(),
            message: format!(
                "the plan has complaint categories ({}) but no complaints file was given (--complaints): no deduction, bonus or veto applied",
                ids.join(", ")
            ),
            message_zh: format!(
                "方案设有投诉类别（{}），但未提供投诉文件（--complaints）：未作任何扣分、加分或一票否决",
                ids.join("、")
            ),
        }
    })
}

/// The attention entry for a plan whose `survey:` is an absolute path or climbs
/// out of the plan's folder (`../`), if that is the case.
pub fn survey_outside(plan: &Plan) -> Option<Attention> {
    let base = plan.path.parent().unwrap_or(std::path::Path::new(""));
    let outside = match plan.survey_path.strip_prefix(base) {
        Ok(relative) => relative.is_absolute() || relative.components().any(|c| c == std::path::Component::ParentDir),
        Err(_) => true,
    };
    outside.then(|| Attention {
        kind: AttentionKind::SurveyOutsidePlan,
        subject: String::new(),
        message: format!(
            "the plan's survey is `{}`, outside the plan's folder: check it is the questionnaire this campaign used",
            plan.survey_path.display()
        ),
        message_zh: format!(
            "方案所用测评表为 `{}`，不在方案所在文件夹内：请核对是否为本次评议所用的测评表",
            plan.survey_path.display()
        ),
    })
}

/// The attention entries of inputs decoded other than as plain UTF-8 (the
/// roster, the complaints file, each ballot file), each with its note.
pub fn decoding(roster: &Roster, complaints: &Complaints, files: &[FileSummary]) -> Vec<Attention> {
    let entry = |subject: String, zh: &str, note: &str| Attention {
        kind: AttentionKind::Decoding,
        message: format!("{note}; check that its names read right"),
        message_zh: format!("{zh}：{note}；请核对其中的名称是否显示正确"),
        subject,
    };
    let mut out = Vec::new();
    if let Some(n) = &roster.note {
        out.push(entry("roster".into(), "名册", n));
    }
    if let Some(n) = &complaints.note {
        out.push(entry("complaints file".into(), "投诉文件", n));
    }
    for f in files {
        // A workbook's note names the sheet read: no decoding.
        if let Some(n) = f.note.as_ref().filter(|n| !n.starts_with("read sheet")) {
            out.push(entry(f.path.clone(), &f.path, n));
        }
    }
    out
}

/// The attention entries a run's rejects, tally and complaints call for, in this
/// order: inputs decoded other than as plain UTF-8, rejected complaints that
/// would have counted, units without ballots, reject reasons above 10% of a file.
pub fn collect(
    roster: &Roster,
    tally: &Tally,
    rejects: &Rejects,
    files: &[FileSummary],
    complaints: &Complaints,
) -> Result<Vec<Attention>> {
    let mut out = decoding(roster, complaints, files);
    for c in complaints.rejects.iter().filter(|c| c.would_count) {
        out.push(Attention {
            kind: AttentionKind::ComplaintRejected,
            subject: if c.complaint_id.is_empty() {
                format!("complaint on row {}", c.row)
            } else {
                format!("complaint {}", c.complaint_id)
            },
            message: format!(
                "rejected ({}, row {}): {}; it would have counted (verified or veto): correct the row and score again",
                c.reason.code(),
                c.row,
                c.detail
            ),
            message_zh: format!(
                "{}被退回（{}，第 {} 行）：{}；该投诉本应计入（已查实或属一票否决类）：请更正该行后重新计分",
                if c.complaint_id.is_empty() {
                    format!("第 {} 行投诉", c.row)
                } else {
                    format!("投诉 {} ", c.complaint_id)
                },
                c.reason.code(),
                c.row,
                c.detail
            ),
        });
    }
    if !files.is_empty() {
        for (u, unit) in roster.units.iter().enumerate() {
            if tally.read.get(u).copied().unwrap_or(0) == 0 {
                out.push(Attention {
                    kind: AttentionKind::UnitWithoutBallots,
                    subject: format!("unit {}", unit.id),
                    message: format!(
                        "{} has no ballot row at all; check that its ballots were entered",
                        unit.name
                    ),
                    message_zh: format!(
                        "单位 {}（{}）没有任何测评票记录：请核对其测评票是否已录入",
                        unit.id, unit.name
                    ),
                });
            }
        }
    }
    let counts = count_reasons(rejects)?;
    for (k, f) in files.iter().enumerate() {
        for (reason, n, hint) in reason_counts(&counts, k) {
            if 10 * n > f.rows {
                out.push(Attention {
                    kind: AttentionKind::RejectShare,
                    subject: f.path.clone(),
                    message: format!("{n} of {} ballot rows rejected as {}; {hint}", f.rows, reason.code()),
                    message_zh: format!(
                        "{}：{} 行测评票中有 {n} 行因 {} 被退回；{hint}",
                        f.path,
                        f.rows,
                        reason.code()
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// Distinct details counted per file and reason: the hints name the most frequent
/// among the first this many distinct ones seen (every reject is still counted).
/// It bounds memory when millions of rejects each carry their own detail (a
/// repeated ballot id per row); the ordinary run has a handful.
const DETAILS_KEPT: usize = 10_000;

/// Per (file, reason): how many rejects, and how often each detail was seen.
type ReasonTable = BTreeMap<(usize, Reason), (u64, BTreeMap<String, u64>)>;

/// One pass over the rejects (spilled ones included): the [`ReasonTable`].
fn count_reasons(rejects: &Rejects) -> Result<ReasonTable> {
    let mut by = ReasonTable::new();
    rejects.for_each(|r| {
        let (n, details) = by.entry((r.file, r.reason)).or_default();
        *n += 1;
        if let Some(c) = details.get_mut(r.detail.as_str()) {
            *c += 1;
        } else if details.len() < DETAILS_KEPT {
            details.insert(r.detail.clone(), 1);
        }
        Ok(())
    })?;
    Ok(by)
}

/// Per reason (in check order), the rejects of file `file` and a hint: the most
/// frequent details.
fn reason_counts(counts: &ReasonTable, file: usize) -> Vec<(Reason, u64, String)> {
    counts
        .range((file, Reason::ALL[0])..=(file, Reason::ALL[Reason::ALL.len() - 1]))
        .map(|(&(_, reason), (n, details))| {
            let n = *n;
            let mut top: Vec<(&str, u64)> = details.iter().map(|(d, c)| (d.as_str(), *c)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let shown: Vec<String> = top.iter().take(3).map(|(d, c)| format!("`{d}` ×{c}")).collect();
            (reason, n, format!("most frequent: {}", shown.join("; ")))
        })
        .collect()
}

/// Fails the run (SPEC §12) when more than half of all ballot rows were rejected
/// (`2·rejected > read`), naming the most frequent reason and its hint, unless
/// `accept` (`--accept-rejects`).
pub fn check_rejects(tally: &Tally, rejects: &Rejects, accept: bool) -> Result<()> {
    let a = tally.accounting();
    if accept || 2 * a.rejected <= a.read {
        return Ok(());
    }
    let mut all: BTreeMap<Reason, (u64, BTreeMap<&str, u64>)> = BTreeMap::new();
    let counts = count_reasons(rejects)?;
    for ((_, reason), (n, details)) in &counts {
        let (total, merged) = all.entry(*reason).or_default();
        *total += n;
        for (d, c) in details {
            *merged.entry(d.as_str()).or_default() += c;
        }
    }
    let (reason, count, hint) = match all
        .iter()
        .map(|(r, (n, d))| (*r, *n, d))
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
    {
        Some((r, n, d)) => {
            let top = d
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(t, _)| *t)
                .unwrap_or("");
            (r.code().to_string(), n, top.to_string())
        }
        None => {
            // Counted by a tally without reject rows (shards): the accounting's reasons.
            let (k, n) = a
                .by_reason
                .iter()
                .enumerate()
                .max_by_key(|(_, n)| **n)
                .map_or((0, 0), |(k, n)| (k, *n));
            (Reason::ALL[k].code().to_string(), n, String::new())
        }
    };
    Err(Error::from(ErrorKind::MostlyRejected {
        rejected: a.rejected,
        read: a.read,
        reason,
        count,
        hint,
    }))
}
