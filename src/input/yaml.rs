//! Shared helpers for the YAML loaders of the survey and the plan (`rules`).

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{Error, ErrorKind, Position, Problem};

/// Parses `text` (the contents of `path`) into `T`, naming the field path, line and
/// column of the first problem.
///
/// Nesting deeper than [`MAX_DEPTH`] is refused by a linear pre-scan before the
/// parser (which recurses, and takes time quadratic in the depth) sees the text.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, Error> {
    check_depth(text, path)?;
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
        // A file that is no YAML of fields at all (`survey: /etc/passwd`) reads as
        // one long string: say so without repeating the file's contents.
        if (field.is_empty() || field == ".") && message.starts_with("invalid type:") {
            let found = message
                .strip_prefix("invalid type: ")
                .and_then(|m| m.split([' ', ',']).next())
                .unwrap_or("something else");
            message = format!(
                "not a survey or plan YAML: the file's top level is a {found}, not fields such as `id:`; is it the file you meant?"
            );
        }
        let mut message = clip_quoted(&message);
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

/// A parser message with each quoted or back-quoted value from the file cut to
/// its first line and 40 characters, so that an error never repeats a file's
/// contents (a value is named, not printed whole).
fn clip_quoted(message: &str) -> String {
    const KEEP: usize = 40;
    let mut out = String::with_capacity(message.len().min(512));
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let q = &rest[open..open + 1];
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(q) else {
            rest = after;
            break;
        };
        let value = &after[..close];
        let first = value.lines().next().unwrap_or("");
        if first.len() < value.len() || first.chars().count() > KEEP {
            out.extend(first.chars().take(KEEP));
            out.push('…');
        } else {
            out.push_str(value);
        }
        out.push_str(q);
        rest = &after[close + 1..];
    }
    out.extend(rest.chars().take(200));
    out
}

/// The deepest nesting of mappings, sequences and flow collections a survey or plan
/// may have (the shipped ones use five levels).
pub const MAX_DEPTH: usize = 64;

/// Refuses YAML nested deeper than [`MAX_DEPTH`], in one pass over the text: each
/// new indentation level, each `- ` that opens a sequence entry on a line, and each
/// open `[` or `{` outside quotes and comments counts one level. Block scalars
/// (`|`, `>`) are skipped. The estimate can only be above the true depth by what
/// quoted text spanning lines adds, so a file it passes is never refused by it.
fn check_depth(text: &str, path: &Path) -> Result<(), Error> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    // Indentation of the line that opened a block scalar: deeper lines are its text.
    let mut block: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let body = line.trim_start_matches([' ', '\t']);
        if body.is_empty() {
            continue;
        }
        let indent = line.len() - body.len();
        if let Some(b) = block {
            if indent > b {
                continue;
            }
            block = None;
        }
        if body.starts_with('#') {
            continue;
        }
        if flow == 0 {
            while indents.last().is_some_and(|&i| i > indent) {
                indents.pop();
            }
            if indents.last().is_none_or(|&i| i < indent) {
                indents.push(indent);
            }
        }
        let mut rest = body;
        let mut dashes = 0;
        while let Some(r) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("-\t")) {
            dashes += 1;
            rest = r.trim_start_matches([' ', '\t']);
        }
        let (mut quote, mut prev, mut peak) = (None::<char>, ' ', flow);
        for ch in rest.chars() {
            match (quote, ch) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') if prev == ' ' || prev == '[' || prev == '{' || prev == ',' || prev == ':' => {
                    quote = Some(ch)
                }
                (None, '#') if prev == ' ' => break,
                (None, '[' | '{') => {
                    flow += 1;
                    peak = peak.max(flow);
                }
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {}
            }
            prev = ch;
        }
        let depth = indents.len() + dashes + peak;
        if depth > MAX_DEPTH {
            return Err(ErrorKind::Yaml {
                pos: Position::line(path, n as u64 + 1),
                field: String::new(),
                message: format!(
                    "nested more than {MAX_DEPTH} levels deep; a survey or plan needs only a few levels, so check the file's indentation and brackets"
                ),
            }
            .into());
        }
        let head = rest.split(" #").next().unwrap_or(rest).trim_end();
        let tail = head.rsplit(' ').next().unwrap_or("");
        if flow == 0 && tail.starts_with(['|', '>']) && tail[1..].chars().all(|c| matches!(c, '+' | '-' | '0'..='9')) {
            block = Some(indent);
        }
    }
    Ok(())
}

/// Deserializes a mapping with string keys, refusing a key that appears twice
/// (serde's own maps keep the last value silently).
pub(crate) fn unique_map<'de, D, V>(d: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Unique<V>(PhantomData<V>);
    impl<'de, V: Deserialize<'de>> Visitor<'de> for Unique<V> {
        type Value = BTreeMap<String, V>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a mapping")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(k) = m.next_key::<String>()? {
                if out.contains_key(&k) {
                    return Err(serde::de::Error::custom(format!(
                        "duplicate key `{k}`; each key may appear only once: rename or remove one of them"
                    )));
                }
                let v = m.next_value()?;
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Unique(PhantomData))
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

/// The largest weight of an item, dimension or rater group: weights are relative,
/// and a bound keeps every weighted sum finite.
pub const MAX_WEIGHT: f64 = 1e6;

/// The largest number of points a complaint category deducts or adds, and the
/// largest cap: scores are out of 100.
pub const MAX_POINTS: f64 = 1000.0;

/// The largest `top_n` / `bottom_n` of a plan (a roster is far smaller).
pub const MAX_LIST: u64 = 1_000_000;

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

    /// Checks that `w` is a number > 0 and at most [`MAX_WEIGHT`].
    pub fn positive(&mut self, field: impl Into<String>, w: f64) {
        if !(w.is_finite() && w > 0.0 && w <= MAX_WEIGHT) {
            self.push(
                field,
                format!("must be a number > 0 and at most {MAX_WEIGHT}, found {w}"),
            );
        }
    }

    /// Checks that `x` is a number ≥ 0 and at most [`MAX_POINTS`] (complaint points,
    /// bonuses and their caps, on the 0–100 scale of the scores).
    pub fn points(&mut self, field: impl Into<String>, x: f64) {
        if !(x.is_finite() && (0.0..=MAX_POINTS).contains(&x)) {
            self.push(
                field,
                format!("must be a number ≥ 0 and at most {MAX_POINTS}, found {x}"),
            );
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
