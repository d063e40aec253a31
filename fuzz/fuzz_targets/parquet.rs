//! The Parquet ballot reader: any bytes, written to a file and read as a ballot
//! Parquet file (`count::parquet::read_parquet`) under a fixed small plan and
//! roster, and as a keys file (`count::shard::read_keys`). Every input must end in
//! a tally with closed accounting or an error, never a panic or an allocation the
//! file cannot back. A file read again after the repeated-key pass
//! (`campaign::check_only_repeated_ids`) must give the same tally, rejects and
//! rater counts as the full check.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use appraise::count::tally::{Layout, Tally};
use appraise::judge::ballots::Validator;
use appraise::{Encoding, Plan, Roster, Source, Survey};
use libfuzzer_sys::fuzz_target;

const SURVEY: &str = include_str!("../../tests/fixtures/campaign-pooled/survey.yaml");

const PLAN: &str = include_str!("../../tests/fixtures/campaign-pooled/plan.yaml");

const ROSTER: &str = "unit_id,name,department,kind,issued\nU001,城区供电所,供电,站所,40\nU002,索河供电所,供电,站所,\nU003,侏儒供电所,供电,站所,3\nU004,办证窗口,政务,窗口,40\n";

fn setup() -> Option<&'static (Plan, Roster)> {
    static SETUP: OnceLock<Option<(Plan, Roster)>> = OnceLock::new();
    SETUP
        .get_or_init(|| {
            let survey = Survey::from_yaml(SURVEY, Path::new("survey.yaml")).ok()?;
            let plan = Plan::from_yaml(PLAN, Path::new("plan.yaml"), survey).ok()?;
            let roster = Roster::read_from(&Source::text("roster.csv", ROSTER), Encoding::Utf8).ok()?;
            Some((plan, roster))
        })
        .as_ref()
}

/// One scratch file per fuzzing process (the readers take a path).
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("appraise-fuzz-{}.parquet", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    // A damaged footer panics inside polars and the reader catches it (an error
    // naming the file); only a panic that escapes the reader is a finding.
    appraise::count::parquet::silence_caught_panics();
    let Some((plan, roster)) = setup() else {
        panic!("the fixed plan and roster must load");
    };
    let path = scratch();
    if std::fs::write(path, data).is_err() {
        return;
    }
    // The tally (as text), rejects and rater counts of one read, or its error.
    let read = |validator: &mut Validator<'_>| {
        let mut tally = Tally::new(Layout::new(plan, roster));
        let mut rejects = appraise::judge::rejects::Rejects::new();
        let summary = appraise::count::parquet::read_parquet(path, 0, validator, &mut tally, &mut rejects, &mut |_| {})
            .map_err(|e| e.to_string())?;
        let a = tally.accounting();
        assert_eq!(a.read, a.valid + a.rejected, "the accounting closes");
        assert_eq!(summary.rows, a.read, "every row is counted");
        let mut raters = std::collections::BTreeMap::new();
        validator
            .take_raters()
            .counts(|r, n| {
                raters.insert(r.to_string(), n);
            })
            .map_err(|e| e.to_string())?;
        let rejects = rejects.to_vec().map_err(|e| e.to_string())?;
        Ok::<_, String>((format!("{tally:?}"), rejects, raters))
    };
    let full = read(&mut Validator::new(plan, roster));
    let mut filtered = Validator::new(plan, roster);
    let files = [Source::file(path)];
    if appraise::campaign::check_only_repeated_ids(&mut filtered, &files, appraise::campaign::Format::Parquet, true) {
        let again = read(&mut filtered);
        match (&full, &again) {
            (Ok(a), Ok(b)) => assert!(a == b, "the repeated-key pass changes no verdict"),
            (Err(_), Err(_)) => {}
            _ => panic!("one read failed, the other did not: {full:?} / {again:?}"),
        }
    }
    let mut validator = Validator::new(plan, roster);
    let _ = appraise::count::shard::read_keys(path, &mut validator);
});
