//! The `appraise` command: parses arguments, wires library calls, prints.
//!
//! Exit codes: 0 success; 1 an input is unusable (the message names file, line,
//! column, unit or item, and what to do); 2 usage error (bad flags, missing file);
//! 3 `--strict` and a unit breaks the panel rule.

mod args;

/// `println!` that does not panic on a closed pipe; control characters stripped.
macro_rules! say {
    ($($t:tt)*) => { out(&format!("{}\n", format_args!($($t)*))) };
}

/// `eprintln!` through the same terminal cleaning as [`say!`].
macro_rules! warn {
    ($($t:tt)*) => { err(&format!("{}\n", format_args!($($t)*))) };
}

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use appraise::judge::complaints::Complaints;
use appraise::output::labels::{self, Key};
use appraise::score::outcome::Outcome;
use appraise::score::result::UnitStatus;
use appraise::{ErrorKind, Plan, Roster, Source, campaign, num, output};
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use args::{Cli, Command, DrawConfig, DrawTarget, Input, ScoreConfig, TallyConfig};

fn main() -> ExitCode {
    // A damaged Parquet footer panics inside polars; the reader turns that into
    // an error naming the file, and this keeps the caught panic off stderr.
    #[cfg(feature = "parquet")]
    appraise::count::parquet::silence_caught_panics();
    // clap's own messages (help, version, bad flags) may repeat a flag value
    // (a file name): they are cleaned like every other line.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() {
                err(&e.to_string());
            } else {
                out(&e.to_string());
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let command = match cli.check() {
        Ok(c) => c,
        Err(msg) => {
            warn!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    clean_up_when_interrupted();
    match run(command) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            warn!("error: {e}");
            match e.kind() {
                ErrorKind::Panel { .. } => ExitCode::from(3),
                ErrorKind::Usage(_) => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP: removes this run's unfinished outputs (staging
/// folders, temporary files; a commit in progress finishes first), says so, and
/// exits with 128 + the signal's number as the shell would. Without it an
/// interrupted run would leave `.appraise-staging.*` folders beside the outputs.
#[cfg(unix)]
fn clean_up_when_interrupted() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            match appraise::files::abandon_unfinished() {
                0 => warn!("interrupted"),
                n => {
                    warn!("interrupted: {n} unfinished output folder(s) or file(s) removed; no partial output is left")
                }
            }
            std::process::exit(128 + signal);
        }
    });
}

#[cfg(not(unix))]
fn clean_up_when_interrupted() {}

/// Runs a command; `Ok(false)` when it ran but something needs a person (a
/// `validate` dry run with an attention list): exit 1.
fn run(command: Command) -> appraise::Result<bool> {
    match command {
        Command::Validate {
            plan,
            roster,
            ballots,
            complaints,
            period,
            ledgers,
            encoding,
            people,
        } => validate(
            &plan,
            roster.as_ref(),
            &ballots,
            complaints.as_ref(),
            period,
            // A dry run reads every ballot, however many are rejected, to report them.
            campaign::Options {
                encoding,
                accept_rejects: true,
                people,
                ledgers,
                ..Default::default()
            },
        ),
        Command::Score(cfg) => score(cfg).map(|()| true),
        Command::Tally(cfg) => tally(cfg).map(|()| true),
        Command::Demo { out } => demo(out.as_deref()).map(|()| true),
        Command::Commit { seed } => {
            say!("{}", appraise::draw::commit(&seed));
            Ok(true)
        }
        Command::Draw(cfg) => draw(cfg).map(|()| true),
        Command::Simulate {
            plan,
            roster,
            out,
            config,
            encoding,
            parquet,
        } => {
            let plan_path = plan;
            let plan = Plan::load(&plan_path)?;
            let mut guard = inputs(&plan_path_flag(&plan_path), &plan)?;
            guard.input("--roster", &roster)?;
            let ballots = if parquet { "ballots.parquet" } else { "ballots.csv" };
            guard.output_folder("--out", &out, &[ballots, "complaints.csv"])?;
            let source = Source::File(roster);
            let roster = Roster::read_from(&source, encoding)?;
            roster_note(&source, &roster);
            let (b, c) = if parquet {
                appraise::simulate::write_files_parquet(&plan, &roster, &config, &out)?
            } else {
                appraise::simulate::write_files(&plan, &roster, &config, &out)?
            };
            say!(
                "wrote {b} ballots to {} and {c} complaints to {} (seed {})",
                out.join(if parquet { "ballots.parquet" } else { "ballots.csv" })
                    .display(),
                out.join("complaints.csv").display(),
                config.seed
            );
            Ok(true)
        }
    }
}

