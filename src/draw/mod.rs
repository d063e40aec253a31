//! Drawing rater panels with a proof anyone can check (SPEC §13, `appraise draw`).
//!
//! Drawing the raters is where an appraisal is most easily bent, so the draw is a
//! pure function of published things: the plan, its survey, the roster, the
//! candidates and a seed whose SHA-256 ([`commit`]) is published before the draw
//! and the seed itself after. Anyone holding them re-draws the same panels, byte
//! for byte, with this library or another program following SPEC §13; [`Draw::verify`]
//! does it for a folder of published results.
//!
//! The draw is greedy, unit by unit in roster order (units the plan excludes are
//! not drawn): first each group's quota (`groups[].min_share`, `ceil(share × N)`
//! places), then the public share (`panel.min_public_share`) among the public
//! groups, then the remaining places from every group, each step a partial
//! Fisher–Yates shuffle ([`sampler`]) over the eligible candidates in candidate-id
//! byte order. Eligible: not working in the unit, not yet on its panel, and with
//! panels left (`max_panels`, else the plan's `draw.max_panels_per_rater`). When a
//! step finds too few, the draw fails naming the unit and the group
//! ([`ErrorKind::DrawShort`]); nothing is written.
//!
//! ```
//! use appraise::draw::{self, InputDigests};
//! use appraise::judge::candidates::{Candidate, Candidates};
//! # fn main() -> appraise::Result<()> {
//! let (plan, roster) = appraise::demo::campaign()?;
//! // 12 members of the public, one of them working in U002.
//! let people: Vec<Candidate> = (1..=12)
//!     .map(|k| Candidate::new(&format!("C{k:02}"), "某", "public").max_panels(300))
//!     .collect();
//! let candidates = Candidates::from_records(people, &plan, &roster);
//! let digests = InputDigests::of_bytes(b"plan", b"survey", b"roster", b"candidates");
//! let d = draw::draw(&plan, &roster, &candidates, 3, "公开的种子", &digests)?;
//! assert_eq!(d.panels.len(), roster.len() - plan.exclude.len());
//! assert!(d.panels.iter().all(|p| p.members.len() == 3));
//! // The proof carries the seed's hash, never the seed.
//! assert_eq!(d.proof.seed_sha256, draw::commit("公开的种子"));
//! // Same inputs and seed: the same bytes.
//! let again = draw::draw(&plan, &roster, &candidates, 3, "公开的种子", &digests)?;
//! assert_eq!(d.files(), again.files());
//! # Ok(()) }
//! ```

pub mod sampler;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cell::{csv_bytes, safe_cell};
use crate::error::{Difference, Error, ErrorKind, Result};
use crate::judge::candidates::{Candidate, CandidateReject, Candidates};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use sampler::{Sampler, hex, sha256};

/// The algorithm's name, written in the proof.
pub const ALGORITHM: &str = "appraise-panel-draw";
/// The algorithm's version: raised whenever any draw could come out different.
pub const ALGORITHM_VERSION: u32 = 1;
/// The generator, as the proof names it.
pub const GENERATOR: &str =
    "ChaCha20 (RFC 8439 keystream), key = SHA-256 of the seed's UTF-8 bytes, nonce 0, counter 0";
/// The most raters per unit a draw makes.
pub const MAX_PER_UNIT: u64 = 100_000;

/// The SHA-256 (lower-case hex) of the seed's UTF-8 bytes: what is published
/// before the draw (`appraise draw --commit SEED`).
///
/// ```
/// assert_eq!(
///     appraise::draw::commit("abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn commit(seed: &str) -> String {
    hex(&sha256(seed.as_bytes()))
}

/// The SHA-256 (lower-case hex) of each input's bytes, written in the proof so
/// that a re-draw can show it used the same files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDigests {
    /// The plan file.
    pub plan: String,
    /// The survey file the plan names.
    pub survey: String,
    /// The roster file.
    pub roster: String,
    /// The candidates file.
    pub candidates: String,
}

impl InputDigests {
    /// Hashes the bytes of the four input files.
    pub fn of_files(plan: &Path, survey: &Path, roster: &Path, candidates: &Path) -> Result<InputDigests> {
        let read = |p: &Path| std::fs::read(p).map_err(|e| Error::io(p, e));
        Ok(InputDigests::of_bytes(
            &read(plan)?,
            &read(survey)?,
            &read(roster)?,
            &read(candidates)?,
        ))
    }

