//! The tally-file reader: any bytes, written to a file and read as a tally shard
//! (`count::shard::read_tally`) under a fixed small plan and roster. Every input
//! must end in a tally whose counts are consistent and whose moments are finite,
//! or an error; never a panic, and never an allocation the header asks for.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use appraise::count::tally::Layout;
use appraise::{Encoding, Plan, Roster, Source, Survey};
use libfuzzer_sys::fuzz_target;

const SURVEY: &str = include_str!("../../tests/fixtures/campaign-pooled/survey.yaml");

const PLAN: &str = include_str!("../../tests/fixtures/campaign-pooled/plan.yaml");

const ROSTER: &str = "unit_id,name,department,kind,issued\nU001,城区供电所,供电,站所,40\nU002,索河供电所,供电,站所,\nU003,侏儒供电所,供电,站所,3\nU004,办证窗口,政务,窗口,40\n";

fn setup() -> Option<&'static (Plan, Roster, Layout)> {
    static SETUP: OnceLock<Option<(Plan, Roster, Layout)>> = OnceLock::new();
    SETUP
        .get_or_init(|| {
            let survey = Survey::from_yaml(SURVEY, Path::new("survey.yaml")).ok()?;
            let plan = Plan::from_yaml(PLAN, Path::new("plan.yaml"), survey).ok()?;
            let roster = Roster::read_from(&Source::text("roster.csv", ROSTER), Encoding::Utf8).ok()?;
            let layout = Layout::new(&plan, &roster);
            Some((plan, roster, layout))
        })
        .as_ref()
}

/// One scratch file per fuzzing process (the reader takes a path).
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("appraise-fuzz-{}.tally.parquet", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    // A damaged footer panics inside polars and the reader catches it (an error
    // naming the file); only a panic that escapes the reader is a finding.
    appraise::count::parquet::silence_caught_panics();
    let Some((plan, roster, layout)) = setup() else {
        panic!("the fixed plan and roster must load");
    };
    let path = scratch();
    if std::fs::write(path, data).is_err() {
        return;
    }
    if let Ok((tally, _files)) = appraise::count::shard::read_tally(path, layout) {
        let a = tally.accounting();
        assert_eq!(a.read, a.valid + a.rejected, "the accounting closes");
        // What was read scores without a panic (the quadrature sees its moments).
        let complaints = appraise::judge::complaints::Complaints::none(roster);
        let settings = appraise::score::evaluate::Settings::default();
        let _ = appraise::score::evaluate::evaluate(
            plan,
            roster,
            tally,
            Default::default(),
            Vec::new(),
            complaints,
            settings,
        );
    }
});
