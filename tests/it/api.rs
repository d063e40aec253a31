//! The library as an embedding program uses it: typed ballots, the collector, an
//! owned outcome that survives a JSON round trip.

use std::sync::Arc;

use appraise::collector::Collector;
use appraise::judge::record::Ballot;
use appraise::{Encoding, Outcome, Source, campaign, output};

/// The demo's ballots as typed records, in file order (blank cells left out).
fn demo_records() -> Vec<Ballot> {
    let mut r = csv::Reader::from_reader(appraise::demo::BALLOTS.as_bytes());
    let header: Vec<String> = r.headers().expect("header").iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            let mut b = Ballot::default();
            for (h, v) in header.iter().zip(rec.iter()) {
                match h.as_str() {
                    "ballot_id" => b.ballot_id = v.into(),
                    "unit_id" => b.unit_id = v.into(),
                    "rater_id" => b.rater_id = v.into(),
                    "rater_group" => b.rater_group = v.into(),
                    "rater_unit" => b.rater_unit = (!v.is_empty()).then(|| v.to_string()),
                    item if !v.is_empty() => b = b.answer(item, v),
                    _ => {}
                }
            }
            b
        })
        .collect()
}

/// Every output file of an outcome, for byte comparison.
fn outputs(plan: &appraise::Plan, roster: &appraise::Roster, o: &Outcome) -> Vec<(&'static str, Vec<u8>)> {
    output::render_all(plan, roster, o).expect("render")
}

#[test]
fn typed_ballots_score_exactly_like_the_csv_file() {
    let (plan, roster, by_file) = crate::demo();
    let records = demo_records();
    assert!(records.len() > 5000, "{} records", records.len());
    let mut c = Collector::new(Arc::new(plan.clone()), Arc::new(roster.clone())).expect("collector");
    c.set_complaints(by_file.complaints.clone());
    // Two batches: duplicates are judged across them as in one file.
    let (first, second) = records.split_at(records.len() / 2);
    c.push("first", first).expect("push");
    c.push("second", second).expect("push");
    let typed = c.outcome().expect("outcome");
    // Same verdicts; only the file index and row numbering differ (records are
    // numbered from 0 within their batch, CSV rows by line).
    assert_eq!(typed.accounting, by_file.accounting);
    assert_eq!(typed.rejects.len(), by_file.rejects.len());
    let (t_rejects, f_rejects) = (
        typed.rejects.to_vec().expect("rejects"),
        by_file.rejects.to_vec().expect("rejects"),
    );
    for (t, f) in t_rejects.iter().zip(&f_rejects) {
        assert_eq!((&t.ballot_id, t.reason, &t.detail), (&f.ballot_id, f.reason, &f.detail));
    }
    // The same flags, the raters' spread over units included.
    assert_eq!(typed.flags, by_file.flags);
    // Scores, ranks and intervals are those of the file run, bit for bit: the
    // typed tally evaluated with the file run's rejects and file names gives the
    // same output files.
    let mut typed = campaign::evaluate(
        plan,
        roster,
        typed.tally.clone(),
        by_file.rejects.clone(),
        by_file.files.clone(),
        by_file.complaints.clone(),
        Default::default(),
    )
    .expect("evaluate");
    typed.flags = by_file.flags.clone(); // evaluate alone adds no rater_spread flags
    assert_eq!(outputs(plan, roster, &typed), outputs(plan, roster, by_file));
}

