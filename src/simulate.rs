//! A campaign simulator: ballots and complaints that look like a real campaign,
//! reproducible by seed, for the demo, tests and benchmarks.
//!
//! The model is an ordered-response one. For ballot b of group g about unit u, the
//! answer to item i comes from the latent value
//!
//! `y = 1.3 + 0.5·q_u + ℓ_g + r_b − δ_i + ε`, with `q_u ~ N(0,1)` (unit quality),
//! `ℓ_g ~ N(0, 0.3²)` (group leniency), `r_b ~ N(0, 0.9²)` (rater: answers of one ballot
//! hang together, as in real questionnaires), `δ_i ~ N(0, 0.3²)` (item difficulty),
//! `ε ~ N(0, 0.6²)`,
//!
//! cut at thresholds `0.3, −0.7, −1.7, …` into the scale's scored options from the
//! best score down. Abstentions and blanks are drawn at their rates, and each fault
//! that the validator rejects is planted at its own rate. The rater term `r_b` is a
//! halo: one ballot's answers move together, as real raters' do. The `copied` fault (a rate per unit) replaces a unit's last
//! [`Faults::copies`] ballots by copies of one mixed-answer ballot with new ids:
//! valid ballots that only the `repeated_patterns` flag can find. The generator is ChaCha8
//! seeded from the seed, so the same plan, roster, configuration and seed give the
//! same bytes on every platform.

use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};

use crate::error::{Error, ErrorKind, Result};
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;

/// Rates (per ballot) of the faults the validator must catch.
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// unit_id not in the roster.
    pub unknown_unit: f64,
    /// rater_group not in the plan.
    pub unknown_group: f64,
    /// An answer that is not a code of its scale.
    pub bad_code: f64,
    /// A ballot with every answer blank.
    pub blank_ballot: f64,
    /// A second ballot from the same rater about the same unit.
    pub duplicate_rater: f64,
    /// A repeated ballot_id.
    pub duplicate_id: f64,
    /// A rater appraising their own unit.
    pub conflict_of_interest: f64,
    /// Share of units (not ballots) into which copied ballots are planted: the
    /// unit's last [`Faults::copies`] ballots become copies of one mixed-answer
    /// ballot (drawn from the unit's own model, no blanks or abstentions, at least
    /// two different options), each with a new ballot id and rater id. They are
    /// valid ballots: only the `repeated_patterns` flag can see them.
    pub copied: f64,
    /// How many copies a unit planted with `copied` gets (8 unless set; a unit
    /// with fewer ballots gets none).
    pub copies: u64,
}

impl Faults {
    /// Sets one rate from `name=rate` (the field names of this struct; a rate in
    /// 0–1), as `appraise simulate --fault` takes it.
    pub fn set(&mut self, spec: &str) -> std::result::Result<(), String> {
        let (name, rate) = spec
            .split_once('=')
            .ok_or_else(|| format!("--fault `{spec}`: write NAME=RATE, e.g. bad_code=0.01"))?;
        let rate: f64 = rate
            .trim()
            .parse()
            .ok()
            .filter(|r: &f64| (0.0..=1.0).contains(r))
            .ok_or_else(|| format!("--fault `{spec}`: the rate must be a number from 0 to 1"))?;
        let slot = match name.trim() {
            "unknown_unit" => &mut self.unknown_unit,
            "unknown_group" => &mut self.unknown_group,
            "bad_code" => &mut self.bad_code,
            "blank_ballot" => &mut self.blank_ballot,
            "duplicate_rater" => &mut self.duplicate_rater,
            "duplicate_id" => &mut self.duplicate_id,
            "conflict_of_interest" => &mut self.conflict_of_interest,
            "copied" => &mut self.copied,
            other => {
                return Err(format!(
                    "--fault `{spec}`: no fault `{other}`; one of unknown_unit, unknown_group, bad_code, blank_ballot, duplicate_rater, duplicate_id, conflict_of_interest, copied"
                ));
            }
        };
        *slot = rate;
        Ok(())
    }

