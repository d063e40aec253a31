//! The rules of one appraisal (评议方案): survey, period, rater groups, panel and
//! validity rules, complaint categories, grade bands, ranking (SPEC §3, §11).
//!
//! Every rule has the default the spec names, and every default can be changed in
//! the plan. Unknown fields are errors, so a misspelt rule (`min_publc_share`) is
//! caught instead of silently falling back to the default.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::input::fold::fold_width;
use crate::input::yaml;
use crate::input::yaml::Problems;
use crate::rules::schema::{Labels, Survey};

/// The appraisal period; both ends inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First day.
    pub start: Date,
    /// Last day.
    pub end: Date,
}

impl Period {
    /// Whether `d` lies in the period (both ends inclusive).
    pub fn contains(&self, d: Date) -> bool {
        self.start <= d && d <= self.end
    }

    /// A period as written on the command line: a calendar month `YYYY-MM` (the
    /// one run of a monthly ranking), or `YYYY-MM-DD..YYYY-MM-DD` (both ends
    /// inclusive). `None` when it is neither or ends before it starts.
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        if let Some((a, b)) = s.split_once("..") {
            let (start, end) = (parse_date(a.trim())?, parse_date(b.trim())?);
            return (start <= end).then_some(Period { start, end });
        }
        let start = parse_date(&format!("{s}-01"))?;
        Some(Period {
            start,
            end: start.last_of_month(),
        })
    }
}

/// A rater group (评议人类别).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    /// Id, as written in the ballots' `rater_group` column.
    pub id: String,
    /// Labels, e.g. 群众代表.
    pub labels: Labels,
    /// Whether the group counts as public (群众) for the panel rule.
    pub public: bool,
    /// Weight `W_g` under `group_weighting: weighted`.
    pub weight: f64,
    /// Quota: the group's valid ballots ÷ all valid ballots of a unit must reach it.
    pub min_share: Option<f64>,
    /// Whether the group's own results (composite, rate, valid ballots) are reported
    /// beside the combined ones, as 三满意 reports 群众, 基层 and 企业 separately.
    pub report: bool,
    /// A self-assessment group (自查自评, plan `self: true`; SPEC §15): its ballots
    /// are scored apart and never enter the public score, so a unit cannot raise
    /// its own result by rating itself.
    pub self_assessed: bool,
}

/// Staff points (驾照扣分制, SPEC §15): each staff member starts the cycle (the
/// plan's period) with `points` and loses `per_complaint` for every valid
/// complaint naming them; at 0 they are listed for 诫勉谈话.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaffRule {
    /// Points of a staff member at the start of the cycle (default 12).
    pub points: f64,
    /// Points lost per valid complaint naming the staff member (default 4).
    pub per_complaint: f64,
}

impl Default for StaffRule {
    fn default() -> Self {
        StaffRule {
            points: 12.0,
            per_complaint: 4.0,
        }
    }
}

/// Dynamic management of titles (摘牌, SPEC §15): a unit holding a title loses it
/// when vetoed or among the last `bottom_n` of the list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TitleRule {
    /// How far from the back of the list a titled unit loses its title (default:
    /// `ranking.bottom_n`).
    pub bottom_n: Option<u64>,
}

/// Self-assessment rules (自查自评, SPEC §15), used when a group is `self: true`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelfRule {
    /// A unit whose self score exceeds its public composite by more than this many
    /// points is listed in the report (default 5).
    pub max_gap: f64,
}

impl Default for SelfRule {
    fn default() -> Self {
        SelfRule { max_gap: 5.0 }
    }
}

/// Panel rule (SPEC §6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PanelRule {
    /// Minimum public share of valid ballots (default 0.70: 群众代表不得低于70%).
    pub min_public_share: f64,
    /// Minimum valid ballots for a unit to be ranked (default 10).
    pub min_valid_ballots: u64,
}

impl Default for PanelRule {
    fn default() -> Self {
        PanelRule {
            min_public_share: 0.7,
            min_valid_ballots: 10,
        }
    }
}

/// Rules for drawing rater panels (`appraise draw`, SPEC §13): the plan states how
/// many panels one candidate may sit on, so that a draw cannot quietly put the same
/// few people on every panel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DrawRules {
    /// Panels a candidate may sit on when the candidates file gives no `max_panels`
    /// for them (default 1: each candidate appraises one unit). 1 to 10⁶.
    pub max_panels_per_rater: u64,
}

impl Default for DrawRules {
    fn default() -> Self {
        DrawRules {
            max_panels_per_rater: 1,
        }
    }
}

/// Ballot validity rules (SPEC §5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Validity {
    /// A ballot with fewer answered items than this share of all items is rejected
    /// as `too_many_blank` (default 0.5: 超过半数未填为废票). Abstentions count as
    /// answered.
    pub min_answered_share: f64,
    /// With width folding off (`input: {fold_width: false}`), whether an answer code
    /// written with full-width digits (０–９, U+FF10–U+FF19) matches the code with
    /// the same ASCII digits, e.g. `１` is code `1` (default false). Only those ten
    /// characters are mapped, and only when the answer as written is not a code.
    /// With folding on (the default, SPEC §12) it changes nothing.
    pub fullwidth_digits: bool,
}

