//! Surveys and plans built in code, validated exactly as their YAML is.
//!
//! A builder writes the same document a person would write in YAML and hands it
//! to [`Survey::from_yaml`] / [`Plan::from_yaml`], so a plan built in code can
//! never skip a check the YAML loader makes (grade bands out of order, a quota that
//! cannot be met, an item on a scale that does not exist): [`SurveyBuilder::build`]
//! and [`PlanBuilder::build`] fail with the same problems, naming the same fields
//! (`groups[1].weight`). Typed methods cover the common fields; [`PlanBuilder::set`]
//! and [`SurveyBuilder::set`] reach any other field of SPEC §11 by its dotted path.
//!
//! ```
//! use appraise::rules::builder::{PlanBuilder, ScaleOption, SurveyBuilder};
//! # fn main() -> appraise::Result<()> {
//! let survey = SurveyBuilder::new("window", "窗口服务测评")
//!     .scale("sat", [ScaleOption::scored("1", "满意", 100.0, true), ScaleOption::scored("2", "不满意", 0.0, false)])
//!     .dimension("efficiency", "履职效率", 1.0)
//!     .item("eff1", "efficiency", "sat", "办事效率")
//!     .build()?;
//! let plan = PlanBuilder::new("window-2026", survey, "2026-01-01", "2026-12-31")
//!     .group("public", "群众代表", true, 1.0)
//!     .grade("good", "好", 80.0)
//!     .grade("poor", "差", 90.0) // out of order: refused, as in YAML
//!     .build();
//! assert!(plan.unwrap_err().to_string().contains("grades"));
//! # Ok(()) }
//! ```

use std::path::Path;

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use crate::error::{ErrorKind, Result};
use crate::rules::plan::Plan;
use crate::rules::schema::Survey;

/// The name built documents carry in messages.
const BUILT: &str = "<built in code>";

/// A YAML mapping being filled, with the first value that could not be turned
/// into YAML kept for `build` to report.
#[derive(Clone, Debug, Default)]
struct Doc {
    root: Mapping,
    failed: Option<String>,
}

impl Doc {
    fn value(&mut self, what: &str, v: impl Serialize) -> Value {
        serde_yaml::to_value(v).unwrap_or_else(|e| {
            self.failed.get_or_insert_with(|| format!("{what}: {e}"));
            Value::Null
        })
    }

    /// Sets the field at a dotted path (`panel.min_public_share`), making the
    /// mappings on the way.
    fn set(&mut self, path: &str, v: impl Serialize) {
        let v = self.value(path, v);
        let mut parts: Vec<&str> = path.split('.').collect();
        let Some(last) = parts.pop() else { return };
        let mut at = &mut self.root;
        for p in parts {
            let key = Value::from(p);
            if !matches!(at.get(&key), Some(Value::Mapping(_))) {
                at.insert(key.clone(), Value::Mapping(Mapping::new()));
            }
            match at.get_mut(&key) {
                Some(Value::Mapping(m)) => at = m,
                _ => return,
            }
        }
        at.insert(Value::from(last), v);
    }

    /// Appends to the list at a top-level key.
    fn push(&mut self, key: &str, v: Value) {
        let key = Value::from(key);
        match self.root.get_mut(&key) {
            Some(Value::Sequence(s)) => s.push(v),
            _ => {
                self.root.insert(key, Value::Sequence(vec![v]));
            }
        }
    }

    /// Inserts into the mapping at a top-level key.
    fn insert(&mut self, key: &str, name: &str, v: Value) {
        let key = Value::from(key);
        if !matches!(self.root.get(&key), Some(Value::Mapping(_))) {
            self.root.insert(key.clone(), Value::Mapping(Mapping::new()));
        }
        if let Some(Value::Mapping(m)) = self.root.get_mut(&key) {
            m.insert(Value::from(name), v);
        }
    }

    fn text(&self) -> Result<String> {
        if let Some(f) = &self.failed {
            return Err(ErrorKind::Usage(format!("a builder value is not expressible in YAML: {f}")).into());
        }
        serde_yaml::to_string(&self.root)
            .map_err(|e| ErrorKind::Usage(format!("could not write the built document: {e}")).into())
    }
}

/// A mapping of `(key, value)` pairs, for list entries.
fn entry(pairs: &[(&str, Value)]) -> Value {
    Value::Mapping(pairs.iter().map(|(k, v)| (Value::from(*k), v.clone())).collect())
}

