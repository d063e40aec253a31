//! The one table of user-facing labels, Chinese and English, for every human
//! output (`report.html`, `report.md`, the console list; spreadsheet headers
//! later). Terms follow the source documents: 排名, 综合得分, 满意率,
//! 一票否决, 前三/后三, 有效票/无效票, 公示名单 …
//!
//! Use [`label`] for a fixed label, [`front_mark`]/[`back_mark`] for the 前N/后N
//! marks, [`status_key`], [`reason_key`] and [`flag_key`] to label engine codes.

use crate::rules::plan::{Language, Plan};
use crate::score::flags::Flag;
use crate::score::result::{UnitResult, UnitStatus};

macro_rules! labels {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// A user-facing label. Each variant's doc shows its Chinese and English text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key {
            $(
                #[doc = concat!($zh, " / ", $en)]
                $key,
            )*
        }

        impl Key {
            /// Every key, in table order.
            pub const ALL: &'static [Key] = &[$(Key::$key),*];
        }

        /// The text of `key` in `lang`.
        pub fn label(lang: Language, key: Key) -> &'static str {
            match key {
                $(Key::$key => match lang {
                    Language::Zh => $zh,
                    Language::En => $en,
                },)*
            }
        }
    };
}

labels! {
    // Sections.
    Overview => "测评概况", "Overview";
    Attention => "需要关注", "Needs attention";
    PublicList => "公示名单", "Published list";
    Charts => "图表", "Charts";
    Scorecards => "单位评分卡", "Unit scorecards";
    MethodsAndQuality => "计算方法与数据质量", "Methods and data quality";
    Methods => "计算方法", "Methods";
    DataQuality => "数据质量", "Data quality";
    Contents => "目录", "Contents";
    // The campaign.
    Campaign => "测评活动", "Campaign";
    Period => "评议期间", "Period";
    GeneratedFrom => "数据来源", "Source";
    UnitsRanked => "参与排名单位", "Units ranked";
    UnitsOnRoster => "名册单位", "Units on the roster";
    RankedOfRoster => "参与排名 / 名册", "Ranked / on the roster";
    Ballots => "测评票", "Ballots";
    BallotsRead => "收回测评票", "Ballots read";
    ValidBallots => "有效票", "Valid ballots";
    RejectedBallots => "无效票", "Rejected ballots";
    Unattributed => "无法对应单位的无效票", "Rejected naming no roster unit";
    Complaints => "投诉", "Complaints";
    ComplaintsRead => "受理投诉", "Complaints read";
    ComplaintsCounted => "查实计入", "Verified in period";
    ComplaintsDeducting => "扣分投诉", "Deducting";
    ComplaintsRejected => "无效记录", "Rejected rows";
    OutOfPeriod => "不在评议期内", "Out of period";
    Unverified => "未查实", "Unverified";
    Dismissed => "不予采信", "Dismissed";
    Accounting => "票数核对", "Accounting";
    // Table columns.
    Rank => "排名", "Rank";
    Unit => "单位", "Unit";
    UnitId => "单位编号", "Unit id";
    Department => "部门", "Department";
    Kind => "类别", "Kind";
    Status => "状态", "Status";
    CompositeScore => "综合得分", "Composite";
    FinalScore => "最终得分", "Final score";
    SatisfactionRate => "满意率", "Satisfaction rate";
    Deduction => "扣分", "Deduction";
    Bonus => "加分", "Bonus";
    Grade => "等次", "Grade";
    Marks => "标记", "Marks";
    Awards => "评选结果", "Awards";
    Veto => "一票否决", "Veto";
    WhyNotRanked => "未排名原因", "Why not ranked";
    Unranked => "未参与排名单位", "Units not ranked";
    DimensionScores => "分项得分", "Dimension scores";
    Dimension => "评议内容", "Dimension";
    Item => "测评项目", "Item";
    Answers => "有效回答", "Answers";
    Median => "全体中位数", "Campaign median";
    ConfidenceInterval => "95%置信区间", "95% interval";
    RankSet => "名次区间", "Rank range";
    Reliability => "信度 (Cronbach α)", "Reliability (Cronbach's α)";
    AlphaLow => "低于0.7", "below 0.7";
    RaterGroups => "评议人构成", "Rater groups";
    RaterGroup => "评议人类别", "Rater group";
    ItemRates => "各测评项目满意率", "Satisfaction by item";
    Share => "占比", "Share";
    Reason => "原因", "Reason";
    What => "项目", "What";
    BallotsUsed => "计算票数", "Ballots used";
    Code => "代码", "Code";
    Count => "数量", "Count";
    Total => "合计", "Total";
    Flags => "数据质量提示", "Data-quality flags";
    FlagsNote => "仅供核查，不影响得分和排名", "reported for checking; they change no score or rank";
    NoFlags => "无", "None";
    Method => "方法", "Method";
    Reference => "依据", "Reference";
    GradeBands => "等次标准", "Grade bands";
    Consecutive => "连续标记", "Consecutive mark";
    ComplaintsOfUnit => "查实投诉", "Verified complaints";
    // Score components and ledgers (SPEC §14).
    Components => "得分构成", "Score components";
    Component => "得分项", "Component";
    Weight => "权重", "Weight";
    ComponentSurvey => "满意度测评", "Survey";
    Ledgers => "办件、整改与承诺台帐", "Tickets, rectifications and commitments";
    Tickets => "办件", "Tickets";
    Rectifications => "差评整改", "Rectifications";
    Commitments => "承诺事项", "Commitments";
    TicketsRate => "按期办结率", "On-time rate";
    RectificationsRate => "整改率", "Rectification rate";
    CommitmentsRate => "践诺率", "Commitments kept";
    LedgerDue => "应办结", "Due";
    LedgerOnTime => "按期", "On time";
    LedgerLate => "超期办结", "Late";
    LedgerOpenOverdue => "逾期未办结", "Open, overdue";
    LedgerNotDue => "未到期", "Not yet due";
    LedgerOverdueList => "超期事项", "Late and overdue matters";
    DueDate => "期限", "Due";
    ClosedDate => "办结", "Closed";
    DaysOver => "超期天数", "Days over";
    LedgerRejects => "台帐无效记录", "Rejected ledger rows";
    RowsRead => "读入", "Rows read";
    // Charts.
    ChartFinal => "各单位最终得分及95%置信区间", "Final score of each unit with its 95% interval";
    ChartFinalNote => "圆点为最终得分，横线为综合得分的95%置信区间（有扣分或加分时，短竖线标出综合得分），右侧为名次区间（95%）；底色为等次分数段",
        "dot: final score; bar: 95% interval of the composite (a tick marks the composite when points were deducted or added); right: 95% rank range; shading: grade bands";
    ChartHeat => "分项得分热力图", "Dimension scores heat map";
    ChartHeatNote => "颜色越深得分越低；格内为得分", "darker is lower; each cell shows its score";
    ChartDept => "各部门满意率及95%置信区间", "Satisfaction rate by department with 95% intervals";
    ChartDeptNote => "Wilson区间；括号内为有效票数", "Wilson intervals; valid ballots in brackets";
    ChartDims => "分项得分与全体中位数", "Dimension scores against the campaign median";
    AxisScore => "得分", "Score";
    AxisRate => "满意率（%）", "Satisfaction rate (%)";
    Legend => "图例", "Legend";
    Ranks => "名次", "ranks";
    // Statuses.
    StatusRanked => "参与排名", "ranked";
    StatusVetoed => "一票否决", "vetoed";
    StatusPanelShort => "评议人构成不达标", "panel short";
    StatusTooFewBallots => "有效票不足", "too few ballots";
    StatusExcluded => "不参加本次评选", "excluded";
    StatusVoid => "回收票多于发出票，作废", "void";
    StatusIncomplete => "评分不完整", "incomplete";
    // Ballot reject reasons.
    ReasonMalformedRow => "格式错误", "malformed row";
    ReasonUnknownUnit => "单位不在名册", "unknown unit";
    ReasonUnknownGroup => "评议人类别未定义", "unknown rater group";
    ReasonBadCode => "选项代码无效", "bad answer code";
    ReasonTooManyBlank => "超过半数未填", "too many blank";
    ReasonDuplicate => "重复投票", "duplicate";
    ReasonConflictOfInterest => "评议本单位", "conflict of interest";
    // Data-quality flag kinds.
    FlagStraightLining => "整张测评票选同一选项", "straight-lining";
    FlagRepeatedPatterns => "雷同测评票过多", "repeated answer patterns";
    FlagUniformUnit => "测评结果异常一致", "unusually uniform answers";
    FlagRaterSpread => "同一评议人评议单位过多", "rater on too many units";
    // report.md and the console.
    PlanLine => "方案", "Plan";
    Survey => "测评表", "survey";
    Version => "版本", "version";
    RankAndDepartment => "部门排名", "Rank in department";
    FrontOfList => "排名靠前单位", "Front of the list";
    BackOfList => "排名靠后单位", "Back of the list";
    Ranking => "排名", "Ranking";
    UnitsCount => "个单位", " units";
    NoneQualified => "无单位符合条件", "none qualified";
    ConsecutiveMark => "连续标记", "Consecutive-period mark";
    ConsecutiveUndecided => "未判定：提供的往期结果不足（--previous）", "not decided: too few earlier results were given (--previous)";
    PeriodsRunning => "连续期数", "periods running";
    SideFront => "排名靠前", "front of the list";
    SideBack => "排名靠后", "back of the list";
    OnTheEvidence => "依据名次区间（95%，Mogstad 等 2023）", "On the evidence (95% rank sets, Mogstad et al. 2023)";
    Note => "说明", "note";
    FlagsReported => "条，仅供核查，不影响得分和排名", "; reported, not applied";
    AtMostShare => "至多占参与排名单位的", "at most this share of ranked units:";
    Units => "单位数", "units";
    // Attention list.
    AttentionVetoed => "一票否决单位", "Vetoed units";
    AttentionVoid => "回收票多于发出票的单位（作废，需重新测评）", "Void units (more ballots returned than issued; to be re-run)";
    AttentionAlpha => "信度低于0.7的评议内容", "Dimensions with Cronbach's alpha below 0.7";
    // Staff points, self-assessment, titles (SPEC §15).
    StaffPoints => "驾照式扣分", "Staff points";
    StaffTalk => "诫勉谈话名单", "Listed for a formal talk (诫勉谈话)";
    StaffId => "工作人员编号", "Staff id";
    StaffName => "姓名", "Name";
    StaffRule => "每人每周期分值", "points per person per cycle";
    PerComplaint => "每次有效投诉扣分", "per valid complaint";
    ValidComplaints => "有效投诉", "Valid complaints";
    PointsDeducted => "已扣分值", "Points deducted";
    PointsLeft => "剩余分值", "Points left";
    StaffListed => "名工作人员", " staff";
    SelfAssessment => "自查自评", "Self-assessment";
    SelfOver => "自评得分高于公众评价超过", "Self score above the public composite by more than";
    SelfScore => "自评得分", "Self score";
    SelfBallots => "自评票", "Self ballots";
    PublicComposite => "公众评价综合得分", "Public composite";
    Gap => "差距", "Gap";
    Titles => "动态管理（摘牌）", "Title review (摘牌)";
    Title => "称号", "Title";
    Since => "命名时间", "Since";
    TitleRemoved => "摘牌", "removed";
    TitleKept => "保留", "kept";
    TitleNotReviewed => "未能评定，保留称号，待人工确认", "not reviewed: kept, for a person to decide";
    TitlesReviewed => "个称号已评定", " titles reviewed";
    RowsRejected => "行无效记录", " rows rejected";
    // Words.
    NotAvailable => "—", "—";
    NoneText => "无", "none";
    Of => "其中", "of which";
}

