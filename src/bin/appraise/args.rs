//! Command-line arguments: clap parses flags into plain low-level [`Cli`] values,
//! and [`Cli::check`] turns them into a checked [`Command`] before anything runs
//! (the `lowargs` → `hiargs` split of ripgrep).

use std::path::PathBuf;

use appraise::count::read::Format;
use appraise::{Encoding, Source};
use clap::{Args, Parser, Subcommand};

/// Scores satisfaction surveys and democratic appraisals of public-service units.
#[derive(Parser, Debug)]
#[command(name = "appraise", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Subcommand, Debug)]
pub enum Sub {
    /// Check a plan and its survey (and a roster, ballots and complaints, if
    /// given): a dry run of `score` that prints the accounting and the attention
    /// list and writes nothing. Exit 0 when clean, 1 when something needs a person.
    Validate {
        /// The plan YAML (its `survey:` is relative to it).
        #[arg(long)]
        plan: PathBuf,
        /// A roster (CSV or workbook) to check against the plan.
        #[arg(long)]
        roster: Option<PathBuf>,
        /// Ballot file(s), CSV, workbook or Parquet, read as `score` reads them.
        #[arg(long, num_args = 1.., requires = "roster")]
        ballots: Vec<PathBuf>,
        /// Complaints (CSV or workbook).
        #[arg(long, requires = "roster")]
        complaints: Option<PathBuf>,
        /// This run's period instead of the plan's (as for `score`).
        #[arg(long, value_parser = parse_period)]
        period: Option<appraise::rules::plan::Period>,
        #[command(flatten)]
        people: PeopleArgs,
        #[command(flatten)]
        ledgers: LedgerArgs,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Score a campaign: ballots (and complaints) into ranked results.
    Score {
        /// The plan YAML.
        #[arg(long)]
        plan: PathBuf,
        /// The roster CSV (unit_id, name, department, kind[, issued, ...]).
        #[arg(long)]
        roster: PathBuf,
        /// Ballot file(s), CSV or Parquet; several files (or a quoted glob such as
        /// 'ballots/*.parquet') form one campaign, duplicates judged across all of
        /// them in the order given.
        #[arg(long, num_args = 1.., required_unless_present = "tallies", conflicts_with = "tallies")]
        ballots: Vec<PathBuf>,
        /// Tally files made by `appraise tally` (instead of --ballots), merged exactly.
        #[arg(long, num_args = 1..)]
        tallies: Vec<PathBuf>,
        /// Format of the ballot files: auto (by extension: .parquet/.parq/.pq is
        /// Parquet, else CSV), csv or parquet.
        #[arg(long, default_value = "auto")]
        format: Format,
        /// Complaints CSV.
        #[arg(long)]
        complaints: Option<PathBuf>,
        /// results.csv of earlier periods, most recent first, for the plan's
        /// consecutive-period rule (ranking.consecutive).
        #[arg(long, num_args = 1..)]
        previous: Vec<PathBuf>,
        /// This run's period instead of the plan's: a month YYYY-MM (one run of a
        /// monthly ranking) or YYYY-MM-DD..YYYY-MM-DD. Complaints count inside it.
        #[arg(long, value_parser = parse_period)]
        period: Option<appraise::rules::plan::Period>,
        /// Output folder (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Fail (exit 3) when a unit breaks the panel rule, instead of marking it.
        #[arg(long)]
        strict: bool,
        /// Score even when more than half of all ballot rows are rejected (by
        /// default such a run fails with exit 1 and writes nothing).
        #[arg(long)]
        accept_rejects: bool,
        /// Memory the tally may take (e.g. 2G, 512M; default 1G): a roster whose
        /// tally needs more is refused before any ballot is read.
        #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
        memory: Option<u64>,
        #[command(flatten)]
        people: PeopleArgs,
        #[command(flatten)]
        ledgers: LedgerArgs,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Tally one shard of ballots into a tally file for `score --tallies`; its
    /// rejects go to `<out without extension>.rejects.csv`.
    Tally {
        /// The plan YAML.
        #[arg(long)]
        plan: PathBuf,
        /// The roster CSV.
        #[arg(long)]
        roster: PathBuf,
        /// Ballot file(s), CSV or Parquet (or a quoted glob).
        #[arg(long, num_args = 1.., required = true)]
        ballots: Vec<PathBuf>,
        /// Format of the ballot files: auto, csv or parquet.
        #[arg(long, default_value = "auto")]
        format: Format,
        /// The tally file to write (Parquet, e.g. T1.tally.parquet).
        #[arg(long)]
        out: PathBuf,
        /// Also write the duplicate keys of this shard's valid ballots (Parquet).
        #[arg(long)]
        keys_out: Option<PathBuf>,
        /// Keys files of shards tallied before this one: their ballots count as
        /// already read, so a repeat here is a `duplicate`.
        #[arg(long, num_args = 1..)]
        known_keys: Vec<PathBuf>,
        /// Memory the tally may take (e.g. 2G, 512M; default 1G), as for `score`.
        #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
        memory: Option<u64>,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Draw rater panels from a candidates list with a proof anyone can re-check
    /// (SPEC §13): `--commit SEED` prints the seed's SHA-256 to publish before the
    /// draw; the draw writes panel.csv, proof.json and candidate_rejects.csv;
    /// `--verify DIR` re-draws and checks DIR (exit 1 naming the first difference).
    Draw {
        /// Print the SHA-256 (hex) of SEED's UTF-8 bytes, to publish before the
        /// draw, and exit.
        #[arg(long, value_name = "SEED", conflicts_with_all = ["plan", "roster", "candidates", "per_unit", "seed", "out", "verify"])]
        commit: Option<String>,
        /// The plan YAML (groups, quotas, panel.min_public_share, exclude,
        /// draw.max_panels_per_rater).
        #[arg(long, required_unless_present = "commit")]
        plan: Option<PathBuf>,
        /// The roster (CSV or workbook): a panel is drawn for each unit the plan
        /// does not exclude, in roster order.
        #[arg(long, required_unless_present = "commit")]
        roster: Option<PathBuf>,
        /// The candidates (CSV or workbook): candidate_id, name, rater_group,
        /// optional unit (their own workplace) and max_panels.
        #[arg(long, required_unless_present = "commit")]
        candidates: Option<PathBuf>,
        /// Raters drawn for each unit.
        #[arg(long, required_unless_present = "commit")]
        per_unit: Option<u64>,
        /// The seed whose SHA-256 was published (its UTF-8 bytes exactly as given).
        #[arg(long, required_unless_present = "commit")]
        seed: Option<String>,
        /// Output folder for panel.csv, proof.json and candidate_rejects.csv.
        #[arg(long, required_unless_present_any = ["commit", "verify"], conflicts_with = "verify")]
        out: Option<PathBuf>,
        /// Re-draw and check that this folder holds exactly that draw (exit 0), or
        /// name the first difference of each file (exit 1); writes nothing.
        #[arg(long, value_name = "DIR")]
        verify: Option<PathBuf>,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Score the shipped demo campaign (蔡甸区 2010, 300 units) and print the list's
    /// front and back.
    Demo {
        /// Also write the full outputs into this folder.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write simulated ballots.csv and complaints.csv for a plan and roster.
    Simulate {
        /// The plan YAML.
        #[arg(long)]
        plan: PathBuf,
        /// The roster CSV.
        #[arg(long)]
        roster: PathBuf,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Mean ballots per unit.
        #[arg(long, default_value_t = 20)]
        ballots_per_unit: u64,
        /// Seed of the generator (same seed, same files).
        #[arg(long, default_value_t = 2010)]
        seed: u64,
        /// Plant no faults (every ballot valid unless the panel says otherwise).
        #[arg(long)]
        no_faults: bool,
        /// Rate (per ballot) of one planted fault, e.g. `--fault bad_code=0.01`;
        /// repeatable. Faults: unknown_unit, unknown_group, bad_code, blank_ballot,
        /// duplicate_rater, duplicate_id, conflict_of_interest; and copied (a rate per
        /// unit: the unit's last 8 ballots become copies of one mixed-answer ballot
        /// with new ballot and rater ids, valid ballots for the flags to find).
        #[arg(long = "fault", value_name = "NAME=RATE")]
        faults: Vec<String>,
        /// Format of the ballots file: csv (ballots.csv) or parquet (ballots.parquet:
        /// integer codes, row groups of 2^20 rows, zstd).
        #[arg(long, default_value = "csv")]
        format: Format,
        #[command(flatten)]
        input: InputArgs,
    },
}

/// The input files of SPEC §14 (score components and ledgers).
#[derive(Args, Debug, Clone, Default)]
pub struct LedgerArgs {
    /// Service tickets (CSV or workbook: ticket_id, unit_id, received, closed
    /// blank = open, kind) for the plan's `tickets:` deadlines (按期办结率).
    #[arg(long)]
    pub tickets: Option<PathBuf>,
    /// 差评 rectifications (rating_id, unit_id, opened, closed) for the plan's
    /// `rectifications:` deadline (整改率).
    #[arg(long)]
    pub rectifications: Option<PathBuf>,
    /// The commitments ledger (commitment_id, unit_id, text, due, done) (践诺率).
    #[arg(long)]
    pub commitments: Option<PathBuf>,
    /// External scores (unit_id, component, score 0–100) for the plan's
    /// `components:` (暗访, 考核, 自评…).
    #[arg(long)]
    pub assessments: Option<PathBuf>,
    /// Holiday file for working-day deadlines: one date per line, `DATE,workday`
    /// for an extra working day (调休 补班).
    #[arg(long)]
    pub holidays: Option<PathBuf>,
}

impl LedgerArgs {
    /// The sources, each checked to exist.
    fn sources(self, sheet: &Option<String>) -> Result<appraise::campaign::LedgerSources, String> {
        let one = |p: Option<PathBuf>, flag: &str| -> Result<Option<Source>, String> {
            match p {
                Some(p) if !p.is_file() => Err(format!("{flag} `{}` does not exist or is not a file", p.display())),
                Some(p) => Ok(Some(source(p, sheet))),
                None => Ok(None),
            }
        };
        Ok(appraise::campaign::LedgerSources {
            tickets: one(self.tickets, "--tickets")?,
            rectifications: one(self.rectifications, "--rectifications")?,
            commitments: one(self.commitments, "--commitments")?,
            assessments: one(self.assessments, "--assessments")?,
            // A plain text list, never a sheet.
            holidays: one(self.holidays, "--holidays")?.map(|s| Source::File(s.path().to_path_buf())),
        })
    }
}

#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Encoding of CSV inputs: auto (UTF-8, else detected, e.g. GBK), utf-8 or gbk.
    #[arg(long, default_value = "auto")]
    pub encoding: Encoding,
    /// Print no progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// The sheet to read in every workbook input (.xlsx, .xls, .ods); by default
    /// the first visible sheet.
    #[arg(long)]
    pub sheet: Option<String>,
}

/// The source of an input file: a named sheet when `--sheet` is given and the
/// file is a workbook, else the file.
pub fn source(path: PathBuf, sheet: &Option<String>) -> Source {
    match sheet {
        Some(s) if appraise::input::table::is_workbook(&path) => Source::Sheet { path, sheet: s.clone() },
        _ => Source::File(path),
    }
}

/// The inputs of SPEC §15 (staff points, title review), on `score` and `validate`.
#[derive(clap::Args, Debug)]
pub struct PeopleArgs {
    /// Staff roster (CSV or workbook: staff_id, name, unit_id) for the plan's
    /// `staff:` rule: lists staff with no complaint; a complaint naming someone
    /// not on it is rejected.
    #[arg(long)]
    staff: Option<PathBuf>,
    /// Titles held (CSV or workbook: unit_id, title, since) for the plan's
    /// `titles:` rule (摘牌): writes titles_after.csv.
    #[arg(long)]
    titles: Option<PathBuf>,
}

impl PeopleArgs {
    /// The files, checked to exist.
    fn check(self, sheet: &Option<String>) -> Result<appraise::campaign::PeopleFiles, String> {
        for (p, flag) in [(&self.staff, "--staff"), (&self.titles, "--titles")] {
            if let Some(p) = p
                && !p.is_file()
            {
                return Err(format!("{flag} `{}` does not exist or is not a file", p.display()));
            }
        }
        Ok(appraise::campaign::PeopleFiles {
            staff: self.staff.map(|p| source(p, sheet)),
            titles: self.titles.map(|p| source(p, sheet)),
        })
    }

    fn given(&self) -> bool {
        self.staff.is_some() || self.titles.is_some()
    }
}

/// A checked command, ready to run.
pub enum Command {
    Validate {
        plan: PathBuf,
        roster: Option<Source>,
        ballots: Vec<Source>,
        complaints: Option<Source>,
        period: Option<appraise::rules::plan::Period>,
        ledgers: appraise::campaign::LedgerSources,
        encoding: Encoding,
        people: appraise::campaign::PeopleFiles,
    },
    Score(ScoreConfig),
    Tally(TallyConfig),
    /// `appraise draw --commit SEED`.
    Commit {
        seed: String,
    },
    Draw(DrawConfig),
    Demo {
        out: Option<PathBuf>,
    },
    Simulate {
        plan: PathBuf,
        roster: PathBuf,
        out: PathBuf,
        config: appraise::simulate::SimConfig,
        encoding: Encoding,
        parquet: bool,
    },
}

/// Where the ballots of a `score` come from.
pub enum Input {
    Ballots(Vec<Source>),
    Tallies(Vec<PathBuf>),
}

pub struct TallyConfig {
    pub plan: PathBuf,
    pub roster: Source,
    pub ballots: Vec<Source>,
    pub out: PathBuf,
    pub keys_out: Option<PathBuf>,
    pub known_keys: Vec<PathBuf>,
    pub encoding: Encoding,
    pub format: Format,
    /// The tally's memory budget in bytes.
    pub memory: u64,
    pub quiet: bool,
}

/// Where a draw goes: written into a folder, or checked against one.
pub enum DrawTarget {
    Out(PathBuf),
    Verify(PathBuf),
}

pub struct DrawConfig {
    pub plan: PathBuf,
    pub roster: Source,
    pub candidates: Source,
    pub per_unit: u64,
    pub seed: String,
    pub target: DrawTarget,
    pub encoding: Encoding,
}

pub struct ScoreConfig {
    pub plan: PathBuf,
    pub roster: Source,
    pub input: Input,
    pub complaints: Option<Source>,
    pub previous: Vec<Source>,
    pub period: Option<appraise::rules::plan::Period>,
    pub out: PathBuf,
    pub options: appraise::campaign::Options,
    pub quiet: bool,
}

impl Cli {
    /// Checks the arguments that clap cannot: paths that must exist, an output
    /// folder that is not a file.
    pub fn check(self) -> Result<Command, String> {
        let exists = |p: &PathBuf, what: &str| {
            if p.is_file() {
                Ok(())
            } else {
                Err(format!("{what} `{}` does not exist or is not a file", p.display()))
            }
        };
        let not_file = |p: &PathBuf| {
            if p.is_file() {
                Err(format!("--out `{}` is a file; name a folder", p.display()))
            } else {
                Ok(())
            }
        };
        Ok(match self.command {
            Sub::Validate {
                plan,
                roster,
                ballots,
                complaints,
                period,
                people,
                ledgers,
                input,
            } => {
                exists(&plan, "--plan")?;
                if let Some(r) = &roster {
                    exists(r, "--roster")?;
                }
                if roster.is_none() && people.given() {
                    return Err("--staff and --titles are checked against a roster; give --roster".into());
                }
                let people = people.check(&input.sheet)?;
                let ballots = expand(ballots)?;
                for b in &ballots {
                    exists(b, "--ballots")?;
                }
                if let Some(c) = &complaints {
                    exists(c, "--complaints")?;
                }
                Command::Validate {
                    plan,
                    roster: roster.map(|r| source(r, &input.sheet)),
                    ballots: ballots.into_iter().map(|b| source(b, &input.sheet)).collect(),
                    complaints: complaints.map(|c| source(c, &input.sheet)),
                    period,
                    ledgers: ledgers.sources(&input.sheet)?,
                    encoding: input.encoding,
                    people,
                }
            }
            Sub::Score {
                plan,
                roster,
                ballots,
                tallies,
                format,
                complaints,
                previous,
                period,
                out,
                strict,
                accept_rejects,
                memory,
                people,
                ledgers,
                input,
            } => {
                let people = people.check(&input.sheet)?;
                exists(&plan, "--plan")?;
                exists(&roster, "--roster")?;
                let ballots = expand(ballots)?;
                for b in ballots.iter().chain(&tallies) {
                    exists(b, if tallies.is_empty() { "--ballots" } else { "--tallies" })?;
                }
                if let Some(c) = &complaints {
                    exists(c, "--complaints")?;
                }
                for p in &previous {
                    exists(p, "--previous")?;
                }
                not_file(&out)?;
                Command::Score(ScoreConfig {
                    previous: previous.into_iter().map(|p| source(p, &input.sheet)).collect(),
                    period,
                    plan,
                    roster: source(roster, &input.sheet),
                    input: if tallies.is_empty() {
                        Input::Ballots(ballots.into_iter().map(|b| source(b, &input.sheet)).collect())
                    } else {
                        Input::Tallies(tallies)
                    },
                    complaints: complaints.map(|c| source(c, &input.sheet)),
                    out,
                    options: appraise::campaign::Options {
                        encoding: input.encoding,
                        strict,
                        format,
                        accept_rejects,
                        // The command uses the machine's cores; the library
                        // starts threads only when told to.
                        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
                        people,
                        ledgers: ledgers.sources(&input.sheet)?,
                        memory,
                    },
                    quiet: input.quiet,
                })
            }
            Sub::Tally {
                plan,
                roster,
                ballots,
                format,
                out,
                keys_out,
                known_keys,
                memory,
                input,
            } => {
                exists(&plan, "--plan")?;
                exists(&roster, "--roster")?;
                let ballots = expand(ballots)?;
                for b in &ballots {
                    exists(b, "--ballots")?;
                }
                for k in &known_keys {
                    exists(k, "--known-keys")?;
                }
                if out.is_dir() {
                    return Err(format!("--out `{}` is a folder; name the tally file", out.display()));
                }
                Command::Tally(TallyConfig {
                    plan,
                    roster: source(roster, &input.sheet),
                    ballots: ballots.into_iter().map(|b| source(b, &input.sheet)).collect(),
                    out,
                    keys_out,
                    known_keys,
                    encoding: input.encoding,
                    format,
                    memory: memory.unwrap_or(appraise::count::tally::TALLY_BUDGET),
                    quiet: input.quiet,
                })
            }
            Sub::Draw {
                commit,
                plan,
                roster,
                candidates,
                per_unit,
                seed,
                out,
                verify,
                input,
            } => {
                if let Some(seed) = commit {
                    return Ok(Command::Commit { seed });
                }
                // clap requires these unless --commit is given.
                let (Some(plan), Some(roster), Some(candidates), Some(per_unit), Some(seed)) =
                    (plan, roster, candidates, per_unit, seed)
                else {
                    return Err(
                        "draw needs --plan, --roster, --candidates, --per-unit and --seed (or --commit SEED)".into(),
                    );
                };
                exists(&plan, "--plan")?;
                exists(&roster, "--roster")?;
                exists(&candidates, "--candidates")?;
                if per_unit == 0 {
                    return Err("--per-unit must be at least 1".into());
                }
                let target = match (out, verify) {
                    (_, Some(dir)) => {
                        if !dir.is_dir() {
                            return Err(format!(
                                "--verify `{}` is not a folder; name the folder of the draw to check",
                                dir.display()
                            ));
                        }
                        DrawTarget::Verify(dir)
                    }
                    (Some(out), None) => {
                        not_file(&out)?;
                        DrawTarget::Out(out)
                    }
                    (None, None) => return Err("draw needs --out DIR (or --verify DIR)".into()),
                };
                Command::Draw(DrawConfig {
                    plan,
                    roster: source(roster, &input.sheet),
                    candidates: source(candidates, &input.sheet),
                    per_unit,
                    seed,
                    target,
                    encoding: input.encoding,
                })
            }
            Sub::Demo { out } => {
                if let Some(o) = &out {
                    not_file(o)?;
                }
                Command::Demo { out }
            }
            Sub::Simulate {
                plan,
                roster,
                out,
                ballots_per_unit,
                seed,
                no_faults,
                faults,
                format,
                input,
            } => {
                exists(&plan, "--plan")?;
                exists(&roster, "--roster")?;
                not_file(&out)?;
                let mut config = appraise::simulate::SimConfig {
                    seed,
                    ballots_per_unit,
                    ..Default::default()
                };
                if no_faults {
                    config.faults = appraise::simulate::Faults::none();
                    config.short_panel_rate = 0.0;
                }
                for f in &faults {
                    config.faults.set(f)?;
                }
                Command::Simulate {
                    plan,
                    roster,
                    out,
                    config,
                    encoding: input.encoding,
                    parquet: format == Format::Parquet,
                }
            }
        })
    }
}

/// A `--period` value (see [`appraise::rules::plan::Period::parse`]).
fn parse_period(s: &str) -> Result<appraise::rules::plan::Period, String> {
    appraise::rules::plan::Period::parse(s)
        .ok_or_else(|| format!("`{s}` is not a period: give a month YYYY-MM or YYYY-MM-DD..YYYY-MM-DD"))
}

/// A `--memory` size: a number of bytes, or a number (decimals allowed) with K, M,
/// G or T (binary multiples; `B`, `iB` after it and case are ignored: 2G = 2GiB =
/// 2gb = 2³¹ bytes).
fn parse_memory(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}` is not a size: give e.g. 2G, 512M or 1.5G");
    let t = s.trim().to_ascii_uppercase();
    let t = t.strip_suffix("IB").or_else(|| t.strip_suffix('B')).unwrap_or(&t);
    let (num, shift) = match t.chars().last() {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        Some('T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let v: f64 = num.trim().parse().map_err(|_| bad())?;
    let bytes = v * (1u64 << shift) as f64;
    if !(bytes >= 1.0 && bytes < 2f64.powi(63)) {
        return Err(format!("`{s}` is not a usable size: give at least 1 byte, e.g. 2G"));
    }
    Ok(bytes as u64)
}

/// Expands `*` and `?` in the last component of each path (for globs the shell
/// left alone, e.g. quoted ones), in name order; other paths pass unchanged. A
/// pattern that matches no file is an error.
pub fn expand(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.exists() || !(name.contains('*') || name.contains('?')) {
            out.push(p);
            continue;
        }
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format!("--ballots `{}`: {e}", p.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .filter(|e| e.file_name().to_str().is_some_and(|n| wildcard(name, n)))
            .map(|e| dir.join(e.file_name()))
            .collect();
        if found.is_empty() {
            return Err(format!("--ballots `{}` matches no file", p.display()));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Whether `name` matches `pattern` (`*` any run of characters, `?` one).
fn wildcard(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::{parse_memory, wildcard};

    #[test]
    fn memory_sizes() {
        // 2G = 2 · 2^30 = 2,147,483,648; 1.5G = 1.5 · 2^30 = 1,610,612,736;
        // 512M = 512 · 2^20 = 536,870,912; 64k = 65,536.
        assert_eq!(parse_memory("2G"), Ok(2_147_483_648));
        assert_eq!(parse_memory("2gib"), Ok(2_147_483_648));
        assert_eq!(parse_memory(" 2 GB "), Ok(2_147_483_648));
        assert_eq!(parse_memory("1.5G"), Ok(1_610_612_736));
        assert_eq!(parse_memory("512M"), Ok(536_870_912));
        assert_eq!(parse_memory("64k"), Ok(65_536));
        assert_eq!(parse_memory("1000"), Ok(1000));
        for bad in ["", "G", "two", "0", "-1G", "NaNG", "infG", "9999999T"] {
            assert!(parse_memory(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("*.parquet", "a.parquet"));
        assert!(wildcard("b-??.csv", "b-01.csv"));
        assert!(!wildcard("b-??.csv", "b-1.csv"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("*.csv", "a.parquet"));
        assert!(wildcard("a*b*c", "axxbyyc"));
    }
}
