//! Ballots (测评票): reading, validation and rejects (SPEC §3, §5).
//!
//! Each row is judged by [`Validator::judge`] with the checks of SPEC §5 in order;
//! the first that fails names the reason. A rejected ballot is never dropped or
//! altered: it becomes a [`Reject`] with its source line. Only valid ballots take
//! a key (ballot_id, and (rater_id, unit_id)), so a later ballot with the same key
//! is judged as if the rejected one had not been read.
//!
//! Two choices the spec leaves open, made here and documented in the README:
//! - a blank `ballot_id` or `rater_id` is no key: anonymous paper ballots (the usual
//!   case in 民主评议) cannot be duplicates of each other by rater;
//! - a ragged row (more or fewer fields than the header) is rejected as
//!   `malformed_row` before any other check.
//!
//! A unit id, group or answer that is not an id (code) as written is looked up
//! again width-folded (the plan's `input.fold_width`, default on; with it off, the
//! older `validity.fullwidth_digits` reads only an answer's full-width digits), then
//! by the plan's labels (SPEC §12); the common path (an ASCII id or code) pays
//! nothing for it.

use serde::{Deserialize, Serialize};

use crate::judge::keys::{HashFilter, KeySet, StrIndex};
use crate::judge::partitions::RaterLog;
use crate::num;
use crate::rules::plan::Plan;
use crate::rules::roster::Roster;
use crate::rules::schema::Scale;

/// Why a ballot was rejected. The order is the order of the checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The row has more or fewer fields than the header (or is not valid text).
    MalformedRow,
    /// `unit_id` is not in the roster.
    UnknownUnit,
    /// `rater_group` is not a group of the plan.
    UnknownGroup,
    /// An item holds a value that is not a code of its scale.
    BadCode,
    /// Fewer answered items than `min_answered_share` × items.
    TooManyBlank,
    /// A second ballot with the same (rater_id, unit_id), or a repeated ballot_id.
    Duplicate,
    /// `rater_unit` equals `unit_id`: the rater appraises their own unit.
    ConflictOfInterest,
}

impl Reason {
    /// Number of reasons.
    pub const COUNT: usize = 7;
    /// Every reason, in check order.
    pub const ALL: [Reason; Reason::COUNT] = [
        Reason::MalformedRow,
        Reason::UnknownUnit,
        Reason::UnknownGroup,
        Reason::BadCode,
        Reason::TooManyBlank,
        Reason::Duplicate,
        Reason::ConflictOfInterest,
    ];

    /// The reason code written in `rejects.csv`.
    pub fn code(self) -> &'static str {
        match self {
            Reason::MalformedRow => "malformed_row",
            Reason::UnknownUnit => "unknown_unit",
            Reason::UnknownGroup => "unknown_group",
            Reason::BadCode => "bad_code",
            Reason::TooManyBlank => "too_many_blank",
            Reason::Duplicate => "duplicate",
            Reason::ConflictOfInterest => "conflict_of_interest",
        }
    }

    /// The reason with this `rejects.csv` code.
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Position in [`Reason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A rejected ballot: a row of `rejects.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    /// Source line (header = 1).
    pub row: u64,
    /// The ballot's id, trimmed (may be empty).
    pub ballot_id: String,
    /// Why.
    pub reason: Reason,
    /// What was seen, e.g. `int3=7` for a bad code.
    pub detail: String,
    /// Index of the ballot file in the order given (see `Outcome::files`).
    pub file: usize,
}

/// The fixed fields of one ballot row, untrimmed.
#[derive(Clone, Copy, Debug, Default)]
pub struct BallotKeys<'a> {
    /// Source line.
    pub line: u64,
    /// `ballot_id`.
    pub ballot_id: &'a str,
    /// `unit_id`.
    pub unit_id: &'a str,
    /// `rater_id`.
    pub rater_id: &'a str,
    /// `rater_group`.
    pub rater_group: &'a str,
    /// `rater_unit` (empty when the file has no such column).
    pub rater_unit: &'a str,
}

/// A valid ballot's unit and group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// Roster index.
    pub unit: usize,
    /// Plan group index.
    pub group: usize,
}

