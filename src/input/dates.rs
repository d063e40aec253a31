//! Dates as offices write them.
//!
//! Clerks type dates in Excel, WPS or a text editor, on a Chinese keyboard, and
//! exports add a midnight time: `2024-03-05`, `2024/3/5`, `2024.3.5`,
//! `2024年3月5日`, `２０２４年３月５日`, `2024/3/5 0:00:00`, or the raw Excel
//! serial `45356` when a date column lost its format. [`parse_date`] accepts
//! these and refuses what it cannot read for certain, above all day- or
//! month-first forms such as `5/3/2024`, which mean 5 March in one office and
//! 3 May in another.

use jiff::civil::Date;
use thiserror::Error;

use crate::input::fold::fold_width;

/// The forms [`parse_date`] accepts, quoted in every error message so a clerk
/// can fix the cell without reading documentation.
pub const ACCEPTED_FORMS: &str = "write dates as YYYY-MM-DD, e.g. 2024-03-05 \
     (also accepted: 2024-3-5, 2024/3/5, 2024.3.5, 2024年3月5日, \
     or an Excel date number such as 45356)";

/// The largest Excel serial in the 1900 date system: 9999-12-31.
pub const MAX_EXCEL_SERIAL: u32 = 2_958_465;

/// Why a text is not a date. Each message names the value and says what to
/// write instead, because it is shown to the clerk who typed it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DateError {
    /// The cell was empty or blank: a missing date is for the caller to allow
    /// or refuse, so it is reported apart from malformed ones.
    #[error("the date is empty; {ACCEPTED_FORMS}")]
    Empty,
    /// Day- or month-first (`5/3/2024`, `03-05-2024`) or a two-digit year
    /// (`24/3/5`): the day and month cannot be told apart for certain.
    #[error(
        "`{value}` is ambiguous: it could be read day-first or month-first; \
         write the year first as YYYY-MM-DD, e.g. 2024-03-05"
    )]
    Ambiguous {
        /// The text as given.
        value: String,
    },
    /// A year alone, a year and month, or a month and day (`2024`, `2024-03`,
    /// `2024年3月`, `3.5`): a whole day is needed.
    #[error("`{value}` is not a complete date (year, month and day are needed); {ACCEPTED_FORMS}")]
    Incomplete {
        /// The text as given.
        value: String,
    },
    /// The form is right but the day does not exist (`2023-02-29`,
    /// `2024-13-01`).
    #[error("`{value}` is not a calendar date: {reason}; {ACCEPTED_FORMS}")]
    NotInCalendar {
        /// The text as given.
        value: String,
        /// Why, in words, e.g. "February 2023 has 28 days".
        reason: String,
    },
    /// A number outside the range of Excel dates (1 = 1900-01-01 to
    /// 2958465 = 9999-12-31), e.g. a score or an amount in a date column.
    #[error(
        "`{value}` is not a date: as an Excel date number it is outside \
         1..={MAX_EXCEL_SERIAL} (1900-01-01 to 9999-12-31); {ACCEPTED_FORMS}"
    )]
    SerialOutOfRange {
        /// The text as given.
        value: String,
    },
    /// Excel serial 60, which Excel shows as 1900-02-29, a day that never
    /// existed (Excel's 1900 leap-year bug).
    #[error(
        "`{value}` is Excel's date number for 1900-02-29, a day that never existed; \
         {ACCEPTED_FORMS}"
    )]
    NonexistentExcelDay {
        /// The text as given.
        value: String,
    },
    /// Anything else: text, mixed separators, a time part that is not a time.
    #[error("`{value}` is not a date; {ACCEPTED_FORMS}")]
    Unrecognised {
        /// The text as given.
        value: String,
    },
}

