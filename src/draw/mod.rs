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
    let e: Vec<&[u8]> = expected.split(|&b| b == b'\n').collect();
    let f: Vec<&[u8]> = found.split(|&b| b == b'\n').collect();
    let k = (0..e.len().max(f.len()))
        .find(|&k| e.get(k) != f.get(k))
        .unwrap_or(0);
    let show = |l: Option<&&[u8]>| match l {
        None => "(end of file)".to_string(),
        Some(l) => {
            let t = String::from_utf8_lossy(l);
            let t: String = t.chars().map(|c| if c.is_control() { '�' } else { c }).collect();
            let n = t.chars().count();
            if n > 200 {
                format!("{}… ({n} chars)", t.chars().take(200).collect::<String>())
            } else {
                t
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
    let l = grp.labels.text();
    if l.is_empty() { grp.id.clone() } else { format!("{} ({l})", grp.id) }
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
