//! Counting deadline days (SPEC §14): calendar days, or working days with a
//! holiday file (法定节假日 and the extra working days 调休 补班 of the State
//! Council's yearly notice).
//!
//! A matter received on day `d` with `k` days allowed is due by the end of the
//! k-th counted day after `d` (the day of receipt itself never counts). With
//! calendar days that is `d + k`; with working days, the k-th day after `d` that
//! is a working day: Monday to Friday unless listed as a holiday, and any day
//! listed as an extra working day.

use std::collections::BTreeSet;

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};

use crate::error::{Error, Position, Result};
use crate::input::dates;
use crate::input::text::{Encoding, Source};
use crate::rules::components::DayCount;

/// Holidays and extra working days.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Days off that fall on a weekday (or any day: a listed weekend day stays off).
    pub holidays: BTreeSet<Date>,
    /// Weekend days that are working days (调休 补班).
    pub workdays: BTreeSet<Date>,
}

impl Calendar {
    /// No holidays: working days are Monday to Friday.
    pub fn weekdays_only() -> Calendar {
        Calendar::default()
    }

    /// Reads a holiday file: one date per line in an everyday form of SPEC §12,
    /// optionally followed by a comma (or tab) and what the day is — `holiday`
    /// (休, 假, 放假; the default) or `workday` (班, 上班, 补班). Blank lines and
    /// lines starting with `#` are skipped. A line that is not that is an error
    /// naming the file and line: a wrong holiday moves every deadline after it.
    pub fn load(source: &Source, encoding: Encoding) -> Result<Calendar> {
        let mut reader = source.open(encoding)?.reader;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut reader, &mut text).map_err(|e| Error::io(source.path(), e))?;
        Calendar::parse(&text, source.path())
    }

    /// Parses the text of a holiday file (see [`Calendar::load`]); `path` names it
    /// in errors.
    ///
    /// ```
    /// use appraise::rules::calendar::Calendar;
    /// let c = Calendar::parse("# 2026 国庆\n2026-10-01\n2026-10-10,workday\n", "h.txt".as_ref())?;
    /// assert_eq!(c.holidays.len(), 1);
    /// assert_eq!(c.workdays.len(), 1);
    /// # Ok::<(), appraise::Error>(())
    /// ```
    pub fn parse(text: &str, path: &std::path::Path) -> Result<Calendar> {
        let mut c = Calendar::default();
        for (k, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = || Position::line(path, k as u64 + 1);
            let (date, what) = match line.split_once([',', '\t', '，']) {
                Some((d, w)) => (d.trim(), w.trim()),
                None => (line, ""),
            };
            let d = dates::parse_date(date).map_err(|e| Error::input(at(), e.to_string()))?;
            let work = match what {
                "" | "holiday" | "休" | "假" | "放假" => false,
                "workday" | "班" | "上班" | "补班" => true,
                other => {
                    return Err(Error::input(
                        at(),
                        format!(
                            "`{other}` is neither `holiday` (休) nor `workday` (班); write `DATE` or `DATE,workday`"
                        ),
                    ));
                }
            };
            let (this, other) = if work {
                (&mut c.workdays, &c.holidays)
            } else {
                (&mut c.holidays, &c.workdays)
            };
            if other.contains(&d) {
                return Err(Error::input(
                    at(),
                    format!("{d} is listed both as a holiday and as a working day; keep one"),
                ));
            }
            this.insert(d);
        }
        Ok(c)
    }

    /// Whether `d` is a working day.
    pub fn is_working(&self, d: Date) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.holidays.contains(&d)
    }

    /// The last day of a deadline of `k` days from `start` (the end of the k-th
    /// counted day after `start`). `None` past the calendar's end (year 9999).
    pub fn due(&self, start: Date, k: u32, count: DayCount) -> Option<Date> {
        match count {
            DayCount::Calendar => start.checked_add(i64::from(k).days()).ok(),
            DayCount::Working => {
                let mut d = start;
                let mut left = k;
                while left > 0 {
                    d = d.tomorrow().ok()?;
                    if self.is_working(d) {
                        left -= 1;
                    }
                }
                Some(d)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn working_days_skip_weekends_and_holidays_and_count_extra_working_days() {
        // 2026-09-30 is a Wednesday. National Day 10-01 … 10-07 off; Saturday
        // 10-10 is a 补班 working day.
        let c = Calendar::parse(
            "2026-10-01\n2026-10-02\n2026-10-05\n2026-10-06\n2026-10-07\n2026-10-10,workday\n",
            "h.txt".as_ref(),
        )
        .unwrap();
        // Received Wed 09-30, 3 working days: 10-01 Thu holiday, 10-02 Fri holiday,
        // 10-03/04 weekend, 10-05..07 holidays, 10-08 Thu (1), 10-09 Fri (2),
        // 10-10 Sat 补班 (3) → due 2026-10-10.
        assert_eq!(c.due(d("2026-09-30"), 3, DayCount::Working), Some(d("2026-10-10")));
        // Without the 补班 line: 10-10/11 weekend, 10-12 Mon (3).
        let plain = Calendar::parse(
            "2026-10-01\n2026-10-02\n2026-10-05\n2026-10-06\n2026-10-07\n",
            "h".as_ref(),
        )
        .unwrap();
        assert_eq!(plain.due(d("2026-09-30"), 3, DayCount::Working), Some(d("2026-10-12")));
        // Calendar days: 09-30 + 3 = 10-03.
        assert_eq!(c.due(d("2026-09-30"), 3, DayCount::Calendar), Some(d("2026-10-03")));
        // Received Friday 2026-09-25, 1 working day: Sat, Sun skipped → Mon 09-28.
        assert_eq!(c.due(d("2026-09-25"), 1, DayCount::Working), Some(d("2026-09-28")));
        // Received on a Saturday, 1 working day → Monday.
        assert_eq!(c.due(d("2026-09-26"), 1, DayCount::Working), Some(d("2026-09-28")));
    }

    #[test]
    fn a_bad_line_names_the_line() {
        let e = Calendar::parse("2026-10-01\n10/01/2026\n", "h.txt".as_ref()).unwrap_err();
        assert!(e.to_string().contains("h.txt"), "{e}");
        assert!(e.to_string().contains('2'), "{e}");
        let e = Calendar::parse("2026-10-01,maybe\n", "h.txt".as_ref()).unwrap_err();
        assert!(e.to_string().contains("workday"), "{e}");
        let e = Calendar::parse("2026-10-10\n2026-10-10,班\n", "h.txt".as_ref()).unwrap_err();
        assert!(e.to_string().contains("both"), "{e}");
    }
}
