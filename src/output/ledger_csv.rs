//! `ledger.csv` and `ledger_rejects.csv` (SPEC §14): the late and overdue
//! matters of each unit, and every rejected ledger row with its reason.

use crate::cell::{csv_bytes, safe_cell};
use crate::error::Result;
use crate::judge::ledgers::LedgerFile;
use crate::rules::roster::Roster;
use crate::score::outcome::Outcome;

/// `ledger.csv`: `ledger, unit_id, name, id, kind, text, received, due, closed,
/// state, days_over` — every late (`late`) or open and overdue (`open_overdue`)
/// ticket, rectification and commitment, ledger by ledger, units in roster
/// order, each unit's matters in file order.
pub fn ledger_csv(roster: &Roster, outcome: &Outcome) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record([
            "ledger",
            "unit_id",
            "name",
            "id",
            "kind",
            "text",
            "received",
            "due",
            "closed",
            "state",
            "days_over",
        ])?;
        for f in [LedgerFile::Tickets, LedgerFile::Rectifications, LedgerFile::Commitments] {
            let Some(l) = outcome.ledgers.ledger(f) else {
                continue;
            };
            let mut entries: Vec<_> = l.overdue.iter().collect();
            entries.sort_by_key(|e| e.unit);
            for e in entries {
                let unit = roster.units.get(e.unit);
                w.write_record([
                    f.code().to_string(),
                    safe_cell(unit.map_or("", |u| u.id.as_str())),
                    safe_cell(unit.map_or("", |u| u.name.as_str())),
                    safe_cell(&e.id),
                    safe_cell(&e.kind),
                    safe_cell(&e.text),
                    e.start.map_or_else(String::new, |d| d.to_string()),
                    e.due.to_string(),
                    e.closed.map_or_else(String::new, |d| d.to_string()),
                    e.state.code().to_string(),
                    e.days_over.to_string(),
                ])?;
            }
        }
        Ok(())
    })
}

/// `ledger_rejects.csv`: `file, line, id, reason, detail`, file by file
/// (tickets, rectifications, commitments, assessments), rows in file order.
pub fn ledger_rejects_csv(outcome: &Outcome) -> Result<Vec<u8>> {
    csv_bytes(|w| {
        w.write_record(["file", "line", "id", "reason", "detail"])?;
        for r in &outcome.ledgers.rejects {
            w.write_record([
                r.file.code().to_string(),
                r.line.to_string(),
                safe_cell(&r.id),
                r.reason.code().to_string(),
                safe_cell(&r.detail),
            ])?;
        }
        Ok(())
    })
}