/// One option of a scale: its code, label, and score (or abstention).
#[derive(Clone, Debug, PartialEq)]
pub struct ScaleOption {
    code: String,
    zh: String,
    score: Option<f64>,
    satisfied: bool,
}

impl ScaleOption {
    /// An option with a score (0–100); `satisfied` counts it in the satisfaction
    /// rate's numerator.
    pub fn scored(code: impl Into<String>, zh: impl Into<String>, score: f64, satisfied: bool) -> ScaleOption {
        ScaleOption {
            code: code.into(),
            zh: zh.into(),
            score: Some(score),
            satisfied,
        }
    }

    /// An abstention (不了解): counted, in no denominator.
    pub fn abstain(code: impl Into<String>, zh: impl Into<String>) -> ScaleOption {
        ScaleOption {
            code: code.into(),
            zh: zh.into(),
            score: None,
            satisfied: false,
        }
    }

    fn value(&self) -> Value {
        let mut pairs = vec![
            ("code", Value::from(self.code.as_str())),
            ("zh", Value::from(self.zh.as_str())),
        ];
        match self.score {
            Some(s) => {
                pairs.push(("score", Value::from(s)));
                if self.satisfied {
                    pairs.push(("satisfied", Value::from(true)));
                }
            }
            None => pairs.push(("abstain", Value::from(true))),
        }
        entry(&pairs)
    }
}

/// Builds a [`Survey`] (SPEC §11 `survey.yaml`) in code.
#[derive(Clone, Debug)]
pub struct SurveyBuilder {
    doc: Doc,
}

impl SurveyBuilder {
    /// A survey with this id and Chinese title, version 1.
    pub fn new(id: impl Into<String>, title_zh: impl Into<String>) -> SurveyBuilder {
        let mut doc = Doc::default();
        doc.set("id", id.into());
        doc.set("version", 1);
        doc.set("title.zh", title_zh.into());
        SurveyBuilder { doc }
    }

    /// Adds a scale with its options, in order.
    pub fn scale(mut self, id: &str, options: impl IntoIterator<Item = ScaleOption>) -> SurveyBuilder {
        let options: Vec<Value> = options.into_iter().map(|o| o.value()).collect();
        let v = entry(&[("options", Value::Sequence(options))]);
        self.doc.insert("scales", id, v);
        self
    }

    /// Adds a dimension with its weight.
    pub fn dimension(mut self, id: &str, zh: &str, weight: f64) -> SurveyBuilder {
        let v = entry(&[("id", id.into()), ("zh", zh.into()), ("weight", weight.into())]);
        self.doc.push("dimensions", v);
        self
    }

    /// Adds an item of weight 1 on a dimension and a scale (by id).
    pub fn item(mut self, id: &str, dimension: &str, scale: &str, zh: &str) -> SurveyBuilder {
        let v = entry(&[
            ("id", id.into()),
            ("dimension", dimension.into()),
            ("scale", scale.into()),
            ("zh", zh.into()),
        ]);
        self.doc.push("items", v);
        self
    }

    /// Sets any field by its dotted path (`title.en`, `version`).
    pub fn set(mut self, path: &str, value: impl Serialize) -> SurveyBuilder {
        self.doc.set(path, value);
        self
    }

    /// Validates the survey as its YAML would be validated.
    pub fn build(self) -> Result<Survey> {
        Survey::from_yaml(&self.doc.text()?, Path::new(BUILT))
    }
}

/// Builds a [`Plan`] (SPEC §11 `plan.yaml`) in code, on a survey.
#[derive(Clone, Debug)]
pub struct PlanBuilder {
    doc: Doc,
    survey: Survey,
}

impl PlanBuilder {
    /// A plan with this id on `survey`, for the period `start`–`end`
    /// (`YYYY-MM-DD`, both ends inclusive).
    pub fn new(id: impl Into<String>, survey: Survey, start: &str, end: &str) -> PlanBuilder {
        let mut doc = Doc::default();
        doc.set("id", id.into());
        doc.set("survey", format!("{}.survey.yaml", survey.id));
        doc.set("period.start", start);
        doc.set("period.end", end);
        PlanBuilder { doc, survey }
    }

    /// Adds a rater group (`public: true` for 群众代表) with its weight.
    pub fn group(mut self, id: &str, zh: &str, public: bool, weight: f64) -> PlanBuilder {
        let v = entry(&[
            ("id", id.into()),
            ("zh", zh.into()),
            ("public", public.into()),
            ("weight", weight.into()),
        ]);
        self.doc.push("groups", v);
        self
    }