    /// Hashes inputs held in memory (a program that made them itself).
    pub fn of_bytes(plan: &[u8], survey: &[u8], roster: &[u8], candidates: &[u8]) -> InputDigests {
        let h = |b: &[u8]| hex(&sha256(b));
        InputDigests {
            plan: h(plan),
            survey: h(survey),
            roster: h(roster),
            candidates: h(candidates),
        }
    }
}

/// One unit's drawn panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Panel {
    /// The unit's id.
    pub unit_id: String,
    /// The raters drawn, in the order drawn (quota steps, public step, rest).
    pub members: Vec<Candidate>,
}

/// A group's quota on every panel of the draw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    /// The group's id.
    pub group: String,
    /// The plan's `min_share`.
    pub min_share: f64,
    /// Places on each panel: `ceil(min_share × per_unit)`, computed in decimal.
    pub places: u64,
}

/// Counts of a draw; they reconcile (`candidate_rows = candidates +
/// candidates_rejected`, `roster_units = units_drawn + units_excluded`,
/// `panel_rows = units_drawn × per_unit`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Rows of the candidates file (or records) read.
    pub candidate_rows: u64,
    /// Candidates kept.
    pub candidates: u64,
    /// Candidate rows rejected (in `candidate_rejects.csv`).
    pub candidates_rejected: u64,
    /// Units in the roster.
    pub roster_units: u64,
    /// Units a panel was drawn for.
    pub units_drawn: u64,
    /// Units the plan excludes (not drawn).
    pub units_excluded: u64,
    /// Rows of `panel.csv` (header not counted).
    pub panel_rows: u64,
    /// 64-bit numbers taken from the generator.
    pub random_numbers: u64,
}

/// What `proof.json` says: enough to check the draw, never the seed itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proof {
    /// [`ALGORITHM`].
    pub algorithm: String,
    /// [`ALGORITHM_VERSION`].
    pub algorithm_version: u32,
    /// [`GENERATOR`].
    pub generator: String,
    /// SHA-256 (hex) of the seed's UTF-8 bytes, as published before the draw.
    pub seed_sha256: String,
    /// The plan's id.
    pub plan_id: String,
    /// Raters drawn per unit.
    pub per_unit: u64,
    /// The plan's default panels per candidate.
    pub max_panels_per_rater: u64,
    /// Group quotas applied to every panel, in plan order (groups with a `min_share`).
    pub quotas: Vec<Quota>,
    /// The plan's public groups (their ids, in plan order).
    pub public_groups: Vec<String>,
    /// The plan's `panel.min_public_share`.
    pub min_public_share: f64,
    /// Public places on each panel: `ceil(min_public_share × per_unit)`.
    pub public_places: u64,
    /// SHA-256 of each input file.
    pub inputs: InputDigests,
    /// SHA-256 of `panel.csv` as written.
    pub panel_csv_sha256: String,
    /// SHA-256 of `candidate_rejects.csv` as written.
    pub candidate_rejects_csv_sha256: String,
    /// Units the plan excludes, not drawn, in roster order.
    pub excluded_units: Vec<String>,
    /// The counts.
    pub counts: Counts,
}

/// A finished draw: the panels, the proof and the rejected candidate rows, with
/// the bytes of the three files it writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Draw {
    /// One panel per drawn unit, in roster order.
    pub panels: Vec<Panel>,
    /// The proof.
    pub proof: Proof,
    /// Candidate rows rejected before the draw.
    pub rejects: Vec<CandidateReject>,
    panel_csv: Vec<u8>,
    proof_json: Vec<u8>,
    rejects_csv: Vec<u8>,
}

/// The files of a draw, in the order they are compared by [`Draw::verify`].
pub const FILES: [&str; 3] = ["panel.csv", "proof.json", "candidate_rejects.csv"];

impl Draw {
    /// The files to write: `panel.csv`, `proof.json`, `candidate_rejects.csv`
    /// (write them with [`crate::files::write_atomic`]).
    pub fn files(&self) -> Vec<(&'static str, Vec<u8>)> {
        vec![
            (FILES[0], self.panel_csv.clone()),
            (FILES[1], self.proof_json.clone()),
            (FILES[2], self.rejects_csv.clone()),
        ]
    }

