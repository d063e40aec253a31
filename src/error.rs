//! The one error type of the library.
//!
//! Modelled on BurntSushi's `csv`: a small [`Error`] that boxes a
//! `#[non_exhaustive]` [`ErrorKind`], with a [`Error::position`] accessor. Every
//! variant that comes from an input file says which file, and where it can, which
//! line, column, unit or item — and the message ends with what to do about it.
//!
//! An [`Error`] stops a run: it is returned only when an input *as a whole* is
//! unusable (a plan that does not validate, a roster with a repeated unit, a ballot
//! file without a `unit_id` column). A single bad ballot or complaint is not an
//! error but a reject: see `judge::ballots::Reject`.

use std::fmt;
use std::path::{Path, PathBuf};

/// Shorthand for `Result<T, appraise::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input an error was found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// The file, as the user named it.
    pub path: PathBuf,
    /// 1-based line number (the header of a CSV file is line 1).
    pub line: Option<u64>,
    /// Column: a CSV column name, or a 1-based YAML column number as text.
    pub column: Option<String>,
}

impl Position {
    /// A position naming only a file.
    pub fn file(path: impl Into<PathBuf>) -> Position {
        Position {
            path: path.into(),
            line: None,
            column: None,
        }
    }

    /// A position naming a file and a line.
    pub fn line(path: impl Into<PathBuf>, line: u64) -> Position {
        Position {
            path: path.into(),
            line: Some(line),
            column: None,
        }
    }

    /// The same position with a column.
    pub fn with_column(mut self, column: impl Into<String>) -> Position {
        self.column = Some(column.into());
        self
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(col) = &self.column {
            write!(f, " (column {col})")?;
        }
        Ok(())
    }
}

/// One problem found while validating a survey or plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Path to the offending field, e.g. `items[3].scale`.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A unit that fails the panel rule under `--strict`.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelViolation {
    /// The unit's id.
    pub unit_id: String,
    /// What fails, e.g. `public share 0.6 < 0.7`.
    pub detail: String,
}

/// Where a folder given to `appraise draw --verify` first differs from the draw
/// of the inputs and seed (SPEC §13).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The file of the draw, e.g. `panel.csv`.
    pub file: String,
    /// 1-based line of the first difference (`None` when the file is missing).
    pub line: Option<u64>,
    /// The line the draw has there (empty past its end).
    pub expected: String,
    /// The line the folder has there (empty past its end).
    pub found: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            None => write!(f, "{}: missing", self.file),
            Some(l) => write!(
                f,
                "{} line {l}: expected `{}`, found `{}`",
                self.file, self.expected, self.found
            ),
        }
    }
}

/// The error of every fallible function in the library.
///
/// Use [`Error::kind`] to match on what went wrong and [`Error::position`] to find
/// where. The `Display` form is one or more lines meant for the person who has to fix
/// the input.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

/// What went wrong. New kinds may be added in minor releases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be opened, read or written.
    #[error("{}: {source}; check that the path exists and is readable (or writable, for outputs)", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A YAML file does not parse, or a field has the wrong type or an unknown name.
    #[error("{}: {message}{}", pos, field_suffix(field))]
    Yaml {
        /// File, line and column (when the parser gives them).
        pos: Position,
        /// Path of the field, e.g. `items[2].weight` (empty when unknown).
        field: String,
        /// The parser's message.
        message: String,
    },
    /// A survey or plan parses but breaks a rule; every problem found is listed.
    #[error("{}: {} problem(s) in the {what}; fix them and run `appraise validate` again:{}", path.display(), problems.len(), list(problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// `survey` or `plan`.
        what: &'static str,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
    /// A CSV input (roster, ballots, complaints) is unusable as a whole, or one of
    /// its rows breaks a rule that makes the whole file untrustworthy (a roster with a
    /// repeated unit id).
    #[error("{pos}: {message}")]
    Input {
        /// File, line and column.
        pos: Position,
        /// What is wrong and what to do.
        message: String,
    },
    /// The plan and the roster disagree (e.g. an `exclude` entry not in the roster).
    #[error("{}: {message}", path.display())]
    Mismatch {
        /// The plan file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Under `--strict`, one or more units fail the panel rule (SPEC §6).
    #[error("{} unit(s) fail the panel rule (--strict):{}", violations.len(), list(violations))]
    Panel {
        /// Every failing unit and why.
        violations: Vec<PanelViolation>,
    },
    /// Two tallies cannot be added because they were made under different plans,
    /// surveys or rosters.
    #[error("tallies do not match: {0}; tally every shard with the same plan and roster")]
    TallyMismatch(String),
    /// More than half of all ballot rows were rejected (SPEC §12): the run stops
    /// before anything is written, unless the user accepts it (`--accept-rejects`).
    #[error(
        "{rejected} of {read} ballot rows were rejected, more than half; the most frequent reason is {reason} ({count} rows), e.g. {hint}; \
         fix the files (see the reject details with `appraise validate`), or pass --accept-rejects to score what is valid"
    )]
    MostlyRejected {
        /// Rejected rows.
        rejected: u64,
        /// Rows read.
        read: u64,
        /// The most frequent reason's code.
        reason: String,
        /// Its rows.
        count: u64,
        /// Its most frequent detail.
        hint: String,
    },
    /// A panel cannot be drawn (SPEC §13): for this unit, fewer eligible
    /// candidates are left than a step of the draw needs. Nothing is written.
    #[error(
        "unit {unit_id}: the panel needs {needed} of {group} but only {available} eligible candidate(s) are left ({detail}); \
         add candidates of that group, allow more panels per candidate (max_panels, draw.max_panels_per_rater), or draw fewer per unit"
    )]
    DrawShort {
        /// The unit whose panel cannot be filled.
        unit_id: String,
        /// The short group (`group G (label)`, `public groups …`, `any group`).
        group: String,
        /// Candidates the step needs.
        needed: u64,
        /// Eligible candidates left for it.
        available: u64,
        /// Why the others are not eligible.
        detail: String,
    },
    /// `appraise draw --verify`: the folder is not exactly the draw of the inputs
    /// and seed; the first difference of each differing file is listed.
    #[error("{}: not the draw of these inputs and seed:{}", dir.display(), list(differences))]
    DrawDiffers {
        /// The folder checked.
        dir: PathBuf,
        /// The first difference of each file that differs.
        differences: Vec<Difference>,
    },
    /// A request that makes no sense (e.g. an output folder that is a file).
    #[error("{0}")]
    Usage(String),
}

fn field_suffix(field: &str) -> String {
    if field.is_empty() || field == "." {
        String::new()
    } else {
        format!(" (field `{field}`)")
    }
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(|p| format!("\n  - {p}")).collect()
}

impl fmt::Display for PanelViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.unit_id, self.detail)
    }
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Consumes the error and returns its kind.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// Where in the input the error was found, when it is tied to one place.
    pub fn position(&self) -> Option<Position> {
        match &*self.0 {
            ErrorKind::Io { path, .. } | ErrorKind::Invalid { path, .. } | ErrorKind::Mismatch { path, .. } => {
                Some(Position::file(path))
            }
            ErrorKind::Yaml { pos, .. } | ErrorKind::Input { pos, .. } => Some(pos.clone()),
            _ => None,
        }
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        ErrorKind::Io {
            path: path.to_path_buf(),
            source,
        }
        .into()
    }

    /// An input error at `pos`.
    pub(crate) fn input(pos: Position, message: impl Into<String>) -> Error {
        ErrorKind::Input {
            pos,
            message: message.into(),
        }
        .into()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.0)
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }
}