fn validate(
    plan: &std::path::Path,
    roster: Option<&Source>,
    ballots: &[Source],
    complaints: Option<&Source>,
    period: Option<appraise::rules::plan::Period>,
    options: campaign::Options,
) -> appraise::Result<bool> {
    let encoding = options.encoding;
    let plan_path = plan;
    let mut plan = Plan::load(plan)?;
    if let Some(p) = period {
        plan.period = p;
    }
    let mut guard = inputs(&plan_path_flag(plan_path), &plan)?;
    for (flag, src) in roster
        .into_iter()
        .map(|r| ("--roster", r))
        .chain(ballots.iter().map(|b| ("--ballots", b)))
        .chain(complaints.into_iter().map(|c| ("--complaints", c)))
    {
        input(&mut guard, flag, src)?;
    }
    side_inputs(&mut guard, &options.ledgers, &options.people)?;
    let s = &plan.survey;
    say!(
        "plan {} is valid; survey {} v{} ({})",
        plan.id,
        s.id,
        s.version,
        plan.survey_path.display()
    );
    say!("period {} – {}", plan.period.start, plan.period.end);
    for d in &s.dimensions {
        say!(
            "  dimension {:<14} weight {:<4} {} item(s)  {}",
            d.id,
            d.weight,
            d.items.len(),
            d.labels.text()
        );
    }
    let groups: Vec<String> = plan
        .groups
        .iter()
        .map(|g| format!("{}{} w{}", g.id, if g.public { " (public)" } else { "" }, g.weight))
        .collect();
    say!("groups: {}", groups.join(", "));
    say!(
        "panel: public share ≥ {}, ≥ {} valid ballots; a ballot needs ≥ {} of {} items answered",
        plan.panel.min_public_share,
        plan.panel.min_valid_ballots,
        num::ceil_share(plan.validity.min_answered_share, s.items.len() as u64),
        s.items.len()
    );
    let outside = appraise::score::attention::survey_outside(&plan);
    let Some(r) = roster else {
        print_attention(outside.as_slice());
        return Ok(outside.is_none());
    };
    let roster = Roster::read_from(r, encoding)?;
    campaign::check_plan_roster(&plan, &roster)?;
    roster_note(r, &roster);
    say!("roster {} is valid: {} units", r.path().display(), roster.len());
    let (staff, titles) = options.people.load(&plan, &roster, encoding)?;
    let rolls_clean = roll_notes(staff.as_ref(), titles.as_ref());
    // A ledger file the plan needs but was not given (SPEC §14): `score` would fail.
    let mut attention = match appraise::score::components::check_sources(&plan, &options.ledgers) {
        Ok(a) => a,
        Err(e) => {
            warn!("error: {e}; `appraise score` would fail");
            return Ok(false);
        }
    };
    if ballots.is_empty() {
        let judged = campaign::Ledgers::load(&options.ledgers, encoding, &plan, &roster)?;
        ledger_lines(&judged);
        attention.extend(appraise::score::components::reject_attention(&judged));
        if let Some(c) = complaints {
            let loaded = Complaints::load_with_staff(c, encoding, &plan, &roster, staff.as_ref())?;
            say!(
                "complaints {}: {} rows, {} rejected",
                c.path().display(),
                loaded.rows,
                loaded.rejects.len()
            );
            if let Some(n) = &loaded.note {
                say!("note: {}: {n}", c.path().display());
            }
            attention.extend(appraise::score::attention::collect(
                &roster,
                &appraise::count::tally::Tally::new(appraise::count::tally::Layout::new(&plan, &roster)),
                &appraise::judge::rejects::Rejects::new(),
                &[],
                &loaded,
            )?);
        } else {
            attention.extend(appraise::score::attention::decoding(
                &roster,
                &Complaints::none(&roster),
                &[],
            ));
        }
        attention.splice(0..0, outside);
        print_attention(&attention);
        return Ok(attention.is_empty() && rolls_clean);
    }
    let outcome = campaign::run(&plan, &roster, ballots, complaints, &options, &mut |_| {})?;
    file_notes(&outcome.files);
    if let (Some(c), Some(n)) = (complaints, &outcome.complaints.note) {
        say!("note: {}: {n}", c.path().display());
    }
    say!("{}", output::accounting_line(&outcome, plan.language));
    ledger_lines(&outcome.ledgers);
    let a = &outcome.accounting;
    let mostly = 2 * a.rejected > a.read;
    if mostly {
        warn!(
            "error: {} of {} ballot rows would be rejected, more than half: `appraise score` would fail (see the attention list; --accept-rejects scores anyway)",
            a.rejected, a.read
        );
    }
    print_attention(&outcome.attention);
    for line in output::people_lines(&plan, &roster, &outcome) {
        say!("{line}");
    }
    if outcome.attention.is_empty() && !mostly && rolls_clean {
        say!("nothing needs attention; no file written (validate is a dry run)");
    }
    Ok(outcome.attention.is_empty() && !mostly && rolls_clean)
}

