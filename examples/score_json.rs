//! In-memory scoring to JSON: what a web backend does with ballots it received as
//! JSON. Survey, plan and roster come from text (a database, a config service);
//! no file is read or written.
//!
//! ```sh
//! cargo run --example score_json
//! ```

use std::sync::Arc;

use appraise::collector::Collector;
use appraise::judge::record::Ballot;
use appraise::{Plan, Roster, Source, Survey};

const SURVEY: &str = r#"
id: window
version: 1
title: {zh: 窗口服务满意度测评, en: Service window satisfaction}
scales:
  sat:
    options:
      - {code: "1", zh: 满意, score: 100, satisfied: true}
      - {code: "2", zh: 基本满意, score: 60, satisfied: true}
      - {code: "3", zh: 不满意, score: 0}
dimensions:
  - {id: efficiency, zh: 履职效率}
  - {id: outcomes, zh: 服务效果}
items:
  - {id: eff1, dimension: efficiency, scale: sat, zh: 办事效率}
  - {id: out1, dimension: outcomes, scale: sat, zh: 服务态度}
"#;

const PLAN: &str = r#"
id: window-2026
survey: window.survey.yaml
period: {start: 2026-01-01, end: 2026-12-31}
groups:
  - {id: public, zh: 群众代表, public: true}
  - {id: staff, zh: 机关干部}
panel: {min_public_share: 0.5, min_valid_ballots: 2}
"#;

const ROSTER: &str =
    "unit_id,name,department,kind\nW1,政务大厅1号窗口,政务服务中心,窗口\nW2,政务大厅2号窗口,政务服务中心,窗口\n";

/// The ballots as a web form would post them.
const BALLOTS_JSON: &str = r#"[
  {"ballot_id": "b1", "unit_id": "W1", "rater_id": "r1", "rater_group": "public", "answers": {"eff1": "1", "out1": "1"}},
  {"ballot_id": "b2", "unit_id": "W1", "rater_id": "r2", "rater_group": "public", "answers": {"eff1": "2", "out1": "1"}},
  {"ballot_id": "b3", "unit_id": "W2", "rater_id": "r1", "rater_group": "public", "answers": {"eff1": "3", "out1": "2"}},
  {"ballot_id": "b4", "unit_id": "W2", "rater_id": "r3", "rater_group": "staff",  "answers": {"eff1": "1", "out1": "7"}},
  {"ballot_id": "b5", "unit_id": "W2", "rater_id": "r4", "rater_group": "public", "answers": {"eff1": "2", "out1": "2"}}
]"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let survey = Survey::from_yaml(SURVEY, "window.survey.yaml".as_ref())?;
    let plan = Plan::from_yaml(PLAN, "window.plan.yaml".as_ref(), survey)?;
    let roster = Roster::read_from(&Source::text("roster.csv", ROSTER), appraise::Encoding::Utf8)?;
    let (plan, roster) = (Arc::new(plan), Arc::new(roster));

    let ballots: Vec<Ballot> = serde_json::from_str(BALLOTS_JSON)?;
    let mut collector = Collector::new(plan.clone(), roster.clone())?;
    collector.push("web", &ballots)?;
    let outcome = collector.outcome()?;

    // b4 answered `7`, no option of the scale: a reject, with the record's index.
    let rejects = outcome.rejects.to_vec()?;
    let reject = &rejects[0];
    assert_eq!((reject.row, reject.reason.code()), (3, "bad_code"));

    // Owned per-unit results, ids and all, ready to serialise.
    let body = serde_json::json!({
        "accounting": outcome.accounting,
        "results": outcome.results(&plan, &roster),
        "rejects": outcome.rejects,
    });
    println!("{}", serde_json::to_string_pretty(&body)?);
    Ok(())
}
