//! Option counts per (unit, group, item): the complete statistic for every
//! item-level result (SPEC §7), and the ballot accounting beside them.
//!
//! A [`Tally`] is a flat array indexed `[unit][group][slot]`, where each item owns
//! `options + 1` slots (the last one counts blanks). It is additive: two tallies
//! made under the same plan and roster [`merge`](Tally::merge) by adding every
//! count, so shards and files can be tallied apart and scored together.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::judge::ballots::Reason;
use crate::rules::plan::{GroupWeighting, Plan};
use crate::rules::roster::Roster;

/// The shape of a tally: how many units, groups and option slots, and the scores
/// the second moments are taken of.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Layout {
    /// Units in the roster.
    pub(crate) units: usize,
    /// Rater groups in the plan.
    pub(crate) groups: usize,
    /// Items in the survey.
    pub(crate) items: usize,
    /// Start slot of each item; item `i` owns `offsets[i]..offsets[i+1]`, whose last
    /// slot counts blanks.
    pub(crate) offsets: Vec<usize>,
    /// Slots per (unit, group).
    pub(crate) slots: usize,
    /// Score of each slot; NaN for abstentions and blanks.
    #[serde(with = "nan_as_null")]
    pub(crate) slot_scores: Vec<f64>,
    /// Moment cells per unit: 1 under pooled weighting (the groups share one set of
    /// moments), the number of groups under weighted weighting.
    pub(crate) moment_groups: usize,
    /// Item count of each dimension and its items, for the reliability sums.
    pub(crate) dimensions: Vec<Vec<usize>>,
    /// What the tally was made under (plan id, survey id and version, item codes
    /// and scores, group ids, weighting, unit ids); tallies merge only when these
    /// agree.
    pub(crate) key: String,
    /// Per group, whether it is a self-assessment group (SPEC §15); empty when the
    /// plan has none. Its ballots go to [`Tally::own`], never into this tally's
    /// counts, moments, patterns or per-unit accounting.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) selfs: Vec<bool>,
}

impl Layout {
    /// The layout for a plan and roster.
    pub fn new(plan: &Plan, roster: &Roster) -> Layout {
        let s = &plan.survey;
        let mut offsets = Vec::with_capacity(s.items.len() + 1);
        let mut slot_scores = Vec::new();
        for i in 0..s.items.len() {
            offsets.push(slot_scores.len());
            slot_scores.extend(s.scale_of(i).options.iter().map(|o| o.score.unwrap_or(f64::NAN)));
            slot_scores.push(f64::NAN);
        }
        offsets.push(slot_scores.len());
        let weighted = plan.scoring.group_weighting == GroupWeighting::Weighted;
        let mut key = format!(
            "plan={};survey={}@{};weighted={weighted};items=",
            plan.id, s.id, s.version
        );
        for (i, it) in s.items.iter().enumerate() {
            key.push_str(&it.id);
            key.push('[');
            for o in &s.scale_of(i).options {
                key.push_str(&format!("{}={:?},", o.code, o.score));
            }
            key.push(']');
        }
        key.push_str(";groups=");
        for g in &plan.groups {
            key.push_str(&g.id);
            key.push(',');
        }
        key.push_str(";units=");
        for u in &roster.units {
            key.push_str(&u.id);
            key.push(',');
        }
        let selfs: Vec<bool> = if plan.has_self() {
            plan.groups.iter().map(|g| g.self_assessed).collect()
        } else {
            Vec::new()
        };
        if !selfs.is_empty() {
            key.push_str(";self=");
            for g in plan.groups.iter().filter(|g| g.self_assessed) {
                key.push_str(&g.id);
                key.push(',');
            }
        }
        Layout {
            selfs,
            units: roster.len(),
            groups: plan.groups.len(),
            items: s.items.len(),
            slots: slot_scores.len(),
            offsets,
            slot_scores,
            moment_groups: if weighted { plan.groups.len() } else { 1 },
            dimensions: s.dimensions.iter().map(|d| d.items.clone()).collect(),
            key,
        }
    }

    /// The bytes a [`Tally`] of this layout allocates up front (counts, moments and
    /// per-unit accounting), saturating at `u64::MAX`.
    pub fn bytes(&self) -> u64 {
        let (u, g, mg) = (self.units as u128, self.groups as u128, self.moment_groups as u128);
        let n = self.items as u128;
        let moment_len = n * (n + 1) + n * n + 1 + n;
        let dims: u128 = self
            .dimensions
            .iter()
            .map(|d| {
                let k = d.len() as u128;
                1 + k + k * (k + 1) / 2
            })
            .sum();
        let words = u * g * (self.slots as u128 + 1) + u * mg * moment_len + dims + u * (3 + Reason::COUNT as u128);
        // Each unit's pattern set is a BTreeSet (3 words) and a flag.
        let one = words * 8 + u * 32;
        // A self-assessment group's ballots are tallied apart, in a second tally.
        let total = if self.selfs.is_empty() { one } else { 2 * one };
        u64::try_from(total).unwrap_or(u64::MAX)
    }

    fn packed(&self) -> usize {
        self.items * (self.items + 1) / 2
    }

    /// Length of one moment cell: `ss` (packed), `sa` (full), `aa` (packed),
    /// complete-ballot count and sums.
    fn moment_len(&self) -> usize {
        2 * self.packed() + self.items * self.items + 1 + self.items
    }

    fn dimension_len(&self) -> usize {
        self.dimensions
            .iter()
            .map(|d| 1 + d.len() + d.len() * (d.len() + 1) / 2)
            .sum()
    }
}

/// The index of `(i, j)`, `i ≤ j`, in a packed upper triangle of order `n`.
#[inline]
pub fn packed_index(n: usize, i: usize, j: usize) -> usize {
    // Row r of the triangle holds n − r entries, so row i starts at
    // Σ_{r<i} (n − r) = i·n − i(i−1)/2; (i, j) is j − i further.
    i * n - i * (i + 1) / 2 + j
}

/// Counts of rejected ballots by reason, indexed by [`Reason::index`].
pub type ReasonCounts = [u64; Reason::COUNT];