/// Prints what the staff roster and titles file held (stdout) and their rejected
/// rows (stderr); whether none was rejected.
fn roll_notes(
    staff: Option<&appraise::judge::people::StaffRoster>,
    titles: Option<&appraise::judge::people::Titles>,
) -> bool {
    let mut clean = true;
    let rolls = [
        staff.map(|s| ("staff roster", s.rows, s.note.as_deref(), &s.rejects)),
        titles.map(|t| ("titles", t.rows, t.note.as_deref(), &t.rejects)),
    ];
    for (what, rows, note, rejects) in rolls.into_iter().flatten() {
        if let Some(n) = note {
            say!("note: {what}: {n}");
        }
        say!("{what}: {rows} rows, {} rejected", rejects.len());
        for r in rejects {
            clean = false;
            eprintln!("  {}:{}: {} {}", r.file.display(), r.line, r.reason.code(), r.detail);
        }
    }
    clean
}

/// The plan's flag and path, as the guard names it.
fn plan_path_flag(path: &std::path::Path) -> (&'static str, std::path::PathBuf) {
    ("--plan", path.to_path_buf())
}

/// A guard that knows the plan and the survey it names.
fn inputs(plan_flag: &(&str, std::path::PathBuf), plan: &Plan) -> appraise::Result<appraise::files::Guard> {
    let mut guard = appraise::files::Guard::default();
    guard.input(plan_flag.0, &plan_flag.1)?;
    guard.input("the survey the plan names", &plan.survey_path)?;
    Ok(guard)
}

/// Tells the guard about an input source (a file or a workbook's sheet).
fn input(guard: &mut appraise::files::Guard, flag: &str, source: &Source) -> appraise::Result<()> {
    match source {
        Source::File(p) | Source::Sheet { path: p, .. } => guard.input(flag, p),
        _ => Ok(()),
    }
}

/// Tells the guard about the ledger files (SPEC §14) and the staff roster and
/// titles file (SPEC §15), so that no output lands on one and none is given twice.
fn side_inputs(
    guard: &mut appraise::files::Guard,
    ledgers: &campaign::LedgerSources,
    people: &campaign::PeopleFiles,
) -> appraise::Result<()> {
    let side = [
        ("--tickets", &ledgers.tickets),
        ("--rectifications", &ledgers.rectifications),
        ("--commitments", &ledgers.commitments),
        ("--assessments", &ledgers.assessments),
        ("--holidays", &ledgers.holidays),
        ("--staff", &people.staff),
        ("--titles", &people.titles),
    ];
    for (flag, source) in side {
        if let Some(s) = source {
            input(guard, flag, s)?;
        }
    }
    Ok(())
}

/// The roster's decoding note, if any.
fn roster_note(source: &Source, roster: &Roster) {
    if let Some(n) = &roster.note {
        say!("note: {}: {n}", source.path().display());
    }
}

