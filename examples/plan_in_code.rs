//! A survey and plan built in code, validated exactly as their YAML would be, then
//! used to score a handful of ballots. The builders refuse what the YAML loader
//! refuses: the second plan below has its grade bands out of order.
//!
//! ```sh
//! cargo run --example plan_in_code
//! ```

use std::sync::Arc;

use appraise::collector::Collector;
use appraise::judge::record::Ballot;
use appraise::rules::builder::{PlanBuilder, ScaleOption, SurveyBuilder};
use appraise::rules::roster::{Roster, Unit};

fn main() -> appraise::Result<()> {
    let survey = SurveyBuilder::new("sanmanyi", "三满意测评表")
        .scale(
            "sat",
            [
                ScaleOption::scored("1", "满意", 100.0, true),
                ScaleOption::scored("2", "基本满意", 60.0, true),
                ScaleOption::scored("3", "不满意", 0.0, false),
                ScaleOption::abstain("9", "不了解"),
            ],
        )
        .dimension("integrity", "廉政建设", 1.0)
        .dimension("outcomes", "服务效果", 1.0)
        .item("int1", "integrity", "sat", "廉洁奉公")
        .item("out1", "outcomes", "sat", "服务态度")
        .build()?;

    // Grade bands highest first, as SPEC §9 requires: refused otherwise.
    let wrong = PlanBuilder::new("wrong", survey.clone(), "2026-01-01", "2026-12-31")
        .group("public", "群众代表", true, 1.0)
        .grade("pass", "合格", 60.0)
        .grade("excellent", "优秀", 90.0)
        .build();
    if let Err(e) = wrong {
        println!("refused, as the YAML loader refuses it:\n{e}\n");
    }

    let plan = PlanBuilder::new("town-2026", survey, "2026-01-01", "2026-12-31")
        .group("public", "群众代表", true, 1.0)
        .group("npc", "人大代表", false, 1.0)
        .grade("excellent", "优秀", 90.0)
        .grade("pass", "合格", 60.0)
        .veto_category("bribe", "索拿卡要")
        .set("panel.min_valid_ballots", 2)
        .set("ranking.top_n", 1)
        .set("ranking.bottom_n", 1)
        .build()?;
    // What Serialize writes loads back.
    println!(
        "--- plan as YAML ---\n{}",
        serde_yaml::to_string(&plan).unwrap_or_default()
    );

    let unit = |id: &str, name: &str| Unit {
        id: id.into(),
        name: name.into(),
        department: "镇政府".into(),
        kind: "站所".into(),
        issued: None,
        extra: Vec::new(),
    };
    let roster = Roster::from_units(vec![unit("A", "农技站"), unit("B", "财政所")])?;
    let mut c = Collector::new(Arc::new(plan), Arc::new(roster))?;
    let b = |id: &str, u: &str, a: &str| Ballot::new(id, u, id, "public").answer("int1", a).answer("out1", a);
    c.push(
        "paper forms",
        [b("1", "A", "1"), b("2", "A", "1"), b("3", "B", "2"), b("4", "B", "3")],
    )?;
    let outcome = c.outcome()?;
    for r in outcome.results(c.plan(), c.roster()) {
        println!(
            "{} {}: final {:?}, grade {:?}, rank {:?}",
            r.unit_id, r.name, r.final_published, r.grade, r.rank
        );
    }
    Ok(())
}