/// Rejects spilled to a temporary file (a budget of 0 bytes, as a run rejecting
/// tens of millions of rows has) give every output byte for byte as rejects held
/// in memory: the attention counts, the workbook's rejects sheet, and
/// `rejects.csv` streamed by `write_all` or built by `render_all`.
#[test]
fn spilled_rejects_give_the_same_outputs_as_rejects_in_memory() {
    let (plan, roster, by_file) = crate::demo();
    assert!(by_file.rejects.len() >= 5, "the demo plants rejects");
    assert_eq!(by_file.rejects.spilled(), 0);
    let mut spilled = appraise::judge::rejects::Rejects::with_budget(0);
    by_file
        .rejects
        .for_each(|r| {
            spilled.push(r.clone());
            Ok(())
        })
        .expect("rejects");
    assert_eq!(spilled.spilled(), by_file.rejects.len());
    assert!(spilled.in_memory().is_empty());
    let evaluate = |rejects| {
        let mut o = campaign::evaluate(
            plan,
            roster,
            by_file.tally.clone(),
            rejects,
            by_file.files.clone(),
            by_file.complaints.clone(),
            Default::default(),
        )
        .expect("evaluate");
        o.flags = by_file.flags.clone();
        o
    };
    let (held, spilt) = (evaluate(by_file.rejects.clone()), evaluate(spilled));
    assert_eq!(held.attention, spilt.attention);
    assert_eq!(outputs(plan, roster, &held), outputs(plan, roster, &spilt));
    let (a, b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let written = output::write_all(a.path(), plan, roster, &held).expect("write");
    output::write_all(b.path(), plan, roster, &spilt).expect("write");
    let rendered = outputs(plan, roster, &held);
    assert_eq!(written.len(), rendered.len());
    for (name, bytes) in rendered {
        let (x, y) = (std::fs::read(a.path().join(name)), std::fs::read(b.path().join(name)));
        assert_eq!(
            x.as_deref().ok(),
            Some(bytes.as_slice()),
            "{name}: write_all writes what render_all renders"
        );
        assert_eq!(y.as_deref().ok(), Some(bytes.as_slice()), "{name} from spilled rejects");
    }
}

#[test]
fn an_answer_to_an_unknown_item_is_a_malformed_record() {
    let (plan, roster, _) = crate::demo();
    let mut c = Collector::new(Arc::new(plan.clone()), Arc::new(roster.clone())).expect("collector");
    let b = Ballot::new("X1", &roster.units[0].id, "R1", "public").answer("no_such_item", "1");
    c.push("batch", [b]).expect("push");
    let o = c.outcome().expect("outcome");
    let rejects = o.rejects.to_vec().expect("rejects");
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].reason.code(), "malformed_row");
    assert!(rejects[0].detail.contains("no_such_item"), "{}", rejects[0].detail);
    assert_eq!((rejects[0].row, rejects[0].file), (0, 0));
}

#[test]
fn a_collector_saved_and_loaded_goes_on_as_if_never_stopped() {
    let (plan, roster, _) = crate::demo();
    let (plan, roster) = (Arc::new(plan.clone()), Arc::new(roster.clone()));
    let records = demo_records();
    let (first, second) = records.split_at(3000);
    let mut whole = Collector::new(plan.clone(), roster.clone()).expect("collector");
    whole.push("a", first).expect("push");
    whole.push("b", second).expect("push");

    let mut before = Collector::new(plan.clone(), roster.clone()).expect("collector");
    before.push("a", first).expect("push");
    let dir = tempfile::tempdir().expect("tempdir");
    before.save(dir.path()).expect("save");
    drop(before);
    let mut after = Collector::load(plan.clone(), roster.clone(), dir.path()).expect("load");
    after.push("b", second).expect("push");
    let (a, b) = (whole.outcome().expect("outcome"), after.outcome().expect("outcome"));
    assert_eq!(outputs(&plan, &roster, &a), outputs(&plan, &roster, &b));
}

#[test]
fn collectors_can_move_between_threads() {
    fn is_send<T: Send + 'static>() {}
    is_send::<Collector>();
}

#[test]
fn the_outcome_survives_a_json_round_trip() {
    let (_, _, outcome) = crate::demo();
    let json = serde_json::to_string(outcome).expect("serialise");
    // No NaN reaches JSON (serde_json would write it as null and fail to read it).
    let back: Outcome = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(serde_json::to_string(&back).expect("serialise"), json);
    // Counts by reason are keyed by the reason's code.
    let v: serde_json::Value = serde_json::from_str(&json).expect("value");
    let by_reason = &v["accounting"]["by_reason"];
    assert_eq!(
        by_reason["duplicate"],
        outcome.accounting.by_reason[appraise::judge::ballots::Reason::Duplicate.index()]
    );
    // The per-unit results carry ids, and read back too.
    let (plan, roster, _) = crate::demo();
    let rows = outcome.results(plan, roster);
    let text = serde_json::to_string(&rows).expect("rows");
    let back: Vec<appraise::score::rows::ResultRow> = serde_json::from_str(&text).expect("rows back");
    assert_eq!(back, rows);
    assert_eq!(rows[0].unit_id, roster.units[0].id);
}

#[test]
fn typed_ballots_need_no_file_and_no_text() {
    let (plan, roster, _) = crate::demo();
    let unit = &roster.units[0].id;
    let mut b = Ballot::new("B1", unit, "R1", "public");
    for it in &plan.survey.items {
        b = b.answer(&it.id, "1");
    }
    let mut c = Collector::new(Arc::new(plan.clone()), Arc::new(roster.clone())).expect("collector");
    let s = c.push("web", [b]).expect("push");
    assert_eq!(s.rows, 1);
    let o = c.outcome().expect("outcome");
    assert_eq!(o.accounting.valid, 1);
    // Pushing a CSV file into the same collector continues the same campaign.
    let s = c
        .push_file(&Source::text("more.csv", appraise::demo::BALLOTS), Encoding::Utf8)
        .expect("file");
    assert_eq!(s.rows + 1, c.ballots_read());
}