/// Prints the attention list on stderr.
fn print_attention(list: &[appraise::score::attention::Attention]) {
    if list.is_empty() {
        return;
    }
    warn!(
        "attention ({}): these changed or may have changed the result:",
        list.len()
    );
    for a in list {
        warn!("  - {a}");
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(None, target);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {human_pos} ballots read ({per_sec}) {elapsed}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn score(cfg: ScoreConfig) -> appraise::Result<()> {
    let mut plan = Plan::load(&cfg.plan)?;
    if let Some(p) = cfg.period {
        plan.period = p;
    }
    // Inputs and outputs are checked before any work starts.
    let mut guard = inputs(&plan_path_flag(&cfg.plan), &plan)?;
    input(&mut guard, "--roster", &cfg.roster)?;
    match &cfg.input {
        Input::Ballots(ballots) => {
            for b in ballots {
                input(&mut guard, "--ballots", b)?;
            }
        }
        Input::Tallies(paths) => {
            for t in paths {
                guard.input("--tallies", t)?;
            }
        }
    }
    if let Some(c) = &cfg.complaints {
        input(&mut guard, "--complaints", c)?;
    }
    side_inputs(&mut guard, &cfg.options.ledgers, &cfg.options.people)?;
    for p in &cfg.previous {
        input(&mut guard, "--previous", p)?;
    }
    guard.output_folder("--out", &cfg.out, &output::FILE_NAMES)?;
    let roster = Roster::read_from(&cfg.roster, cfg.options.encoding)?;
    roster_note(&cfg.roster, &roster);
    let outcome = match &cfg.input {
        Input::Ballots(ballots) => {
            let bar = progress_bar(cfg.quiet);
            let outcome = campaign::run(
                &plan,
                &roster,
                ballots,
                cfg.complaints.as_ref(),
                &cfg.options,
                &mut |n| bar.set_position(n),
            );
            bar.finish_and_clear();
            outcome?
        }
        Input::Tallies(paths) => {
            let m = campaign::merge_tally_files_within(&plan, &roster, paths, cfg.options.tally_budget())?;
            for p in &m.lacking {
                say!(
                    "note: {} not found: rejects.csv lacks that shard's rejected rows (the accounting counts them)",
                    p.display()
                );
            }
            let (staff, titles) = cfg.options.people.load(&plan, &roster, cfg.options.encoding)?;
            let complaints = match &cfg.complaints {
                Some(c) => Complaints::load_with_staff(c, cfg.options.encoding, &plan, &roster, staff.as_ref())?,
                None => Complaints::none(&roster),
            };
            let mut notes: Vec<_> = appraise::score::attention::survey_outside(&plan)
                .into_iter()
                .chain(appraise::score::attention::no_complaints(
                    &plan,
                    cfg.complaints.is_some(),
                ))
                .collect();
            notes.extend(appraise::score::components::check_sources(&plan, &cfg.options.ledgers)?);
            let ledgers = campaign::Ledgers::load(&cfg.options.ledgers, cfg.options.encoding, &plan, &roster)?;
            appraise::score::attention::check_rejects(&m.tally, &m.rejects, cfg.options.accept_rejects)?;
            let mut o = campaign::evaluate_with(
                &plan,
                &roster,
                m.tally,
                m.rejects,
                m.files,
                complaints,
                ledgers,
                cfg.options.settings(),
            )?;
            o.attention.splice(0..0, notes);
            campaign::apply_people(&plan, &mut o, staff.as_ref(), titles.as_ref());
            o
        }
    };
    let mut outcome = outcome;
    let earlier = cfg
        .previous
        .iter()
        .map(|p| appraise::score::history::Period::load(p, cfg.options.encoding))
        .collect::<appraise::Result<Vec<_>>>()?;
    let ids: Vec<&str> = roster.units.iter().map(|u| u.id.as_str()).collect();
    let earlier = appraise::score::history::order(&plan.period, &ids, earlier)?;
    campaign::apply_history(&plan, &roster, &mut outcome, &earlier);
    if plan.ranking.consecutive.is_none() && !earlier.is_empty() {
        say!("note: --previous is ignored: the plan has no consecutive-period rule (ranking.consecutive)");
    }
    if let Some(rule) = &plan.ranking.consecutive
        && earlier.len() + 1 < rule.periods as usize
    {
        say!(
            "note: the plan's consecutive-period rule needs {} earlier results.csv (--previous), {} given: no unit is marked",
            rule.periods - 1,
            earlier.len()
        );
    }
    let written = output::write_all(&cfg.out, &plan, &roster, &outcome)?;
    summary(&plan, &roster, &outcome);
    wrote(&written);
    print_attention(&outcome.attention);
    // The process ends next: freeing the outcome's millions of small allocations
    // one by one (rejects, ledgers) took a tenth of a second of a 10⁷-ballot run
    // and returns nothing the exit does not.
    std::mem::forget(outcome);
    Ok(())
}

/// `appraise tally`: one shard of ballots into a tally file, its rejects beside it.
fn tally(cfg: TallyConfig) -> appraise::Result<()> {
    let plan = Plan::load(&cfg.plan)?;
    let rejects_path = appraise::count::shard::rejects_path(&cfg.out);
    let mut guard = inputs(&plan_path_flag(&cfg.plan), &plan)?;
    input(&mut guard, "--roster", &cfg.roster)?;
    for b in &cfg.ballots {
        input(&mut guard, "--ballots", b)?;
    }
    for k in &cfg.known_keys {
        guard.input("--known-keys", k)?;
    }
    guard.output_file("--out", &cfg.out)?;
    guard.output_file("the rejects file beside --out", &rejects_path)?;
    if let Some(k) = &cfg.keys_out {
        guard.output_file("--keys-out", k)?;
    }
    let roster = Roster::read_from(&cfg.roster, cfg.encoding)?;
    roster_note(&cfg.roster, &roster);
    campaign::check_plan_roster(&plan, &roster)?;
    let mut validator = appraise::judge::ballots::Validator::new(&plan, &roster);
    let mut known = 0;
    for k in &cfg.known_keys {
        known += appraise::count::shard::read_keys(k, &mut validator)?;
    }
    if cfg.keys_out.is_none() {
        campaign::check_only_repeated_ids(&mut validator, &cfg.ballots, cfg.format, false);
    }
    let layout = appraise::count::tally::Layout::new(&plan, &roster);
    let mut tally = appraise::count::tally::Tally::try_new_within(layout, cfg.memory)?;
    let mut rejects = appraise::judge::rejects::Rejects::new();
    let bar = progress_bar(cfg.quiet);
    let files = campaign::read_ballots(
        &mut validator,
        &cfg.ballots,
        cfg.encoding,
        cfg.format,
        &mut tally,
        &mut rejects,
        &mut |n| bar.set_position(n),
    );
    bar.finish_and_clear();
    let files = files?;
    // The tally, its rejects and (in the same folder) the keys: one set.
    let keys = cfg.keys_out.as_deref().map(|k| (k, &validator, &roster));
    let keys_written = appraise::count::shard::write_shard(&cfg.out, &tally, &files, &rejects, keys)?;
    file_notes(&files);
    let a = tally.accounting();
    say!(
        "ballots read {} = valid {} + rejected {}{}",
        a.read,
        a.valid,
        a.rejected,
        if known > 0 {
            format!(" ({known} known keys from earlier shards)")
        } else {
            String::new()
        }
    );
    say!("wrote {}, {}", cfg.out.display(), rejects_path.display());
    if let (Some(k), Some(n)) = (&cfg.keys_out, keys_written) {
        say!("wrote {n} keys to {}", k.display());
    }
    Ok(())
}

/// `appraise draw`: panels drawn from the candidates, written (or checked with
/// `--verify`); what the draw left out is said on stderr.
fn draw(cfg: DrawConfig) -> appraise::Result<()> {
    use appraise::judge::candidates::Candidates;
    let plan = Plan::load(&cfg.plan)?;
    let roster = Roster::read_from(&cfg.roster, cfg.encoding)?;
    campaign::check_plan_roster(&plan, &roster)?;
    let candidates = Candidates::load(&cfg.candidates, cfg.encoding, &plan, &roster)?;
    for n in &candidates.notes {
        eprintln!("note: {}: {n}", cfg.candidates.path().display());
    }
    let digests =
        appraise::draw::InputDigests::of_files(&cfg.plan, &plan.survey_path, cfg.roster.path(), cfg.candidates.path())?;
    let d = appraise::draw::draw(&plan, &roster, &candidates, cfg.per_unit, &cfg.seed, &digests)?;
    let c = &d.proof.counts;
    let reasons: Vec<String> = candidates
        .by_reason()
        .iter()
        .map(|(r, n)| format!("{} {n}", r.code()))
        .collect();
    eprintln!(
        "candidates read {} = kept {} + rejected {}{}",
        c.candidate_rows,
        c.candidates,
        c.candidates_rejected,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        }
    );
    if c.candidates_rejected > 0 {
        eprintln!(
            "attention: {} candidate row(s) rejected and never drawn; see candidate_rejects.csv:",
            c.candidates_rejected
        );
        for r in d.rejects.iter().take(10) {
            eprintln!(
                "  - row {} {}: {} ({})",
                r.row,
                r.candidate_id,
                r.reason.code(),
                r.detail
            );
        }
        if d.rejects.len() > 10 {
            eprintln!("  - … and {} more", d.rejects.len() - 10);
        }
    }
    if !d.proof.excluded_units.is_empty() {
        eprintln!(
            "note: {} unit(s) excluded by the plan are not drawn: {}",
            d.proof.excluded_units.len(),
            d.proof.excluded_units.join(", ")
        );
    }
    say!(
        "drew {} rater(s) for each of {} unit(s): {} panel rows; seed sha256 {}",
        d.proof.per_unit,
        c.units_drawn,
        c.panel_rows,
        d.proof.seed_sha256
    );
    match &cfg.target {
        DrawTarget::Out(dir) => {
            // Never replace an input with an output of the same name.
            let inputs = [
                cfg.plan.as_path(),
                plan.survey_path.as_path(),
                cfg.roster.path(),
                cfg.candidates.path(),
            ];
            for name in appraise::draw::FILES {
                let target = dir.join(name).canonicalize();
                if let Ok(t) = target
                    && inputs.iter().any(|i| i.canonicalize().is_ok_and(|i| i == t))
                {
                    return Err(ErrorKind::Usage(format!(
                        "--out {}: writing {name} would replace an input file; choose another folder",
                        dir.display()
                    ))
                    .into());
                }
            }
            let written = appraise::files::write_atomic(dir, &d.files())?;
            wrote(&written);
        }
        DrawTarget::Verify(dir) => {
            d.verify(dir)?;
            say!(
                "verified: {} holds exactly this draw (panel.csv sha256 {})",
                dir.display(),
                d.proof.panel_csv_sha256
            );
        }
    }
    Ok(())
}

fn demo(out: Option<&std::path::Path>) -> appraise::Result<()> {
    if let Some(dir) = out {
        appraise::files::Guard::default().output_folder("--out", dir, &output::FILE_NAMES)?;
    }
    let (plan, roster) = appraise::demo::campaign()?;
    let outcome = appraise::demo::run(&plan, &roster)?;
    say!(
        "demo: {} — {} units (real roster of 蔡甸区 2010), simulated ballots (seed {})",
        plan.survey.title.zh,
        roster.len(),
        appraise::demo::SEED
    );
    summary(&plan, &roster, &outcome);
    match out {
        Some(dir) => {
            let written = output::write_all(dir, &plan, &roster, &outcome)?;
            wrote(&written);
        }
        None => say!("(write every output file with: appraise demo --out DIR)"),
    }
    Ok(())
}

/// Writes to stdout, ignoring a closed pipe (`appraise demo | head`). Every line
/// the command prints passes here or through [`err`]: text from inputs (unit names,
/// ids, notes, errors) reaches the terminal without control characters or escape
/// sequences ([`appraise::cell::terminal`]).
fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o
        .write_all(appraise::cell::terminal(text).as_bytes())
        .and_then(|_| o.flush());
}