impl Default for Validity {
    fn default() -> Self {
        Validity {
            min_answered_share: 0.5,
            fullwidth_digits: false,
        }
    }
}

/// How tabular inputs are read (SPEC §12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputRules {
    /// Whether full-width ASCII characters (`１２３`, `ＡＢＣ`, `－`, U+FF01–U+FF5E,
    /// and the ideographic space) in ids, codes, labels, statuses and dates read
    /// from a file are read as their ASCII forms (default true).
    pub fold_width: bool,
}

impl Default for InputRules {
    fn default() -> Self {
        InputRules { fold_width: true }
    }
}

/// How item means combine rater groups (SPEC §7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupWeighting {
    /// All answers pooled: `M = Σ score·n / Σ A` (default).
    #[default]
    Pooled,
    /// Group means combined with the groups' weights: `M = Σ W_g·M_g / Σ W_g`.
    Weighted,
}

/// Scoring options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scoring {
    /// Pooled or weighted group combination.
    pub group_weighting: GroupWeighting,
}

/// A complaint category (投诉类别).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Category {
    /// Id, as written in the complaints' `category` column.
    pub id: String,
    /// Labels.
    pub labels: Labels,
    /// Points deducted per verified complaint in the period (default 0).
    pub points: f64,
    /// Whether a verified complaint disqualifies the unit (一票否决).
    pub veto: bool,
    /// Points added per verified record in the period (加分: a commendation, an
    /// award; default 0). A category adds or deducts, never both.
    pub bonus: f64,
}

/// Complaint rules (SPEC §8).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ComplaintRules {
    /// Cap on the total deduction (no cap when `None`).
    pub max_deduction: Option<f64>,
    /// Cap on the total bonus (no cap when `None`): with scores out of 100, a cap
    /// of 10 is the "base 100, at most 110" of SPEC §9.
    pub max_bonus: Option<f64>,
    /// Categories.
    pub categories: Vec<Category>,
}

/// A grade band (等次).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Grade {
    /// Id, written in `results.csv`.
    pub id: String,
    /// Labels, e.g. 优秀.
    pub labels: Labels,
    /// Lowest rounded final score that earns the band.
    pub min: f64,
    /// At most this share of ranked units (`floor(max_share × ranked)` places).
    pub max_share: Option<f64>,
    /// What `max_share` is a share of: all ranked units (default), or the ranked
    /// units of each department or of each kind, each filling its own places (先进 =
    /// top 30% of each category).
    pub share_of: ShareOf,
}

/// The units a grade quota is counted over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareOf {
    /// All ranked units.
    #[default]
    Ranked,
    /// The ranked units of the unit's department.
    Department,
    /// The ranked units of the unit's kind.
    Kind,
}

/// Ranking options (SPEC §9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ranking {
    /// Decimals of the published final score (default 2); ranks and grades use it.
    pub decimals: u32,
    /// Units flagged as the front of the list (前三; default 3).
    pub top_n: u64,
    /// Units flagged as the back of the list (后三; default 3).
    pub bottom_n: u64,
    /// The consecutive-period rule of a recurring campaign (SPEC §9), if any.
    pub consecutive: Option<Consecutive>,
}

/// A unit on the same side of the list `periods` periods running is marked (后三
/// two months running → 黄牌 / 约谈); see `score::history`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consecutive {
    /// Periods running, this one included (at least 2).
    pub periods: u32,
    /// Which side of the list: `top` (前N) or `bottom` (后N).
    pub side: Side,
    /// Chinese name of the mark, e.g. 黄牌.
    #[serde(default)]
    pub zh: String,
    /// English name of the mark, e.g. yellow card.
    #[serde(default)]
    pub en: String,
}

/// A side of the ranked list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The front (`top`, 前N).
    Top,
    /// The back (`bottom`, 后N).
    Bottom,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking {
            decimals: 2,
            top_n: 3,
            bottom_n: 3,
            consecutive: None,
        }
    }
}

/// The language of every output a person reads (`report.md`, `report.html`, the
/// console list): the plan's `language: zh|en`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Simplified Chinese (`zh-CN`).
    #[default]
    Zh,
    /// English (`en`).
    En,
}

impl Language {
    /// The value of the HTML `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Language::Zh => "zh-CN",
            Language::En => "en",
        }
    }

    /// The label of `labels` in this language, or the other one when it is empty.
    pub fn pick(self, labels: &Labels) -> &str {
        match self {
            Language::Zh => labels.text(),
            Language::En if labels.en.is_empty() => &labels.zh,
            Language::En => &labels.en,
        }
    }

    /// The first non-empty of `zh` and `en`, in this language's order.
    pub fn pick_str<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Language::Zh if !zh.is_empty() => zh,
            Language::En if en.is_empty() => zh,
            Language::En => en,
            Language::Zh => en,
        }
    }
}