/// Option counts, second moments and accounting of one campaign (or one shard).
///
/// Besides the option counts, each unit (and, under weighted group weighting,
/// each group of it) carries the second moments of the per-ballot vectors
/// `s_b` (item scores, 0 where unscored) and `a_b` (1 where an item has a scored
/// answer): `Σ s sᵀ`, `Σ s aᵀ`, `Σ a aᵀ`. They are what the linearised standard
/// error of the composite needs (see `score::stats`), and they add up across
/// shards like the counts. With whole-number option scores every sum is an exact
/// integer in an f64, so merging in any order gives the same bits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// The shape.
    pub(crate) layout: Layout,
    /// `counts[(u * groups + g) * slots + offsets[i] + o]`: valid ballots of group
    /// `g` about unit `u` answering item `i` with option `o` (`o = options` for a
    /// blank).
    pub(crate) counts: Vec<u64>,
    /// Valid ballots per (unit, group).
    pub(crate) valid: Vec<u64>,
    /// Ballot rows read per unit (valid or not), for units in the roster.
    pub(crate) read: Vec<u64>,
    /// Rejected ballots per unit and reason.
    pub(crate) rejected: Vec<ReasonCounts>,
    /// Rejected rows that name no roster unit, by reason.
    pub(crate) unattributed: ReasonCounts,
    /// Second moments per moment cell (see the type's docs).
    pub(crate) moments: Vec<f64>,
    /// Per dimension, over ballots answering all its items with a scored option:
    /// count, `Σ x`, packed `Σ x xᵀ` (Cronbach's alpha).
    pub(crate) reliability: Vec<f64>,
    /// Valid ballots per unit that answered every item (at least three) with the
    /// same scored option (straight-lining).
    pub(crate) straight: Vec<u64>,
    /// Per unit, the distinct answer patterns of its valid ballots (64-bit hash →
    /// number of valid ballots with that pattern), up to [`PATTERN_CAP`] distinct
    /// patterns; a unit past the cap stops being tracked and is marked by an empty
    /// map with `pattern_overflow`. Merges by adding the counts of equal hashes
    /// (a union of keys), so any merge order gives the same map.
    pub(crate) patterns: Vec<std::collections::BTreeMap<u64, u64>>,
    /// Units whose pattern tracking hit the cap.
    pub(crate) pattern_overflow: Vec<bool>,
    /// The ballots of self-assessment groups (SPEC §15), tallied apart under the
    /// same shape so that they never reach the public score; `None` when the plan
    /// has no such group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) own: Option<Box<Tally>>,
}

/// The most memory a tally may take up front: 1 GiB. A survey and roster that need
/// more (the second moments grow as units × items²) are refused with the sizes
/// named, rather than aborting on a failed allocation.
pub const TALLY_BUDGET: u64 = 1 << 30;

/// Most distinct answer patterns tracked per unit (for the repeated-pattern flag).
pub const PATTERN_CAP: usize = 4096;

