//! The questionnaire (测评表): dimensions, items and answer scales (SPEC §3, §11).
//!
//! A [`Survey`] is loaded from YAML and validated as a whole before any ballot is
//! read. After validation every reference is an index (an item knows its dimension
//! and scale by position), so the ballot loop never looks anything up by name except
//! the option code of an answer.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::input::fold::fold_width;
use crate::input::yaml;
use crate::input::yaml::Problems;

/// Column names a ballot file reserves; no item may use them as its id.
pub const RESERVED_COLUMNS: [&str; 5] = ["ballot_id", "unit_id", "rater_id", "rater_group", "rater_unit"];

/// The most options one scale may have (answers are stored as one byte).
pub const MAX_OPTIONS: usize = 250;

/// A label in Chinese and English. Either may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// Chinese label.
    #[serde(default)]
    pub zh: String,
    /// English label.
    #[serde(default)]
    pub en: String,
}

impl Labels {
    /// Whether `value` (trimmed, and width-folded when `fold`) is the `zh` or `en`
    /// label, compared exactly after the label too is trimmed (and folded). An
    /// empty label matches nothing (SPEC §12).
    pub fn matches(&self, value: &str, fold: bool) -> bool {
        !value.is_empty()
            && [&self.zh, &self.en].into_iter().any(|l| {
                let l = l.trim();
                !l.is_empty() && (l == value || (fold && fold_width(l) == value))
            })
    }

    /// The Chinese label, or the English one when there is no Chinese.
    pub fn text(&self) -> &str {
        if self.zh.is_empty() { &self.en } else { &self.zh }
    }

    /// `id (label)`, or `id` alone when there is no label: how a message names
    /// a group, category or option so that the clerk recognises it either way.
    pub fn named(&self, id: &str) -> String {
        match self.text() {
            "" => id.to_string(),
            l => format!("{id} ({l})"),
        }
    }
}

/// One answer choice of a scale (评价等次).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScaleOption {
    /// The code written on a ballot, e.g. `1` or `A`.
    pub code: String,
    /// Labels, e.g. 满意 / satisfied.
    pub labels: Labels,
    /// The score 0–100, or `None` for an abstention (不了解), which is counted but
    /// in no denominator of a score.
    pub score: Option<f64>,
    /// Whether the option counts as satisfied for the satisfaction rate (满意率).
    pub satisfied: bool,
}

impl ScaleOption {
    /// Whether this option is an abstention.
    pub fn is_abstention(&self) -> bool {
        self.score.is_none()
    }
}

/// An answer scale shared by items.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scale {
    /// The scale's id (its key under `scales:`).
    pub id: String,
    /// The options, in file order.
    pub options: Vec<ScaleOption>,
}

impl Scale {
    /// The index of the option whose code is `code` (already trimmed).
    #[inline]
    pub fn option_index(&self, code: &str) -> Option<usize> {
        self.options.iter().position(|o| o.code == code)
    }

    /// The index of the option whose `zh` or `en` label `value` is (SPEC §12).
    pub fn option_by_label(&self, value: &str, fold: bool) -> Option<usize> {
        self.options.iter().position(|o| o.labels.matches(value, fold))
    }
}

/// The problems of a set of labelled ids (groups, options of one scale, complaint
/// categories): a label shared by two entries, or a label of one that is the id of
/// another, so that a value read from a file never has two readings (SPEC §12).
/// Labels and ids are compared trimmed and width-folded. `what` names an entry in
/// messages (`option`, `group`, `category`).
pub(crate) fn label_clashes(what: &str, entries: &[(&str, &Labels)]) -> Vec<String> {
    let norm = |s: &str| fold_width(s.trim()).into_owned();
    let labels = |l: &Labels| {
        [&l.zh, &l.en]
            .into_iter()
            .map(|x| norm(x))
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
    };
    let mut out = Vec::new();
    for (i, (a, la)) in entries.iter().enumerate() {
        for (b, lb) in &entries[i + 1..] {
            let (la, lb) = (labels(la), labels(lb));
            if let Some(x) = la.iter().find(|x| lb.contains(x)) {
                out.push(format!(
                    "{what}s `{a}` and `{b}` share the label `{x}`; a value written `{x}` would have two readings: give them different labels"
                ));
            } else if let Some(x) = la.iter().find(|x| **x == norm(b)) {
                out.push(format!(
                    "the label `{x}` of {what} `{a}` is the id of {what} `{b}`; give `{a}` another label"
                ));
            } else if let Some(x) = lb.iter().find(|x| **x == norm(a)) {
                out.push(format!(
                    "the label `{x}` of {what} `{b}` is the id of {what} `{a}`; give `{b}` another label"
                ));
            }
        }
    }
    out
}