/// A validated plan, with its survey loaded.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Plan {
    /// Id, e.g. `caidian-2010`.
    pub id: String,
    /// The plan file (for messages).
    pub path: PathBuf,
    /// The survey file, resolved relative to the plan.
    pub survey_path: PathBuf,
    /// The questionnaire.
    pub survey: Survey,
    /// The appraisal period.
    pub period: Period,
    /// Rater groups, in file order.
    pub groups: Vec<Group>,
    /// Panel rule.
    pub panel: PanelRule,
    /// Ballot validity rules.
    pub validity: Validity,
    /// Panel drawing rules (`appraise draw`, SPEC §13).
    pub draw: DrawRules,
    /// How tabular inputs are read (width folding, SPEC §12).
    pub input: InputRules,
    /// Scoring options.
    pub scoring: Scoring,
    /// Complaint categories and cap.
    pub complaints: ComplaintRules,
    /// Grade bands, highest first.
    pub grades: Vec<Grade>,
    /// Ranking options.
    pub ranking: Ranking,
    /// Units listed with status `excluded` (e.g. last year's winners).
    pub exclude: Vec<String>,
    /// Majority verdict, when the plan asks for one.
    pub verdict: Option<Verdict>,
    /// Designations given beside the ranking (红旗窗口, 群众满意站所), in plan order.
    pub awards: Vec<Award>,
    /// The language of the outputs people read (default: `zh` when the survey's
    /// title has a Chinese label, else `en`).
    pub language: Language,
    /// Staff points (驾照扣分制), when the plan has a `staff:` rule (SPEC §15).
    pub staff: Option<StaffRule>,
    /// Title review (摘牌), when the plan has a `titles:` rule (SPEC §15).
    pub titles: Option<TitleRule>,
    /// Self-assessment threshold (`self_assessment:`), read when a group is `self: true`.
    pub self_assessment: SelfRule,
    /// Score components and deadline ledgers (SPEC §14); empty by default.
    pub ledgers: crate::rules::components::LedgerRules,
    /// The YAML the plan was validated from (what `Serialize` writes).
    source: crate::rules::origin::Origin,
}

impl Serialize for Plan {
    /// Writes the plan as the YAML it was validated from (its `survey:` path as
    /// written), so that [`Plan::from_yaml`] with the same survey reads back the
    /// same plan.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serde_yaml::from_str::<serde_yaml::Value>(&self.source.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

/// One level of a majority verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictLevel {
    /// Id, written in `results.csv`.
    pub id: String,
    /// Chinese label.
    #[serde(default)]
    pub zh: String,
    /// English label.
    #[serde(default)]
    pub en: String,
    /// Option codes whose answers count toward the level (cumulative: 基本满意 counts
    /// 满意 too).
    #[serde(default, deserialize_with = "yaml::scalar_strings")]
    pub codes: Vec<String>,
}

/// Majority verdict (SPEC §9): the first level whose codes take more than half of
/// a unit's scored answers, else `otherwise` — 满意 when 满意 answers exceed half;
/// else 基本满意 when 满意 + 基本满意 exceed half; else 不满意.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Levels, best first.
    pub levels: Vec<VerdictLevel>,
    /// The verdict when no level has a majority.
    pub otherwise: VerdictLevel,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    #[serde(deserialize_with = "yaml::scalar_string")]
    id: String,
    survey: String,
    period: RawPeriod,
    groups: Vec<RawGroup>,
    #[serde(default)]
    panel: PanelRule,
    #[serde(default)]
    validity: Validity,
    #[serde(default)]
    draw: DrawRules,
    #[serde(default)]
    input: InputRules,
    #[serde(default)]
    scoring: Scoring,
    #[serde(default)]
    complaints: RawComplaints,
    grades: Option<Vec<RawGrade>>,
    #[serde(default)]
    ranking: Ranking,
    #[serde(default, deserialize_with = "yaml::scalar_strings")]
    exclude: Vec<String>,
    verdict: Option<Verdict>,
    #[serde(default)]
    awards: Vec<Award>,
    language: Option<Language>,
    staff: Option<StaffRule>,
    titles: Option<TitleRule>,
    self_assessment: Option<SelfRule>,
    components: Option<Vec<crate::rules::components::RawComponent>>,
    tickets: Option<crate::rules::components::TicketRules>,
    rectifications: Option<crate::rules::components::RectificationRules>,
    commitments: Option<crate::rules::components::CommitmentRules>,
}

