//! Integration tests of `appraise`: the published fixtures, hand-computed rules of
//! SPEC §5–§11, the command line, and snapshots.
//!
//! Everything a test reads lives under `tests/` or is shipped with the crate
//! (`surveys/`); paths are found from `CARGO_MANIFEST_DIR`.

mod api;
mod browser;
mod campaigns;
mod cli;
mod draw;
mod fixtures;
mod hostile;
mod html;
mod layout;
mod ledgers;
mod messy;
mod office;
mod parquet;
mod people;
mod props;
mod report;
mod rules;
mod simulator;
mod snapshots;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use appraise::score::outcome::Outcome;
use appraise::{Plan, Roster};

/// The crate's root folder.
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<name>`.
pub fn fixture_dir(name: &str) -> PathBuf {
    manifest_dir().join("tests").join("fixtures").join(name)
}

/// The shipped demo campaign, scored once per test binary.
pub fn demo() -> &'static (Plan, Roster, Outcome) {
    static DEMO: OnceLock<(Plan, Roster, Outcome)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let (plan, roster) = appraise::demo::campaign().expect("demo campaign");
        let outcome = appraise::demo::run(&plan, &roster).expect("demo run");
        (plan, roster, outcome)
    })
}

/// A CSV file read into memory: header and rows of text cells.
#[derive(Clone, Debug)]
pub struct Table {
    /// Column names, in file order.
    pub header: Vec<String>,
    /// Data rows.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Parses CSV text (a leading BOM is skipped; CRLF or LF line ends).
    pub fn parse(text: &str) -> Table {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let header = r.headers().expect("a CSV header").iter().map(str::to_string).collect();
        let rows = r
            .records()
            .map(|rec| rec.expect("a well-formed CSV row").iter().map(str::to_string).collect())
            .collect();
        Table { header, rows }
    }

    /// Parses CSV bytes that must be UTF-8.
    pub fn from_bytes(bytes: &[u8]) -> Table {
        Table::parse(std::str::from_utf8(bytes).expect("CSV output is UTF-8"))
    }

    /// The index of a column; panics naming the column when it is missing.
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column `{name}` in header {:?}", self.header))
    }

    /// The row whose `key_col` cell is `key`.
    pub fn find(&self, key_col: &str, key: &str) -> Option<&Vec<String>> {
        let k = self.column(key_col);
        self.rows.iter().find(|r| r[k] == key)
    }

    /// The cell in column `col` of the row whose `key_col` is `key`.
    pub fn cell(&self, key_col: &str, key: &str, col: &str) -> &str {
        let row = self
            .find(key_col, key)
            .unwrap_or_else(|| panic!("no row with {key_col} = {key}"));
        &row[self.column(col)]
    }

    /// All cells of a column, in row order.
    pub fn values(&self, col: &str) -> Vec<&str> {
        let k = self.column(col);
        self.rows.iter().map(|r| r[k].as_str()).collect()
    }
}
