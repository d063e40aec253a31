//! Command-line arguments: clap parses flags into plain low-level [`Cli`] values,
//! and [`Cli::check`] turns them into a checked [`Command`] before anything runs
//! (the `lowargs` → `hiargs` split of ripgrep).

use std::path::PathBuf;

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
    /// Check a plan and its survey (and a roster, if given); print a summary.
    Validate {
        /// The plan YAML (its `survey:` is relative to it).
        #[arg(long)]
        plan: PathBuf,
        /// A roster CSV to check against the plan.
        #[arg(long)]
        roster: Option<PathBuf>,
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
        /// Ballot CSV file(s); several files form one campaign.
        #[arg(long, num_args = 1.., required = true)]
        ballots: Vec<PathBuf>,
        /// Complaints CSV.
        #[arg(long)]
        complaints: Option<PathBuf>,
        /// Output folder (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Fail (exit 3) when a unit breaks the panel rule, instead of marking it.
        #[arg(long)]
        strict: bool,
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
        #[command(flatten)]
        input: InputArgs,
    },
}

#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Encoding of CSV inputs: auto (UTF-8, else detected, e.g. GBK), utf-8 or gbk.
    #[arg(long, default_value = "auto")]
    pub encoding: Encoding,
    /// Print no progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A checked command, ready to run.
pub enum Command {
    Validate {
        plan: PathBuf,
        roster: Option<PathBuf>,
        encoding: Encoding,
    },
    Score(ScoreConfig),
    Demo {
        out: Option<PathBuf>,
    },
    Simulate {
        plan: PathBuf,
        roster: PathBuf,
        out: PathBuf,
        config: appraise::simulate::SimConfig,
        encoding: Encoding,
    },
}

pub struct ScoreConfig {
    pub plan: PathBuf,
    pub roster: PathBuf,
    pub ballots: Vec<Source>,
    pub complaints: Option<Source>,
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
            Sub::Validate { plan, roster, input } => {
                exists(&plan, "--plan")?;
                if let Some(r) = &roster {
                    exists(r, "--roster")?;
                }
                Command::Validate {
                    plan,
                    roster,
                    encoding: input.encoding,
                }
            }
            Sub::Score {
                plan,
                roster,
                ballots,
                complaints,
                out,
                strict,
                input,
            } => {
                exists(&plan, "--plan")?;
                exists(&roster, "--roster")?;
                for b in &ballots {
                    exists(b, "--ballots")?;
                }
                if let Some(c) = &complaints {
                    exists(c, "--complaints")?;
                }
                not_file(&out)?;
                Command::Score(ScoreConfig {
                    plan,
                    roster,
                    ballots: ballots.into_iter().map(Source::File).collect(),
                    complaints: complaints.map(Source::File),
                    out,
                    options: appraise::campaign::Options {
                        encoding: input.encoding,
                        strict,
                    },
                    quiet: input.quiet,
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
                Command::Simulate {
                    plan,
                    roster,
                    out,
                    config,
                    encoding: input.encoding,
                }
            }
        })
    }
}