    /// No faults at all.
    pub fn none() -> Faults {
        Faults {
            unknown_unit: 0.0,
            unknown_group: 0.0,
            bad_code: 0.0,
            blank_ballot: 0.0,
            duplicate_rater: 0.0,
            duplicate_id: 0.0,
            conflict_of_interest: 0.0,
            copied: 0.0,
            copies: 8,
        }
    }
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            unknown_unit: 0.002,
            unknown_group: 0.002,
            bad_code: 0.002,
            blank_ballot: 0.002,
            duplicate_rater: 0.003,
            duplicate_id: 0.001,
            conflict_of_interest: 0.001,
            copied: 0.0,
            copies: 8,
        }
    }
}

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Seed of the generator.
    pub seed: u64,
    /// Mean ballots per unit; each unit gets between 0.7× and 1.3× this.
    pub ballots_per_unit: u64,
    /// Share of units whose panel is drawn short of public raters (about 55%).
    pub short_panel_rate: f64,
    /// Share of public raters on a normal panel (split among the public groups).
    pub public_share: f64,
    /// Chance that an answer is an abstention, when the scale has one.
    pub abstain_rate: f64,
    /// Chance that an answer is left blank.
    pub blank_rate: f64,
    /// Fault rates.
    pub faults: Faults,
    /// Mean complaints per unit.
    pub complaints_per_unit: f64,
}

/// The most ballots per unit the simulator makes on average.
pub const MAX_BALLOTS_PER_UNIT: u64 = 1_000_000;

/// The most ballots the simulator makes in all (units × ballots per unit).
pub const MAX_BALLOTS: u64 = 1_000_000_000;

/// The most complaints per unit the simulator makes on average.
pub const MAX_COMPLAINTS_PER_UNIT: f64 = 10_000.0;

impl SimConfig {
    /// Checks the sizes and rates against what the simulator can make for `roster`,
    /// before anything is written or allocated: at most [`MAX_BALLOTS_PER_UNIT`]
    /// ballots per unit and [`MAX_BALLOTS`] in all, at most
    /// [`MAX_COMPLAINTS_PER_UNIT`] complaints per unit, rates between 0 and 1.
    pub fn check(&self, roster: &Roster) -> Result<()> {
        let usage = |m: String| Err(ErrorKind::Usage(m).into());
        if self.ballots_per_unit > MAX_BALLOTS_PER_UNIT {
            return usage(format!(
                "--ballots-per-unit {} is more than the simulator makes ({MAX_BALLOTS_PER_UNIT}); ask for fewer",
                self.ballots_per_unit
            ));
        }
        let total = (roster.len() as u64).saturating_mul(self.ballots_per_unit);
        if total > MAX_BALLOTS {
            return usage(format!(
                "{} units × {} ballots per unit is more than the {MAX_BALLOTS} ballots the simulator makes; ask for fewer",
                roster.len(),
                self.ballots_per_unit
            ));
        }
        if !(self.complaints_per_unit.is_finite()
            && (0.0..=MAX_COMPLAINTS_PER_UNIT).contains(&self.complaints_per_unit))
        {
            return usage(format!(
                "complaints per unit must be a number from 0 to {MAX_COMPLAINTS_PER_UNIT}, found {}",
                self.complaints_per_unit
            ));
        }
        let f = &self.faults;
        let rates = [
            ("short_panel_rate", self.short_panel_rate),
            ("public_share", self.public_share),
            ("abstain_rate", self.abstain_rate),
            ("blank_rate", self.blank_rate),
            ("unknown_unit", f.unknown_unit),
            ("unknown_group", f.unknown_group),
            ("bad_code", f.bad_code),
            ("blank_ballot", f.blank_ballot),
            ("duplicate_rater", f.duplicate_rater),
            ("duplicate_id", f.duplicate_id),
            ("conflict_of_interest", f.conflict_of_interest),
        ];
        for (name, r) in rates {
            if !(0.0..=1.0).contains(&r) {
                return usage(format!("simulator: {name} must be a rate from 0 to 1, found {r}"));
            }
        }
        Ok(())
    }
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            seed: 2010,
            ballots_per_unit: 20,
            short_panel_rate: 0.05,
            public_share: 0.8,
            abstain_rate: 0.03,
            blank_rate: 0.02,
            faults: Faults::default(),
            complaints_per_unit: 0.5,
        }
    }
}