/// The 64-bit hash (FNV-1a over the option codes) by which a ballot's answer
/// pattern is kept: the same answers give the same hash everywhere.
pub fn pattern_hash(codes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in codes {
        h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Tally {
    /// An empty tally.
    pub fn new(layout: Layout) -> Tally {
        let cells = layout.units * layout.groups;
        let own = (!layout.selfs.is_empty()).then(|| {
            Box::new(Tally::new(Layout {
                selfs: Vec::new(),
                ..layout.clone()
            }))
        });
        Tally {
            own,
            counts: vec![0; cells * layout.slots],
            valid: vec![0; cells],
            read: vec![0; layout.units],
            rejected: vec![[0; Reason::COUNT]; layout.units],
            unattributed: [0; Reason::COUNT],
            moments: vec![0.0; layout.units * layout.moment_groups * layout.moment_len()],
            reliability: vec![0.0; layout.dimension_len()],
            straight: vec![0; layout.units],
            patterns: vec![std::collections::BTreeMap::new(); layout.units],
            pattern_overflow: vec![false; layout.units],
            layout,
        }
    }

    /// An empty tally, when its layout fits in [`TALLY_BUDGET`]; else an error that
    /// names the units, items and bytes.
    pub fn try_new(layout: Layout) -> Result<Tally> {
        Tally::try_new_within(layout, TALLY_BUDGET)
    }

    /// An empty tally, when its layout fits in `budget` bytes (`--memory`); else an
    /// error that names the units, items, bytes and the budget to ask for.
    pub fn try_new_within(layout: Layout, budget: u64) -> Result<Tally> {
        let bytes = layout.bytes();
        if bytes > budget {
            return Err(ErrorKind::Usage(format!(
                "the tally of {} units × {} groups × {} items (second moments: units × items²) needs {} MiB, more than the memory budget of {} MiB; give --memory {}G (the machine needs that much free memory), score fewer items or split the roster into campaigns",
                layout.units,
                layout.groups,
                layout.items,
                bytes.div_ceil(1 << 20),
                budget >> 20,
                bytes.div_ceil(1 << 30)
            ))
            .into());
        }
        Ok(Tally::new(layout))
    }

    /// Adds one valid ballot: `codes[i]` is the option index of item `i`, or any
    /// value ≥ the number of options for a blank. A unit or group outside the
    /// layout, or a code list of another length than the survey's items, is an
    /// error (the tally is left as it was).
    pub fn add_valid(&mut self, unit: usize, group: usize, codes: &[u8]) -> Result<()> {
        let l = &self.layout;
        if unit >= l.units || group >= l.groups || codes.len() != l.items {
            return Err(ErrorKind::TallyMismatch(format!(
                "add_valid: unit {unit} of {}, group {group} of {}, {} codes for {} items",
                l.units,
                l.groups,
                codes.len(),
                l.items
            ))
            .into());
        }
        self.add(unit, group, codes);
        Ok(())
    }

    /// [`Tally::add_valid`] for indices the validator produced (in range by
    /// construction): the hot path of every reader.
    #[inline]
    pub(crate) fn add(&mut self, unit: usize, group: usize, codes: &[u8]) {
        if let Some(own) = &mut self.own
            && self.layout.selfs.get(group).copied().unwrap_or(false)
        {
            own.add(unit, group, codes);
            return;
        }
        let l = &self.layout;
        let n = l.items;
        let cell = unit * l.groups + group;
        let base = cell * l.slots;
        // Score vector s and answered mask a of this ballot.
        let mut s = [0.0f64; 64];
        let mut a = [false; 64];
        let mut s_vec = Vec::new();
        let mut a_vec = Vec::new();
        let (s, a): (&mut [f64], &mut [bool]) = if n <= 64 {
            (&mut s[..n], &mut a[..n])
        } else {
            s_vec.resize(n, 0.0);
            a_vec.resize(n, false);
            (&mut s_vec, &mut a_vec)
        };
        let mut complete = true;
        let mut same: Option<u8> = None;
        let mut straight = n >= 3;
        for (i, &c) in codes.iter().enumerate() {
            let width = l.offsets[i + 1] - l.offsets[i];
            let o = (c as usize).min(width - 1);
            let slot = l.offsets[i] + o;
            self.counts[base + slot] += 1;
            let score = l.slot_scores[slot];
            if score.is_nan() {
                complete = false;
                straight = false;
            } else {
                s[i] = score;
                a[i] = true;
                match same {
                    None => same = Some(c),
                    Some(x) if x != c => straight = false,
                    _ => {}
                }
            }
        }
        self.note_valid(unit, group, codes, straight);
        let l = &self.layout;
        let len = l.moment_len();
        let mcell = unit * l.moment_groups + if l.moment_groups > 1 { group } else { 0 };
        let m = &mut self.moments[mcell * len..(mcell + 1) * len];
        let p = n * (n + 1) / 2;
        let (ss, rest) = m.split_at_mut(p);
        let (sa, rest) = rest.split_at_mut(n * n);
        let (aa, rest) = rest.split_at_mut(p);
        let mut k = 0;
        for i in 0..n {
            let si = s[i];
            if si == 0.0 {
                k += n - i;
                continue;
            }
            for (x, sj) in ss[k..k + n - i].iter_mut().zip(&s[i..]) {
                *x += si * sj;
            }
            k += n - i;
        }
        if complete {
            rest[0] += 1.0;
            for (x, si) in rest[1..].iter_mut().zip(s.iter()) {
                *x += si;
            }
        } else {
            // Branch-free over the answered mask as 0.0/1.0, so the loops vectorise
            // (adding 0.0 leaves a sum's bits unchanged: the same numbers as a test).
            let mut m64 = [0.0f64; 64];
            let mut m_vec = Vec::new();
            let m: &mut [f64] = if n <= 64 {
                &mut m64[..n]
            } else {
                m_vec.resize(n, 0.0);
                &mut m_vec
            };
            for (x, &ai) in m.iter_mut().zip(a.iter()) {
                *x = f64::from(u8::from(ai));
            }
            for i in 0..n {
                let si = s[i];
                if si != 0.0 {
                    for (x, &mj) in sa[i * n..(i + 1) * n].iter_mut().zip(m.iter()) {
                        *x += si * mj;
                    }
                }
            }
            let mut k = 0;
            for i in 0..n {
                if a[i] {
                    for (x, &mj) in aa[k..k + n - i].iter_mut().zip(&m[i..]) {
                        *x += mj;
                    }
                }
                k += n - i;
            }
        }
        let mut off = 0;
        for d in &l.dimensions {
            let k = d.len();
            let len = 1 + k + k * (k + 1) / 2;
            if d.iter().all(|&i| a[i]) {
                let r = &mut self.reliability[off..off + len];
                r[0] += 1.0;
                let mut q = 1 + k;
                for (x, &i) in d.iter().enumerate() {
                    r[1 + x] += s[i];
                    for &j in &d[x..] {
                        r[q] += s[i] * s[j];
                        q += 1;
                    }
                }
            }
            off += len;
        }
    }

    /// Records a rejected row, attributed to `unit` when it names a roster unit.
    #[inline]
    pub fn add_rejected(&mut self, unit: Option<usize>, reason: Reason) {
        match unit {
            Some(u) => {
                self.read[u] += 1;
                self.rejected[u][reason.index()] += 1;
            }
            None => self.unattributed[reason.index()] += 1,
        }
    }

    /// Adds another tally made under the same plan and roster.
    pub fn merge(&mut self, other: &Tally) -> Result<()> {
        if self.layout.key != other.layout.key || self.counts.len() != other.counts.len() {
            return Err(ErrorKind::TallyMismatch("different plan, survey or roster".into()).into());
        }
        // Counts near u64::MAX from a damaged or hostile tally file must not wrap:
        // every sum is checked before anything is changed.
        fn fits(a: &[u64], b: &[u64]) -> bool {
            a.iter().zip(b).all(|(x, y)| x.checked_add(*y).is_some())
        }
        fn add(a: &mut [u64], b: &[u64]) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += *y);
        }
        fn add_f(a: &mut [f64], b: &[f64]) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += *y);
        }
        let ok = fits(&self.counts, &other.counts)
            && fits(&self.valid, &other.valid)
            && fits(&self.read, &other.read)
            && self.rejected.iter().zip(&other.rejected).all(|(a, b)| fits(a, b))
            && fits(&self.unattributed, &other.unattributed)
            && fits(&self.straight, &other.straight)
            && self
                .moments
                .iter()
                .zip(&other.moments)
                .all(|(x, y)| (x + y).is_finite())
            && self
                .reliability
                .iter()
                .zip(&other.reliability)
                .all(|(x, y)| (x + y).is_finite())
            && self
                .total()
                .zip(other.total())
                .and_then(|(a, b)| a.checked_add(b))
                .is_some();
        if !ok {
            return Err(ErrorKind::TallyMismatch(
                "the sum of the tallies overflows (a count past 2^64 or a moment past f64); a shard is damaged, make it again".into(),
            )
            .into());
        }
        // The self-assessment tally first: when it fails, nothing has changed.
        if let (Some(a), Some(b)) = (&mut self.own, &other.own) {
            a.merge(b)?;
        }
        add(&mut self.counts, &other.counts);
        add(&mut self.valid, &other.valid);
        add(&mut self.read, &other.read);
        for (a, b) in self.rejected.iter_mut().zip(&other.rejected) {
            add(a, b);
        }
        add(&mut self.unattributed, &other.unattributed);
        add_f(&mut self.moments, &other.moments);
        add_f(&mut self.reliability, &other.reliability);
        add(&mut self.straight, &other.straight);
        for (u, (a, b)) in self.patterns.iter_mut().zip(&other.patterns).enumerate() {
            for (&h, &c) in b {
                *a.entry(h).or_insert(0) += c;
            }
            let over = self.pattern_overflow[u] || other.pattern_overflow[u] || a.len() > PATTERN_CAP;
            if over {
                a.clear();
                self.pattern_overflow[u] = true;
            }
        }
        Ok(())
    }

    /// Checks what a tally read from a file must satisfy: every moment finite; in
    /// each (unit, group) the counts of every item add up to the valid ballots;
    /// straight-lined ballots at most the valid ones; per unit, rows read = valid +
    /// rejected. Says the first cell that breaks a rule.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub(crate) fn check_consistent(&self) -> std::result::Result<(), String> {
        if let Some(k) = self.moments.iter().position(|x| !x.is_finite()) {
            return Err(format!("moments[{k}] is {}, not a finite number", self.moments[k]));
        }
        if let Some(k) = self.reliability.iter().position(|x| !x.is_finite()) {
            return Err(format!(
                "reliability[{k}] is {}, not a finite number",
                self.reliability[k]
            ));
        }
        let l = &self.layout;
        for u in 0..l.units {
            let mut valid: u64 = 0;
            for g in 0..l.groups {
                let v = self.valid[u * l.groups + g];
                valid = valid
                    .checked_add(v)
                    .ok_or_else(|| format!("valid ballots of unit {u} overflow"))?;
                for i in 0..l.items {
                    let sum = self
                        .item(u, g, i)
                        .iter()
                        .try_fold(0u64, |a, &b| a.checked_add(b))
                        .ok_or_else(|| format!("counts of unit {u}, group {g}, item {i} overflow"))?;
                    if sum != v {
                        return Err(format!(
                            "unit {u}, group {g}, item {i}: counts add up to {sum}, valid ballots are {v}"
                        ));
                    }
                }
            }
            if self.straight[u] > valid {
                return Err(format!(
                    "unit {u}: {} straight-lined of {valid} valid ballots",
                    self.straight[u]
                ));
            }
            let read = self.rejected[u]
                .iter()
                .try_fold(valid, |a, &b| a.checked_add(b))
                .ok_or_else(|| format!("rows of unit {u} overflow"))?;
            if read != self.read[u] {
                return Err(format!(
                    "unit {u}: {} rows read, but {read} valid and rejected",
                    self.read[u]
                ));
            }
        }
        match self.total() {
            Some(_) => Ok(()),
            None => Err("the ballots of the tally add up past 2^64".to_string()),
        }
    }

    /// Every ballot row of the tally (valid, rejected, unattributed), or `None` past
    /// 2⁶⁴: the accounting adds them up.
    fn total(&self) -> Option<u64> {
        self.valid
            .iter()
            .chain(&self.unattributed)
            .chain(self.rejected.iter().flatten())
            .try_fold(0u64, |a, &b| a.checked_add(b))
    }

    /// The counts of item `i` for (unit, group): one per option, then blanks.
    #[inline]
    pub fn item(&self, unit: usize, group: usize, i: usize) -> &[u64] {
        let base = (unit * self.layout.groups + group) * self.layout.slots;
        &self.counts[base + self.layout.offsets[i]..base + self.layout.offsets[i + 1]]
    }

    /// The second moments of a unit's moment cell `mg` (0 under pooled weighting,
    /// the group index under weighted).
    pub fn moments_of(&self, unit: usize, mg: usize) -> Moments<'_> {
        let l = &self.layout;
        let len = l.moment_len();
        let c = unit * l.moment_groups + mg;
        let m = &self.moments[c * len..(c + 1) * len];
        let n = l.items;
        let p = n * (n + 1) / 2;
        Moments {
            n,
            ss: &m[..p],
            sa: &m[p..p + n * n],
            aa: &m[p + n * n..2 * p + n * n],
            complete: &m[2 * p + n * n..],
        }
    }

    /// The reliability sums of dimension `d`: (count, `Σ x`, packed `Σ x xᵀ`).
    pub fn reliability_of(&self, d: usize) -> (f64, &[f64], &[f64]) {
        let dims = &self.layout.dimensions;
        let off: usize = dims[..d]
            .iter()
            .map(|x| 1 + x.len() + x.len() * (x.len() + 1) / 2)
            .sum();
        let k = dims[d].len();
        let r = &self.reliability[off..off + 1 + k + k * (k + 1) / 2];
        (r[0], &r[1..1 + k], &r[1 + k..])
    }

    /// Valid ballots of a unit, all groups.
    pub fn valid_of(&self, unit: usize) -> u64 {
        self.valid_by_group(unit).iter().sum()
    }

    /// Valid ballots of a unit, per group.
    pub fn valid_by_group(&self, unit: usize) -> &[u64] {
        let g = self.layout.groups;
        &self.valid[unit * g..(unit + 1) * g]
    }

    /// Rejected ballots of a unit, all reasons.
    pub fn rejected_of(&self, unit: usize) -> u64 {
        self.rejected[unit].iter().sum()
    }

    /// The campaign's accounting.
    pub fn accounting(&self) -> Accounting {
        let mut by_reason = self.unattributed;
        for r in &self.rejected {
            for (a, b) in by_reason.iter_mut().zip(r) {
                *a += b;
            }
        }
        let self_assessed: u64 = self.own.as_ref().map_or(0, |o| o.valid.iter().sum());
        let valid = self.valid.iter().sum::<u64>() + self_assessed;
        let rejected = by_reason.iter().sum();
        Accounting {
            self_assessed,
            read: valid + rejected,
            valid,
            rejected,
            by_reason,
            unattributed: self.unattributed.iter().sum(),
        }
    }
}