    /// The first difference of each file of `dir` from this draw's files, in
    /// [`FILES`] order; empty when `dir` holds exactly this draw.
    pub fn differences(&self, dir: &Path) -> Result<Vec<Difference>> {
        let mut out = Vec::new();
        for (name, expected) in self.files() {
            let path = dir.join(name);
            let found = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    out.push(Difference {
                        file: name.to_string(),
                        line: None,
                        expected: String::new(),
                        found: String::new(),
                    });
                    continue;
                }
                Err(e) => return Err(Error::io(&path, e)),
            };
            if let Some(d) = first_difference(name, &expected, &found) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Checks that `dir` holds exactly this draw: `Ok` when it does, else
    /// [`ErrorKind::DrawDiffers`] naming the first difference of each file.
    pub fn verify(&self, dir: &Path) -> Result<()> {
        let differences = self.differences(dir)?;
        if differences.is_empty() {
            Ok(())
        } else {
            Err(ErrorKind::DrawDiffers {
                dir: dir.to_path_buf(),
                differences,
            }
            .into())
        }
    }
}

/// The first line where `found` differs from `expected` (lines split at `\n`).
fn first_difference(file: &str, expected: &[u8], found: &[u8]) -> Option<Difference> {
    if expected == found {
        return None;
    }
    // Lines with their line ends, so that a missing final newline is a difference too.
    let e: Vec<&[u8]> = expected.split_inclusive(|&b| b == b'\n').collect();
    let f: Vec<&[u8]> = found.split_inclusive(|&b| b == b'\n').collect();
    let k = (0..e.len().max(f.len())).find(|&k| e.get(k) != f.get(k)).unwrap_or(0);
    let show = |l: Option<&&[u8]>| match l {
        None => "(end of file)".to_string(),
        Some(l) => {
            let (body, end) = match l.strip_suffix(b"\n") {
                Some(b) => (b, ""),
                None => (*l, " (no line end)"),
            };
            let t = String::from_utf8_lossy(body);
            let t: String = t.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
            let n = t.chars().count();
            if n > 200 {
                format!("{}… ({n} chars){end}", t.chars().take(200).collect::<String>())
            } else {
                format!("{t}{end}")
            }
        }
    };
    Some(Difference {
        file: file.to_string(),
        line: Some(k as u64 + 1),
        expected: show(e.get(k)),
        found: show(f.get(k)),
    })
}

/// A step of one unit's draw (SPEC §13), in the order they run.
#[derive(Clone, Copy)]
enum Step {
    /// A group's quota: the group's index and its places.
    Group(usize, u64),
    /// The public places the quotas left.
    Public,
    /// The remaining places, from every group.
    Rest,
}

/// `id (label)` of a group.
fn group_name(plan: &Plan, g: usize) -> String {
    let grp = &plan.groups[g];
    grp.labels.named(&grp.id)
}

/// The public groups, for a message: `public groups (a (甲), b)`.
fn public_groups(plan: &Plan) -> String {
    let names: Vec<String> = (0..plan.groups.len())
        .filter(|&g| plan.groups[g].public)
        .map(|g| group_name(plan, g))
        .collect();
    format!("public groups ({})", names.join(", "))
}

