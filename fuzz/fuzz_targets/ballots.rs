//! The ballot reader: any bytes, as a ballot CSV scored with a fixed small plan and
//! roster (`campaign::tally_files`), and as a roster CSV (`Roster::read_from`).
//! Every input must end in a tally with closed accounting or an error, never a
//! panic.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use appraise::{Encoding, Plan, Roster, Source, Survey, campaign};
use libfuzzer_sys::fuzz_target;

const SURVEY: &str = include_str!("../../tests/fixtures/campaign-pooled/survey.yaml");

const PLAN: &str = include_str!("../../tests/fixtures/campaign-pooled/plan.yaml");

/// The fixture's first units; `U003` has 3 ballots issued, so it can be over-returned.
const ROSTER: &str = "unit_id,name,department,kind,issued\nU001,城区供电所,供电,站所,40\nU002,索河供电所,供电,站所,\nU003,侏儒供电所,供电,站所,3\nU004,办证窗口,政务,窗口,40\n";

fn setup() -> Option<&'static (Plan, Roster)> {
    static SETUP: OnceLock<Option<(Plan, Roster)>> = OnceLock::new();
    SETUP
        .get_or_init(|| {
            let survey = Survey::from_yaml(SURVEY, Path::new("survey.yaml")).ok()?;
            // Full-width digits allowed, so that the slower lookup is fuzzed too.
            let plan = PLAN.replace(
                "validity: {min_answered_share: 0.5}",
                "validity: {min_answered_share: 0.5, fullwidth_digits: true}",
            );
            let plan = Plan::from_yaml(&plan, Path::new("plan.yaml"), survey).ok()?;
            let roster = Roster::read_from(&Source::text("roster.csv", ROSTER), Encoding::Utf8).ok()?;
            Some((plan, roster))
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some((plan, roster)) = setup() else {
        panic!("the fixed plan and roster must load");
    };
    // `Source::text` holds UTF-8; other bytes reach the readers through detection
    // only from files, which the CLI tests cover.
    let text = String::from_utf8_lossy(data);
    let sources = [Source::text("ballots.csv", text.as_ref())];
    if let Ok((tally, rejects, files)) = campaign::tally_files(plan, roster, &sources, Encoding::Auto, &mut |_| {}) {
        let a = tally.accounting();
        assert_eq!(a.read, a.valid + a.rejected, "the accounting closes");
        assert_eq!(files[0].rows, a.read, "every row is counted");
        assert!(rejects.len() as u64 == a.rejected);
    }
    let _ = Roster::read_from(&Source::text("roster.csv", text.as_ref()), Encoding::Auto);
    // The raw bytes through encoding detection and decoding (UTF-8, BOM, GBK, …).
    if let Ok(mut t) = appraise::input::text::from_reader(std::io::Cursor::new(data.to_vec()), Encoding::Auto) {
        let mut out = Vec::new();
        let _ = std::io::Read::read_to_end(&mut t.reader, &mut out);
    }
});