/// A designation given to the first ranked units that meet its conditions (红旗窗口
/// each month beside 前三/后三): not a grade band, so a unit can be both 前三 and
/// 红旗. See `score::rank::awards`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Award {
    /// Id, written in `results.csv`'s `awards` column.
    #[serde(deserialize_with = "yaml::scalar_string")]
    pub id: String,
    /// Chinese name, e.g. 红旗窗口.
    #[serde(default)]
    pub zh: String,
    /// English name.
    #[serde(default)]
    pub en: String,
    /// How many units, in listing order (a unit tied in rank with the last one
    /// also gets it).
    pub count: u64,
    /// Lowest satisfaction rate (0–1), if any.
    pub min_rate: Option<f64>,
    /// Lowest final score (on the published, rounded figure), if any.
    pub min_final: Option<f64>,
    /// Most verified complaints in the period, if limited (0: none at all).
    pub max_complaints: Option<u64>,
    /// Only units of these roster kinds receive it (SPEC §15: 群众满意基层站所,
    /// 含服务窗口, and 群众满意科室 are chosen apart, each among its own kinds); the
    /// count is then taken in listing order among those units. Empty: every kind.
    #[serde(
        default,
        deserialize_with = "yaml::scalar_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub kinds: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    #[serde(deserialize_with = "yaml::scalar_string")]
    start: String,
    #[serde(deserialize_with = "yaml::scalar_string")]
    end: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    #[serde(deserialize_with = "yaml::scalar_string")]
    id: String,
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
    #[serde(default)]
    public: bool,
    #[serde(default = "one")]
    weight: f64,
    min_share: Option<f64>,
    #[serde(default)]
    report: bool,
    #[serde(default, rename = "self")]
    self_assessed: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawComplaints {
    max_deduction: Option<f64>,
    max_bonus: Option<f64>,
    #[serde(default)]
    categories: Vec<RawCategory>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    #[serde(deserialize_with = "yaml::scalar_string")]
    id: String,
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
    points: Option<f64>,
    #[serde(default)]
    veto: bool,
    bonus: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrade {
    #[serde(deserialize_with = "yaml::scalar_string")]
    id: String,
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
    min: f64,
    max_share: Option<f64>,
    #[serde(default)]
    share_of: ShareOf,
}

fn one() -> f64 {
    1.0
}

/// Checks the rules of SPEC §15: staff points, title review, self-assessment
/// groups and awards restricted to a kind.
fn check_people(raw: &RawPlan, p: &mut Problems) {
    if let Some(s) = &raw.staff {
        p.positive("staff.points", s.points);
        p.points("staff.points", s.points);
        p.positive("staff.per_complaint", s.per_complaint);
        p.points("staff.per_complaint", s.per_complaint);
    }
    if let Some(n) = raw.titles.as_ref().and_then(|t| t.bottom_n)
        && n > yaml::MAX_LIST
    {
        p.push("titles.bottom_n", format!("at most {}, found {n}", yaml::MAX_LIST));
    }
    if let Some(s) = &raw.self_assessment {
        p.points("self_assessment.max_gap", s.max_gap);
        if !raw.groups.iter().any(|g| g.self_assessed) {
            p.push(
                "self_assessment",
                "no group is `self: true`; mark the self-assessment group or drop this block",
            );
        }
    }
    for (k, g) in raw.groups.iter().enumerate() {
        if !g.self_assessed {
            continue;
        }
        let field = format!("groups[{k}].self");
        if g.public {
            p.push(
                field.clone(),
                "a self-assessment group cannot be `public: true`: a unit rating itself is not the public",
            );
        }
        if g.min_share.is_some() {
            p.push(
                field.clone(),
                "a self-assessment group is scored apart, so it cannot carry a panel quota (min_share)",
            );
        }
        if g.report {
            p.push(
                field,
                "a self-assessment group is reported in its own columns (self_composite, self_gap); drop `report: true`",
            );
        }
    }
    if !raw.groups.is_empty() && raw.groups.iter().all(|g| g.self_assessed) {
        p.push(
            "groups",
            "every group is `self: true`; at least one group must rate the units from outside",
        );
    }
    for (k, a) in raw.awards.iter().enumerate() {
        if a.kinds.iter().any(|x| x.trim().is_empty()) {
            p.push(
                format!("awards[{k}].kinds"),
                "must not hold an empty kind; give roster kinds or drop it",
            );
        }
    }
}

/// The default grade bands: 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, else 不合格.
pub fn default_grades() -> Vec<Grade> {
    [
        ("excellent", "优秀", 90.0),
        ("good", "良好", 80.0),
        ("pass", "合格", 60.0),
        ("fail", "不合格", 0.0),
    ]
    .into_iter()
    .map(|(id, zh, min)| Grade {
        id: id.into(),
        labels: Labels {
            zh: zh.into(),
            en: id.into(),
        },
        min,
        max_share: None,
        share_of: ShareOf::Ranked,
    })
    .collect()
}

/// Parses a date written exactly as `YYYY-MM-DD` (a real calendar day).
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(k, c)| k == 4 || k == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    let y: i16 = s[0..4].parse().ok()?;
    let m: i8 = s[5..7].parse().ok()?;
    let d: i8 = s[8..10].parse().ok()?;
    Date::new(y, m, d).ok()
}