/// The front-of-list mark for `n` units: 前三 for 3, else 前N名 (English `top N`).
pub fn front_mark(lang: Language, n: u64) -> String {
    match (lang, n) {
        (Language::Zh, 3) => "前三".to_string(),
        (Language::Zh, n) => format!("前{n}名"),
        (Language::En, n) => format!("top {n}"),
    }
}

/// The back-of-list mark for `n` units: 后三 for 3, else 后N名 (English `bottom N`).
pub fn back_mark(lang: Language, n: u64) -> String {
    match (lang, n) {
        (Language::Zh, 3) => "后三".to_string(),
        (Language::Zh, n) => format!("后{n}名"),
        (Language::En, n) => format!("bottom {n}"),
    }
}

/// The attention line's head for units marked `mark` (前三, 后三 …) whose 95% rank
/// set reaches past the cut: 前三中名次区间（95%）超出前三的单位.
pub fn unsure_on_evidence(lang: Language, mark: &str) -> String {
    match lang {
        Language::Zh => format!("{mark}中名次区间（95%）超出{mark}的单位"),
        Language::En => format!("Units in the {mark} whose 95% rank set reaches past the cut"),
    }
}

/// The label key of a status code of `results.csv` (`ranked`, `vetoed` …).
pub fn status_key(code: &str) -> Option<Key> {
    Some(match code {
        "ranked" => Key::StatusRanked,
        "vetoed" => Key::StatusVetoed,
        "panel_short" => Key::StatusPanelShort,
        "too_few_ballots" => Key::StatusTooFewBallots,
        "excluded" => Key::StatusExcluded,
        "void" => Key::StatusVoid,
        "incomplete" => Key::StatusIncomplete,
        _ => return None,
    })
}