/// Writes to stderr, cleaned like [`out`].
fn err(text: &str) {
    let mut o = std::io::stderr().lock();
    let _ = o
        .write_all(appraise::cell::terminal(text).as_bytes())
        .and_then(|_| o.flush());
}

/// Prints notes, the accounting, status counts and the front and back of the list.
fn summary(plan: &Plan, roster: &Roster, outcome: &Outcome) {
    file_notes(&outcome.files);
    if let Some(n) = &outcome.complaints.note {
        say!("note: complaints file: {n}");
    }
    say!("{}", output::accounting_line(outcome, plan.language));
    let c: &Complaints = &outcome.complaints;
    if c.rows > 0 {
        say!("{}", output::complaint_line(outcome, plan.language));
    }
    for line in output::people_lines(plan, roster, outcome) {
        say!("{line}");
    }
    ledger_lines(&outcome.ledgers);
    let statuses = [
        UnitStatus::Ranked,
        UnitStatus::Excluded,
        UnitStatus::Void,
        UnitStatus::Vetoed,
        UnitStatus::TooFewBallots,
        UnitStatus::PanelShort,
        UnitStatus::Incomplete,
    ];
    let counts: Vec<String> = statuses
        .iter()
        .map(|s| (s, outcome.units.iter().filter(|u| u.status == *s).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| {
            let name = labels::status_key(s.code()).map_or(s.code(), |k| labels::label(plan.language, k));
            format!("{name} {n}")
        })
        .collect();
    say!(
        "{}{}{}",
        labels::label(plan.language, Key::Units),
        labels::colon(plan.language),
        counts.join(labels::comma(plan.language))
    );
    let d = plan.ranking.decimals;
    let lang = plan.language;
    let t = |k| labels::label(lang, k);
    let header = vec![
        t(Key::Rank).to_string(),
        t(Key::UnitId).to_string(),
        t(Key::FinalScore).to_string(),
        t(Key::Grade).to_string(),
        t(Key::Unit).to_string(),
        t(Key::Department).to_string(),
    ];
    let cells = |u: usize| {
        let r = &outcome.units[u];
        let unit = &roster.units[r.unit];
        vec![
            r.placing.rank.map_or_else(String::new, |x| x.to_string()),
            unit.id.clone(),
            r.placing.published.map_or_else(String::new, |s| num::steps_text(s, d)),
            r.placing
                .grade
                .map_or_else(String::new, |g| lang.pick(&plan.grades[g].labels).to_string()),
            unit.name.clone(),
            unit.department.clone(),
        ]
    };
    let (top, bottom) = outcome.front_and_back();
    // One table for both lists, so the columns line up across them.
    let rows: Vec<Vec<String>> = std::iter::once(header)
        .chain(top.iter().chain(&bottom).map(|&u| cells(u)))
        .collect();
    let lines = labels::aligned(&rows, &[true, false, true, false, false, false]);
    let (head, rest) = lines
        .split_first()
        .map_or((String::new(), &[][..]), |(h, r)| (h.clone(), r));
    let (front, back) = rest.split_at(top.len().min(rest.len()));
    say!(
        "{}{}{}",
        t(Key::FrontOfList),
        labels::paren(lang, &labels::front_mark(lang, plan.ranking.top_n)),
        labels::colon(lang).trim_end()
    );
    let list = |lines: &[String]| {
        if lines.is_empty() {
            say!("  {}", t(Key::NoneText));
        } else {
            say!("{head}");
            lines.iter().for_each(|l| say!("{l}"));
        }
    };
    list(front);
    say!(
        "{}{}{}",
        t(Key::BackOfList),
        labels::paren(lang, &labels::back_mark(lang, plan.ranking.bottom_n)),
        labels::colon(lang).trim_end()
    );
    list(back);
}

/// Notes about the ballot files read: detected encodings, ignored columns.
fn file_notes(files: &[appraise::judge::ballots::FileSummary]) {
    for f in files {
        if let Some(n) = &f.note {
            say!("note: {}: {n}", f.path);
        }
        if !f.ignored_columns.is_empty() {
            say!("note: {}: ignored columns {}", f.path, f.ignored_columns.join(", "));
        }
    }
}

/// Lists the files written.
fn wrote(written: &[std::path::PathBuf]) {
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    say!("wrote {}", names.join(", "));
}

/// One line per ledger file read (SPEC §14): rows read = counted + rejected.
fn ledger_lines(l: &campaign::Ledgers) {
    use appraise::judge::ledgers::LedgerFile;
    for f in [LedgerFile::Tickets, LedgerFile::Rectifications, LedgerFile::Commitments] {
        if let Some(x) = l.ledger(f) {
            let n = l.rejected(f);
            let due: u64 = x.units.iter().map(|c| c.due).sum();
            let on_time: u64 = x.units.iter().map(|c| c.on_time).sum();
            say!(
                "{} {}: {} rows = {} counted + {n} rejected; {on_time} of {due} due on time, {} late or overdue",
                f.code(),
                x.path,
                x.rows,
                x.rows - n,
                x.overdue.len()
            );
        }
    }
    if let Some(a) = &l.assessments {
        let n = l.rejected(LedgerFile::Assessments);
        say!(
            "assessments {}: {} rows = {} counted + {n} rejected",
            a.path,
            a.rows,
            a.rows - n
        );
    }
}