impl Plan {
    /// Whether a complaint category adds points (then `results.csv` has a `bonus`
    /// column and the final score is `max(0, C − X + B)`).
    pub fn has_bonus(&self) -> bool {
        self.complaints.categories.iter().any(|c| c.bonus > 0.0)
    }

    /// Whether a group is `self: true` (SPEC §15): then `results.csv` has the
    /// columns `self_ballots`, `self_composite` and `self_gap`.
    pub fn has_self(&self) -> bool {
        self.groups.iter().any(|g| g.self_assessed)
    }

    /// The back-of-list depth of the title review: `titles.bottom_n`, else
    /// `ranking.bottom_n` (SPEC §15).
    pub fn title_bottom_n(&self) -> u64 {
        self.titles
            .as_ref()
            .and_then(|t| t.bottom_n)
            .unwrap_or(self.ranking.bottom_n)
    }

    /// Loads a plan file and the survey it names (relative to the plan's folder),
    /// validating both.
    ///
    /// ```
    /// let plan = appraise::Plan::load("surveys/caidian-2010.plan.yaml".as_ref())?;
    /// assert_eq!(plan.survey.id, "caidian-2010");
    /// # Ok::<(), appraise::Error>(())
    /// ```
    pub fn load(path: &Path) -> Result<Plan> {
        let text = yaml::read(path)?;
        let raw: RawPlan = yaml::parse(&text, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let survey_path = base.join(&raw.survey);
        if !survey_path.is_file() {
            return Err(ErrorKind::Invalid {
                path: path.to_path_buf(),
                what: "plan",
                problems: vec![crate::error::Problem {
                    field: "survey".into(),
                    message: format!(
                        "survey file `{}` does not exist; the path is relative to the plan's folder",
                        survey_path.display()
                    ),
                }],
            }
            .into());
        }
        let survey = Survey::load(&survey_path)?;
        Plan::build(raw, &text, path, survey_path, survey)
    }

    /// Parses and validates plan YAML with an already loaded survey (used for
    /// embedded example data); `path` names the plan in errors.
    ///
    /// ```
    /// let (plan, _) = appraise::demo::campaign()?;
    /// let text = "id: p\nsurvey: s.yaml\nperiod: {start: 2026-01-01, end: 2026-12-31}\ngroups: [{id: public, public: true}]\n";
    /// let mine = appraise::Plan::from_yaml(text, "p.yaml".as_ref(), plan.survey.clone())?;
    /// assert_eq!(mine.groups[0].id, "public");
    /// # Ok::<(), appraise::Error>(())
    /// ```
    pub fn from_yaml(text: &str, path: &Path, survey: Survey) -> Result<Plan> {
        let raw: RawPlan = yaml::parse(text, path)?;
        let survey_path = path.parent().unwrap_or(Path::new(".")).join(&raw.survey);
        Plan::build(raw, text, path, survey_path, survey)
    }

    fn build(raw: RawPlan, text: &str, path: &Path, survey_path: PathBuf, survey: Survey) -> Result<Plan> {
        let mut p = Problems::default();
        if raw.id.trim().is_empty() {
            p.push("id", "must not be empty");
        }
        let start = parse_date(raw.period.start.trim());
        let end = parse_date(raw.period.end.trim());
        if start.is_none() {
            p.push(
                "period.start",
                format!("`{}` is not a date YYYY-MM-DD", raw.period.start),
            );
        }
        if end.is_none() {
            p.push("period.end", format!("`{}` is not a date YYYY-MM-DD", raw.period.end));
        }
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            p.push("period", format!("starts ({s}) after it ends ({e})"));
        }

        let mut ids = HashSet::new();
        if raw.groups.is_empty() {
            p.push("groups", "no rater group defined");
        }
        let mut quota_sum = 0.0;
        let mut quota_private = 0.0;
        for (k, g) in raw.groups.iter().enumerate() {
            p.id(format!("groups[{k}].id"), &g.id, &mut ids);
            p.positive(format!("groups[{k}].weight"), g.weight);
            if let Some(s) = g.min_share {
                p.share(format!("groups[{k}].min_share"), s);
                quota_sum += s;
                if !g.public {
                    quota_private += s;
                }
            }
        }
        let panel = &raw.panel;
        p.share("panel.min_public_share", panel.min_public_share);
        if quota_sum > 1.0 + 1e-12 {
            p.push(
                "groups",
                format!("the groups' min_share quotas add up to {quota_sum} > 1; no panel can meet them"),
            );
        }
        if quota_private + panel.min_public_share > 1.0 + 1e-12 {
            p.push(
                "groups",
                format!(
                    "quotas of non-public groups ({quota_private}) plus panel.min_public_share ({}) exceed 1; no panel can meet them",
                    panel.min_public_share
                ),
            );
        }
        if panel.min_public_share > 0.0 && !raw.groups.iter().any(|g| g.public) {
            p.push(
                "groups",
                "no group is `public: true`, so panel.min_public_share can never be met",
            );
        }
        p.share("validity.min_answered_share", raw.validity.min_answered_share);
        check_people(&raw, &mut p);
        let most = raw.draw.max_panels_per_rater;
        if !(1..=yaml::MAX_LIST).contains(&most) {
            p.push(
                "draw.max_panels_per_rater",
                format!(
                    "must be a whole number from 1 to {}, found {most}; it is how many panels one candidate may sit on",
                    yaml::MAX_LIST
                ),
            );
        }

        let mut cats = Vec::new();
        let mut ids = HashSet::new();
        if let Some(m) = raw.complaints.max_deduction {
            p.points("complaints.max_deduction", m);
        }
        if let Some(m) = raw.complaints.max_bonus {
            p.points("complaints.max_bonus", m);
        }
        for (k, c) in raw.complaints.categories.iter().enumerate() {
            p.id(format!("complaints.categories[{k}].id"), &c.id, &mut ids);
            let points = c.points.unwrap_or(0.0);
            p.points(format!("complaints.categories[{k}].points"), points);
            let bonus = c.bonus.unwrap_or(0.0);
            if !(bonus.is_finite() && (0.0..=yaml::MAX_POINTS).contains(&bonus)) {
                p.points(format!("complaints.categories[{k}].bonus"), bonus);
            } else if bonus > 0.0 && (points > 0.0 || c.veto) {
                p.push(
                    format!("complaints.categories[{k}].bonus"),
                    "a category adds points (bonus) or deducts them (points, veto), not both; split it in two",
                );
            }
            cats.push(Category {
                id: c.id.clone(),
                labels: Labels {
                    zh: c.zh.clone(),
                    en: c.en.clone(),
                },
                points,
                veto: c.veto,
                bonus,
            });
        }

        let grades = match raw.grades {
            None => default_grades(),
            Some(gs) => {
                let mut ids = HashSet::new();
                if gs.is_empty() {
                    p.push("grades", "no grade band; leave `grades` out for the defaults");
                }
                for (k, g) in gs.iter().enumerate() {
                    p.id(format!("grades[{k}].id"), &g.id, &mut ids);
                    if !(g.min.is_finite() && g.min.abs() <= yaml::MAX_POINTS) {
                        p.push(
                            format!("grades[{k}].min"),
                            format!("must be a number between −{0} and {0}", yaml::MAX_POINTS),
                        );
                    }
                    if k > 0 && g.min >= gs[k - 1].min {
                        p.push(
                            format!("grades[{k}].min"),
                            format!(
                                "bands must be listed highest first: {} is not below {}",
                                g.min,
                                gs[k - 1].min
                            ),
                        );
                    }
                    if g.share_of != ShareOf::Ranked && g.max_share.is_none() {
                        p.push(
                            format!("grades[{k}].share_of"),
                            "says what max_share is a share of, but the band has no max_share; add one or drop share_of",
                        );
                    }
                    if let Some(s) = g.max_share {
                        p.share(format!("grades[{k}].max_share"), s);
                        if k + 1 == gs.len() {
                            p.push(
                                format!("grades[{k}].max_share"),
                                "the lowest band takes every unit the others leave; it cannot carry a quota",
                            );
                        }
                    }
                }
                gs.into_iter()
                    .map(|g| Grade {
                        id: g.id,
                        labels: Labels { zh: g.zh, en: g.en },
                        min: g.min,
                        max_share: g.max_share,
                        share_of: g.share_of,
                    })
                    .collect()
            }
        };
        if let Some(c) = &raw.ranking.consecutive
            && c.periods < 2
        {
            p.push(
                "ranking.consecutive.periods",
                format!(
                    "at least 2 periods running (this one and an earlier one), found {}",
                    c.periods
                ),
            );
        }
        for (field, n) in [
            ("ranking.top_n", raw.ranking.top_n),
            ("ranking.bottom_n", raw.ranking.bottom_n),
        ] {
            if n > yaml::MAX_LIST {
                p.push(field, format!("at most {}, found {n}", yaml::MAX_LIST));
            }
        }
        if raw.ranking.decimals > 9 {
            p.push("ranking.decimals", format!("at most 9, found {}", raw.ranking.decimals));
        }
        if let Some(v) = &raw.verdict {
            if v.levels.is_empty() {
                p.push("verdict.levels", "no level; give at least one, best first");
            }
            let codes: HashSet<&str> = survey
                .scales
                .iter()
                .flat_map(|s| s.options.iter().filter(|o| o.score.is_some()).map(|o| o.code.as_str()))
                .collect();
            for (k, l) in v.levels.iter().enumerate() {
                if l.codes.is_empty() {
                    p.push(
                        format!("verdict.levels[{k}].codes"),
                        "no code; list the option codes that count",
                    );
                }
                for c in &l.codes {
                    if !codes.contains(c.as_str()) {
                        p.push(
                            format!("verdict.levels[{k}].codes"),
                            format!("`{c}` is not a scored option code of any scale"),
                        );
                    }
                }
            }
        }
        let mut award_ids = HashSet::new();
        for (k, a) in raw.awards.iter().enumerate() {
            p.id(format!("awards[{k}].id"), &a.id, &mut award_ids);
            if let Some(r) = a.min_rate {
                p.share(format!("awards[{k}].min_rate"), r);
            }
            if a.min_final
                .is_some_and(|f| !(f.is_finite() && f.abs() <= yaml::MAX_POINTS))
            {
                p.push(
                    format!("awards[{k}].min_final"),
                    format!("must be a number between −{0} and {0}", yaml::MAX_POINTS),
                );
            }
        }
        let mut ex = HashSet::new();
        for (k, u) in raw.exclude.iter().enumerate() {
            if u.trim().is_empty() {
                p.push(format!("exclude[{k}]"), "must not be empty");
            } else if !ex.insert(u.trim()) {
                p.push(format!("exclude[{k}]"), format!("`{u}` is listed twice"));
            }
        }
        {
            let groups: Vec<(&str, Labels)> = raw
                .groups
                .iter()
                .map(|g| {
                    (
                        g.id.as_str(),
                        Labels {
                            zh: g.zh.clone(),
                            en: g.en.clone(),
                        },
                    )
                })
                .collect();
            let entries: Vec<(&str, &Labels)> = groups.iter().map(|(i, l)| (*i, l)).collect();
            for m in crate::rules::schema::label_clashes("group", &entries) {
                p.push("groups", m);
            }
            let cats_l: Vec<(&str, &Labels)> = cats.iter().map(|c: &Category| (c.id.as_str(), &c.labels)).collect();
            for m in crate::rules::schema::label_clashes("category", &cats_l) {
                p.push("complaints.categories", m);
            }
        }
        let ledgers = crate::rules::components::validate(
            raw.components,
            raw.tickets,
            raw.rectifications,
            raw.commitments,
            &mut p,
        );
        let (Some(start), Some(end)) = (start, end) else {
            // Both problems are already in the list, so this returns Err.
            p.finish(path, "plan")?;
            return Err(crate::error::Error::input(
                crate::error::Position::file(path),
                "period is not valid",
            ));
        };
        p.finish(path, "plan")?;
        let survey_title_zh = !survey.title.zh.trim().is_empty();
        Ok(Plan {
            source: crate::rules::origin::Origin(text.to_string()),
            id: raw.id,
            path: path.to_path_buf(),
            survey_path,
            survey,
            period: Period { start, end },
            groups: raw
                .groups
                .into_iter()
                .map(|g| Group {
                    id: g.id,
                    labels: Labels { zh: g.zh, en: g.en },
                    public: g.public,
                    weight: g.weight,
                    min_share: g.min_share,
                    report: g.report,
                    self_assessed: g.self_assessed,
                })
                .collect(),
            panel: raw.panel,
            validity: raw.validity,
            draw: raw.draw,
            input: raw.input,
            scoring: raw.scoring,
            complaints: ComplaintRules {
                max_deduction: raw.complaints.max_deduction,
                max_bonus: raw.complaints.max_bonus,
                categories: cats,
            },
            grades,
            ranking: raw.ranking,
            exclude: raw.exclude.into_iter().map(|u| u.trim().to_string()).collect(),
            verdict: raw.verdict,
            awards: raw.awards,
            language: raw
                .language
                .unwrap_or(if survey_title_zh { Language::Zh } else { Language::En }),
            staff: raw.staff,
            titles: raw.titles,
            self_assessment: raw.self_assessment.unwrap_or_default(),
            ledgers,
        })
    }