/// The label key of a ballot reject reason code of `rejects.csv`.
pub fn reason_key(code: &str) -> Option<Key> {
    Some(match code {
        "malformed_row" => Key::ReasonMalformedRow,
        "unknown_unit" => Key::ReasonUnknownUnit,
        "unknown_group" => Key::ReasonUnknownGroup,
        "bad_code" => Key::ReasonBadCode,
        "too_many_blank" => Key::ReasonTooManyBlank,
        "duplicate" => Key::ReasonDuplicate,
        "conflict_of_interest" => Key::ReasonConflictOfInterest,
        _ => return None,
    })
}

/// The label key of a data-quality flag kind of `flags.csv`.
pub fn flag_key(kind: &str) -> Option<Key> {
    Some(match kind {
        "straight_lining" => Key::FlagStraightLining,
        "repeated_patterns" => Key::FlagRepeatedPatterns,
        "uniform_unit" => Key::FlagUniformUnit,
        "rater_spread" => Key::FlagRaterSpread,
        _ => return None,
    })
}

/// A fraction as a percentage with at most one decimal (`0.6857` → `68.6%`, `0.7` →
/// `70%`).
pub fn percent(x: f64) -> String {
    let s = format!("{:.1}", x * 100.0);
    let s = s.strip_suffix(".0").unwrap_or(&s);
    format!("{s}%")
}