/// The code stored for a blank answer.
pub const BLANK: u8 = u8::MAX;

/// Writes the (unit, rater) duplicate key into `key` (cleared first) as the key
/// set holds it and every reader hashes it: the unit's roster index (u32,
/// little-endian), then the rater id. [`TakenKeys::rater_keys`] reads it back.
#[inline]
pub(crate) fn rater_key(key: &mut Vec<u8>, unit: usize, rater: &str) {
    key.clear();
    key.extend_from_slice(&(unit as u32).to_le_bytes());
    key.extend_from_slice(rater.as_bytes());
}

/// Judges ballots one at a time, keeping the keys of the valid ones.
///
/// The keys live in exact, compact sets (`KeySet`): judging a ballot allocates
/// nothing; a valid ballot's keys are copied once into the sets' arenas.
pub struct Validator<'p> {
    plan: &'p Plan,
    roster: &'p Roster,
    min_answered: usize,
    units: StrIndex,
    groups: StrIndex,
    keys: TakenKeys,
    scratch: Vec<u8>,
    /// When set, the hashes of the only ballot ids that may repeat (a pre-pass
    /// over every row to be judged found all others once): other ids are neither
    /// looked up nor kept ([`Validator::check_keys_among`]).
    id_filter: Option<HashFilter>,
    /// The same for the (unit, rater) keys.
    rater_filter: Option<HashFilter>,
    /// The rater of every valid ballot, when the (unit, rater) keys are filtered
    /// (and so no longer list every rater) and a caller wants them.
    rater_log: Option<RaterLog>,
    /// For the hints of `unknown_unit` rejects, made at the first: the units by
    /// trimmed name, and by id in ASCII lower case (a scan of the roster per
    /// reject took most of a run of 100,000 units).
    unit_hints: std::sync::OnceLock<(StrIndex, StrIndex)>,
}

/// The keys of the valid ballots a [`Validator`] has taken: what makes a later
/// ballot a `duplicate`. It is the validator's only state, so it can be kept
/// between batches ([`Validator::with_keys`], [`Validator::into_keys`]) by a
/// program that owns its plan and roster behind `Arc` (`Collector`).
#[derive(Clone, Debug)]
pub struct TakenKeys {
    ballot_ids: KeySet,
    /// `unit index (u32, little-endian) ++ rater_id`.
    raters: KeySet,
}

impl Default for TakenKeys {
    fn default() -> TakenKeys {
        TakenKeys {
            ballot_ids: KeySet::new(),
            raters: KeySet::for_rater_keys(),
        }
    }
}

impl TakenKeys {
    /// The ballot ids taken, in the order they were taken.
    pub fn ballot_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.ballot_ids
            .iter()
            .map(|k| std::str::from_utf8(k).unwrap_or_default())
    }

    /// The (unit index, rater_id) keys taken, in the order they were taken.
    pub fn rater_keys(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        self.raters.iter().map(|k| {
            let (u, r) = k.split_at(4);
            let unit = u32::from_le_bytes([u[0], u[1], u[2], u[3]]) as usize;
            (unit, std::str::from_utf8(r).unwrap_or_default())
        })
    }

    /// Where the keys stand now, to [`roll back`](Self::roll_back) to.
    pub(crate) fn mark(&self) -> KeysMark {
        KeysMark(self.ballot_ids.mark(), self.raters.mark())
    }

    /// Forgets the keys taken since `mark`: a batch that failed midway leaves
    /// no ballot of its own marked as taken (else its corrected file, pushed
    /// again, would be all duplicates).
    pub(crate) fn roll_back(&mut self, mark: KeysMark) {
        self.ballot_ids.truncate(mark.0);
        self.raters.truncate(mark.1);
    }
}

/// A point in a [`TakenKeys`]' history (keys held, arena bytes, per set).
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeysMark((usize, usize), (usize, usize));

/// A judged ballot that failed: the unit (when the row names a roster unit, for
/// the accounting), the reason and the detail.
pub type Rejection = (Option<usize>, Reason, String);