    /// Adds a grade band (highest first): units at or above `min` get it.
    pub fn grade(mut self, id: &str, zh: &str, min: f64) -> PlanBuilder {
        let v = entry(&[("id", id.into()), ("zh", zh.into()), ("min", min.into())]);
        self.doc.push("grades", v);
        self
    }

    /// Adds a complaint category deducting `points` per counted complaint.
    pub fn category(mut self, id: &str, zh: &str, points: f64) -> PlanBuilder {
        let v = entry(&[("id", id.into()), ("zh", zh.into()), ("points", points.into())]);
        self.push_category(v);
        self
    }

    /// Adds a veto category (一票否决): one counted complaint disqualifies.
    pub fn veto_category(mut self, id: &str, zh: &str) -> PlanBuilder {
        let v = entry(&[("id", id.into()), ("zh", zh.into()), ("veto", true.into())]);
        self.push_category(v);
        self
    }

    fn push_category(&mut self, v: Value) {
        let key = Value::from("complaints");
        if !matches!(self.doc.root.get(&key), Some(Value::Mapping(_))) {
            self.doc.root.insert(key.clone(), Value::Mapping(Mapping::new()));
        }
        if let Some(Value::Mapping(m)) = self.doc.root.get_mut(&key) {
            let c = Value::from("categories");
            match m.get_mut(&c) {
                Some(Value::Sequence(s)) => s.push(v),
                _ => {
                    m.insert(c, Value::Sequence(vec![v]));
                }
            }
        }
    }

    /// Sets any field by its dotted path (`panel.min_public_share`,
    /// `ranking.decimals`, `scoring.group_weighting`).
    pub fn set(mut self, path: &str, value: impl Serialize) -> PlanBuilder {
        self.doc.set(path, value);
        self
    }

    /// Validates the plan as its YAML would be validated.
    pub fn build(self) -> Result<Plan> {
        Plan::from_yaml(&self.doc.text()?, Path::new(BUILT), self.survey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey() -> Survey {
        SurveyBuilder::new("s", "测评")
            .scale(
                "sat",
                [
                    ScaleOption::scored("1", "满意", 100.0, true),
                    ScaleOption::scored("3", "不满意", 0.0, false),
                    ScaleOption::abstain("9", "不了解"),
                ],
            )
            .dimension("d1", "廉政建设", 1.0)
            .item("i1", "d1", "sat", "廉洁")
            .build()
            .expect("survey")
    }

    #[test]
    fn a_built_survey_equals_the_same_survey_from_yaml() {
        let yaml = serde_yaml::to_string(&survey()).expect("yaml");
        let back = Survey::from_yaml(&yaml, Path::new("s.yaml")).expect("reads back");
        assert_eq!(back, survey());
        assert_eq!(back.scale_of(0).options.len(), 3);
    }

    #[test]
    fn an_item_on_a_missing_scale_is_refused_by_name() {
        let e = SurveyBuilder::new("s", "测评")
            .scale("sat", [ScaleOption::scored("1", "满意", 100.0, true)])
            .dimension("d1", "廉政建设", 1.0)
            .item("i1", "d1", "five", "廉洁")
            .build()
            .expect_err("no scale `five`");
        assert!(e.to_string().contains("five"), "{e}");
    }

    #[test]
    fn a_built_plan_is_validated_and_round_trips() {
        let plan = PlanBuilder::new("p", survey(), "2026-01-01", "2026-06-30")
            .group("public", "群众代表", true, 1.0)
            .group("npc", "人大代表", false, 2.0)
            .veto_category("bribe", "索贿受贿")
            .category("late", "办事拖拉", 2.0)
            .set("ranking.decimals", 1)
            .build()
            .expect("plan");
        assert_eq!(plan.groups.len(), 2);
        assert_eq!(plan.ranking.decimals, 1);
        let yaml = serde_yaml::to_string(&plan).expect("yaml");
        let back = Plan::from_yaml(&yaml, Path::new(BUILT), survey()).expect("reads back");
        assert_eq!(back, plan);
        // A negative weight: the loader's own message, naming the field.
        let e = PlanBuilder::new("p", survey(), "2026-01-01", "2026-06-30")
            .group("public", "群众代表", true, -1.0)
            .build()
            .expect_err("negative weight");
        assert!(e.to_string().contains("groups[0].weight"), "{e}");
    }
}
