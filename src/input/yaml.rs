//! Shared helpers for the YAML loaders of the survey and the plan (`rules`).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::{Error, ErrorKind, Position, Problem};

/// Parses `text` (the contents of `path`) into `T`, naming the field path, line and
/// column of the first problem.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, Error> {
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let mut pos = Position::file(path);
        if let Some(loc) = inner.location() {
            pos.line = Some(loc.line() as u64);
            pos.column = Some(loc.column().to_string());
        }
        let mut message = inner.to_string();
        // serde_yaml appends " at line L column C"; the position already says it.
        if let Some(cut) = message.find(" at line ") {
            message.truncate(cut);
        }
        // Full-width punctuation typed on a Chinese keyboard (SPEC §12): name the
        // character, where it is and what to type; the position points at it.
        let near = pos.line.map(|l| l as usize);
        let hints = crate::input::yaml_hint::fullwidth_hints(text, near);
        if let Some(first) = hints.first() {
            pos.line = Some(first.line as u64);
            pos.column = Some(first.column.to_string());
            let listed: Vec<String> = hints.iter().take(5).map(|h| h.to_string()).collect();
            message = format!(
                "{message}; full-width punctuation where YAML needs ASCII: {}",
                listed.join("; ")
            );
        }
        ErrorKind::Yaml { pos, field, message }.into()
    })
}

/// Reads a YAML file to a string.
pub(crate) fn read(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        Error::input(
            Position::file(path),
            format!(
                "not valid UTF-8 at byte {}; save the YAML file as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Accepts a YAML scalar (string, integer, float, bool) as text, so that
/// `code: 1` and `code: "1"` mean the same.
pub(crate) fn scalar_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_yaml::Value::deserialize(d)?;
    scalar_text(&v).ok_or_else(|| serde::de::Error::custom("expected a string or a number"))
}

/// Like [`scalar_string`], for a list.
pub(crate) fn scalar_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Vec::<serde_yaml::Value>::deserialize(d)?;
    v.iter()
        .map(|x| scalar_text(x).ok_or_else(|| serde::de::Error::custom("expected strings or numbers")))
        .collect()
}

fn scalar_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Collects validation problems with their field paths.
#[derive(Default)]
pub(crate) struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Checks that `w` is a finite number > 0.
    pub fn positive(&mut self, field: impl Into<String>, w: f64) {
        if !(w.is_finite() && w > 0.0) {
            self.push(field, format!("must be a number > 0, found {w}"));
        }
    }

    /// Checks that `x` is a finite number in `[0, 1]`.
    pub fn share(&mut self, field: impl Into<String>, x: f64) {
        if !(0.0..=1.0).contains(&x) {
            self.push(field, format!("must be a share between 0 and 1, found {x}"));
        }
    }

    /// Checks that an id is non-empty, has no surrounding spaces, and was not used
    /// before in `seen`.
    pub fn id<'a>(&mut self, field: String, id: &'a str, seen: &mut std::collections::HashSet<&'a str>) {
        if id.trim().is_empty() {
            self.push(field, "must not be empty");
        } else if id.trim() != id {
            self.push(field, format!("`{id}` has surrounding spaces; remove them"));
        } else if !seen.insert(id) {
            self.push(field, format!("`{id}` is used twice; ids must be unique"));
        }
    }

    pub fn finish(self, path: &Path, what: &'static str) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ErrorKind::Invalid {
                path: path.to_path_buf(),
                what,
                problems: self.0,
            }
            .into())
        }
    }
}