/// Writes `ballots.csv` and `complaints.csv` into `dir` as one set (both or
/// neither, [`crate::files::Staging`]); returns the rows of each.
pub fn write_files(plan: &Plan, roster: &Roster, cfg: &SimConfig, dir: &std::path::Path) -> Result<(u64, u64)> {
    cfg.check(roster)?;
    let mut set = crate::files::Staging::new(dir)?;
    let b = set.stream("ballots.csv", |w| write_ballots(plan, roster, cfg, w))?;
    let c = set.stream("complaints.csv", |w| write_complaints(plan, roster, cfg, w))?;
    set.commit()?;
    Ok((b, c))
}

#[cfg(feature = "parquet")]
/// Writes `ballots.parquet` (see [`write_ballots_parquet`]) and `complaints.csv`
/// into `dir` as one set (both or neither); returns the rows of each.
pub fn write_files_parquet(plan: &Plan, roster: &Roster, cfg: &SimConfig, dir: &std::path::Path) -> Result<(u64, u64)> {
    cfg.check(roster)?;
    let mut set = crate::files::Staging::new(dir)?;
    let b = set.stream("ballots.parquet", |w| write_ballots_parquet(plan, roster, cfg, w))?;
    let c = set.stream("complaints.csv", |w| write_complaints(plan, roster, cfg, w))?;
    set.commit()?;
    Ok((b, c))
}

/// The latent quality `q_u` the simulator plants in each roster unit under `cfg`
/// (the first draws of its generator), for checking what a scoring recovers.
pub fn planted_quality(roster: &Roster, cfg: &SimConfig) -> Result<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    Ok(draw_quality(&mut rng, roster, &normal(1.0)?))
}

fn draw_quality(rng: &mut ChaCha8Rng, roster: &Roster, n01: &Normal<f64>) -> Vec<f64> {
    roster.units.iter().map(|_| n01.sample(rng)).collect()
}

fn normal(sd: f64) -> Result<Normal<f64>> {
    Normal::new(0.0, sd).map_err(|e| ErrorKind::Usage(format!("simulator: {e}")).into())
}

/// One answer of a simulated ballot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Blank,
    /// A value that is no code of the item's scale (planted `bad_code`).
    Bad,
    /// Option index into the item's scale.
    Option(usize),
}

/// One simulated ballot row.
#[derive(Debug, Default)]
struct SimRow {
    ballot_id: String,
    unit_id: String,
    rater: String,
    group: String,
    rater_unit: String,
    cells: Vec<Cell>,
    /// Unit index, and whether the row is a planted copy (`copied` fault).
    unit: usize,
    copy: bool,
}

/// The groups of a stratified panel of `n` ballots, in random order: each group's
/// share is its part of `share` (public) or `1 − share` (others), raised to its
/// `min_share` quota plus 0.05 and normalised; counts are rounded by largest
/// remainder and then raised to `⌈min_share · n⌉` where the panel allows it.
fn stratified_panel(
    plan: &Plan,
    public: &[usize],
    others: &[usize],
    share: f64,
    n: u64,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let groups = plan.groups.len();
    let mut p = vec![0.0; groups];
    let (share, rest) = match (public.is_empty(), others.is_empty()) {
        (false, false) => (share, 1.0 - share),
        (false, true) => (1.0, 0.0),
        _ => (0.0, 1.0),
    };
    for &g in public {
        p[g] = share / public.len() as f64;
    }
    for &g in others {
        p[g] = rest / others.len() as f64;
    }
    for (g, x) in p.iter_mut().enumerate() {
        if let Some(m) = plan.groups[g].min_share {
            *x = x.max(m + 0.05);
        }
    }
    let total: f64 = p.iter().sum();
    let exact: Vec<f64> = p.iter().map(|x| x / total * n as f64).collect();
    let mut counts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut order: Vec<usize> = (0..groups).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let mut left = n.saturating_sub(counts.iter().sum());
    for &g in order.iter().cycle().take(groups * 2) {
        if left == 0 {
            break;
        }
        counts[g] += 1;
        left -= 1;
    }
    for g in 0..groups {
        let need = plan.groups[g].min_share.map_or(0, |m| (m * n as f64).ceil() as u64);
        while counts[g] < need {
            // Take from the group with the most room above its own quota.
            let room =
                |h: usize| counts[h] as i64 - plan.groups[h].min_share.map_or(0, |m| (m * n as f64).ceil() as i64);
            let Some(donor) = (0..groups)
                .filter(|&h| h != g && room(h) > 0)
                .max_by_key(|&h| (room(h), usize::MAX - h))
            else {
                break;
            };
            counts[donor] -= 1;
            counts[g] += 1;
        }
    }
    let mut seq: Vec<usize> = (0..groups)
        .flat_map(|g| std::iter::repeat_n(g, counts[g] as usize))
        .collect();
    for i in (1..seq.len()).rev() {
        seq.swap(i, rng.random_range(0..=i));
    }
    seq
}