impl<'p> Validator<'p> {
    /// A validator for a plan and roster.
    pub fn new(plan: &'p Plan, roster: &'p Roster) -> Validator<'p> {
        Validator::with_keys(plan, roster, TakenKeys::default())
    }

    /// A validator that goes on from the keys an earlier one took
    /// ([`Validator::into_keys`]): ballots it judges are duplicates of those.
    pub fn with_keys(plan: &'p Plan, roster: &'p Roster, keys: TakenKeys) -> Validator<'p> {
        let n = plan.survey.items.len() as u64;
        Validator {
            plan,
            roster,
            min_answered: num::ceil_share(plan.validity.min_answered_share, n) as usize,
            units: StrIndex::new(roster.units.iter().map(|u| u.id.as_str())),
            groups: StrIndex::new(plan.groups.iter().map(|g| g.id.as_str())),
            keys,
            scratch: Vec::new(),
            id_filter: None,
            rater_filter: None,
            rater_log: None,
            unit_hints: std::sync::OnceLock::new(),
        }
    }

    /// Checks and keeps only the ballot ids whose hash is in `ids` and the (unit,
    /// rater) keys whose hash is in `raters`: for a reader that has hashed the keys
    /// of every row it will judge (every file of the run, before the first is
    /// judged, with the keys already held) and found all others exactly once. Such
    /// a key cannot repeat an earlier one nor be repeated later, so the verdicts are
    /// those of a full check, while the key sets hold only the few that may repeat
    /// (all of a large run's memory otherwise: 3.4 GiB at 10⁸ ballots). Afterwards
    /// the taken keys ([`TakenKeys`]) are only those: a caller that writes or
    /// passes on the keys must not use this. With `log_raters`, the rater of every
    /// valid ballot is logged for [`take_raters`](Self::take_raters) (the
    /// `rater_spread` flag), in bounded memory.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))] // only the Parquet reader asks
    pub(crate) fn check_keys_among(&mut self, ids: HashFilter, raters: HashFilter, log_raters: bool) {
        self.id_filter = Some(ids);
        self.rater_filter = Some(raters);
        self.rater_log = log_raters.then(|| RaterLog::from_keys(self.keys.rater_keys()));
    }

    /// Whether the ballot id of hash `h` is checked and kept.
    #[inline]
    fn id_checked(&self, h: u64) -> bool {
        self.id_filter.as_ref().is_none_or(|f| f.contains(h))
    }

    /// Whether the (unit, rater) key of hash `h` is checked and kept.
    #[inline]
    fn rater_checked(&self, h: u64) -> bool {
        self.rater_filter.as_ref().is_none_or(|f| f.contains(h))
    }

    /// The raters of the valid ballots judged (and of the keys taken before), one
    /// per (unit, rater) key, for the `rater_spread` flag: the log kept since
    /// `campaign::check_only_repeated_ids` (with `log_raters`), else one made from
    /// the keys taken. Take it once, after the last file: the log leaves with it,
    /// and a filtered validator's keys do not list every rater.
    pub fn take_raters(&mut self) -> RaterLog {
        match self.rater_log.take() {
            Some(log) => log,
            None => RaterLog::from_keys(self.keys.rater_keys()),
        }
    }

    /// Makes room for the keys of `rows` more ballots (a file whose row count is
    /// known), so the key sets are not rebuilt as they grow.
    pub fn reserve(&mut self, rows: usize) {
        let ids = self.id_filter.as_ref().map_or(rows, |f| f.len().min(rows));
        let raters = self.rater_filter.as_ref().map_or(rows, |f| f.len().min(rows));
        self.keys.ballot_ids.reserve(ids);
        self.keys.raters.reserve(raters);
    }

    /// Frees the ballot-id keys (after the last file, when no later shard needs
    /// them): the (unit, rater) keys stay, in order, for the `rater_spread` flag
    /// (`score::flags`), without their lookup table (a later ballot is still judged
    /// right, but slowly).
    pub fn release_ballot_ids(&mut self) {
        self.keys.ballot_ids = KeySet::new();
        // The (unit, rater) keys are only iterated from now on: their lookup table
        // (a third of a large run's memory) goes too.
        self.keys.raters.drop_table();
    }

    /// The keys taken so far, to go on with in a later validator.
    pub fn into_keys(self) -> TakenKeys {
        self.keys
    }

    /// The keys taken so far.
    pub fn keys(&self) -> &TakenKeys {
        &self.keys
    }

    /// The plan.
    pub fn plan(&self) -> &'p Plan {
        self.plan
    }

    /// The roster.
    pub fn roster(&self) -> &'p Roster {
        self.roster
    }

    /// The fewest answered items (abstentions included) a valid ballot has.
    pub fn min_answered(&self) -> usize {
        self.min_answered
    }

    /// The roster index of a unit id (already trimmed), also when written with
    /// full-width characters the plan folds (SPEC §12).
    #[inline]
    pub fn unit_index(&self, unit_id: &str) -> Option<usize> {
        self.units.get(unit_id).or_else(|| self.unit_folded(unit_id))
    }

    #[cold]
    fn unit_folded(&self, unit_id: &str) -> Option<usize> {
        match self.plan.fold(unit_id) {
            std::borrow::Cow::Owned(f) => self.units.get(&f),
            std::borrow::Cow::Borrowed(_) => None,
        }
    }

    /// The plan index of a group (already trimmed): its id, or, when the value is
    /// no id, its folded id or a group label ([`Plan::group_by_value`]).
    #[inline]
    pub fn group_index(&self, group_id: &str) -> Option<usize> {
        self.groups.get(group_id).or_else(|| self.plan.group_by_value(group_id))
    }

    /// The detail of an `unknown_unit` reject of `value` (trimmed): the value, then
    /// a hint (SPEC §12): the unit whose name it is, a unit id differing only in
    /// case, or a few valid ids.
    #[cold]
    pub fn unknown_unit_detail(&self, value: &str) -> String {
        let units = &self.roster.units;
        let (names, lower) = self.unit_hints.get_or_init(|| {
            let lower: Vec<String> = units.iter().map(|u| u.id.to_ascii_lowercase()).collect();
            (
                StrIndex::new(units.iter().map(|u| u.name.trim())),
                StrIndex::new(lower.iter().map(String::as_str)),
            )
        });
        // The first unit of that name, else the first whose id equals it but for
        // ASCII case (as a scan of the roster in order would find).
        let hint = if let Some(u) = names.get(value).filter(|_| !value.is_empty()).map(|k| &units[k]) {
            format!("is the name of unit {}; write its unit_id", u.id)
        } else if let Some(u) = lower.get(&value.to_ascii_lowercase()).map(|k| &units[k]) {
            format!("differs from unit {} only in case; ids are exact", u.id)
        } else if value.is_empty() {
            "unit_id is blank".to_string()
        } else {
            let ids: Vec<&str> = units.iter().take(5).map(|u| u.id.as_str()).collect();
            format!(
                "not in the roster ({} units: {}{})",
                units.len(),
                ids.join(", "),
                if units.len() > 5 { ", …" } else { "" }
            )
        };
        format!("{}; {hint}", clip(value))
    }

    /// The detail of an `unknown_group` reject: the value and the valid groups.
    #[cold]
    pub fn unknown_group_detail(&self, value: &str) -> String {
        let groups: Vec<String> = self.plan.groups.iter().map(|g| g.labels.named(&g.id)).collect();
        let case = self.plan.groups.iter().find(|g| g.id.eq_ignore_ascii_case(value));
        // A shortened or lengthened label (群众 for 群众代表) is no label: say which.
        let near = (!value.is_empty())
            .then(|| {
                self.plan.groups.iter().find(|g| {
                    [&g.labels.zh, &g.labels.en]
                        .into_iter()
                        .any(|l| !l.is_empty() && (l.contains(value) || value.contains(l.as_str())))
                })
            })
            .flatten();
        match (case, near) {
            (Some(g), _) => format!(
                "{}; differs from group {} only in case; ids are exact",
                clip(value),
                g.id
            ),
            (None, Some(g)) => format!(
                "{}; close to the label of group {} ({}) but not equal; write the id or the label exactly (groups are {})",
                clip(value),
                g.id,
                g.labels.text(),
                groups.join(", ")
            ),
            (None, None) => format!("{}; groups are {}", clip(value), groups.join(", ")),
        }
    }

    /// Judges one ballot. `answer(i)` gives the cell of item `i`; `codes` receives
    /// the option index of each item ([`BLANK`] for no answer). On rejection, the
    /// error carries the unit when the row names a roster unit, for the accounting.
    pub fn judge<'a>(
        &mut self,
        keys: &BallotKeys<'a>,
        answer: impl Fn(usize) -> &'a str,
        codes: &mut [u8],
    ) -> std::result::Result<Accepted, Rejection> {
        let unit_id = keys.unit_id.trim();
        let Some(unit) = self.unit_index(unit_id) else {
            return Err((None, Reason::UnknownUnit, self.unknown_unit_detail(unit_id)));
        };
        let group_id = keys.rater_group.trim();
        let Some(group) = self.group_index(group_id) else {
            return Err((Some(unit), Reason::UnknownGroup, self.unknown_group_detail(group_id)));
        };
        let survey = &self.plan.survey;
        let mut answered = 0;
        for (i, item) in survey.items.iter().enumerate() {
            let cell = answer(i).trim();
            if cell.is_empty() {
                codes[i] = BLANK;
                continue;
            }
            match option_of(self.plan, &survey.scales[item.scale], cell) {
                Some(o) => {
                    codes[i] = o as u8;
                    answered += 1;
                }
                None => return Err(bad_code_hinted(unit, &item.id, cell, &survey.scales[item.scale])),
            }
        }
        let rater_unit = keys.rater_unit.trim();
        // The same unit as written, or (off the hot path) once folded.
        let conflict = !rater_unit.is_empty()
            && (rater_unit == unit_id || (!rater_unit.is_ascii() && self.unit_index(rater_unit) == Some(unit)));
        self.judge_rest(
            unit,
            group,
            answered,
            keys.ballot_id.trim(),
            keys.rater_id.trim(),
            conflict,
        )
    }

    /// The checks of SPEC §5 that follow `bad_code`, for a ballot whose unit, group
    /// and answers are already resolved (the fast entry point of the Parquet reader,
    /// which resolves codes through per-item tables): `too_many_blank` (`answered`
    /// counts answered items, abstentions included), `duplicate` (ballot id, then
    /// (rater, unit); ids trimmed, blank = no key), `conflict_of_interest`
    /// (`conflict`: the ballot's `rater_unit` equals its `unit_id`). On success the
    /// ballot's keys are taken. [`judge`](Self::judge) ends with this very call, so
    /// both entry points judge alike.
    #[inline]
    pub fn judge_rest(
        &mut self,
        unit: usize,
        group: usize,
        answered: usize,
        ballot_id: &str,
        rater: &str,
        conflict: bool,
    ) -> std::result::Result<Accepted, Rejection> {
        self.judge_rest_hashed(unit, group, answered, ballot_id, rater, conflict, None)
    }

    /// The hashes of a ballot's two duplicate keys (its id; its unit and rater),
    /// with the slots of both tables touched so that they are in cache when the
    /// ballot is judged: a reader computes them for a batch of rows ahead and hands
    /// each to [`judge_rest_hashed`](Self::judge_rest_hashed). Blank ids hash too
    /// (the hash is then unused). [`hash_keys`](Self::hash_keys) then
    /// [`touch_keys`](Self::touch_keys), for a reader that spaces the two.
    #[inline]
    pub fn prefetch_keys(&mut self, unit: usize, ballot_id: &str, rater: &str) -> (u64, u64) {
        let h = self.hash_keys(unit, ballot_id, rater);
        self.touch_keys(h);
        h
    }

    /// The hashes of a ballot's two duplicate keys, with the cache lines that
    /// decide whether they are checked at all (the filters of
    /// `check_keys_among`) asked for: the first of two steps taken rows ahead of
    /// judging the ballot.
    #[inline]
    pub fn hash_keys(&mut self, unit: usize, ballot_id: &str, rater: &str) -> (u64, u64) {
        let id = crate::judge::keys::hash(ballot_id.as_bytes());
        let rk = crate::judge::keys::rater_hash(unit as u32, rater.as_bytes());
        if let Some(f) = &self.id_filter {
            f.prefetch(id);
        }
        if let Some(f) = &self.rater_filter {
            f.prefetch(rk);
        }
        (id, rk)
    }

    /// Touches the key-table slots of the hashes of [`hash_keys`](Self::hash_keys)
    /// (of the keys that are checked): the second step, nearer the judging.
    #[inline]
    pub fn touch_keys(&self, (id, rk): (u64, u64)) {
        if self.id_checked(id) {
            self.keys.ballot_ids.touch(id);
        }
        if self.rater_checked(rk) {
            self.keys.raters.touch(rk);
        }
    }

    /// [`judge_rest`](Self::judge_rest) with the key hashes of
    /// [`prefetch_keys`](Self::prefetch_keys) for the same unit, id and rater.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn judge_rest_hashed(
        &mut self,
        unit: usize,
        group: usize,
        answered: usize,
        ballot_id: &str,
        rater: &str,
        conflict: bool,
        hashes: Option<(u64, u64)>,
    ) -> std::result::Result<Accepted, Rejection> {
        if answered < self.min_answered {
            return Err((
                Some(unit),
                Reason::TooManyBlank,
                format!(
                    "{answered} of {} items answered; at least {} needed",
                    self.plan.survey.items.len(),
                    self.min_answered
                ),
            ));
        }
        let id_hash = match hashes {
            Some((h, _)) => h,
            None if ballot_id.is_empty() => 0,
            None => crate::judge::keys::hash(ballot_id.as_bytes()),
        };
        let id_slot = if ballot_id.is_empty() || !self.id_checked(id_hash) {
            None
        } else {
            match self.keys.ballot_ids.find_hashed(id_hash, ballot_id.as_bytes()) {
                Ok(()) => {
                    return Err((
                        Some(unit),
                        Reason::Duplicate,
                        format!("ballot_id {} already read", clip(ballot_id)),
                    ));
                }
                Err(v) => Some(v),
            }
        };
        let rater_slot = if rater.is_empty() {
            None
        } else {
            let h = match hashes {
                Some((_, h)) => h,
                None => crate::judge::keys::rater_hash(unit as u32, rater.as_bytes()),
            };
            if !self.rater_checked(h) {
                None
            } else {
                // The key's bytes, only for a key that is looked up (and kept).
                rater_key(&mut self.scratch, unit, rater);
                match self.keys.raters.find_hashed(h, &self.scratch) {
                    Ok(()) => {
                        return Err((
                            Some(unit),
                            Reason::Duplicate,
                            format!("rater {} already appraised {}", clip(rater), self.roster.units[unit].id),
                        ));
                    }
                    Err(v) => Some(v),
                }
            }
        };
        // A self-assessment ballot (SPEC §15) is the unit rating itself by design.
        if conflict && !self.plan.groups.get(group).is_some_and(|g| g.self_assessed) {
            return Err((
                Some(unit),
                Reason::ConflictOfInterest,
                self.roster.units[unit].id.clone(),
            ));
        }
        if let Some(v) = id_slot {
            self.keys.ballot_ids.insert_at(v, ballot_id.as_bytes());
        }
        if let Some(v) = rater_slot {
            self.keys.raters.insert_at(v, &self.scratch);
        }
        if let Some(log) = self.rater_log.as_mut().filter(|_| !rater.is_empty()) {
            log.push(rater);
        }
        Ok(Accepted { unit, group })
    }

    /// Takes keys of ballots read elsewhere (an earlier shard): a later ballot with
    /// one of them is a `duplicate`, as if those ballots had been read first.
    /// `rater` keys name their unit by roster index. Blank ids are no keys.
    pub fn take_known(&mut self, ballot_id: Option<&str>, rater: Option<(usize, &str)>) {
        if let Some(b) = ballot_id.map(str::trim).filter(|b| !b.is_empty()) {
            self.keys.ballot_ids.insert(b.as_bytes());
        }
        if let Some((unit, r)) = rater.map(|(u, r)| (u, r.trim())).filter(|(_, r)| !r.is_empty()) {
            let mut key = Vec::new();
            rater_key(&mut key, unit, r);
            self.keys.raters.insert(&key);
            if let Some(log) = &mut self.rater_log {
                log.push(r);
            }
        }
    }

    /// The ballot ids taken, in the order they were taken.
    pub fn ballot_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.keys.ballot_ids()
    }

    /// The (unit index, rater_id) keys taken, in the order they were taken (only
    /// those that may repeat after `campaign::check_only_repeated_ids`;
    /// [`take_raters`](Self::take_raters) lists every rater).
    pub fn rater_keys(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        self.keys.rater_keys()
    }
}

