//! Option counts per (unit, group, item): the complete statistic for every
//! item-level result (SPEC §7), and the ballot accounting beside them.
//!
//! A [`Tally`] is a flat array indexed `[unit][group][slot]`, where each item owns
//! `options + 1` slots (the last one counts blanks). It is additive: two tallies
//! made under the same plan and roster [`merge`](Tally::merge) by adding every
//! count, so shards and files can be tallied apart and scored together.

use serde::{Deserialize, Serialize};

use crate::ballots::Reason;
use crate::error::{ErrorKind, Result};
use crate::plan::Plan;
use crate::roster::Roster;

/// The shape of a tally: how many units, groups and option slots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Units in the roster.
    pub units: usize,
    /// Rater groups in the plan.
    pub groups: usize,
    /// Start slot of each item; item `i` owns `offsets[i]..offsets[i+1]`, whose last
    /// slot counts blanks.
    pub offsets: Vec<usize>,
    /// Slots per (unit, group).
    pub slots: usize,
    /// What the tally was made under (plan id, survey id and version, item and
    /// option codes, group ids, unit ids); tallies merge only when these agree.
    pub key: String,
}

impl Layout {
    /// The layout for a plan and roster.
    pub fn new(plan: &Plan, roster: &Roster) -> Layout {
        let s = &plan.survey;
        let mut offsets = Vec::with_capacity(s.items.len() + 1);
        let mut next = 0;
        for i in 0..s.items.len() {
            offsets.push(next);
            next += s.scale_of(i).options.len() + 1;
        }
        offsets.push(next);
        let mut key = format!("plan={};survey={}@{};items=", plan.id, s.id, s.version);
        for (i, it) in s.items.iter().enumerate() {
            key.push_str(&it.id);
            key.push('[');
            for o in &s.scale_of(i).options {
                key.push_str(&o.code);
                key.push(',');
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
        Layout {
            units: roster.len(),
            groups: plan.groups.len(),
            offsets,
            slots: next,
            key,
        }
    }
}

/// Counts of rejected ballots by reason, indexed by [`Reason::index`].
pub type ReasonCounts = [u64; Reason::COUNT];

/// Option counts and accounting of one campaign (or one shard of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The shape.
    pub layout: Layout,
    /// `counts[(u * groups + g) * slots + offsets[i] + o]`: valid ballots of group
    /// `g` about unit `u` answering item `i` with option `o` (`o = options` for a
    /// blank).
    pub counts: Vec<u64>,
    /// Valid ballots per (unit, group).
    pub valid: Vec<u64>,
    /// Ballot rows read per unit (valid or not), for units in the roster.
    pub read: Vec<u64>,
    /// Rejected ballots per unit and reason.
    pub rejected: Vec<ReasonCounts>,
    /// Rejected rows that name no roster unit, by reason.
    pub unattributed: ReasonCounts,
}

impl Tally {
    /// An empty tally.
    pub fn new(layout: Layout) -> Tally {
        let cells = layout.units * layout.groups;
        Tally {
            counts: vec![0; cells * layout.slots],
            valid: vec![0; cells],
            read: vec![0; layout.units],
            rejected: vec![[0; Reason::COUNT]; layout.units],
            unattributed: [0; Reason::COUNT],
            layout,
        }
    }

    /// Adds one valid ballot: `codes[i]` is the option index of item `i`, or any
    /// value ≥ the number of options for a blank.
    #[inline]
    pub fn add_valid(&mut self, unit: usize, group: usize, codes: &[u8]) {
        let cell = unit * self.layout.groups + group;
        let base = cell * self.layout.slots;
        let offs = &self.layout.offsets;
        for (i, &c) in codes.iter().enumerate() {
            let width = offs[i + 1] - offs[i];
            let o = (c as usize).min(width - 1);
            self.counts[base + offs[i] + o] += 1;
        }
        self.valid[cell] += 1;
        self.read[unit] += 1;
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
        if self.layout != other.layout {
            let what = if self.layout.key != other.layout.key {
                "different plan, survey or roster"
            } else {
                "different shapes"
            };
            return Err(ErrorKind::TallyMismatch(what.into()).into());
        }
        fn add(a: &mut [u64], b: &[u64]) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        add(&mut self.counts, &other.counts);
        add(&mut self.valid, &other.valid);
        add(&mut self.read, &other.read);
        for (a, b) in self.rejected.iter_mut().zip(&other.rejected) {
            add(a, b);
        }
        add(&mut self.unattributed, &other.unattributed);
        Ok(())
    }

    /// The counts of item `i` for (unit, group): one per option, then blanks.
    #[inline]
    pub fn item(&self, unit: usize, group: usize, i: usize) -> &[u64] {
        let base = (unit * self.layout.groups + group) * self.layout.slots;
        &self.counts[base + self.layout.offsets[i]..base + self.layout.offsets[i + 1]]
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
        let valid = self.valid.iter().sum();
        let rejected = by_reason.iter().sum();
        Accounting {
            read: valid + rejected,
            valid,
            rejected,
            by_reason,
            unattributed: self.unattributed.iter().sum(),
        }
    }
}

/// Ballots read = valid + rejected, in total (per unit in the results table).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Accounting {
    /// Ballot rows read.
    pub read: u64,
    /// Valid ballots.
    pub valid: u64,
    /// Rejected ballots.
    pub rejected: u64,
    /// Rejected ballots per reason, indexed by [`Reason::index`].
    pub by_reason: ReasonCounts,
    /// Rejected rows that name no roster unit (they appear in no unit's row).
    pub unattributed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        // 2 units, 2 groups, items with 3 and 2 options (+1 blank slot each).
        Layout {
            units: 2,
            groups: 2,
            offsets: vec![0, 4, 7],
            slots: 7,
            key: "k".into(),
        }
    }

    #[test]
    fn counts_land_in_their_slots_and_merge_by_addition() {
        let mut a = Tally::new(layout());
        a.add_valid(1, 0, &[2, 255]);
        a.add_valid(1, 0, &[2, 1]);
        a.add_rejected(Some(1), Reason::BadCode);
        a.add_rejected(None, Reason::UnknownUnit);
        assert_eq!(a.item(1, 0, 0), &[0, 0, 2, 0]);
        assert_eq!(a.item(1, 0, 1), &[0, 1, 1], "blank goes to the last slot");
        let mut b = Tally::new(layout());
        b.add_valid(1, 0, &[0, 0]);
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
}