/// Parses a date as offices write it.
///
/// Accepted, after folding full-width characters (`２０２４／３／５`) and trimming
/// whitespace:
///
/// - `YYYY-MM-DD`, `YYYY-M-D`, `YYYY/M/D`, `YYYY.M.D` (one separator throughout);
/// - `YYYY年M月D日`, also without the final `日`;
/// - any of these followed by a time after a space or `T`
///   (`2024/3/5 0:00:00`, `2024-03-05T08:30`, `2024/3/5 上午 10:00`); the
///   time must be one token starting with a digit and holding `:`, with an
///   optional `上午`/`下午`/`AM`/`PM`, and is then ignored: a date column
///   holds days;
/// - an Excel serial number in the 1900 date system, `1..=2958465`, with an
///   optional fraction (the time of day, ignored): `45356` is 2024-03-05.
///   Serials 1–59 are 1900-01-01 to 1900-02-28 and 61 onwards are
///   1900-03-01 onwards, as in Excel; serial 60, which Excel shows as the
///   nonexistent 1900-02-29, is refused ([`DateError::NonexistentExcelDay`])
///   rather than silently moved to a neighbouring day.
///
/// Refused: day- or month-first and two-digit-year forms
/// ([`DateError::Ambiguous`]); a bare four-digit number such as `2024`, which
/// is a year and not serial 2024 ([`DateError::Incomplete`]), as are
/// `2024-03`, `2024年3月` and `3.5`; days that do not exist
/// ([`DateError::NotInCalendar`]).
pub fn parse_date(s: &str) -> Result<Date, DateError> {
    let folded = fold_width(s);
    let text = folded.trim();
    if text.is_empty() {
        return Err(DateError::Empty);
    }
    let value = || s.trim().to_string();
    let unrecognised = || DateError::Unrecognised { value: value() };

    let date_part = strip_time(text).ok_or_else(unrecognised)?;

    if date_part.contains('年') {
        return parse_cjk(date_part, s);
    }
    if date_part.bytes().all(|b| b.is_ascii_digit()) {
        if date_part.len() == 4 {
            return Err(DateError::Incomplete { value: value() });
        }
        return from_serial(date_part, s);
    }
    let sep = match date_part.bytes().find(|b| matches!(b, b'-' | b'/' | b'.')) {
        Some(b) => b as char,
        None => return Err(unrecognised()),
    };
    let parts: Vec<&str> = date_part.split(sep).collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(unrecognised());
    }
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => ymd(y, m, d, s),
        [a, b, c] if a.len() <= 2 && b.len() <= 2 && (c.len() <= 2 || c.len() == 4) => {
            Err(DateError::Ambiguous { value: value() })
        }
        [y, m] if y.len() == 4 && m.len() <= 2 => Err(DateError::Incomplete { value: value() }),
        // A dotted number with a longer integer part is a serial with a time
        // fraction (45356.5); a short one (3.5) is month.day without a year.
        [i, _] if sep == '.' && i.len() > 2 => from_serial(date_part, s),
        [a, b] if a.len() <= 2 && b.len() <= 2 => Err(DateError::Incomplete { value: value() }),
        _ => Err(unrecognised()),
    }
}

/// The date part of `text`, without a trailing time; `None` when what follows
/// the date is not a time.
fn strip_time(text: &str) -> Option<&str> {
    let cut = text
        .char_indices()
        .find(|&(i, c)| c.is_whitespace() || (c == 'T' && i > 0))
        .map(|(i, _)| i);
    let Some(cut) = cut else { return Some(text) };
    let (date, rest) = text.split_at(cut);
    // Skip the 'T' or the whitespace between date and time.
    let time = rest.trim_start_matches('T').trim_start();
    // One clock token (`0:00:00`, `08:30Z`), optionally with a 12-hour
    // marker before or after it, as Chinese-locale exports write
    // `2024/3/5 上午 10:00`.
    let mut clocks = 0;
    for token in time.split_whitespace() {
        if token.starts_with(|c: char| c.is_ascii_digit()) && token.contains(':') {
            clocks += 1;
        } else if !matches!(token, "上午" | "下午" | "AM" | "PM" | "am" | "pm") {
            return None;
        }
    }
    (clocks == 1).then_some(date)
}

/// `YYYY年M月D日` and `YYYY年M月D`.
fn parse_cjk(date: &str, original: &str) -> Result<Date, DateError> {
    let value = || original.trim().to_string();
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let Some((y, rest)) = date.split_once('年') else {
        return Err(DateError::Unrecognised { value: value() });
    };
    if !digits(y) || y.len() != 4 {
        return Err(DateError::Unrecognised { value: value() });
    }
    let Some((m, d)) = rest.split_once('月') else {
        // `2024年` or `2024年3`.
        return if rest.is_empty() || (digits(rest) && rest.len() <= 2) {
            Err(DateError::Incomplete { value: value() })
        } else {
            Err(DateError::Unrecognised { value: value() })
        };
    };
    let d = d.strip_suffix('日').unwrap_or(d);
    if !digits(m) || m.len() > 2 {
        return Err(DateError::Unrecognised { value: value() });
    }
    if d.is_empty() {
        return Err(DateError::Incomplete { value: value() });
    }
    if !digits(d) || d.len() > 2 {
        return Err(DateError::Unrecognised { value: value() });
    }
    ymd(y, m, d, original)
}