#[test]
fn misuse_is_an_error_not_a_panic() {
    use appraise::count::tally::{Layout, Tally};
    use appraise::judge::complaints::Complaints;
    let (plan, roster, outcome) = crate::demo();
    let items = plan.survey.items.len();
    let mut t = Tally::new(Layout::new(plan, roster));
    // A unit past the roster, a group past the plan, codes of the wrong length.
    assert!(t.add_valid(roster.len(), 0, &vec![0; items]).is_err());
    assert!(t.add_valid(0, plan.groups.len(), &vec![0; items]).is_err());
    assert!(t.add_valid(0, 0, &[0]).is_err());
    assert!(t.add_valid(0, 0, &vec![0; items]).is_ok());
    // A tally of another roster given to evaluate.
    let mut fewer = roster.clone();
    fewer.units.truncate(10);
    let e = campaign::evaluate(
        plan,
        &fewer,
        outcome.tally.clone(),
        Default::default(),
        Vec::new(),
        Complaints::none(&fewer),
        Default::default(),
    )
    .expect_err("another roster");
    assert!(e.to_string().contains("another plan, survey or roster"), "{e}");
}

#[test]
fn what_a_plan_serialises_loads_back() {
    let dir = crate::manifest_dir().join("surveys");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).expect("surveys") {
        let p = e.expect("entry").path();
        if !p.to_string_lossy().ends_with(".plan.yaml") {
            continue;
        }
        let plan = appraise::Plan::load(&p).expect("shipped plan");
        let yaml = serde_yaml::to_string(&plan).expect("serialise");
        let back = appraise::Plan::from_yaml(&yaml, &p, plan.survey.clone()).expect("loads back");
        assert_eq!(back, plan, "{}", p.display());
        let survey_yaml = serde_yaml::to_string(&plan.survey).expect("serialise survey");
        let survey = appraise::Survey::from_yaml(&survey_yaml, &p).expect("survey loads back");
        assert_eq!(survey, plan.survey);
        seen += 1;
    }
    assert_eq!(seen, 6, "the six shipped campaigns");
}

mod arbitrary_calls {
    //! The public API driven with arbitrary calls in arbitrary order: no call may
    //! panic, and whatever was pushed, the accounting closes.

    use std::sync::Arc;

    use appraise::collector::Collector;
    use appraise::count::tally::{Layout, Tally};
    use appraise::judge::record::Ballot;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Call {
        Push(Vec<Ballot>),
        Outcome,
        AddValid(usize, usize, Vec<u8>),
        Results,
        RoundTrip,
    }

    /// Text that is sometimes an id of the demo plan or roster, sometimes not.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("U001".to_string()),
            Just("U002".to_string()),
            Just("public".to_string()),
            Just("enterprise".to_string()),
            Just("1".to_string()),
            Just("9".to_string()),
            Just(String::new()),
            "[ -~]{0,6}",
            "[\\u{4e00}-\\u{4e20}０-９]{0,3}",
        ]
    }

    fn ballot() -> impl Strategy<Value = Ballot> {
        let items = ["c_int1", "c_int2", "c_law1", "c_law2", "nope"];
        (
            text(),
            text(),
            text(),
            text(),
            proptest::option::of(text()),
            proptest::collection::vec((proptest::sample::select(items.to_vec()), text()), 0..8),
        )
            .prop_map(|(id, unit, rater, group, rater_unit, answers)| {
                let mut b = Ballot::new(id, unit, rater, group);
                b.rater_unit = rater_unit;
                for (i, a) in answers {
                    b = b.answer(i, a);
                }
                b
            })
    }

    fn call() -> impl Strategy<Value = Call> {
        prop_oneof![
            4 => proptest::collection::vec(ballot(), 0..12).prop_map(Call::Push),
            1 => Just(Call::Outcome),
            1 => (0usize..400, 0usize..12, proptest::collection::vec(any::<u8>(), 0..40))
                .prop_map(|(u, g, c)| Call::AddValid(u, g, c)),
            1 => Just(Call::Results),
            1 => Just(Call::RoundTrip),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn no_call_panics_and_the_accounting_closes(calls in proptest::collection::vec(call(), 1..8)) {
            let (plan, roster, _) = crate::demo();
            let (plan, roster) = (Arc::new(plan.clone()), Arc::new(roster.clone()));
            let mut c = Collector::new(plan.clone(), roster.clone()).expect("collector");
            let mut tally = Tally::new(Layout::new(&plan, &roster));
            let mut pushed = 0u64;
            for call in calls {
                match call {
                    Call::Push(batch) => {
                        pushed += batch.len() as u64;
                        c.push("batch", &batch).expect("a batch of records is never unusable");
                    }
                    Call::Outcome => {
                        let o = c.outcome().expect("outcome");
                        prop_assert_eq!(o.accounting.read, pushed);
                        prop_assert_eq!(o.accounting.read, o.accounting.valid + o.accounting.rejected);
                        prop_assert_eq!(o.rejects.len() as u64, o.accounting.rejected);
                    }
                    Call::AddValid(u, g, codes) => {
                        let fits = u < roster.len() && g < plan.groups.len() && codes.len() == plan.survey.items.len();
                        prop_assert_eq!(tally.add_valid(u, g, &codes).is_ok(), fits);
                    }
                    Call::Results => {
                        let o = c.outcome().expect("outcome");
                        prop_assert_eq!(o.results(&plan, &roster).len(), roster.len());
                    }
                    Call::RoundTrip => {
                        let o = c.outcome().expect("outcome");
                        let json = serde_json::to_string(&o).expect("serialise");
                        let back: appraise::Outcome = serde_json::from_str(&json).expect("deserialise");
                        prop_assert_eq!(serde_json::to_string(&back).expect("again"), json);
                    }
                }
            }
        }
    }
}