/// One ballot with no blank or abstention and at least two different options
/// (the `copied` fault's template): answers from the latent value
/// `latent(i, r_b, ε)` cut as in [`simulate_ballots`], drawn again (up to 50
/// times) while every item gets the same option position, and then with the
/// first item moved one option down the ladder (or up from the bottom).
fn mixed_ballot(
    ladders: &[(Vec<usize>, Option<usize>)],
    rng: &mut ChaCha8Rng,
    latent: impl Fn(usize, f64, f64) -> f64,
    rater_sd: &Normal<f64>,
    noise: &Normal<f64>,
) -> Vec<Cell> {
    let mut pos = vec![0usize; ladders.len()];
    for _ in 0..50 {
        let r_b = rater_sd.sample(rng);
        for (i, (ladder, _)) in ladders.iter().enumerate() {
            let y = latent(i, r_b, noise.sample(rng));
            let (mut k, mut t) = (0, 0.3);
            while k + 1 < ladder.len() && y <= t {
                k += 1;
                t -= 1.0;
            }
            pos[i] = k;
        }
        if pos.iter().any(|&p| p != pos[0]) {
            break;
        }
    }
    if pos.iter().all(|&p| p == pos[0])
        && let Some((ladder, _)) = ladders.first()
        && ladder.len() > 1
    {
        pos[0] = if pos[0] + 1 < ladder.len() {
            pos[0] + 1
        } else {
            pos[0] - 1
        };
    }
    ladders
        .iter()
        .zip(&pos)
        .map(|((ladder, _), &p)| ladder.get(p).map_or(Cell::Blank, |&o| Cell::Option(o)))
        .collect()
}