/// Builds the date from digit strings already checked for length, naming the
/// missing month or day when it does not exist.
fn ymd(y: &str, m: &str, d: &str, original: &str) -> Result<Date, DateError> {
    let not_in_calendar = |reason: String| DateError::NotInCalendar {
        value: original.trim().to_string(),
        reason,
    };
    let unrecognised = || DateError::Unrecognised {
        value: original.trim().to_string(),
    };
    let (Ok(year), Ok(month), Ok(day)) = (y.parse::<i16>(), m.parse::<i8>(), d.parse::<i8>()) else {
        return Err(unrecognised());
    };
    if year < 1 {
        return Err(not_in_calendar(format!("there is no year {y}")));
    }
    if !(1..=12).contains(&month) {
        return Err(not_in_calendar(format!("there is no month {month}")));
    }
    let first = Date::new(year, month, 1).map_err(|_| unrecognised())?;
    let last = first.days_in_month();
    if !(1..=last).contains(&day) {
        return Err(not_in_calendar(if day == 0 {
            "there is no day 0".to_string()
        } else {
            format!("{} {year} has {last} days", MONTHS[(month - 1) as usize])
        }));
    }
    Date::new(year, month, day).map_err(|_| unrecognised())
}

/// English month names for messages.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// An Excel serial, digits with an optional fraction (the time, ignored).
fn from_serial(number: &str, original: &str) -> Result<Date, DateError> {
    let value = || original.trim().to_string();
    let whole = number.split('.').next().unwrap_or(number);
    let Ok(serial) = whole.parse::<u64>() else {
        // More digits than fit a u64 is certainly out of range.
        return Err(DateError::SerialOutOfRange { value: value() });
    };
    excel_serial_to_date(serial).map_err(|e| match e {
        SerialError::OutOfRange => DateError::SerialOutOfRange { value: value() },
        SerialError::Day60 => DateError::NonexistentExcelDay { value: value() },
    })
}

/// Why a serial has no date.
enum SerialError {
    OutOfRange,
    Day60,
}