/// Draws `per_unit` raters for every roster unit the plan does not exclude, from
/// `candidates`, with the generator of `seed` (SPEC §13). `inputs` are the
/// digests written in the proof.
///
/// Errors: `per_unit` of 0 or above [`MAX_PER_UNIT`], or too small for the plan's
/// quotas ([`ErrorKind::Mismatch`]); a unit whose panel cannot be filled
/// ([`ErrorKind::DrawShort`]).
pub fn draw(
    plan: &Plan,
    roster: &Roster,
    candidates: &Candidates,
    per_unit: u64,
    seed: &str,
    inputs: &InputDigests,
) -> Result<Draw> {
    if per_unit == 0 || per_unit > MAX_PER_UNIT {
        return Err(ErrorKind::Usage(format!(
            "--per-unit {per_unit}: draw from 1 to {MAX_PER_UNIT} raters per unit"
        ))
        .into());
    }
    for e in &plan.exclude {
        if roster.index(e).is_none() {
            return Err(ErrorKind::Mismatch {
                path: plan.path.clone(),
                message: format!("exclude lists unit `{e}`, which is not in the roster; fix the plan or the roster"),
            }
            .into());
        }
    }
    let n = per_unit;
    let quotas: Vec<(usize, Quota)> = plan
        .groups
        .iter()
        .enumerate()
        .filter_map(|(g, grp)| {
            let share = grp.min_share?;
            let places = crate::num::ceil_share(share, n);
            (places > 0).then(|| {
                (
                    g,
                    Quota {
                        group: grp.id.clone(),
                        min_share: share,
                        places,
                    },
                )
            })
        })
        .collect();
    let public_places = crate::num::ceil_share(plan.panel.min_public_share, n);
    let quota_public: u64 = quotas
        .iter()
        .filter(|(g, _)| plan.groups[*g].public)
        .map(|(_, q)| q.places)
        .sum();
    let quota_private: u64 = quotas
        .iter()
        .filter(|(g, _)| !plan.groups[*g].public)
        .map(|(_, q)| q.places)
        .sum();
    let needed = quota_private + quota_public.max(public_places);
    if needed > n {
        let list: Vec<String> = quotas
            .iter()
            .map(|(_, q)| format!("{} {} (min_share {})", q.places, q.group, q.min_share))
            .collect();
        return Err(ErrorKind::Mismatch {
            path: plan.path.clone(),
            message: format!(
                "--per-unit {n} is too small for the plan's quotas: they need {needed} places on each panel ({}{}public {public_places} (panel.min_public_share {}), each ceil(share × {n})); draw at least {needed} per unit",
                list.join(", "),
                if list.is_empty() { "" } else { ", " },
                plan.panel.min_public_share
            ),
        }
        .into());
    }

    // Candidates in candidate_id byte order (ids are unique after judging).
    let mut order: Vec<&Candidate> = candidates.list.iter().collect();
    order.sort_by(|a, b| a.candidate_id.as_bytes().cmp(b.candidate_id.as_bytes()));
    // A list built by hand (the fields are public) is held to what judging ensures.
    for w in order.windows(2) {
        if w[0].candidate_id == w[1].candidate_id {
            return Err(ErrorKind::Usage(format!(
                "candidate `{}` is listed twice; judge candidates with Candidates::load or Candidates::from_records",
                w[0].candidate_id
            ))
            .into());
        }
    }
    if let Some(c) = order.iter().find(|c| plan.group_index(&c.rater_group).is_none()) {
        return Err(ErrorKind::Usage(format!(
            "candidate `{}` has group `{}`, which is no group of the plan; judge candidates with Candidates::load or Candidates::from_records",
            c.candidate_id, c.rater_group
        ))
        .into());
    }
    let group_of: Vec<Option<usize>> = order.iter().map(|c| plan.group_index(&c.rater_group)).collect();
    let own: Vec<Option<usize>> = order
        .iter()
        .map(|c| c.unit.as_deref().and_then(|u| roster.index(u)))
        .collect();
    let mut left: Vec<u64> = order
        .iter()
        .map(|c| c.max_panels.unwrap_or(plan.draw.max_panels_per_rater))
        .collect();
    let mut on_panel = vec![false; order.len()];
    let mut sampler = Sampler::from_seed_text(seed);
    let mut panels = Vec::new();
    let mut excluded = Vec::new();
    for (u, unit) in roster.units.iter().enumerate() {
        if plan.exclude.iter().any(|e| e == &unit.id) {
            excluded.push(unit.id.clone());
            continue;
        }
        let mut chosen: Vec<usize> = Vec::with_capacity(n as usize);
        let steps = quotas
            .iter()
            .map(|(g, q)| Step::Group(*g, q.places))
            .chain([Step::Public, Step::Rest]);
        for step in steps {
            let is_public = |k: usize| group_of[k].is_some_and(|g| plan.groups[g].public);
            // A step's size depends on what the earlier steps drew.
            let need = match step {
                Step::Group(_, places) => places,
                Step::Public => public_places.saturating_sub(chosen.iter().filter(|&&k| is_public(k)).count() as u64),
                Step::Rest => n - chosen.len() as u64,
            };
            if need == 0 {
                continue;
            }
            let in_step = |k: usize| match step {
                Step::Group(g, _) => group_of[k] == Some(g),
                Step::Public => is_public(k),
                Step::Rest => true,
            };
            let mut pool = Vec::new();
            let (mut total, mut own_unit, mut used_up) = (0u64, 0u64, 0u64);
            for k in 0..order.len() {
                if !in_step(k) || on_panel[k] {
                    continue;
                }
                total += 1;
                if own[k] == Some(u) {
                    own_unit += 1;
                } else if left[k] == 0 {
                    used_up += 1;
                } else {
                    pool.push(k);
                }
            }
            if (pool.len() as u64) < need {
                return Err(ErrorKind::DrawShort {
                    unit_id: unit.id.clone(),
                    group: match step {
                        Step::Group(g, _) => format!("group {}", group_name(plan, g)),
                        Step::Public => public_groups(plan),
                        Step::Rest => "any group".to_string(),
                    },
                    needed: need,
                    available: pool.len() as u64,
                    detail: format!(
                        "{total} of them not yet on this panel: {own_unit} work in the unit, {used_up} have no panels left"
                    ),
                }
                .into());
            }
            for k in sampler.choose(&mut pool, need as usize) {
                on_panel[k] = true;
                chosen.push(k);
            }
        }
        for &k in &chosen {
            on_panel[k] = false;
            left[k] -= 1;
        }
        panels.push(Panel {
            unit_id: unit.id.clone(),
            members: chosen.iter().map(|&k| order[k].clone()).collect(),
        });
    }

    let panel_csv = csv_bytes(|w| {
        w.write_record(["unit_id", "candidate_id", "name", "rater_group"])?;
        for p in &panels {
            for m in &p.members {
                w.write_record([
                    safe_cell(&p.unit_id),
                    safe_cell(&m.candidate_id),
                    safe_cell(&m.name),
                    safe_cell(&m.rater_group),
                ])?;
            }
        }
        Ok(())
    })?;
    let rejects_csv = csv_bytes(|w| {
        w.write_record(["row", "candidate_id", "reason", "detail"])?;
        for r in &candidates.rejects {
            w.write_record([
                r.row.to_string(),
                safe_cell(&r.candidate_id),
                r.reason.code().to_string(),
                safe_cell(&r.detail),
            ])?;
        }
        Ok(())
    })?;
    let panel_rows: u64 = panels.iter().map(|p| p.members.len() as u64).sum();
    let proof = Proof {
        algorithm: ALGORITHM.into(),
        algorithm_version: ALGORITHM_VERSION,
        generator: GENERATOR.into(),
        seed_sha256: commit(seed),
        plan_id: plan.id.clone(),
        per_unit: n,
        max_panels_per_rater: plan.draw.max_panels_per_rater,
        quotas: quotas.into_iter().map(|(_, q)| q).collect(),
        public_groups: plan.groups.iter().filter(|g| g.public).map(|g| g.id.clone()).collect(),
        min_public_share: plan.panel.min_public_share,
        public_places,
        inputs: inputs.clone(),
        panel_csv_sha256: hex(&sha256(&panel_csv)),
        candidate_rejects_csv_sha256: hex(&sha256(&rejects_csv)),
        counts: Counts {
            candidate_rows: candidates.rows,
            candidates: candidates.list.len() as u64,
            candidates_rejected: candidates.rejects.len() as u64,
            roster_units: roster.len() as u64,
            units_drawn: panels.len() as u64,
            units_excluded: excluded.len() as u64,
            panel_rows,
            random_numbers: sampler.taken(),
        },
        excluded_units: excluded,
    };
    let mut proof_json = serde_json::to_vec_pretty(&proof)
        .map_err(|e| Error::from(ErrorKind::Usage(format!("could not format proof.json: {e}"))))?;
    proof_json.push(b'\n');
    Ok(Draw {
        panels,
        proof,
        rejects: candidates.rejects.clone(),
        panel_csv,
        proof_json,
        rejects_csv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::text::{Encoding, Source};
    use std::collections::HashMap;

    /// Groups a (public, quota 0.5), b (quota 0.25), c; public share 0.5; two
    /// panels per candidate.
    const PLAN: &str = "id: tiny\nsurvey: s.yaml\nperiod: {start: 2011-01-01, end: 2011-12-31}\n\
        groups:\n  - {id: a, zh: 群众代表, public: true, min_share: 0.5}\n  - {id: b, min_share: 0.25}\n  - {id: c}\n\
        panel: {min_public_share: 0.5}\ndraw: {max_panels_per_rater: 2}\n";

    fn setup(plan_text: &str, roster: &str, candidates: &str) -> (Plan, Roster, Candidates) {
        let survey = crate::demo::campaign().unwrap().0.survey;
        let plan = Plan::from_yaml(plan_text, Path::new("tiny.plan.yaml"), survey).unwrap();
        let roster = Roster::read_from(&Source::text("r.csv", roster), Encoding::Utf8).unwrap();
        let c = Candidates::load(&Source::text("c.csv", candidates), Encoding::Utf8, &plan, &roster).unwrap();
        (plan, roster, c)
    }

    fn digests() -> InputDigests {
        InputDigests::of_bytes(b"", b"", b"", b"")
    }

    const ROSTER: &str = "unit_id,name,department,kind\nU1,甲,D,K\nU2,乙,D,K\n";
    // Written out of order on purpose: the draw sorts by candidate_id.
    const PEOPLE: &str =
        "candidate_id,name,rater_group,unit\nc1,C1,c,\nb2,B2,b,\na4,A4,a,\na3,A3,a,\na2,A2,a,\na1,A1,a,U1\nb1,B1,b,\n";

    #[test]
    fn a_tiny_draw_by_hand() {
        let (plan, roster, c) = setup(PLAN, ROSTER, PEOPLE);
        let d = draw(&plan, &roster, &c, 4, "abc", &digests()).unwrap();
        // Quotas on a panel of 4: a ceil(0.5·4) = 2, b ceil(0.25·4) = 1; public
        // places ceil(0.5·4) = 2, met by a's quota, so the public step draws none.
        // The generator of seed "abc" (key = SHA-256("abc")) gives, as 64-bit
        // numbers (checked with the independent docs/redraw.py):
        //   x1 = 3538616357544095959   x2 = 11255857230049800364
        //   x3 = 15227158498502519234  x4 = 11621548904154066445
        //   x5 = 8587844058319169264   x6 = 5166950778183023416
        //   x7 = 9714184855607239447   x8 = 2088413006442870408
        // (none is rejected: 2⁶⁴ mod n is tiny for these n).
        // U1, group a: pool [a2, a3, a4] (a1 works in U1).
        //   i=0: x1 mod 3 = 1 → swap a2, a3 → [a3, a2, a4]; i=1: x2 mod 2 = 0 → j=1.
        //   Chosen a3, a2.
        // U1, group b: pool [b1, b2]; x3 mod 2 = 0 → b1.
        // U1, rest (4 − 3 = 1): pool [a4, b2, c1] (a1 works in U1); x4 mod 3 = 1 → b2.
        // U2, group a: pool [a1, a2, a3, a4] (a2, a3 have 1 panel left).
        //   i=0: x5 mod 4 = 0 → a1; i=1: x6 mod 3 = 1 → j=2, swap a2, a3 → a3.
        // U2, group b: pool [b1, b2]; x7 mod 2 = 1 → swap → b2.
        // U2, rest: pool [a2, a4, b1, c1]; x8 mod 4 = 0 → a2.
        let ids: Vec<(&str, Vec<&str>)> = d
            .panels
            .iter()
            .map(|p| {
                (
                    p.unit_id.as_str(),
                    p.members.iter().map(|m| m.candidate_id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            ids,
            vec![
                ("U1", vec!["a3", "a2", "b1", "b2"]),
                ("U2", vec!["a1", "a3", "b2", "a2"])
            ]
        );
        assert_eq!(d.proof.counts.random_numbers, 8);
        assert_eq!(d.proof.public_places, 2);
        assert_eq!(
            d.proof
                .quotas
                .iter()
                .map(|q| (q.group.as_str(), q.places))
                .collect::<Vec<_>>(),
            vec![("a", 2), ("b", 1)]
        );
        let csv = String::from_utf8(d.files()[0].1.clone()).unwrap();
        assert_eq!(
            csv,
            "unit_id,candidate_id,name,rater_group\nU1,a3,A3,a\nU1,a2,A2,a\nU1,b1,B1,b\nU1,b2,B2,b\n\
             U2,a1,A1,a\nU2,a3,A3,a\nU2,b2,B2,b\nU2,a2,A2,a\n"
        );
        assert_eq!(d.proof.panel_csv_sha256, hex(&sha256(csv.as_bytes())));
        // The seed is not in the proof; its hash is.
        let proof = String::from_utf8(d.files()[1].1.clone()).unwrap();
        assert!(!proof.contains("\"abc\""));
        assert!(proof.contains(&commit("abc")));
    }

    #[test]
    fn a_short_group_names_the_unit_and_what_was_available() {
        // One panel each, a1 works in U2. Seed "abc" (numbers in a_tiny_draw_by_hand):
        // U1, a: pool [a1, a2, a3, a4]; x1 mod 4 = 3 → swap a1, a4; x2 mod 3 = 1 →
        // j = 2, swap a2, a3 → a4, a3. b: x3 mod 2 = 0 → b1. Rest: pool [a1, a2, b2,
        // c1]; x4 mod 4 = 1 → a2. U2 needs 2 of a: a1 works in U2 and a2..a4 have no
        // panel left, so 0 are available.
        let plan = PLAN.replace("max_panels_per_rater: 2", "max_panels_per_rater: 1");
        let people = PEOPLE.replace("a1,A1,a,U1", "a1,A1,a,U2");
        let (plan, roster, c) = setup(&plan, ROSTER, &people);
        let e = draw(&plan, &roster, &c, 4, "abc", &digests()).unwrap_err();
        match e.kind() {
            ErrorKind::DrawShort {
                unit_id,
                group,
                needed,
                available,
                ..
            } => {
                assert_eq!((unit_id.as_str(), *needed, *available), ("U2", 2, 0), "{e}");
                assert!(group.contains("group a (群众代表)"), "{group}");
            }
            other => panic!("expected DrawShort, got {other:?}"),
        }
        assert!(
            e.to_string().contains("1 work in the unit, 3 have no panels left"),
            "{e}"
        );
    }

    #[test]
    fn quotas_larger_than_the_panel_are_refused_before_drawing() {
        // Panel of 3: a ceil(1.5) = 2, b ceil(0.75) = 1, public ceil(1.5) = 2 met by
        // a: 3 places, fits. Panel of 1: a 1 + b 1 = 2 > 1.
        let (plan, roster, c) = setup(PLAN, ROSTER, PEOPLE);
        assert!(draw(&plan, &roster, &c, 3, "s", &digests()).is_ok());
        let e = draw(&plan, &roster, &c, 1, "s", &digests()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Mismatch { .. }), "{e:?}");
        assert!(e.to_string().contains("need 2 places"), "{e}");
        let e = draw(&plan, &roster, &c, 0, "s", &digests()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Usage(_)), "{e:?}");
    }

    #[test]
    fn the_public_step_fills_what_quotas_leave() {
        // No quotas; public share 0.7 of 4 → ceil(2.8) = 3 public places; groups p
        // (public) and q. Every panel has ≥ 3 of p.
        let plan = "id: t\nsurvey: s.yaml\nperiod: {start: 2011-01-01, end: 2011-12-31}\n\
            groups: [{id: p, public: true}, {id: q}]\ndraw: {max_panels_per_rater: 5}\n";
        let mut people = String::from("candidate_id,name,rater_group\n");
        for k in 0..6 {
            people.push_str(&format!("p{k},P,p\nq{k},Q,q\n"));
        }
        let (plan, roster, c) = setup(plan, ROSTER, &people);
        for seed in ["1", "2", "3", "4", "5", "6", "7", "8"] {
            let d = draw(&plan, &roster, &c, 4, seed, &digests()).unwrap();
            assert_eq!(d.proof.public_places, 3);
            for p in &d.panels {
                let public = p.members.iter().filter(|m| m.rater_group == "p").count();
                assert!(public >= 3, "seed {seed}: {p:?}");
            }
        }
    }

    /// Many seeds over a campaign of 12 units: every rule holds on every draw.
    #[test]
    fn every_draw_keeps_every_rule() {
        let mut roster = String::from("unit_id,name,department,kind\n");
        for u in 1..=12 {
            roster.push_str(&format!("U{u:02},单位,D,K\n"));
        }
        let mut people = String::from("candidate_id,name,rater_group,unit,max_panels\n");
        for k in 0..60 {
            let group = ["a", "a", "a", "b", "c"][k % 5];
            let unit = if k % 4 == 0 {
                format!("U{:02}", k % 12 + 1)
            } else {
                String::new()
            };
            let max = if k % 7 == 0 { "3" } else { "" };
            people.push_str(&format!("P{k:03},某,{group},{unit},{max}\n"));
        }
        let plan = PLAN.replace("exclude", "x") + "exclude: [U05]\n";
        let (plan, roster, c) = setup(&plan, &roster, &people);
        let limit: HashMap<&str, u64> = c
            .list
            .iter()
            .map(|p| (p.candidate_id.as_str(), p.max_panels.unwrap_or(2)))
            .collect();
        for seed in 0..50 {
            let d = draw(&plan, &roster, &c, 4, &seed.to_string(), &digests()).unwrap();
            assert_eq!(d.panels.len(), 11, "U05 is excluded");
            assert!(d.panels.iter().all(|p| p.unit_id != "U05"));
            assert_eq!(d.proof.excluded_units, vec!["U05".to_string()]);
            let mut used: HashMap<&str, u64> = HashMap::new();
            for p in &d.panels {
                assert_eq!(p.members.len(), 4);
                let mut seen = std::collections::HashSet::new();
                for m in &p.members {
                    assert!(seen.insert(&m.candidate_id), "twice on {}", p.unit_id);
                    assert_ne!(m.unit.as_deref(), Some(p.unit_id.as_str()), "own unit");
                    *used.entry(m.candidate_id.as_str()).or_default() += 1;
                }
                let of = |g: &str| p.members.iter().filter(|m| m.rater_group == g).count();
                assert!(of("a") >= 2 && of("b") >= 1, "quotas on {}", p.unit_id);
            }
            for (id, n) in used {
                assert!(n <= limit[id], "{id} on {n} panels");
            }
        }
    }

    #[test]
    fn a_hand_built_list_is_held_to_the_judging_rules() {
        let (plan, roster, mut c) = setup(PLAN, ROSTER, PEOPLE);
        c.list.push(Candidate::new("a2", "again", "a"));
        let e = draw(&plan, &roster, &c, 4, "abc", &digests()).unwrap_err();
        assert!(e.to_string().contains("`a2` is listed twice"), "{e}");
        c.list.pop();
        c.list.push(Candidate::new("z9", "Z", "nobody"));
        let e = draw(&plan, &roster, &c, 4, "abc", &digests()).unwrap_err();
        assert!(e.to_string().contains("no group of the plan"), "{e}");
    }

    #[test]
    fn first_difference_names_the_line() {
        let d = first_difference("panel.csv", b"h\na\nb\n", b"h\na\nc\n").unwrap();
        assert_eq!((d.line, d.expected.as_str(), d.found.as_str()), (Some(3), "b", "c"));
        let d = first_difference("panel.csv", b"h\na\n", b"h\na\nextra\n").unwrap();
        assert_eq!((d.line, d.expected.as_str()), (Some(3), "(end of file)"));
        assert!(first_difference("x", b"same", b"same").is_none());
        let d = first_difference("panel.csv", b"h\na\n", b"h\na").unwrap();
        assert_eq!((d.line, d.found.as_str()), (Some(2), "a (no line end)"));
    }

    #[test]
    fn verify_accepts_the_draw_and_names_a_tampered_row() {
        let (plan, roster, c) = setup(PLAN, ROSTER, PEOPLE);
        let d = draw(&plan, &roster, &c, 4, "abc", &digests()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        crate::files::write_atomic(dir.path(), &d.files()).unwrap();
        d.verify(dir.path()).unwrap();
        let path = dir.path().join("panel.csv");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("U2,a1,A1,a", "U2,a4,A4,a");
        std::fs::write(&path, text).unwrap();
        let e = d.verify(dir.path()).unwrap_err();
        assert!(
            e.to_string()
                .contains("panel.csv line 6: expected `U2,a1,A1,a`, found `U2,a4,A4,a`"),
            "{e}"
        );
        std::fs::remove_file(dir.path().join("proof.json")).unwrap();
        let diffs = d.differences(dir.path()).unwrap();
        assert_eq!(diffs.len(), 2);
        assert_eq!((diffs[1].file.as_str(), diffs[1].line), ("proof.json", None));
    }
}
