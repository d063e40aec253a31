//! A collector fed two batches over a day, with a duplicate across them: the
//! second copy of ballot `D7` is rejected as a duplicate although it came in
//! another batch, exactly as if both batches had been one file.
//!
//! ```sh
//! cargo run --example collector
//! ```

use std::sync::Arc;

use appraise::collector::Collector;
use appraise::judge::record::Ballot;

fn main() -> appraise::Result<()> {
    // The shipped demo campaign (蔡甸区 2010, 300 units) as plan and roster.
    let (plan, roster) = appraise::demo::campaign()?;
    let items: Vec<String> = plan.survey.items.iter().map(|i| i.id.clone()).collect();
    let unit = roster.units[0].id.clone();
    let ballot = |id: &str, rater: &str, answer: &str| {
        items
            .iter()
            .fold(Ballot::new(id, unit.as_str(), rater, "public"), |b, item| {
                b.answer(item.as_str(), answer)
            })
    };

    // Plan and roster behind Arc: the collector is owned and Send (a server's state).
    let mut collector = Collector::new(Arc::new(plan), Arc::new(roster))?;
    let morning: Vec<Ballot> = (1..=8)
        .map(|k| ballot(&format!("D{k}"), &format!("R{k}"), "1"))
        .collect();
    collector.push("morning", &morning)?;
    let evening = vec![ballot("D7", "R70", "2"), ballot("D9", "R9", "2")];
    collector.push("evening", &evening)?;

    let outcome = collector.outcome()?;
    let a = &outcome.accounting;
    println!("read {}, valid {}, rejected {}", a.read, a.valid, a.rejected);
    // Rejects past a memory budget live in a temporary file: list them in order.
    let rejects = outcome.rejects.to_vec()?;
    for r in &rejects {
        let batch = &outcome.files[r.file].path;
        println!(
            "rejected: {} ({}, batch {batch}, record {}): {}",
            r.ballot_id,
            r.reason.code(),
            r.row,
            r.detail
        );
    }
    assert_eq!((a.read, a.valid, a.rejected), (10, 9, 1));
    assert_eq!(rejects[0].ballot_id, "D7");
    Ok(())
}