/// Simulates the ballots of a campaign row by row, handing each to `sink`;
/// returns the rows made. The order of random draws fixes the output: both file
/// formats come from this one generator.
fn simulate_ballots(
    plan: &Plan,
    roster: &Roster,
    cfg: &SimConfig,
    mut sink: impl FnMut(&SimRow) -> Result<()>,
) -> Result<u64> {
    // Self-assessment groups (SPEC §15) are not raters from outside: they are not
    // simulated, and the other groups' ballots are those of the plan without them.
    let outside;
    let plan = if plan.has_self() {
        let mut p = plan.clone();
        p.groups.retain(|g| !g.self_assessed);
        outside = p;
        &outside
    } else {
        plan
    };
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let s = &plan.survey;
    let (n01, lenient, rater_sd, item_sd, noise) =
        (normal(1.0)?, normal(0.3)?, normal(0.9)?, normal(0.3)?, normal(0.6)?);
    let quality = draw_quality(&mut rng, roster, &n01);
    let leniency: Vec<f64> = plan.groups.iter().map(|_| lenient.sample(&mut rng)).collect();
    let difficulty: Vec<f64> = s.items.iter().map(|_| item_sd.sample(&mut rng)).collect();
    // Scored options of each item, best score first, and its abstention.
    let ladders: Vec<(Vec<usize>, Option<usize>)> = (0..s.items.len())
        .map(|i| {
            let opts = &s.scale_of(i).options;
            let mut scored: Vec<usize> = (0..opts.len()).filter(|&o| opts[o].score.is_some()).collect();
            scored.sort_by(|&a, &b| opts[b].score.unwrap_or(0.0).total_cmp(&opts[a].score.unwrap_or(0.0)));
            (scored, opts.iter().position(|o| o.score.is_none()))
        })
        .collect();
    let public: Vec<usize> = (0..plan.groups.len()).filter(|&g| plan.groups[g].public).collect();
    // Self-assessment groups (SPEC §15) are not raters from outside: not simulated.
    let others: Vec<usize> = (0..plan.groups.len())
        .filter(|&g| !plan.groups[g].public && !plan.groups[g].self_assessed)
        .collect();
    let quotas = plan.groups.iter().any(|g| g.min_share.is_some());
    let f = &cfg.faults;
    let mut rows = 0u64;
    let mut next_id = 0u64;
    let mut last_ids: Vec<String> = Vec::new();
    let mut row = SimRow::default();
    for (u, unit) in roster.units.iter().enumerate() {
        let lo = (cfg.ballots_per_unit as f64 * 0.7).round() as u64;
        let hi = (cfg.ballots_per_unit as f64 * 1.3).round() as u64;
        let n = if hi > lo { rng.random_range(lo..=hi) } else { lo };
        let short = rng.random_bool(cfg.short_panel_rate.clamp(0.0, 1.0));
        let share = if short { 0.55 } else { cfg.public_share };
        // A plan with group quotas: offices compose such panels on purpose, so a
        // normal panel is stratified (every quota met); a short one is drawn freely.
        let panel = (quotas && !short).then(|| stratified_panel(plan, &public, &others, share, n, &mut rng));
        let mut prev_rater: Option<(String, String)> = None;
        // Copied ballots: drawn only when the fault is on, so that other
        // configurations keep their bytes.
        let plant = f.copied > 0.0 && f.copies > 0 && n >= f.copies && rng.random_bool(f.copied.clamp(0.0, 1.0));
        let first_copy = if plant { n - f.copies } else { n };
        let mut template: Vec<Cell> = Vec::new();
        for k in 0..n {
            next_id += 1;
            let mut ballot_id = format!("B{next_id:08}");
            if rng.random_bool(f.duplicate_id) && !last_ids.is_empty() {
                ballot_id = last_ids[rng.random_range(0..last_ids.len())].clone();
            }
            let g = match &panel {
                Some(p) => p[k as usize],
                None if others.is_empty() || (!public.is_empty() && rng.random_bool(share.clamp(0.0, 1.0))) => {
                    public[rng.random_range(0..public.len())]
                }
                None => others[rng.random_range(0..others.len())],
            };
            let mut rater = format!("R{:07}", rng.random_range(0..10_000_000u64));
            let mut group = plan.groups[g].id.clone();
            if rng.random_bool(f.duplicate_rater)
                && let Some((r, gr)) = &prev_rater
            {
                rater = r.clone();
                group = gr.clone();
            }
            let mut unit_id = unit.id.clone();
            if rng.random_bool(f.unknown_unit) {
                unit_id = format!("ZZ{:03}", rng.random_range(0..1000));
            }
            if rng.random_bool(f.unknown_group) {
                group = "visitor".into();
            }
            let rater_unit = if rng.random_bool(f.conflict_of_interest) {
                unit.id.clone()
            } else {
                String::new()
            };
            row.cells.clear();
            let blank_all = rng.random_bool(f.blank_ballot);
            let bad_item = rng.random_bool(f.bad_code).then(|| rng.random_range(0..s.items.len()));
            let r_b = rater_sd.sample(&mut rng);
            for (i, (ladder, abstain)) in ladders.iter().enumerate() {
                let y = 1.3 + 0.5 * quality[u] + leniency[g] + r_b - difficulty[i] + noise.sample(&mut rng);
                let cell = if bad_item == Some(i) {
                    Cell::Bad
                } else if blank_all || rng.random_bool(cfg.blank_rate) {
                    Cell::Blank
                } else if let Some(a) = abstain.filter(|_| rng.random_bool(cfg.abstain_rate)) {
                    Cell::Option(a)
                } else {
                    let mut k = 0;
                    let mut t = 0.3;
                    while k + 1 < ladder.len() && y <= t {
                        k += 1;
                        t -= 1.0;
                    }
                    Cell::Option(ladder[k])
                };
                row.cells.push(cell);
            }
            if k >= first_copy {
                if template.is_empty() {
                    template = mixed_ballot(
                        &ladders,
                        &mut rng,
                        |i, r_b, e| 1.3 + 0.5 * quality[u] + leniency[g] + r_b - difficulty[i] + e,
                        &rater_sd,
                        &noise,
                    );
                }
                row.cells.clone_from(&template);
                ballot_id = format!("B{next_id:08}");
                rater = format!("R{:07}", rng.random_range(0..10_000_000u64));
                group = plan.groups[g].id.clone();
                unit_id = unit.id.clone();
            }
            row.ballot_id.clone_from(&ballot_id);
            row.unit_id = unit_id;
            row.rater.clone_from(&rater);
            row.group.clone_from(&group);
            row.rater_unit = if k >= first_copy { String::new() } else { rater_unit };
            row.unit = u;
            row.copy = k >= first_copy;
            sink(&row)?;
            rows += 1;
            prev_rater = Some((rater, group));
            if last_ids.len() < 64 {
                last_ids.push(ballot_id);
            } else {
                let k = rng.random_range(0..64);
                last_ids[k] = ballot_id;
            }
        }
    }
    Ok(rows)
}