#[test]
fn typed_complaints_count_exactly_like_the_csv_file() {
    use appraise::judge::complaints::Complaints;
    use appraise::judge::record::Complaint;
    let (plan, roster, by_file) = crate::demo();
    let mut r = csv::Reader::from_reader(appraise::demo::COMPLAINTS.as_bytes());
    let header: Vec<String> = r.headers().expect("header").iter().map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let records: Vec<Complaint> = r
        .records()
        .map(|rec| {
            let rec = rec.expect("row");
            let get = |name: &str| rec.get(col(name)).unwrap_or("").to_string();
            Complaint::new(
                get("complaint_id"),
                get("unit_id"),
                get("date"),
                get("category"),
                get("status"),
            )
        })
        .collect();
    let typed = Complaints::from_records(&records, plan, roster);
    // The same deductions, bonuses and vetoes (the cap applied), the same rejects.
    assert_eq!(typed.units, by_file.complaints.units);
    assert!(typed.units.iter().any(|u| u.vetoed), "the demo has a veto");
    let key = |c: &Complaints| -> Vec<(String, String, String)> {
        c.rejects
            .iter()
            .map(|r| (r.complaint_id.clone(), r.reason.code().to_string(), r.detail.clone()))
            .collect()
    };
    assert_eq!(key(&typed), key(&by_file.complaints));
    // Rejects carry the record's index: file row = index + 2 (header is line 1).
    for (t, f) in typed.rejects.iter().zip(&by_file.complaints.rejects) {
        assert_eq!(t.row + 2, f.row);
    }
}

/// A file that fails midway (an unclosed quote 5,000 lines in) leaves the
/// collector as it was: no row counted, no ballot id taken, no reject kept. The
/// corrected file pushed next then gives exactly the outcome of the file run;
/// before, its first 4,998 rows came back as duplicates of themselves.
#[test]
fn a_file_failing_midway_leaves_the_collector_as_it_was() {
    let (plan, roster, by_file) = crate::demo();
    let mut c = Collector::new(Arc::new(plan.clone()), Arc::new(roster.clone())).expect("collector");
    c.set_complaints(by_file.complaints.clone());
    let mut lines: Vec<&str> = appraise::demo::BALLOTS.lines().collect();
    assert!(lines.len() > 5000, "{} lines", lines.len());
    let broken_line = lines[4999].replacen(",R", ",\"R", 1);
    assert_ne!(broken_line, lines[4999], "line 5,000 has a rater id to break");
    lines[4999] = &broken_line;
    let broken = lines.join("\n") + "\n";
    let e = c
        .push_file(&Source::text("ballots.csv", &broken), Encoding::Utf8)
        .expect_err("an unclosed quote");
    assert!(e.to_string().contains("ballots.csv:5000"), "{e}");
    assert_eq!(c.ballots_read(), 0, "no row of the failed file is counted");
    let empty = c.outcome().expect("outcome");
    assert_eq!((empty.accounting.read, empty.rejects.len()), (0, 0));
    c.push_file(&Source::text("ballots.csv", appraise::demo::BALLOTS), Encoding::Utf8)
        .expect("the corrected file");
    let mut o = c.outcome().expect("outcome");
    assert_eq!(o.accounting, by_file.accounting);
    assert_eq!(
        o.rejects.to_vec().expect("rejects"),
        by_file.rejects.to_vec().expect("rejects")
    );
    assert_eq!(o.flags, by_file.flags);
    // One file, named as pushed; the file run names the demo's path.
    assert_eq!(o.files.len(), 1);
    o.files = by_file.files.clone();
    for ((name, a), (_, b)) in outputs(plan, roster, &o).iter().zip(outputs(plan, roster, by_file)) {
        if *a != b {
            let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(&b));
            let line = a.lines().zip(b.lines()).find(|(x, y)| x != y);
            panic!("{name} differs: {line:?}");
        }
    }
}