/// The date of a whole Excel serial in the 1900 date system.
///
/// Excel counts 1900-01-01 as day 1 and wrongly treats 1900 as a leap year, so
/// from serial 61 (1900-03-01) on, day `n` is 1899-12-30 plus `n` days; before
/// the phantom 1900-02-29 (serial 60), it is 1899-12-31 plus `n` days.
fn excel_serial_to_date(serial: u64) -> Result<Date, SerialError> {
    let (epoch, days) = match serial {
        1..=59 => (Date::constant(1899, 12, 31), serial),
        60 => return Err(SerialError::Day60),
        61..=2_958_465 => (Date::constant(1899, 12, 30), serial),
        _ => return Err(SerialError::OutOfRange),
    };
    // `days` is at most 2958465, far inside the range of a span in days.
    let span = jiff::Span::new()
        .try_days(days as i64)
        .map_err(|_| SerialError::OutOfRange)?;
    epoch.checked_add(span).map_err(|_| SerialError::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ok(s: &str) -> Date {
        match parse_date(s) {
            Ok(d) => d,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    #[test]
    fn iso_and_office_forms() {
        let d = date(2024, 3, 5);
        for s in [
            "2024-03-05",
            "2024-3-5",
            "2024/3/5",
            "2024/03/05",
            "2024.3.5",
            "2024年3月5日",
            "2024年3月5",
            "2024年03月05日",
            "２０２４年３月５日",
            "２０２４／３／５",
            "  2024-03-05\t",
            "\u{3000}2024-03-05\u{3000}",
        ] {
            assert_eq!(ok(s), d, "{s}");
        }
        assert_eq!(ok("2024-12-31"), date(2024, 12, 31));
        assert_eq!(ok("2024-2-29"), date(2024, 2, 29));
    }

    #[test]
    fn time_parts_are_ignored() {
        let d = date(2024, 3, 5);
        for s in [
            "2024/3/5 0:00:00",
            "2024-03-05 00:00",
            "2024-03-05T08:30:00",
            "2024-03-05T08:30:00Z",
            "2024年3月5日 9:15",
            "2024/3/5 上午 10:00:00",
            "2024/3/5 10:00 PM",
        ] {
            assert_eq!(ok(s), d, "{s}");
        }
        assert!(matches!(
            parse_date("2024-03-05 morning"),
            Err(DateError::Unrecognised { .. })
        ));
        for s in ["2024-03-05 9", "2024-03-05 上午", "2024-03-05 1:00 2:00"] {
            assert_eq!(parse_date(s), Err(DateError::Unrecognised { value: s.into() }), "{s}");
        }
    }

    #[test]
    fn excel_serials() {
        // Serial 1 is 1900-01-01 and serial 59 is 1900-02-28 (1899-12-31 + n).
        assert_eq!(ok("1"), date(1900, 1, 1));
        assert_eq!(ok("59"), date(1900, 2, 28));
        // Serial 61 is 1900-03-01: Excel's phantom 1900-02-29 took serial 60.
        assert_eq!(ok("61"), date(1900, 3, 1));
        // 45356 by hand: 1899-12-30 + 45356 days. From 1899-12-30 to 2024-01-01
        // is 1 + 1 + (124 years * 365 + 30 leap days 1904..=2020) = 45292
        // days (serial of 2024-01-01 is 45292); + 31 (Jan) + 29 (Feb 2024)
        // + 4 = 45356 -> 2024-03-05.
        assert_eq!(124 * 365 + 30 + 2, 45292);
        assert_eq!(ok("45292"), date(2024, 1, 1));
        assert_eq!(45292 + 31 + 29 + 4, 45356);
        assert_eq!(ok("45356"), date(2024, 3, 5));
        // A fraction is the time of day.
        assert_eq!(ok("45356.75"), date(2024, 3, 5));
        assert_eq!(ok("４５３５６"), date(2024, 3, 5));
        // The last Excel day.
        assert_eq!(ok("2958465"), date(9999, 12, 31));
    }

    #[test]
    fn serial_60_and_out_of_range() {
        let e = parse_date("60").unwrap_err();
        assert_eq!(e, DateError::NonexistentExcelDay { value: "60".into() });
        assert!(e.to_string().contains("1900-02-29"));
        for s in ["0", "2958466", "99999999999999999999999", "00"] {
            assert_eq!(
                parse_date(s),
                Err(DateError::SerialOutOfRange { value: s.into() }),
                "{s}"
            );
        }
    }

    #[test]
    fn a_year_alone_is_not_a_serial() {
        for s in [
            "2024",
            "2024-03",
            "2024/3",
            "2024.3",
            "2024年",
            "2024年3月",
            "2024年3",
            "3.5",
            "3/5",
        ] {
            assert_eq!(parse_date(s), Err(DateError::Incomplete { value: s.into() }), "{s}");
        }
    }

    #[test]
    fn day_or_month_first_is_ambiguous() {
        for s in ["5/3/2024", "03-05-2024", "5.3.2024", "24/3/5", "05/03/24"] {
            let e = parse_date(s).unwrap_err();
            assert_eq!(e, DateError::Ambiguous { value: s.into() }, "{s}");
            let msg = e.to_string();
            assert!(msg.contains(s), "{msg}");
            assert!(msg.contains("YYYY-MM-DD") && msg.contains("2024-03-05"), "{msg}");
        }
    }

    #[test]
    fn impossible_days_name_the_reason() {
        let e = parse_date("2023-02-29").unwrap_err();
        assert_eq!(
            e,
            DateError::NotInCalendar {
                value: "2023-02-29".into(),
                reason: "February 2023 has 28 days".into()
            }
        );
        assert_eq!(
            e.to_string(),
            format!("`2023-02-29` is not a calendar date: February 2023 has 28 days; {ACCEPTED_FORMS}")
        );
        assert!(matches!(
            parse_date("2024-13-01"),
            Err(DateError::NotInCalendar { reason, .. }) if reason == "there is no month 13"
        ));
        assert!(matches!(
            parse_date("2024-04-31"),
            Err(DateError::NotInCalendar { reason, .. }) if reason == "April 2024 has 30 days"
        ));
        assert!(matches!(
            parse_date("2024年3月0日"),
            Err(DateError::NotInCalendar { reason, .. }) if reason == "there is no day 0"
        ));
        assert!(matches!(parse_date("0000-01-01"), Err(DateError::NotInCalendar { .. })));
    }

    #[test]
    fn garbage_and_empty() {
        assert_eq!(parse_date(""), Err(DateError::Empty));
        assert_eq!(parse_date(" \u{3000} "), Err(DateError::Empty));
        for s in [
            "三月五日",
            "2024-3/5",
            "2024--3-5",
            "2024-03-05-01",
            "20240-3-5",
            "2024-003-5",
            "abc",
            "-5",
            "2024年三月五日",
            "T12:00",
        ] {
            assert_eq!(parse_date(s), Err(DateError::Unrecognised { value: s.into() }), "{s}");
        }
    }

    #[test]
    fn every_message_names_the_value_and_the_forms() {
        for s in ["5/3/2024", "2024", "2023-02-29", "0", "60", "abc"] {
            let msg = parse_date(s).unwrap_err().to_string();
            assert!(msg.contains(&format!("`{s}`")), "{msg}");
            assert!(msg.contains("YYYY-MM-DD"), "{msg}");
        }
        assert!(DateError::Empty.to_string().contains("YYYY-MM-DD"));
    }
}