/// Which units (roster order) the `copied` fault planted copies into, for the same
/// plan, roster and configuration as [`write_ballots`]: what a detection rate is
/// measured against.
pub fn planted_copies(plan: &Plan, roster: &Roster, cfg: &SimConfig) -> Result<Vec<bool>> {
    let mut planted = vec![false; roster.units.len()];
    simulate_ballots(plan, roster, cfg, |row| {
        if row.copy
            && let Some(p) = planted.get_mut(row.unit)
        {
            *p = true;
        }
        Ok(())
    })?;
    Ok(planted)
}

/// Writes a ballots CSV for the plan and roster; returns the rows written.
pub fn write_ballots<W: Write>(plan: &Plan, roster: &Roster, cfg: &SimConfig, out: W) -> Result<u64> {
    cfg.check(roster)?;
    let s = &plan.survey;
    let mut w = csv::Writer::from_writer(out);
    let failed = |e: csv::Error| Error::from(ErrorKind::Usage(format!("simulator could not write: {e}")));
    let mut head: Vec<&str> = vec!["ballot_id", "unit_id", "rater_id", "rater_group", "rater_unit"];
    head.extend(s.items.iter().map(|it| it.id.as_str()));
    w.write_record(&head).map_err(failed)?;
    let rows = simulate_ballots(plan, roster, cfg, |row| {
        w.write_field(&row.ballot_id)
            .and_then(|_| w.write_field(&row.unit_id))
            .and_then(|_| w.write_field(&row.rater))
            .and_then(|_| w.write_field(&row.group))
            .and_then(|_| w.write_field(&row.rater_unit))
            .map_err(failed)?;
        for (i, c) in row.cells.iter().enumerate() {
            let text = match *c {
                Cell::Blank => "",
                Cell::Bad => "x",
                Cell::Option(o) => s.scale_of(i).options[o].code.as_str(),
            };
            w.write_field(text).map_err(failed)?;
        }
        w.write_record(None::<&[u8]>).map_err(failed)
    })?;
    w.flush()
        .map_err(|e| Error::from(ErrorKind::Usage(format!("simulator could not write: {e}"))))?;
    Ok(rows)
}

#[cfg(feature = "parquet")]
/// Rows per row group of a simulated Parquet file.
pub const PARQUET_ROW_GROUP: usize = 1 << 20;