/// The `bad_code` rejection of `cell` with the scale's codes and labels as a hint.
#[cold]
pub(crate) fn bad_code_hinted(unit: usize, item: &str, cell: &str, scale: &Scale) -> Rejection {
    let codes: Vec<String> = scale.options.iter().map(|o| o.labels.named(&o.code)).collect();
    (
        Some(unit),
        Reason::BadCode,
        format!(
            "{item}={}; the answers of scale {} are {}",
            clip(cell),
            scale.id,
            codes.join(", ")
        ),
    )
}

/// The index of the option an answer (already trimmed) stands for: the option
/// whose code it is; else, when it is no code as written, the option whose code
/// it is after width folding (`input.fold_width`, default on; or only its
/// full-width digits read as ASCII under the older `validity.fullwidth_digits`),
/// or the option whose `zh`/`en` label it is (SPEC §12). Every ballot reader looks
/// answers up through this.
#[inline]
pub fn option_of(plan: &Plan, scale: &Scale, cell: &str) -> Option<usize> {
    match scale.option_index(cell) {
        None => option_slow(plan, scale, cell),
        found => found,
    }
}

#[cold]
fn option_slow(plan: &Plan, scale: &Scale, cell: &str) -> Option<usize> {
    let fold = plan.input.fold_width;
    let folded = if fold {
        Some(crate::input::fold::fold_width(cell).into_owned())
    } else if plan.validity.fullwidth_digits {
        halfwidth_digits(cell)
    } else {
        None
    };
    if let Some(f) = &folded
        && let Some(o) = scale.option_index(f)
    {
        return Some(o);
    }
    scale.option_by_label(folded.as_deref().unwrap_or(cell), fold)
}