/// One of the survey's dimensions (评议内容).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dimension {
    /// Id, e.g. `integrity`; also the column name in `results.csv`.
    pub id: String,
    /// Labels, e.g. 廉政建设.
    pub labels: Labels,
    /// Weight `W_d` in the composite (default 1).
    pub weight: f64,
    /// Indices into [`Survey::items`] of the dimension's items, in file order.
    pub items: Vec<usize>,
}

/// One question (测评项目).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Item {
    /// Id; also the ballot column that holds the answer.
    pub id: String,
    /// Question text.
    pub labels: Labels,
    /// Index into [`Survey::dimensions`] ([`Item::dimension_index`]); set only by
    /// validation, so it always points at a dimension.
    pub(crate) dimension: usize,
    /// Index into [`Survey::scales`] ([`Item::scale_index`]); set only by
    /// validation, so it always points at a scale.
    pub(crate) scale: usize,
    /// Weight `w_i` within its dimension (default 1).
    pub weight: f64,
}

impl Item {
    /// The index of the item's dimension in [`Survey::dimensions`].
    pub fn dimension_index(&self) -> usize {
        self.dimension
    }

    /// The index of the item's scale in [`Survey::scales`].
    pub fn scale_index(&self) -> usize {
        self.scale
    }
}

/// A validated questionnaire.
///
/// Made only by validation ([`Survey::from_yaml`], or `rules::builder`); its
/// `Serialize` writes the YAML it was made from, so what it writes loads back.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Survey {
    /// Id, e.g. `minzhu-pingyi`.
    pub id: String,
    /// Version, as written.
    pub version: String,
    /// Title.
    pub title: Labels,
    /// Scales, sorted by id.
    pub scales: Vec<Scale>,
    /// Dimensions, in file order.
    pub dimensions: Vec<Dimension>,
    /// Items, in file order.
    pub items: Vec<Item>,
    /// The YAML the survey was validated from (what `Serialize` writes).
    source: crate::rules::origin::Origin,
}

impl Serialize for Survey {
    /// Writes the survey as the YAML it was validated from, so that
    /// [`Survey::from_yaml`] reads back the same survey.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serde_yaml::from_str::<serde_yaml::Value>(&self.source.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSurvey {
    #[serde(deserialize_with = "yaml::scalar_string")]
    id: String,
    #[serde(default, deserialize_with = "yaml::scalar_string")]
    version: String,
    #[serde(default)]
    title: Labels,
    #[serde(deserialize_with = "yaml::unique_map")]
    scales: BTreeMap<String, RawScale>,
    dimensions: Vec<RawDimension>,
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    options: Vec<RawOption>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    #[serde(deserialize_with = "yaml::scalar_string")]
    code: String,
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
    score: Option<f64>,
    #[serde(default)]
    satisfied: bool,
    #[serde(default)]
    abstain: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDimension {
    id: String,
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
    #[serde(default = "one")]
    weight: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: String,
    dimension: String,
    scale: String,
    #[serde(default = "one")]
    weight: f64,
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
}

fn one() -> f64 {
    1.0
}

impl Survey {
    /// Loads and validates a survey YAML file.
    pub fn load(path: &Path) -> Result<Survey> {
        Survey::from_yaml(&yaml::read(path)?, path)
    }