#[cfg(feature = "parquet")]
/// Writes a ballots Parquet file (zstd, row groups of [`PARQUET_ROW_GROUP`] rows)
/// with the same ballots as [`write_ballots`] for the same configuration: string
/// id columns (null for a blank `rater_unit`), and per item an Int8 column of the
/// option codes when every code of its scale is an integer in −128..=127 (null for
/// a blank; a planted bad code is the first of −1, 99, 127, −128 that is no code),
/// else a string column like the CSV's. Returns the rows written.
pub fn write_ballots_parquet<W: Write>(plan: &Plan, roster: &Roster, cfg: &SimConfig, out: W) -> Result<u64> {
    cfg.check(roster)?;
    use polars::prelude::{DataFrame, IntoColumn, NamedFrom, ParquetCompression, ParquetWriter, Series};
    let s = &plan.survey;
    let failed =
        |e: polars::prelude::PolarsError| Error::from(ErrorKind::Usage(format!("simulator could not write: {e}")));
    // Per item: the Int8 code of each option and of a planted bad code, when the
    // scale's codes are all small integers.
    let ints: Vec<Option<(Vec<i8>, i8)>> = (0..s.items.len())
        .map(|i| {
            let codes: Option<Vec<i8>> = s
                .scale_of(i)
                .options
                .iter()
                .map(|o| o.code.parse::<i8>().ok().filter(|v| v.to_string() == o.code))
                .collect();
            let codes = codes?;
            let bad = [-1i8, 99, 127, -128].into_iter().find(|b| !codes.contains(b))?;
            Some((codes, bad))
        })
        .collect();
    #[derive(Default)]
    struct Cols {
        ballot: Vec<String>,
        unit: Vec<String>,
        rater: Vec<String>,
        group: Vec<String>,
        rater_unit: Vec<Option<String>>,
        int_items: Vec<Vec<Option<i8>>>,
        str_items: Vec<Vec<Option<String>>>,
    }
    let mut cols = Cols {
        int_items: vec![Vec::new(); s.items.len()],
        str_items: vec![Vec::new(); s.items.len()],
        ..Default::default()
    };
    let frame = |cols: &mut Cols| -> Result<DataFrame> {
        let height = cols.ballot.len();
        let mut v = vec![
            Series::new("ballot_id".into(), std::mem::take(&mut cols.ballot)).into_column(),
            Series::new("unit_id".into(), std::mem::take(&mut cols.unit)).into_column(),
            Series::new("rater_id".into(), std::mem::take(&mut cols.rater)).into_column(),
            Series::new("rater_group".into(), std::mem::take(&mut cols.group)).into_column(),
            Series::new("rater_unit".into(), std::mem::take(&mut cols.rater_unit)).into_column(),
        ];
        for (i, it) in s.items.iter().enumerate() {
            let name = it.id.as_str().into();
            v.push(if ints[i].is_some() {
                Series::new(name, std::mem::take(&mut cols.int_items[i])).into_column()
            } else {
                Series::new(name, std::mem::take(&mut cols.str_items[i])).into_column()
            });
        }
        DataFrame::new(height, v).map_err(failed)
    };
    let empty = frame(&mut cols)?;
    let mut writer = ParquetWriter::new(out)
        .with_compression(ParquetCompression::Zstd(None))
        .batched(empty.schema())
        .map_err(failed)?;
    let rows = simulate_ballots(plan, roster, cfg, |row| {
        cols.ballot.push(row.ballot_id.clone());
        cols.unit.push(row.unit_id.clone());
        cols.rater.push(row.rater.clone());
        cols.group.push(row.group.clone());
        cols.rater_unit
            .push((!row.rater_unit.is_empty()).then(|| row.rater_unit.clone()));
        for (i, &c) in row.cells.iter().enumerate() {
            match &ints[i] {
                Some((codes, bad)) => cols.int_items[i].push(match c {
                    Cell::Blank => None,
                    Cell::Bad => Some(*bad),
                    Cell::Option(o) => Some(codes[o]),
                }),
                None => cols.str_items[i].push(match c {
                    Cell::Blank => None,
                    Cell::Bad => Some("x".into()),
                    Cell::Option(o) => Some(s.scale_of(i).options[o].code.clone()),
                }),
            }
        }
        if cols.ballot.len() == PARQUET_ROW_GROUP {
            writer.write_batch(&frame(&mut cols)?).map_err(failed)?;
        }
        Ok(())
    })?;
    if !cols.ballot.is_empty() {
        writer.write_batch(&frame(&mut cols)?).map_err(failed)?;
    }
    writer.finish().map_err(failed)?;
    Ok(rows)
}