/// The cell with its full-width digits (０–９, U+FF10–U+FF19) written as ASCII
/// digits, or `None` when it has none. Nothing else is mapped.
fn halfwidth_digits(cell: &str) -> Option<String> {
    const ZERO: u32 = 0xFF10;
    let is_wide = |c: char| (ZERO..=ZERO + 9).contains(&(c as u32));
    if !cell.chars().any(is_wide) {
        return None;
    }
    Some(
        cell.chars()
            .map(|c| {
                if is_wide(c) {
                    char::from_digit(c as u32 - ZERO, 10).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Shortens a cell for a detail message (a 2 MB cell does not belong in a report).
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}… ({} chars)", s.chars().count())
    }
}

/// What reading one ballot file produced besides the tally.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSummary {
    /// The file.
    pub path: String,
    /// Data rows read.
    pub rows: u64,
    /// Columns that are neither fixed columns nor items (ignored).
    pub ignored_columns: Vec<String>,
    /// Encoding note, when it was detected.
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fullwidth_digits_are_mapped() {
        assert_eq!(halfwidth_digits("1"), None);
        assert_eq!(halfwidth_digits("A"), None);
        assert_eq!(halfwidth_digits("１"), Some("1".into()));
        assert_eq!(halfwidth_digits("０９"), Some("09".into()));
        assert_eq!(halfwidth_digits("１Ａ"), Some("1Ａ".into()));
        assert_eq!(halfwidth_digits("一"), None);
    }
}
