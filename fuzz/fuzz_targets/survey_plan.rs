//! Survey and plan YAML: any bytes, split at the first NUL byte into a survey text
//! and a plan text, must load or fail with an error, never panic or hang.
#![no_main]

use std::path::Path;

use appraise::{Plan, Survey};
use libfuzzer_sys::fuzz_target;

/// A valid survey, for plans whose own survey text does not load.
const SURVEY: &str = include_str!("../../tests/fixtures/campaign-pooled/survey.yaml");

fuzz_target!(|data: &[u8]| {
    let (survey, plan) = match data.iter().position(|&b| b == 0) {
        Some(k) => (&data[..k], &data[k + 1..]),
        None => (data, &[][..]),
    };
    let (Ok(survey), Ok(plan)) = (std::str::from_utf8(survey), std::str::from_utf8(plan)) else {
        return;
    };
    let loaded = Survey::from_yaml(survey, Path::new("survey.yaml"));
    let survey = match loaded {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            match Survey::from_yaml(SURVEY, Path::new("survey.yaml")) {
                Ok(s) => s,
                Err(_) => return,
            }
        }
    };
    if let Err(e) = Plan::from_yaml(plan, Path::new("plan.yaml"), survey) {
        let _ = e.to_string();
        let _ = e.position();
    }
});