#[cfg_attr(not(feature = "parquet"), allow(dead_code))] // only the Parquet reader feeds the bit-sliced path
impl Tally {
    /// The accounting of one valid ballot besides its option counts and moments:
    /// valid and read counts, its answer pattern, straight-lining.
    #[inline]
    fn note_valid(&mut self, unit: usize, group: usize, codes: &[u8], straight: bool) {
        self.valid[unit * self.layout.groups + group] += 1;
        self.read[unit] += 1;
        if !self.pattern_overflow[unit] {
            let set = &mut self.patterns[unit];
            *set.entry(pattern_hash(codes)).or_insert(0) += 1;
            if set.len() > PATTERN_CAP {
                set.clear();
                self.pattern_overflow[unit] = true;
            }
        }
        if straight {
            self.straight[unit] += 1;
        }
    }
}

/// Second moments and reliability sums, bit-sliced: per moment cell, the next 64
/// ballots are kept as one `u64` per option slot (bit b set when ballot b chose
/// that option); when 64 have come, every sum of [`Tally::add`] follows from
/// popcounts of ANDs of those words — `Σ s_i s_j` is `Σ_ab s_a s_b·|B_a ∧ B_b|`
/// over the options a of item i and b of item j — about 80 bit operations per
/// ballot instead of ~900 multiply-adds. The sums are whole numbers, so they are
/// exact in an f64 and equal, bit for bit, to the per-ballot sums in any order;
/// hence only for layouts whose scores are whole numbers of at most 1000 in
/// magnitude ([`Sliced::new`] says `None` otherwise), and [`Sliced::finish`] must
/// run before the tally's moments are read.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))] // only the Parquet reader feeds the bit-sliced path
pub(crate) struct Sliced {
    /// Slots per cell.
    slots: usize,
    /// Per item, its first slot and its last (blank) slot's offset from the first.
    first: Vec<usize>,
    last: Vec<usize>,
    /// Per item, its scored slots and their scores (whole numbers).
    scored: Vec<Vec<(usize, i64)>>,
    /// Per item, its slots with a score other than 0: the only ones a sum of
    /// scores needs. A 100/60/0 scale's products then take 2·2 population
    /// counts per item pair instead of 3·3, with the same sums (the terms left
    /// out are exact zeros).
    weighted: Vec<Vec<(usize, i64)>>,
    /// Whether a slot is scored.
    is_scored: Vec<bool>,
    /// `bits[cell * slots + slot]`.
    bits: Vec<u64>,
    /// Ballots buffered per cell, and which of them scored every item.
    fill: Vec<u8>,
    complete: Vec<u64>,
    /// `group_bits[cell * groups + group]`: which of a cell's buffered ballots
    /// are of each group, when a cell mixes groups (pooled moments of several
    /// groups; else empty). The option counts of a (unit, group) are the
    /// population counts of the cell's words (masked by the group's bits) at
    /// each flush: one bit per ballot instead of an increment per item, which
    /// chained through memory when consecutive ballots of a unit chose alike.
    group_bits: Vec<u64>,
}