/// Writes a complaints CSV: about `complaints_per_unit` per unit, half of them
/// verified, some outside the period, a few of a veto category, and about 1% of
/// rows with a fault the reader rejects. Returns the rows written.
pub fn write_complaints<W: Write>(plan: &Plan, roster: &Roster, cfg: &SimConfig, out: W) -> Result<u64> {
    cfg.check(roster)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x636f_6d70_6c61_696e);
    let mut w = csv::Writer::from_writer(out);
    let failed = |e: csv::Error| Error::from(ErrorKind::Usage(format!("simulator could not write: {e}")));
    w.write_record(["complaint_id", "unit_id", "date", "category", "status", "source"])
        .map_err(failed)?;
    let cats = &plan.complaints.categories;
    if cats.is_empty() || cfg.complaints_per_unit <= 0.0 {
        w.flush().map_err(|e| Error::from(ErrorKind::Usage(e.to_string())))?;
        return Ok(0);
    }
    let poisson = Poisson::new(cfg.complaints_per_unit).map_err(|e| Error::from(ErrorKind::Usage(e.to_string())))?;
    let days = (plan.period.end - plan.period.start).get_days().max(0) as i64;
    let sources = ["hotline", "letter", "secret_visit", "inspection"];
    let mut rows = 0u64;
    for unit in &roster.units {
        let k = poisson.sample(&mut rng) as u64;
        for _ in 0..k {
            rows += 1;
            let mut id = format!("C{rows:06}");
            let mut unit_id = unit.id.clone();
            // Veto categories are rare: one draw in twenty picks among them.
            let vetoes: Vec<usize> = (0..cats.len()).filter(|&c| cats[c].veto).collect();
            let plain: Vec<usize> = (0..cats.len()).filter(|&c| !cats[c].veto).collect();
            let c = if !vetoes.is_empty() && (plain.is_empty() || rng.random_bool(0.05)) {
                vetoes[rng.random_range(0..vetoes.len())]
            } else {
                plain[rng.random_range(0..plain.len())]
            };
            let mut category = cats[c].id.clone();
            let mut status = match rng.random_range(0..10) {
                0..5 => "verified",
                5..8 => "unverified",
                _ => "dismissed",
            }
            .to_string();
            let offset = if rng.random_bool(0.05) {
                if rng.random_bool(0.5) {
                    -rng.random_range(1..=30)
                } else {
                    days + rng.random_range(1..=30)
                }
            } else {
                rng.random_range(0..=days)
            };
            let mut date = plan
                .period
                .start
                .checked_add(jiff::Span::new().days(offset))
                .map_or_else(|_| plan.period.start.to_string(), |d| d.to_string());
            if rng.random_bool(0.01) {
                match rng.random_range(0..5) {
                    0 => unit_id = "ZZ000".into(),
                    1 => category = "unknown".into(),
                    2 => status = "pending".into(),
                    3 => date = date.replace('-', "/"),
                    _ => id = format!("C{:06}", rows.saturating_sub(1).max(1)),
                }
            }
            let source = sources[rng.random_range(0..sources.len())];
            w.write_record([id.as_str(), &unit_id, &date, &category, &status, source])
                .map_err(failed)?;
        }
    }
    w.flush()
        .map_err(|e| Error::from(ErrorKind::Usage(format!("simulator could not write: {e}"))))?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_rates_from_the_command_line() {
        let mut f = Faults::none();
        f.set("bad_code=0.25").expect("bad_code");
        f.set(" duplicate_id = 1 ").expect("duplicate_id");
        assert_eq!((f.bad_code, f.duplicate_id, f.unknown_unit), (0.25, 1.0, 0.0));
        f.set("copied=0.2").expect("copied");
        assert_eq!((f.copied, f.copies), (0.2, 8));
        assert!(f.set("bad_code=1.5").is_err());
        assert!(f.set("bad_code").is_err());
        assert!(f.set("typo=0.1").unwrap_err().contains("no fault `typo`"));
    }

    #[test]
    fn a_stratified_panel_meets_every_quota() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("surveys");
        let plan = Plan::load(&dir.join("san-manyi.plan.yaml")).expect("plan");
        // Groups: public (public, min 0.2), grassroots (min 0.2), enterprise (public,
        // min 0.2); public share 0.8 → 0.4, 0.2, 0.4; raised to min + 0.05 = 0.25:
        // 0.4, 0.25, 0.4 (sum 1.05). Of 30: 11.43, 7.14, 11.43 → floors 11, 7, 11,
        // one left for the largest remainder (a tie of public and enterprise: the
        // first) → 12, 7, 11; each ≥ ⌈0.2 · 30⌉ = 6.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let seq = stratified_panel(&plan, &[0, 2], &[1], 0.8, 30, &mut rng);
        let counts: Vec<usize> = (0..3).map(|g| seq.iter().filter(|&&x| x == g).count()).collect();
        assert_eq!(counts, [12, 7, 11]);
        // Of 10 the quotas bind: 3.81, 2.38, 3.81 → 3, 2, 3 + 2 left (public,
        // enterprise) → 4, 2, 4, but ⌈0.2 · 10⌉ = 2 is met; of 4: ⌈0.8⌉ = 1 each.
        let seq = stratified_panel(&plan, &[0, 2], &[1], 0.8, 10, &mut rng);
        assert_eq!(
            (0..3)
                .map(|g| seq.iter().filter(|&&x| x == g).count())
                .collect::<Vec<_>>(),
            [4, 2, 4]
        );
        let seq = stratified_panel(&plan, &[0, 2], &[1], 0.8, 4, &mut rng);
        assert!((0..3).all(|g| seq.contains(&g)), "{seq:?}");
    }
}
