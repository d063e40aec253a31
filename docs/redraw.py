#!/usr/bin/env python3
"""Re-draw an `appraise draw` panel from SPEC.md §13 alone (Python 3 standard library).

An independent re-implementation, so that anyone can check a published draw without
trusting `appraise`: it reads the roster, the candidates, the seed and the draw's
parameters from proof.json (per_unit, quotas, public groups and places, the default
max panels, excluded units), re-draws, and compares with panel.csv.

    python3 docs/redraw.py ROSTER.csv CANDIDATES.csv SEED DIR

Exit 0 when DIR/panel.csv is exactly the re-draw (and the seed matches the proof's
hash), 1 otherwise. Scope: UTF-8 CSV files whose candidate rows are all valid and
name groups and units by their ids (what `appraise` accepts beyond that — labels,
workbooks, GBK, rejected rows — is for `appraise draw --verify`).
"""

import csv
import hashlib
import io
import json
import struct
import sys


def chacha20_words(key: bytes):
    """The ChaCha20 keystream (RFC 8439 block, nonce 0, counter from 0) as 32-bit words."""
    const = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    k = list(struct.unpack("<8I", key))
    counter = 0
    mask = 0xFFFFFFFF

    def rotl(v, c):
        return ((v << c) & mask) | (v >> (32 - c))

    def qr(x, a, b, c, d):
        x[a] = (x[a] + x[b]) & mask
        x[d] = rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & mask
        x[b] = rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & mask
        x[d] = rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & mask
        x[b] = rotl(x[b] ^ x[c], 7)

    while True:
        state = const + k + [counter & mask, counter >> 32, 0, 0]
        x = list(state)
        for _ in range(10):
            qr(x, 0, 4, 8, 12)
            qr(x, 1, 5, 9, 13)
            qr(x, 2, 6, 10, 14)
            qr(x, 3, 7, 11, 15)
            qr(x, 0, 5, 10, 15)
            qr(x, 1, 6, 11, 12)
            qr(x, 2, 7, 8, 13)
            qr(x, 3, 4, 9, 14)
        for i in range(16):
            yield (x[i] + state[i]) & mask
        counter += 1


class Sampler:
    def __init__(self, seed: str):
        self.words = chacha20_words(hashlib.sha256(seed.encode("utf-8")).digest())
        self.taken = 0

    def next_u64(self):
        self.taken += 1
        lo = next(self.words)
        hi = next(self.words)
        return lo | (hi << 32)

    def below(self, n):
        limit = 2**64 - (2**64 % n)
        while True:
            x = self.next_u64()
            if x < limit:
                return x % n

    def choose(self, pool, k):
        for i in range(k):
            j = i + self.below(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


def rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [{k.strip(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(f)]


def main(roster_path, candidates_path, seed, folder):
    proof = json.load(open(f"{folder}/proof.json", encoding="utf-8"))
    if hashlib.sha256(seed.encode("utf-8")).hexdigest() != proof["seed_sha256"]:
        print("the seed does not match proof.json's seed_sha256")
        return 1
    units = [r["unit_id"] for r in rows(roster_path)]
    people = sorted(rows(candidates_path), key=lambda c: c["candidate_id"].encode("utf-8"))
    unit_col = "unit" if people and "unit" in people[0] else "unit_id"
    default = proof["max_panels_per_rater"]
    left = [int(c["max_panels"]) if c.get("max_panels") else default for c in people]
    public = set(proof["public_groups"])
    n = proof["per_unit"]
    steps = [("group", q["group"], q["places"]) for q in proof["quotas"]]
    steps += [("public", None, None), ("rest", None, None)]
    s = Sampler(seed)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["unit_id", "candidate_id", "name", "rater_group"])
    for u in units:
        if u in proof["excluded_units"]:
            continue
        chosen = []
        for kind, group, places in steps:
            if kind == "group":
                need, member = places, (lambda c, g=group: c["rater_group"] == g)
            elif kind == "public":
                have = sum(1 for k in chosen if people[k]["rater_group"] in public)
                need, member = max(0, proof["public_places"] - have), (lambda c: c["rater_group"] in public)
            else:
                need, member = n - len(chosen), (lambda c: True)
            if need == 0:
                continue
            pool = [
                k
                for k, c in enumerate(people)
                if member(c) and k not in chosen and c.get(unit_col, "") != u and left[k] > 0
            ]
            if len(pool) < need:
                print(f"unit {u}: {kind} {group or ''} needs {need}, {len(pool)} eligible")
                return 1
            chosen += s.choose(pool, need)
        for k in chosen:
            left[k] -= 1
            c = people[k]
            w.writerow([u, c["candidate_id"], c["name"], c["rater_group"]])
    mine = out.getvalue().encode("utf-8")
    theirs = open(f"{folder}/panel.csv", "rb").read()
    print(f"re-drawn panel.csv sha256 {hashlib.sha256(mine).hexdigest()}, {s.taken} random numbers")
    if mine != theirs or s.taken != proof["counts"]["random_numbers"]:
        print("DIFFERENT from the published panel.csv")
        return 1
    if hashlib.sha256(mine).hexdigest() != proof["panel_csv_sha256"]:
        print("panel.csv does not match proof.json's panel_csv_sha256")
        return 1
    print("same as the published panel.csv")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