#[cfg_attr(not(feature = "parquet"), allow(dead_code))] // only the Parquet reader feeds the bit-sliced path
impl Sliced {
    /// An accumulator for `layout`, when its scores are whole numbers of at most
    /// 1000 in magnitude (then every sum is an exact integer below 2⁵³ for up to
    /// 9·10⁹ ballots per cell), and without a `self: true` group (whose ballots
    /// [`Tally::add`] routes to [`Tally::own`]; this accumulator does not).
    pub(crate) fn new(layout: &Layout) -> Option<Sliced> {
        if !layout.selfs.is_empty() {
            return None;
        }
        let whole = layout
            .slot_scores
            .iter()
            .all(|s| s.is_nan() || (s.fract() == 0.0 && s.abs() <= 1000.0));
        // A cell is a unit (pooled) or a (unit, group) (weighted): the option
        // counts are read off its words at each flush.
        let cells_ok = layout.moment_groups == 1 || layout.moment_groups == layout.groups;
        if !whole || !cells_ok || layout.offsets.len() != layout.items + 1 {
            return None;
        }
        let cells = layout.units.checked_mul(layout.moment_groups)?;
        let words = cells.checked_mul(layout.slots)?;
        let items = 0..layout.items;
        let scored: Vec<Vec<(usize, i64)>> = items
            .clone()
            .map(|i| {
                (layout.offsets[i]..layout.offsets[i + 1])
                    .filter(|&k| !layout.slot_scores[k].is_nan())
                    .map(|k| (k, layout.slot_scores[k] as i64))
                    .collect()
            })
            .collect();
        let weighted = scored
            .iter()
            .map(|opts| opts.iter().copied().filter(|&(_, w)| w != 0).collect())
            .collect();
        Some(Sliced {
            slots: layout.slots,
            first: items.clone().map(|i| layout.offsets[i]).collect(),
            last: items
                .map(|i| (layout.offsets[i + 1] - layout.offsets[i]).saturating_sub(1))
                .collect(),
            scored,
            weighted,
            is_scored: layout.slot_scores.iter().map(|s| !s.is_nan()).collect(),
            bits: vec![0; words],
            fill: vec![0; cells],
            complete: vec![0; cells],
            group_bits: if layout.moment_groups == 1 && layout.groups > 1 {
                vec![0; cells.checked_mul(layout.groups)?]
            } else {
                Vec::new()
            },
        })
    }

    /// Adds one valid ballot (as [`Tally::add`] does): its counts and accounting
    /// at once, its answers buffered for the second moments.
    #[inline]
    pub(crate) fn add(&mut self, tally: &mut Tally, unit: usize, group: usize, codes: &[u8]) {
        let l = &tally.layout;
        let cell = unit * l.moment_groups + if l.moment_groups > 1 { group } else { 0 };
        let n = self.fill[cell];
        let bit = 1u64 << n;
        let words = &mut self.bits[cell * self.slots..(cell + 1) * self.slots];
        let mut complete = true;
        for ((&c, &first), &last) in codes.iter().zip(&self.first).zip(&self.last) {
            let slot = first + (c as usize).min(last);
            words[slot] |= bit;
            complete &= self.is_scored[slot];
        }
        if let Some(g) = self.group_bits.get_mut(cell * l.groups + group) {
            *g |= bit;
        }
        // Straight-lining: every item (at least three) answered with the same
        // scored option.
        let straight = complete && codes.len() >= 3 && codes.iter().all(|&c| c == codes[0]);
        tally.note_valid(unit, group, codes, straight);
        if complete {
            self.complete[cell] |= bit;
        }
        self.fill[cell] = n + 1;
        if n + 1 == 64 {
            self.flush(tally, cell);
        }
    }

    /// Adds every buffered ballot's sums to the tally.
    pub(crate) fn finish(&mut self, tally: &mut Tally) {
        for cell in 0..self.fill.len() {
            if self.fill[cell] > 0 {
                self.flush(tally, cell);
            }
        }
    }

    /// `Σ_ab s_a s_b·|m ∧ B_a ∧ B_b|` over the scored options a of one item and b of
    /// another, in integers (exact, and free of the latency chain of a float sum).
    #[inline]
    fn cross(words: &[u64], oi: &[(usize, i64)], oj: &[(usize, i64)], mask: u64) -> i64 {
        let mut sum = 0i64;
        for &(a, sa) in oi {
            let wa = words[a] & mask;
            if wa == 0 {
                continue;
            }
            for &(b, sb) in oj {
                sum += sa * sb * i64::from((wa & words[b]).count_ones());
            }
        }
        sum
    }