/// The colon after a label: full width in Chinese.
pub fn colon(lang: Language) -> &'static str {
    match lang {
        Language::Zh => "：",
        Language::En => ": ",
    }
}

/// The separator of a list in running text: `，` in Chinese, `, ` in English.
pub fn comma(lang: Language) -> &'static str {
    match lang {
        Language::Zh => "，",
        Language::En => ", ",
    }
}

/// `x` in brackets: full width in Chinese.
pub fn paren(lang: Language, x: &str) -> String {
    match lang {
        Language::Zh => format!("（{x}）"),
        Language::En => format!(" ({x})"),
    }
}

/// The width of `s` on a terminal (CJK characters take two columns).
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` padded with spaces to `width` terminal columns, on the right (`left`
/// alignment) or on the left.
pub fn pad(s: &str, width: usize, left: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(display_width(s)));
    if left {
        format!("{s}{fill}")
    } else {
        format!("{fill}{s}")
    }
}

/// Rows of cells as aligned lines: each column as wide as its widest cell in
/// terminal columns; `right[k]` aligns column `k` right. Columns are separated by
/// two spaces and lines start with two; trailing spaces are dropped.
pub fn aligned(rows: &[Vec<String>], right: &[bool]) -> Vec<String> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|k| {
            rows.iter()
                .filter_map(|r| r.get(k))
                .map(|c| display_width(c))
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(k, c)| pad(c, widths[k], !right.get(k).copied().unwrap_or(false)))
                .collect();
            format!("  {}", cells.join("  ")).trim_end().to_string()
        })
        .collect()
}

/// The name of a component of the plan's `components:` (SPEC §14) in `lang`:
/// its label, else the built-in name of `survey`, `tickets`, `rectifications`,
/// `commitments`, else its id.
pub fn component_name(lang: Language, plan: &Plan, id: &str) -> String {
    let labels = plan.ledgers.components.iter().find(|c| c.id == id).map(|c| &c.labels);
    if let Some(l) = labels {
        let own = lang.pick(l).trim();
        if !own.is_empty() {
            return own.to_string();
        }
    }
    let key = match id {
        "survey" => Some(Key::ComponentSurvey),
        "tickets" => Some(Key::TicketsRate),
        "rectifications" => Some(Key::RectificationsRate),
        "commitments" => Some(Key::CommitmentsRate),
        _ => None,
    };
    key.map_or_else(|| id.to_string(), |k| label(lang, k).to_string())
}

/// Why unit `r` is not ranked, in words of `lang` (empty when ranked). Shares are
/// percentages; the panel's failing rules are recomputed from the unit's ballots
/// per group, as `score::panel` checks them.
pub fn why_not_ranked(lang: Language, plan: &Plan, r: &UnitResult) -> String {
    let zh = lang == Language::Zh;
    match r.status {
        UnitStatus::Ranked => String::new(),
        UnitStatus::Excluded => (if zh {
            "方案规定不参加本次评选"
        } else {
            "excluded by the plan"
        })
        .into(),
        UnitStatus::Void => match r.panel.over_returned {
            Some((read, issued)) if zh => format!("收回测评票 {read} 张，多于发出的 {issued} 张"),
            Some((read, issued)) => format!("{read} ballots returned, {issued} issued"),
            None => label(lang, Key::StatusVoid).into(),
        },
        UnitStatus::Vetoed if zh => format!("查实一票否决投诉 {}", r.complaints.veto_ids.join("、")),
        UnitStatus::Vetoed => format!("veto complaint {}", r.complaints.veto_ids.join(", ")),
        UnitStatus::TooFewBallots if zh => {
            format!("有效票 {} 张，少于 {} 张", r.score.valid, plan.panel.min_valid_ballots)
        }
        UnitStatus::TooFewBallots => format!(
            "{} valid ballots, fewer than {}",
            r.score.valid, plan.panel.min_valid_ballots
        ),
        UnitStatus::PanelShort => panel_short(lang, plan, r).join(if zh { "；" } else { "; " }),
        UnitStatus::Incomplete => match &r.components {
            // SPEC §14: a weighted component without a score.
            Some(c) if r.score.is_complete() && !c.missing.is_empty() => {
                let names: Vec<String> = c.missing.iter().map(|id| component_name(lang, plan, id)).collect();
                if zh {
                    format!("缺少得分项：{}", names.join("、"))
                } else {
                    format!("no score for component {}", names.join(", "))
                }
            }
            _ => (if zh {
                "有评议内容无得分"
            } else {
                "a dimension has no score"
            })
            .into(),
        },
    }
}

/// The panel rules unit `r` fails, in words.
fn panel_short(lang: Language, plan: &Plan, r: &UnitResult) -> Vec<String> {
    let zh = lang == Language::Zh;
    let valid: u64 = r.score.valid_by_group.iter().sum();
    let share = |n: u64| if valid == 0 { 0.0 } else { n as f64 / valid as f64 };
    let public: u64 = plan
        .groups
        .iter()
        .zip(&r.score.valid_by_group)
        .filter(|(g, _)| g.public)
        .map(|(_, n)| n)
        .sum();
    let mut out = Vec::new();
    let min = plan.panel.min_public_share;
    if valid == 0 && min > 0.0 {
        out.push(if zh {
            format!("无有效票，群众代表占比须达 {}", percent(min))
        } else {
            format!("no valid ballot, public share needs {}", percent(min))
        });
    } else if share(public) < min {
        out.push(if zh {
            format!("群众代表占比 {}，低于 {}", percent(share(public)), percent(min))
        } else {
            format!("public share {}, below {}", percent(share(public)), percent(min))
        });
    }
    for (g, &n) in plan.groups.iter().zip(&r.score.valid_by_group) {
        if let Some(q) = g.min_share
            && (share(n) < q || (valid == 0 && q > 0.0))
        {
            let name = lang.pick(&g.labels);
            let name = if name.is_empty() { g.id.as_str() } else { name };
            out.push(if zh {
                format!("{name}占比 {}，低于 {}", percent(share(n)), percent(q))
            } else {
                format!("{name} share {}, below {}", percent(share(n)), percent(q))
            });
        }
    }
    if out.is_empty() {
        // Not expected: the status says the panel is short; keep the engine's words.
        out.clone_from(&r.panel.short);
    }
    out
}

/// A data-quality flag in words of `lang`: its kind's label and what was seen.
/// `subject` is the unit's name or the rater id it is about.
pub fn flag_text(lang: Language, f: &Flag, subject: &str) -> String {
    let kind = flag_key(&f.kind).map_or(f.kind.as_ref(), |k| label(lang, k));
    let what = match (lang, f.kind.as_ref()) {
        (Language::Zh, "straight_lining") => format!(
            "{} 张测评票每项都选同一选项；按综合得分相近单位的整张同选比例估计，约应有 {:.1} 张（β-二项尾概率 P = {:.1e}，经 Benjamini–Hochberg 校正后仍显著）",
            f.observed, f.expected, f.unusual
        ),
        (Language::Zh, "repeated_patterns") => format!(
            "{} 张测评票给出同一组不全相同的答案；按该答案组合在综合得分相近单位中的出现频率估计，约应有 {:.2} 张（二项尾概率乘以答案组合数 P = {:.1e}，经 Benjamini–Hochberg 校正后仍显著）",
            f.observed, f.expected, f.unusual
        ),
        (Language::Zh, "uniform_unit") => format!(
            "各项得分方差 {:.1}，综合得分相近单位的中位数 {:.1}，稳健 z 值 {:.1}",
            f.observed, f.expected, f.unusual
        ),
        (Language::Zh, "rater_spread") => format!(
            "出现在 {} 个单位的有效票中；评议人中位数为 {}，{}的评议人达到此数",
            f.observed,
            f.expected,
            percent(f.unusual)
        ),
        _ => f.detail.clone(),
    };
    if subject.is_empty() {
        format!("{kind}{}{what}", colon(lang))
    } else {
        format!("{subject} {kind}{}{what}", colon(lang))
    }
}

/// How each figure is computed: (what, how, reference), in `lang`.
pub fn methods(lang: Language) -> Vec<(&'static str, &'static str, &'static str)> {
    match lang {
        Language::Zh => vec![
            (
                "综合得分",
                "各测评项目平均分按权重合成评议内容得分，再按评议内容权重合成综合得分；最终得分 = 综合得分 − 扣分（+ 加分），不低于0",
                "SPEC §7、§9",
            ),
            ("满意率区间", "Wilson 得分区间，95%", "Wilson (1927)"),
            (
                "综合得分区间",
                "按测评票线性化（泰勒展开）估计标准误；在得分区间的 logit 尺度上取 t 分布（自由度 n−1）95% 区间，再换回分数，截至0–100",
                "Woodruff (1971)；Lumley, survey (R)",
            ),
            (
                "名次区间",
                "名次的边际置信集，单步法，正态近似，基于最终得分与综合得分的标准误",
                "Mogstad, Romano, Shaikh & Wilhelm (2023)",
            ),
            (
                "信度",
                "各评议内容的 Cronbach α，仅用该内容各项均有评分的有效票",
                "Cronbach (1951)",
            ),
            (
                "数据质量提示",
                "整张同选、雷同测评票（与综合得分相近的 30 个单位比较，二项/β-二项尾概率，Benjamini–Hochberg 控制错误发现率 5%）、结果异常一致（与相近单位比较的稳健 z 值）、同一评议人评议单位过多；仅供核查",
                "",
            ),
        ],
        Language::En => vec![
            (
                "Composite",
                "item means weighted into dimension scores, dimensions weighted into the composite; final = composite − deduction (+ bonus), at least 0",
                "SPEC §7, §9",
            ),
            ("Rate intervals", "Wilson score interval, 95%", "Wilson (1927)"),
            (
                "Composite interval",
                "Taylor linearisation over the unit's valid ballots; 95% interval with a t quantile (n − 1 degrees of freedom) on the logit of the composite's place in the score range, taken back to scores, clamped to 0–100",
                "Woodruff (1971); Lumley, survey (R)",
            ),
            (
                "Rank sets",
                "marginal confidence sets of ranks, single-step, normal approximation, on the final score with the composite's standard error",
                "Mogstad, Romano, Shaikh & Wilhelm (2023)",
            ),
            (
                "Reliability",
                "Cronbach's alpha per dimension, listwise over valid ballots that scored every item of the dimension",
                "Cronbach (1951)",
            ),
            (
                "Data-quality flags",
                "straight-lining and repeated answer patterns against the 30 units nearest in composite (binomial and beta-binomial tails, Benjamini–Hochberg false discovery rate 5% across units), unusually uniform units (robust z against the same peers), raters on implausibly many units; reported, not applied",
                "",
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        for &k in Key::ALL {
            assert!(!label(Language::Zh, k).is_empty(), "{k:?}");
            assert!(!label(Language::En, k).is_empty(), "{k:?}");
        }
    }

    #[test]
    fn marks_follow_n() {
        assert_eq!(front_mark(Language::Zh, 3), "前三");
        assert_eq!(back_mark(Language::Zh, 3), "后三");
        assert_eq!(front_mark(Language::Zh, 5), "前5名");
        assert_eq!(back_mark(Language::En, 2), "bottom 2");
    }

    #[test]
    fn codes_have_labels() {
        for c in [
            "ranked",
            "vetoed",
            "panel_short",
            "too_few_ballots",
            "excluded",
            "void",
            "incomplete",
        ] {
            assert!(status_key(c).is_some(), "{c}");
        }
        for c in [
            "malformed_row",
            "unknown_unit",
            "unknown_group",
            "bad_code",
            "too_many_blank",
            "duplicate",
            "conflict_of_interest",
        ] {
            assert!(reason_key(c).is_some(), "{c}");
        }
        for k in ["straight_lining", "repeated_patterns", "uniform_unit", "rater_spread"] {
            assert!(flag_key(k).is_some(), "{k}");
        }
        assert_eq!(label(Language::Zh, Key::Veto), "一票否决");
    }
}