    /// Parses and validates survey YAML; `path` names the source in errors.
    ///
    /// ```
    /// let s = appraise::Survey::from_yaml(appraise::demo::SURVEY, "s.yaml".as_ref())?;
    /// assert_eq!(s.scale_of(0).options[0].code, "1");
    /// # Ok::<(), appraise::Error>(())
    /// ```
    pub fn from_yaml(text: &str, path: &Path) -> Result<Survey> {
        let raw: RawSurvey = yaml::parse(text, path)?;
        let mut p = Problems::default();
        if raw.id.trim().is_empty() {
            p.push("id", "must not be empty");
        }

        let mut scales = Vec::new();
        if raw.scales.is_empty() {
            p.push("scales", "no scale defined; add at least one under `scales:`");
        }
        for (sid, rs) in &raw.scales {
            let f = format!("scales.{sid}");
            let mut codes = HashSet::new();
            let mut options = Vec::new();
            for (k, o) in rs.options.iter().enumerate() {
                let of = format!("{f}.options[{k}]");
                p.id(format!("{of}.code"), &o.code, &mut codes);
                match (o.score, o.abstain) {
                    (Some(_), true) => p.push(&of, "has both `score` and `abstain: true`; an abstention has no score"),
                    (None, false) => p.push(&of, "needs a `score` (0–100) or `abstain: true`"),
                    (Some(s), false) if !(0.0..=100.0).contains(&s) => {
                        p.push(format!("{of}.score"), format!("must be between 0 and 100, found {s}"))
                    }
                    _ => {}
                }
                if o.abstain && o.satisfied {
                    p.push(&of, "an abstention cannot be `satisfied`: it is in no denominator");
                }
                options.push(ScaleOption {
                    code: o.code.clone(),
                    labels: Labels {
                        zh: o.zh.clone(),
                        en: o.en.clone(),
                    },
                    score: if o.abstain { None } else { o.score },
                    satisfied: o.satisfied,
                });
            }
            let entries: Vec<(&str, &Labels)> = options
                .iter()
                .map(|o: &ScaleOption| (o.code.as_str(), &o.labels))
                .collect();
            for m in label_clashes("option", &entries) {
                p.push(format!("{f}.options"), m);
            }
            if !rs.options.iter().any(|o| o.score.is_some() && !o.abstain) {
                p.push(
                    format!("{f}.options"),
                    "the scale has no scored option; give at least one option a `score`",
                );
            }
            if rs.options.len() > MAX_OPTIONS {
                p.push(
                    format!("{f}.options"),
                    format!("at most {MAX_OPTIONS} options per scale"),
                );
            }
            scales.push(Scale {
                id: sid.clone(),
                options,
            });
        }

        let mut dim_ids = HashSet::new();
        let mut dimensions: Vec<Dimension> = Vec::new();
        if raw.dimensions.is_empty() {
            p.push("dimensions", "no dimension defined");
        }
        for (k, d) in raw.dimensions.iter().enumerate() {
            p.id(format!("dimensions[{k}].id"), &d.id, &mut dim_ids);
            p.positive(format!("dimensions[{k}].weight"), d.weight);
            dimensions.push(Dimension {
                id: d.id.clone(),
                labels: Labels {
                    zh: d.zh.clone(),
                    en: d.en.clone(),
                },
                weight: d.weight,
                items: Vec::new(),
            });
        }

        let mut item_ids = HashSet::new();
        let mut items = Vec::new();
        if raw.items.is_empty() {
            p.push("items", "no item defined");
        }
        for (k, it) in raw.items.iter().enumerate() {
            let f = format!("items[{k}]");
            p.id(format!("{f}.id"), &it.id, &mut item_ids);
            if RESERVED_COLUMNS.contains(&it.id.as_str()) {
                p.push(
                    format!("{f}.id"),
                    format!("`{}` is a reserved ballot column; rename the item", it.id),
                );
            }
            p.positive(format!("{f}.weight"), it.weight);
            if it.zh.trim().is_empty() && it.en.trim().is_empty() {
                p.push(&f, "has no question text; give `zh` or `en`");
            }
            let dimension = dimensions.iter().position(|d| d.id == it.dimension);
            if dimension.is_none() {
                p.push(
                    format!("{f}.dimension"),
                    format!("unknown dimension `{}`; define it under `dimensions:`", it.dimension),
                );
            }
            let scale = scales.iter().position(|s| s.id == it.scale);
            if scale.is_none() {
                p.push(
                    format!("{f}.scale"),
                    format!("unknown scale `{}`; define it under `scales:`", it.scale),
                );
            }
            if let (Some(d), Some(s)) = (dimension, scale) {
                dimensions[d].items.push(items.len());
                items.push(Item {
                    id: it.id.clone(),
                    labels: Labels {
                        zh: it.zh.clone(),
                        en: it.en.clone(),
                    },
                    dimension: d,
                    scale: s,
                    weight: it.weight,
                });
            }
        }
        for (k, d) in dimensions.iter().enumerate() {
            if d.items.is_empty() && raw.items.iter().all(|it| it.dimension != d.id) {
                p.push(
                    format!("dimensions[{k}]"),
                    format!("dimension `{}` has no items; add items or remove it", d.id),
                );
            }
        }
        p.finish(path, "survey")?;
        Ok(Survey {
            id: raw.id,
            version: raw.version,
            title: raw.title,
            scales,
            dimensions,
            items,
            source: crate::rules::origin::Origin(text.to_string()),
        })
    }