    /// `Σ_a s_a·|m ∧ B_a|` over the scored options of one item.
    #[inline]
    fn single(words: &[u64], oi: &[(usize, i64)], mask: u64) -> i64 {
        oi.iter()
            .map(|&(a, s)| s * i64::from((words[a] & mask).count_ones()))
            .sum()
    }

    /// Adds one cell's buffered sums to the tally, with the processor's population
    /// count instruction where it has one (the sums are thousands of popcounts per
    /// 64 ballots; the portable fallback is a few times slower).
    fn flush(&mut self, tally: &mut Tally, cell: usize) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the processor has AVX2 and POPCNT, checked just above.
            unsafe { self.flush_avx2(tally, cell) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the processor has POPCNT, checked just above.
            unsafe { self.flush_popcnt(tally, cell) };
            return;
        }
        self.flush_any(tally, cell);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt")]
    fn flush_popcnt(&mut self, tally: &mut Tally, cell: usize) {
        self.flush_any(tally, cell);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    fn flush_avx2(&mut self, tally: &mut Tally, cell: usize) {
        self.flush_any(tally, cell);
    }

    #[inline(always)]
    fn flush_any(&mut self, tally: &mut Tally, cell: usize) {
        let l = &tally.layout;
        let n = l.items;
        let fill = u32::from(self.fill[cell]);
        let full = if fill >= 64 { u64::MAX } else { (1u64 << fill) - 1 };
        let words = &self.bits[cell * self.slots..(cell + 1) * self.slots];
        // The option counts of the buffered ballots, per (unit, group).
        let count = |counts: &mut [u64], mask: u64| {
            for (c, &w) in counts.iter_mut().zip(words) {
                *c += u64::from((w & mask).count_ones());
            }
        };
        let s = self.slots;
        if self.group_bits.is_empty() {
            // A cell is one (unit, group): unit·moment_groups + group, or a unit
            // of the only group.
            count(&mut tally.counts[cell * s..(cell + 1) * s], u64::MAX);
        } else {
            let groups = tally.layout.groups;
            let bits = &mut self.group_bits[cell * groups..(cell + 1) * groups];
            for (g, m) in bits.iter_mut().enumerate() {
                if *m != 0 {
                    let base = (cell * groups + g) * s;
                    count(&mut tally.counts[base..base + s], *m);
                    *m = 0;
                }
            }
        }
        let l = &tally.layout;
        let pop = |x: u64| f64::from(x.count_ones());
        let scored = &self.weighted;
        // Answered (scored) mask per item: every scored slot, 0 included.
        let answered: Vec<u64> = self
            .scored
            .iter()
            .map(|opts| opts.iter().fold(0, |m, &(k, _)| m | words[k]))
            .collect();
        let comp = self.complete[cell] & full;
        let inc = full & !comp;
        let len = l.moment_len();
        let m = &mut tally.moments[cell * len..(cell + 1) * len];
        let p = n * (n + 1) / 2;
        let (ss, rest) = m.split_at_mut(p);
        let (sa, rest) = rest.split_at_mut(n * n);
        let (aa, rest) = rest.split_at_mut(p);
        // Every sum is a whole number far below 2⁵³: adding it to the f64 is exact,
        // so the bits are those of the per-ballot sums in any order.
        let mut k = 0;
        for i in 0..n {
            for j in i..n {
                ss[k] += Sliced::cross(words, &scored[i], &scored[j], u64::MAX) as f64;
                k += 1;
            }
        }
        if inc != 0 {
            // Row by row over contiguous words, so that the compiler can
            // vectorise the population counts (the terms are whole numbers:
            // adding them one option at a time gives the same sums).
            for i in 0..n {
                let row = &mut sa[i * n..(i + 1) * n];
                for &(a, s) in &scored[i] {
                    let x = words[a] & inc;
                    if x == 0 {
                        continue;
                    }
                    let s = s as f64;
                    for (t, &aj) in row.iter_mut().zip(&answered) {
                        *t += s * pop(x & aj);
                    }
                }
            }
            let mut k = 0;
            for i in 0..n {
                let x = answered[i] & inc;
                for (t, &aj) in aa[k..k + n - i].iter_mut().zip(&answered[i..]) {
                    *t += pop(x & aj);
                }
                k += n - i;
            }
        }
        if comp != 0 {
            rest[0] += pop(comp);
            for i in 0..n {
                rest[1 + i] += Sliced::single(words, &scored[i], comp) as f64;
            }
        }
        let mut off = 0;
        for d in &l.dimensions {
            let kd = d.len();
            let rlen = 1 + kd + kd * (kd + 1) / 2;
            let mask = d.iter().fold(full, |m, &i| m & answered[i]);
            if mask != 0 {
                let r = &mut tally.reliability[off..off + rlen];
                r[0] += pop(mask);
                let mut q = 1 + kd;
                for (x, &i) in d.iter().enumerate() {
                    r[1 + x] += Sliced::single(words, &scored[i], mask) as f64;
                    for &j in &d[x..] {
                        r[q] += Sliced::cross(words, &scored[i], &scored[j], mask) as f64;
                        q += 1;
                    }
                }
            }
            off += rlen;
        }
        self.bits[cell * self.slots..(cell + 1) * self.slots].fill(0);
        self.fill[cell] = 0;
        self.complete[cell] = 0;
    }
}

/// A view of one moment cell.
#[derive(Clone, Copy, Debug)]
pub struct Moments<'a> {
    /// Items.
    pub n: usize,
    /// Packed `Σ s_i s_j`, i ≤ j, over all ballots.
    pub ss: &'a [f64],
    /// Full `Σ s_i a_j` over ballots with some unscored item.
    pub sa: &'a [f64],
    /// Packed `Σ a_i a_j` over ballots with some unscored item.
    pub aa: &'a [f64],
    /// `[count, Σ s_1, …, Σ s_n]` over ballots that scored every item.
    pub complete: &'a [f64],
}

impl Moments<'_> {
    /// `Σ s_i s_j`.
    pub fn ss(&self, i: usize, j: usize) -> f64 {
        let (i, j) = if i <= j { (i, j) } else { (j, i) };
        self.ss[packed_index(self.n, i, j)]
    }

    /// `Σ s_i a_j` over all ballots.
    pub fn sa(&self, i: usize, j: usize) -> f64 {
        self.sa[i * self.n + j] + self.complete[1 + i]
    }

    /// `Σ a_i a_j` over all ballots.
    pub fn aa(&self, i: usize, j: usize) -> f64 {
        let (i, j) = if i <= j { (i, j) } else { (j, i) };
        self.aa[packed_index(self.n, i, j)] + self.complete[0]
    }
}