    /// The index of the group with this id.
    pub fn group_index(&self, id: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.id == id)
    }

    /// The index of the complaint category with this id.
    pub fn category_index(&self, id: &str) -> Option<usize> {
        self.complaints.categories.iter().position(|c| c.id == id)
    }

    /// `s` width-folded when the plan folds (`input.fold_width`, SPEC §12), else as it is.
    pub fn fold<'a>(&self, s: &'a str) -> std::borrow::Cow<'a, str> {
        if self.input.fold_width {
            fold_width(s)
        } else {
            std::borrow::Cow::Borrowed(s)
        }
    }

    /// The group a `rater_group` cell (trimmed) stands for: its id as written, the
    /// id after width folding, or a group's `zh`/`en` label (SPEC §12).
    pub fn group_by_value(&self, value: &str) -> Option<usize> {
        self.by_value(value, |v| self.group_index(v), self.groups.iter().map(|g| &g.labels))
    }

    /// The category a `category` cell (trimmed) stands for: its id, folded id or label.
    pub fn category_by_value(&self, value: &str) -> Option<usize> {
        self.by_value(
            value,
            |v| self.category_index(v),
            self.complaints.categories.iter().map(|c| &c.labels),
        )
    }

    /// The one lookup rule of SPEC §12 for an id cell: the id as written, the id
    /// after width folding, then the first entry whose label matches.
    fn by_value<'a>(
        &self,
        value: &str,
        index: impl Fn(&str) -> Option<usize>,
        labels: impl Iterator<Item = &'a Labels>,
    ) -> Option<usize> {
        if let Some(k) = index(value) {
            return Some(k);
        }
        let v = self.fold(value);
        index(&v).or_else(|| {
            let mut labels = labels;
            labels.position(|l| l.matches(&v, self.input.fold_width))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_from_the_command_line() {
        let p = |s: &str| Period::parse(s).map(|p| (p.start.to_string(), p.end.to_string()));
        // A month runs from its 1st to its last day: February 2016 has 29.
        assert_eq!(p("2015-05"), Some(("2015-05-01".into(), "2015-05-31".into())));
        assert_eq!(p("2016-02"), Some(("2016-02-01".into(), "2016-02-29".into())));
        assert_eq!(p("2015-02"), Some(("2015-02-01".into(), "2015-02-28".into())));
        assert_eq!(
            p("2015-01-10..2015-03-31"),
            Some(("2015-01-10".into(), "2015-03-31".into()))
        );
        assert_eq!(p("2015-13"), None);
        assert_eq!(p("2015-5"), None);
        assert_eq!(p("2015-03-31..2015-01-10"), None);
    }

    fn survey() -> Survey {
        Survey::from_yaml(
            "id: s\nscales: {sat: {options: [{code: 1, score: 100}]}}\ndimensions: [{id: d}]\nitems: [{id: a, dimension: d, scale: sat, zh: 甲}]\n",
            Path::new("s.yaml"),
        )
        .unwrap()
    }

    const MIN: &str =
        "id: p\nsurvey: s.yaml\nperiod: {start: 2010-01-01, end: 2010-12-31}\ngroups: [{id: public, public: true}]\n";

    fn problems(text: &str) -> Vec<String> {
        match Plan::from_yaml(text, Path::new("p.yaml"), survey())
            .unwrap_err()
            .into_kind()
        {
            ErrorKind::Invalid { problems, .. } => problems.into_iter().map(|p| p.to_string()).collect(),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn defaults_follow_the_spec() {
        let p = Plan::from_yaml(MIN, Path::new("p.yaml"), survey()).unwrap();
        assert_eq!(
            p.panel,
            PanelRule {
                min_public_share: 0.7,
                min_valid_ballots: 10
            }
        );
        assert_eq!(p.validity.min_answered_share, 0.5);
        assert_eq!(p.scoring.group_weighting, GroupWeighting::Pooled);
        assert_eq!(
            p.ranking,
            Ranking {
                decimals: 2,
                top_n: 3,
                bottom_n: 3,
                consecutive: None,
            }
        );
        assert_eq!(
            p.grades.iter().map(|g| g.min).collect::<Vec<_>>(),
            vec![90.0, 80.0, 60.0, 0.0]
        );
        assert_eq!(p.complaints.max_deduction, None);
        assert_eq!(p.groups[0].weight, 1.0);
        assert!(p.period.contains(Date::constant(2010, 12, 31)));
        assert!(!p.period.contains(Date::constant(2011, 1, 1)));
    }

    #[test]
    fn impossible_rules_are_errors() {
        let text = MIN
            .replace("2010-12-31", "2009-12-31")
            .replace("public: true}", "public: false, min_share: 0.5}")
            + "grades: [{id: a, min: 60}, {id: b, min: 80}]\n";
        let p = problems(&text);
        assert!(p.iter().any(|m| m.starts_with("period: starts")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("no group is `public: true`")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("exceed 1")), "{p:?}");
        assert!(
            p.iter()
                .any(|m| m.starts_with("grades[1].min: bands must be listed highest first")),
            "{p:?}"
        );
    }

    #[test]
    fn misspelt_rule_is_an_error() {
        let e = Plan::from_yaml(
            &format!("{MIN}panel: {{min_publc_share: 0.6}}\n"),
            Path::new("p.yaml"),
            survey(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `min_publc_share`"), "{e}");
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(parse_date("2010-02-28"), Some(Date::constant(2010, 2, 28)));
        assert_eq!(parse_date("2010-02-29"), None);
        assert_eq!(parse_date("2012-02-29"), Some(Date::constant(2012, 2, 29)));
        assert_eq!(parse_date("2010-6-15"), None);
        assert_eq!(parse_date("2010/06/15"), None);
        assert_eq!(parse_date("２010-06-15"), None);
    }
}