    /// The scale of item `i`.
    pub fn scale_of(&self, i: usize) -> &Scale {
        &self.scales[self.items[i].scale]
    }

    /// The index of the item with this id.
    pub fn item_index(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|it| it.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_labels_and_labels_equal_to_ids_clash() {
        let l = |zh: &str, en: &str| Labels {
            zh: zh.into(),
            en: en.into(),
        };
        let (a, b, c) = (l("满意", "satisfied"), l("满意", ""), l("1", ""));
        let m = label_clashes("option", &[("1", &a), ("2", &b)]);
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("`1` and `2`") && m[0].contains("满意"), "{m:?}");
        // A label that is another option's code; full-width ＳＡＴＩＳＦＩＥＤ folds to it.
        assert_eq!(label_clashes("option", &[("1", &a), ("2", &c)]).len(), 1);
        let wide = l("", "ｓａｔｉｓｆｉｅｄ");
        assert_eq!(label_clashes("option", &[("1", &a), ("3", &wide)]).len(), 1);
        // Empty labels share nothing; distinct labels are fine.
        assert!(label_clashes("option", &[("1", &l("", "")), ("2", &l("", ""))]).is_empty());
        assert!(label_clashes("option", &[("1", &a), ("3", &l("不满意", ""))]).is_empty());
        assert!(a.matches("满意", true) && !a.matches("", true) && !a.matches("Satisfied", true));
    }
    use crate::error::ErrorKind;

    const GOOD: &str = r#"
id: t
version: 1
title: {zh: 测评表, en: test}
scales:
  sat:
    options:
      - {code: 1, zh: 满意, score: 100, satisfied: true}
      - {code: "2", zh: 不满意, score: 0}
      - {code: "9", zh: 不了解, abstain: true}
dimensions:
  - {id: integrity, zh: 廉政建设}
  - {id: lawful, weight: 2}
items:
  - {id: a, dimension: integrity, scale: sat, zh: 甲}
  - {id: b, dimension: lawful, scale: sat, weight: 3, en: B}
"#;

    fn problems(text: &str) -> Vec<String> {
        match Survey::from_yaml(text, Path::new("s.yaml")).unwrap_err().into_kind() {
            ErrorKind::Invalid { problems, .. } => problems.into_iter().map(|p| p.to_string()).collect(),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn loads_with_defaults_and_indices() {
        let s = Survey::from_yaml(GOOD, Path::new("s.yaml")).unwrap();
        assert_eq!(s.version, "1");
        assert_eq!(s.scales[0].options[0].code, "1", "an unquoted code reads as text");
        assert_eq!(s.scales[0].options[2].score, None);
        assert_eq!(s.dimensions[0].weight, 1.0);
        assert_eq!(s.dimensions[1].items, vec![1]);
        assert_eq!(s.items[1].weight, 3.0);
        assert_eq!(s.scale_of(0).option_index("9"), Some(2));
    }

    #[test]
    fn every_problem_is_listed_with_its_field() {
        let bad = GOOD
            .replace("scale: sat, zh: 甲", "scale: nope, zh: 甲")
            .replace("score: 0}", "score: 120}")
            .replace("weight: 2}", "weight: 0}\n  - {id: empty}");
        let p = problems(&bad);
        assert!(
            p.iter().any(|m| m.starts_with("items[0].scale: unknown scale `nope`")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|m| m.starts_with("scales.sat.options[1].score: must be between 0 and 100")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|m| m.starts_with("dimensions[1].weight: must be a number > 0")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|m| m.starts_with("dimensions[2]: dimension `empty` has no items")),
            "{p:?}"
        );
    }

    #[test]
    fn duplicate_ids_and_scoreless_scales_are_errors() {
        let bad = GOOD
            .replace("{id: b,", "{id: a,")
            .replace("score: 100, satisfied: true", "abstain: true")
            .replace("score: 0}", "abstain: true}");
        let p = problems(&bad);
        assert!(p.iter().any(|m| m.contains("items[1].id: `a` is used twice")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("no scored option")), "{p:?}");
    }

    #[test]
    fn unknown_field_names_line_and_path() {
        let bad = GOOD.replace("weight: 3, en: B", "wieght: 3, en: B");
        let e = Survey::from_yaml(&bad, Path::new("s.yaml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("unknown field `wieght`"), "{msg}");
        assert!(msg.contains("items[1]"), "{msg}");
        assert_eq!(
            e.position().unwrap().line,
            Some(16),
            "line 1 is the empty line before `id: t`"
        );
    }
}