/// Ballots read = valid + rejected, in total (per unit in the results table).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounting {
    /// Ballot rows read.
    pub read: u64,
    /// Valid ballots.
    pub valid: u64,
    /// Rejected ballots.
    pub rejected: u64,
    /// Rejected ballots per reason, indexed by [`Reason::index`]; in JSON an
    /// object keyed by the reason's code (`{"bad_code": 3, …}`, every reason).
    #[serde(with = "by_code")]
    pub by_reason: ReasonCounts,
    /// Rejected rows that name no roster unit (they appear in no unit's row).
    pub unattributed: u64,
    /// Valid ballots of self-assessment groups (SPEC §15), included in `valid` and
    /// in no unit's row: Σ units' valid ballots + this = `valid`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub self_assessed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl PartialEq for Layout {
    /// Equal shapes; the slot scores compare by their bits, so the NaN of an
    /// abstention or blank slot equals itself and two tallies can be compared.
    fn eq(&self, o: &Layout) -> bool {
        self.units == o.units
            && self.groups == o.groups
            && self.items == o.items
            && self.offsets == o.offsets
            && self.slots == o.slots
            && self.moment_groups == o.moment_groups
            && self.dimensions == o.dimensions
            && self.key == o.key
            && self.slot_scores.len() == o.slot_scores.len()
            && self
                .slot_scores
                .iter()
                .zip(&o.slot_scores)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl Layout {
    /// Identifies the plan, survey and roster the layout was made from: tallies
    /// with the same key can be merged.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Units in the roster.
    pub fn units(&self) -> usize {
        self.units
    }

    /// Groups of the plan.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Items of the survey.
    pub fn items(&self) -> usize {
        self.items
    }
}

impl Tally {
    /// The tally's shape.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The second-moment sums (see the type's docs), in layout order.
    pub fn moments(&self) -> &[f64] {
        &self.moments
    }

    /// The reliability sums per dimension (count, `Σ x`, packed `Σ x xᵀ`).
    pub fn reliability_sums(&self) -> &[f64] {
        &self.reliability
    }
}

/// Slot scores in JSON: NaN (an abstention or blank slot) as `null`, so a tally
/// survives a JSON round trip.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| (!x.is_nan()).then_some(*x)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let v = Vec::<Option<f64>>::deserialize(d)?;
        Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

/// `ReasonCounts` in JSON as an object keyed by reason code, in reason order.
mod by_code {
    use std::collections::BTreeMap;

    use serde::de::Error as _;
    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::ReasonCounts;
    use crate::judge::ballots::Reason;

    pub fn serialize<S: Serializer>(counts: &ReasonCounts, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(counts.len()))?;
        for r in Reason::ALL {
            m.serialize_entry(r.code(), &counts[r.index()])?;
        }
        m.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ReasonCounts, D::Error> {
        let map = BTreeMap::<String, u64>::deserialize(d)?;
        let mut counts = ReasonCounts::default();
        for (code, n) in map {
            let r = Reason::from_code(&code).ok_or_else(|| D::Error::custom(format!("unknown reason `{code}`")))?;
            counts[r.index()] = n;
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_past_u64_is_an_error_and_changes_nothing() {
        let layout = Layout {
            units: 1,
            groups: 1,
            items: 1,
            offsets: vec![0, 2],
            slots: 2,
            slot_scores: vec![100.0, f64::NAN],
            moment_groups: 1,
            dimensions: vec![vec![0]],
            key: "k".into(),
            selfs: Vec::new(),
        };
        let mut a = Tally::new(layout);
        a.add(0, 0, &[0]);
        let mut b = a.clone();
        b.valid[0] = u64::MAX;
        let before = a.clone();
        assert!(a.merge(&b).is_err(), "u64 counts do not wrap");
        assert_eq!(a, before);
        b.valid[0] = 1;
        b.moments[0] = f64::MAX;
        a.moments[0] = f64::MAX;
        assert!(a.merge(&b).is_err(), "moments stay finite");
    }

    fn layout() -> Layout {
        // 2 units, 2 groups, items with 3 and 2 options (+1 blank slot each).
        // Scores: item 0 options 100, 50, 0; item 1 options 100 and an abstention.
        let nan = f64::NAN;
        Layout {
            units: 2,
            groups: 2,
            items: 2,
            offsets: vec![0, 4, 7],
            slots: 7,
            slot_scores: vec![100.0, 50.0, 0.0, nan, 100.0, nan, nan],
            moment_groups: 1,
            dimensions: vec![vec![0, 1]],
            key: "k".into(),
            selfs: Vec::new(),
        }
    }

    #[test]
    fn counts_land_in_their_slots_and_merge_by_addition() {
        let mut a = Tally::new(layout());
        a.add(1, 0, &[2, 255]);
        a.add(1, 0, &[2, 1]);
        a.add_rejected(Some(1), Reason::BadCode);
        a.add_rejected(None, Reason::UnknownUnit);
        assert_eq!(a.item(1, 0, 0), &[0, 0, 2, 0]);
        assert_eq!(a.item(1, 0, 1), &[0, 1, 1], "blank goes to the last slot");
        let mut b = Tally::new(layout());
        b.add(1, 0, &[0, 0]);
        a.merge(&b).unwrap();
        assert_eq!(a.item(1, 0, 0), &[1, 0, 2, 0]);
        assert_eq!(a.valid_of(1), 3);
        assert_eq!(a.read[1], 4, "3 valid + 1 rejected");
        let acc = a.accounting();
        assert_eq!((acc.read, acc.valid, acc.rejected, acc.unattributed), (5, 3, 2, 1));
        let mut other = layout();
        other.key = "other".into();
        assert!(a.merge(&Tally::new(other)).is_err());
    }

    #[test]
    fn pattern_counts_merge_by_adding_equal_hashes() {
        // Shard a: [0,0] twice, [1,0] once; shard b: [0,0] once, [2,1] once.
        // Merged either way: [0,0] → 3, [1,0] → 1, [2,1] → 1.
        let (mut a, mut b) = (Tally::new(layout()), Tally::new(layout()));
        a.add(0, 0, &[0, 0]);
        a.add(0, 1, &[0, 0]);
        a.add(0, 0, &[1, 0]);
        b.add(0, 0, &[0, 0]);
        b.add(0, 0, &[2, 1]);
        let want: std::collections::BTreeMap<u64, u64> = [
            (pattern_hash(&[0, 0]), 3),
            (pattern_hash(&[1, 0]), 1),
            (pattern_hash(&[2, 1]), 1),
        ]
        .into_iter()
        .collect();
        let mut ab = a.clone();
        ab.merge(&b).unwrap();
        let mut ba = b.clone();
        ba.merge(&a).unwrap();
        assert_eq!(ab.patterns[0], want);
        assert_eq!(ba.patterns[0], want);
        assert!(ab.patterns[1].is_empty());
        // FNV-1a of one byte 0: (offset ^ 0) · prime mod 2⁶⁴.
        assert_eq!(
            pattern_hash(&[0]),
            0xcbf2_9ce4_8422_2325u64.wrapping_mul(0x0100_0000_01b3)
        );
    }

    /// `Sliced` gives the very tally of `add`, ballot for ballot.
    fn both_ways(ballots: &[(usize, usize, Vec<u8>)], layout: Layout) -> (Tally, Tally) {
        let mut plain = Tally::new(layout.clone());
        let mut sliced = Tally::new(layout);
        let mut acc = Sliced::new(sliced.layout()).expect("whole-number scores");
        for (u, g, codes) in ballots {
            plain.add(*u, *g, codes);
            acc.add(&mut sliced, *u, *g, codes);
        }
        acc.finish(&mut sliced);
        (plain, sliced)
    }

    #[test]
    fn sliced_moments_by_hand() {
        // The three ballots of `second_moments_by_hand`, through the bit-sliced
        // accumulator: Σ s0² = 100² + 50² = 12500, Σ s0 s1 = 100·100 = 10000,
        // Σ s1² = 100² + 100² = 20000 (popcounts: option 100 of item 0 and option
        // 100 of item 1 share ballot 1 only).
        let ballots = vec![(0, 0, vec![0, 0]), (0, 1, vec![1, 1]), (0, 0, vec![255, 0])];
        let (plain, sliced) = both_ways(&ballots, layout());
        let m = sliced.moments_of(0, 0);
        assert_eq!((m.ss(0, 0), m.ss(0, 1), m.ss(1, 1)), (12500.0, 10000.0, 20000.0));
        assert_eq!((m.aa(0, 1), m.aa(0, 0), m.aa(1, 1)), (1.0, 2.0, 2.0));
        assert_eq!(plain, sliced);
    }

    #[test]
    fn sliced_moments_equal_the_per_ballot_sums_bit_for_bit() {
        // 1,000 ballots over 2 units and 2 groups, codes including blanks (255) and
        // abstentions: past 64 ballots per cell, so full and partial buffers flush.
        let mut x: u64 = 12345;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) as usize
        };
        let ballots: Vec<(usize, usize, Vec<u8>)> = (0..1000)
            .map(|_| {
                let c0 = [0u8, 1, 2, 255][next() % 4];
                let c1 = [0u8, 1, 255][next() % 3];
                (next() % 2, next() % 2, vec![c0, c1])
            })
            .collect();
        let (plain, sliced) = both_ways(&ballots, layout());
        assert_eq!(plain, sliced);
        let bits = |t: &Tally| {
            t.moments
                .iter()
                .chain(&t.reliability)
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&plain), bits(&sliced));
        // Weighted layouts keep a moment cell per group.
        let mut weighted = layout();
        weighted.moment_groups = 2;
        let (plain, sliced) = both_ways(&ballots, weighted);
        assert_eq!(plain, sliced);
        // One group: a cell is a unit of that group (its counts, read off the
        // words without a group mask, equal the plain ones too).
        let mut one = layout();
        one.groups = 1;
        let only: Vec<(usize, usize, Vec<u8>)> = ballots.iter().map(|(u, _, c)| (*u, 0, c.clone())).collect();
        let (plain, sliced) = both_ways(&only, one);
        assert_eq!(plain, sliced);
        assert_eq!(plain.counts.iter().sum::<u64>(), 1000 * 2, "two items a ballot");
        // Moment cells that are neither units nor (unit, group)s: not bit-sliced.
        let mut odd = layout();
        odd.moment_groups = 3;
        assert!(Sliced::new(&odd).is_none());
        // Scores that are not whole numbers keep the per-ballot path.
        let mut halves = layout();
        halves.slot_scores[1] = 50.5;
        assert!(Sliced::new(&halves).is_none());
    }

    #[test]
    fn second_moments_by_hand() {
        let mut t = Tally::new(layout());
        // Ballot 1: item 0 → 100, item 1 → 100 (complete): s = (100, 100), a = (1, 1).
        t.add(0, 0, &[0, 0]);
        // Ballot 2: item 0 → 50, item 1 abstains: s = (50, 0), a = (1, 0).
        t.add(0, 1, &[1, 1]);
        // Ballot 3: item 0 blank, item 1 → 100: s = (0, 100), a = (0, 1).
        t.add(0, 0, &[255, 0]);
        let m = t.moments_of(0, 0);
        // Σ s0² = 100² + 50² = 12500; Σ s0 s1 = 100·100 = 10000; Σ s1² = 100² + 100² = 20000.
        assert_eq!((m.ss(0, 0), m.ss(0, 1), m.ss(1, 1)), (12500.0, 10000.0, 20000.0));
        // Σ s0 a1 = 100 (ballot 1); Σ s1 a0 = 100 (ballot 1); Σ s0 a0 = 150; Σ s1 a1 = 200.
        assert_eq!(
            (m.sa(0, 1), m.sa(1, 0), m.sa(0, 0), m.sa(1, 1)),
            (100.0, 100.0, 150.0, 200.0)
        );
        // Σ a0 a1 = 1; A0 = 2; A1 = 2.
        assert_eq!((m.aa(0, 1), m.aa(0, 0), m.aa(1, 1)), (1.0, 2.0, 2.0));
        // Reliability sums: only ballot 1 scored both items: n = 1, Σx = (100, 100).
        let (n, sum, cross) = t.reliability_of(0);
        assert_eq!(
            (n, sum, cross),
            (1.0, &[100.0, 100.0][..], &[10000.0, 10000.0, 10000.0][..])
        );
        assert_eq!(packed_index(4, 0, 3), 3);
        assert_eq!(packed_index(4, 1, 1), 4);
        assert_eq!(packed_index(4, 3, 3), 9);
    }
}
