"""Model-based and unit tests of fastresp.keyspace.Keyspace, driven through its Python methods.

A hypothesis state machine runs random sequences of writes, deletes, TTL changes, clock moves,
FLUSHDB/FLUSHALL/SWAPDB, cron ticks (which shrink tables), explicit rehash steps, active expiry
cycles and random-key picks over a few databases holding hundreds of keys, and compares the
keyspace with a plain dict model after every step. Further tests check SCAN's guarantee while the
table grows, shrinks and rehashes between calls, RANDOMKEY's coverage, the active expiry cycle's
budget and reports, avg_ttl and the statistics counters.

The model keeps, per database, every key that is *physically* present (a key whose TTL has
passed stays until something deletes it: a lookup, the active cycle, a random pick), so DBSIZE
and the number of TTLs are checked exactly, and liveness is `now <= when`.

Clock: the keyspace's `now_ms` is settable, but `cron()` and `active_expire_cycle()` reload it
from the wall clock. The model clock therefore starts one day ahead of the wall clock and only
moves forward; after those calls the test sets `now_ms` back to the model clock. Keys the active
cycle may delete are those whose time is before the wall clock, and all of them are dead in the
model too.
"""
from __future__ import annotations

import random
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, rule,
                                 run_state_machine_as_test)

from fastresp.keyspace import Keyspace

NDBS = 3
POOL = 400
KEYS = [b"key:%d" % i for i in range(POOL)]
DAY_MS = 86_400_000

dbs = st.integers(0, NDBS - 1)
key_index = st.integers(0, POOL - 1)
values = st.one_of(
    st.integers(-2**63, 2**63 - 1).map(lambda i: str(i).encode()),   # int encoding
    st.binary(max_size=44),                                            # embedded strings
    st.binary(min_size=45, max_size=120),                              # separate blocks
    st.sampled_from([b"", b"0", b"-0", b"007", b"9223372036854775808", b" 1"]),
)


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def bulk_value(kind: int, seed: int, i: int) -> bytes:
    if kind == 0:
        return b"%d" % (seed * 1000 + i)
    if kind == 1:
        return b"v%d.%d" % (seed, i)
    return (b"long-value-%d-%d-" % (seed, i)) * 4


def full_scan(ks: Keyspace, db: int) -> list[bytes]:
    """Every physically present key, from one uninterrupted SCAN iteration (no duplicates
    are possible without a resize between calls)."""
    out: list[bytes] = []
    cursor = 0
    while True:
        cursor, keys = ks.scan(db, cursor, 50)
        out += keys
        if cursor == 0:
            return out


class KeyspaceMachine(RuleBasedStateMachine):
    observed: Counter = Counter()   # shared across examples: what the tables went through

    def __init__(self):
        super().__init__()
        self.ks = Keyspace(NDBS)
        self.now = wall_ms() + DAY_MS
        self.ks.now_ms = self.now
        self.ks.reset_stats()
        # per database: key -> [value, when or None]; keys physically present
        self.dbs: list[dict[bytes, list]] = [{} for _ in range(NDBS)]
        self.expired = self.hits = self.misses = 0
        self.last_sizes = [(0, 0)] * NDBS
        self.value_cursor = 0
        self.steps = 0

    # ----- model helpers
    def alive(self, db: int, key: bytes) -> bool:
        e = self.dbs[db].get(key)
        return e is not None and (e[1] is None or self.now <= e[1])

    def lazy(self, db: int, key: bytes):
        """What a lookup of key sees: the live entry, or None (deleting a dead one)."""
        e = self.dbs[db].get(key)
        if e is None:
            return None
        if e[1] is not None and self.now > e[1]:
            del self.dbs[db][key]
            self.expired += 1
            return None
        return e

    def live_keys(self, db: int) -> set[bytes]:
        return {k for k in self.dbs[db] if self.alive(db, k)}

    def dead_keys(self, db: int) -> list[bytes]:
        return sorted(k for k in self.dbs[db] if not self.alive(db, k))

    def sync_physical(self, db: int) -> list[tuple[bytes, int]]:
        """After a nondeterministic deletion (random picks, active cycle): learn which keys are
        still present. Returns the (key, when) the keyspace dropped; only dead keys may go."""
        present = full_scan(self.ks, db)
        assert len(present) == len(set(present)), "a SCAN without resizes repeated a key"
        present_set = set(present)
        assert present_set <= set(self.dbs[db]), present_set - set(self.dbs[db])
        gone = [(k, e[1]) for k, e in self.dbs[db].items() if k not in present_set]
        for k, _ in gone:
            assert not self.alive(db, k), f"live key {k!r} disappeared"
            del self.dbs[db][k]
        return gone

    def restore_clock(self):
        self.ks.now_ms = self.now

    # ----- a start with big tables, so that shrinking and expiry have material from step one
    @initialize(sizes=st.lists(st.integers(0, POOL), min_size=NDBS, max_size=NDBS),
                ttl_every=st.integers(1, 10), kind=st.integers(0, 2))
    def fill(self, sizes, ttl_every, kind):
        for db, n in enumerate(sizes):
            self.set_many(db, 0, n, kind)
            self.expire_many_before_wall_clock(db, 0, n // ttl_every)
            self.expire_many(db, n // ttl_every, n // ttl_every, 1, 50_000)

    # ----- single keys
    @rule(db=dbs, i=key_index, value=values)
    def set(self, db, i, value):
        key = KEYS[i]
        self.lazy(db, key)
        self.ks.set(db, key, value)
        self.dbs[db][key] = [value, None]

    @rule(db=dbs, i=key_index)
    def get(self, db, i):
        key = KEYS[i]
        e = self.lazy(db, key)
        if e is None:
            self.misses += 1
        else:
            self.hits += 1
        assert self.ks.get(db, key) == (None if e is None else e[0])

    @rule(db=dbs, i=key_index)
    def exists(self, db, i):
        key = KEYS[i]
        e = self.lazy(db, key)
        if e is None:
            self.misses += 1
        else:
            self.hits += 1
        assert self.ks.exists(db, key) is (e is not None)

    @rule(db=dbs, i=key_index)
    def delete(self, db, i):
        self.delete_key(db, KEYS[i])

    def delete_key(self, db, key):
        """Delete one key; an expired one that is still stored counts as expired (as DEL
        expires it first in Redis)."""
        live = self.alive(db, key)
        if key in self.dbs[db] and not live:
            self.expired += 1
        self.dbs[db].pop(key, None)
        assert self.ks.delete(db, key) is live

    @rule(db=dbs, i=key_index, delta=st.integers(-5_000, 60_000))
    def pexpireat(self, db, i, delta):
        key = KEYS[i]
        e = self.lazy(db, key)
        assert self.ks.pexpireat(db, key, self.now + delta) is (e is not None)
        if e is not None:
            e[1] = self.now + delta

    @rule(db=dbs, i=key_index, when=st.sampled_from([-2**63, -1, 0, 1]))
    def pexpireat_extreme_past(self, db, i, when):
        """Times at or before the epoch (and negative ones) are in the past too."""
        key = KEYS[i]
        e = self.lazy(db, key)
        assert self.ks.pexpireat(db, key, when) is (e is not None)
        if e is not None:
            e[1] = when

    @rule(db=dbs, i=key_index)
    def persist(self, db, i):
        key = KEYS[i]
        e = self.lazy(db, key)
        had = e is not None and e[1] is not None
        if had:
            e[1] = None
        assert self.ks.persist(db, key) is had

    @rule(db=dbs, i=key_index)
    def expire_at(self, db, i):
        key = KEYS[i]
        e = self.lazy(db, key)
        want = -2 if e is None else (-1 if e[1] is None else e[1])
        assert self.ks.expire_at(db, key) == want

    @rule(db=dbs, pick=st.integers(0, 2**16))
    def read_dead_key(self, db, pick):
        """A key whose time has passed reads as missing and is deleted by the read."""
        dead = self.dead_keys(db)      # (which keys are left depends on random picks: an index
        if not dead:                   # keeps the data drawn independent of that)
            return
        key = dead[pick % len(dead)]
        before = self.ks.dbsize(db)
        assert self.lazy(db, key) is None
        self.misses += 1
        assert self.ks.get(db, key) is None
        assert self.ks.dbsize(db) == before - 1

    # ----- many keys at once: tables grow and shrink
    @rule(db=dbs, start=key_index, n=st.integers(1, POOL), kind=st.integers(0, 2))
    def set_many(self, db, start, n, kind):
        self.value_cursor += 1
        for i in range(start, min(start + n, POOL)):
            key, value = KEYS[i], bulk_value(kind, self.value_cursor, i)
            self.lazy(db, key)
            self.ks.set(db, key, value)
            self.dbs[db][key] = [value, None]

    @rule(db=dbs, start=key_index, n=st.integers(1, POOL))
    def delete_many(self, db, start, n):
        for i in range(start, min(start + n, POOL)):
            self.delete_key(db, KEYS[i])

    @rule(db=dbs, keep=st.integers(0, 20), active_rehashing=st.booleans())
    def delete_most_then_cron(self, db, keep, active_rehashing):
        """Leave a sparse table behind and let the cron shrink it."""
        for key in sorted(self.dbs[db])[keep:]:
            self.delete_key(db, key)
        self.cron(active_rehashing)

    @rule(db=dbs, start=key_index, n=st.integers(1, 200), lo=st.integers(-3_000, 30_000),
          spread=st.integers(0, 30_000))
    def expire_many(self, db, start, n, lo, spread):
        for j, i in enumerate(range(start, min(start + n, POOL))):
            key = KEYS[i]
            when = self.now + lo + (spread * j) // max(n, 1)
            e = self.lazy(db, key)
            assert self.ks.pexpireat(db, key, when) is (e is not None)
            if e is not None:
                e[1] = when

    @rule(db=dbs, start=key_index, n=st.integers(1, 200))
    def expire_many_before_wall_clock(self, db, start, n):
        """TTLs the active expiry cycle (which reads the wall clock) will find expired."""
        base = wall_ms() - 10_000
        for j, i in enumerate(range(start, min(start + n, POOL))):
            key = KEYS[i]
            e = self.lazy(db, key)
            assert self.ks.pexpireat(db, key, base - j) is (e is not None)
            if e is not None:
                e[1] = base - j

    # ----- time and whole databases
    @rule(delta=st.integers(0, 40_000))
    def advance_clock(self, delta):
        self.now += delta
        self.restore_clock()

    @rule(db=dbs)
    def flushdb(self, db):
        assert self.ks.flushdb(db) == len(self.dbs[db])
        self.dbs[db] = {}

    @rule()
    def flushall(self):
        assert self.ks.flushall() == sum(len(d) for d in self.dbs)
        self.dbs = [{} for _ in range(NDBS)]

    @rule(a=dbs, b=dbs)
    def swapdb(self, a, b):
        self.ks.swapdb(a, b)
        self.dbs[a], self.dbs[b] = self.dbs[b], self.dbs[a]

    # ----- maintenance
    @rule(active_rehashing=st.booleans())
    def cron(self, active_rehashing):
        before = [self.ks.table_info(db) for db in range(NDBS)]
        self.ks.cron(active_rehashing=active_rehashing)
        self.restore_clock()
        for db in range(NDBS):
            after = self.ks.table_info(db)
            for table in ("keys", "expires"):
                s0, _, s1, _, idx = after[table]
                if s0 < before[db][table][0] or (idx != -1 and s1 < s0):
                    self.observed["shrink_" + table] += 1

    @rule(db=dbs, steps=st.integers(1, 50))
    def rehash(self, db, steps):
        self.ks.rehash(db, steps)

    @rule()
    def active_expire(self):
        reported = self.ks.active_expire_cycle()
        cutoff = wall_ms()
        self.restore_clock()
        removed = 0
        for db in range(NDBS):
            gone = self.sync_physical(db)
            removed += len(gone)
            # the cycle reads the wall clock: only keys expired by it may go
            assert all(when < cutoff for _, when in gone), gone
        assert reported == removed
        self.expired += removed
        self.observed["active_expired"] += removed

    @rule(db=dbs)
    def random_key(self, db):
        picked = self.ks.random_key(db)
        gone = self.sync_physical(db)
        self.expired += len(gone)
        if picked is None:
            assert not self.live_keys(db)
            assert self.ks.dbsize(db) == 0
        else:
            assert self.alive(db, picked)

    @rule(db=dbs, pattern=st.sampled_from([None, b"*", b"key:1*", b"key:?", b"key:[23]?"]))
    def keys(self, db, pattern):
        import fnmatch
        got = self.ks.keys(db, pattern)
        assert len(got) == len(set(got))
        live = self.live_keys(db)
        if pattern is not None:
            live = {k for k in live if fnmatch.fnmatchcase(k.decode(), pattern.decode())}
        assert set(got) == live

    @rule(db=dbs)
    def read_every_live_key(self, db):
        for key in sorted(self.live_keys(db)):
            self.hits += 1
            assert self.ks.get(db, key) == self.dbs[db][key][0]

    # ----- checks after every step (none of them deletes, rehashes or counts statistics)
    @invariant()
    def counts_match(self):
        for db in range(NDBS):
            model = self.dbs[db]
            assert self.ks.dbsize(db) == len(model)
            assert self.ks.expires(db) == sum(1 for e in model.values() if e[1] is not None)
            info = self.ks.table_info(db)
            for table in ("keys", "expires"):
                s0, u0, s1, u1, idx = info[table]
                assert u0 + u1 == (self.ks.dbsize(db) if table == "keys" else self.ks.expires(db))
                assert s0 == 0 or s0 & (s0 - 1) == 0
                assert s1 == 0 or s1 & (s1 - 1) == 0
                if idx == -1:
                    assert s1 == 0 and u1 == 0
                else:
                    assert 0 <= idx <= s0 and s1 > 0
                    self.observed["rehashing_" + table] += 1
                    self.observed["grow" if s1 > s0 else "shrink"] += 1
            self.observed["max_buckets"] = max(self.observed["max_buckets"], info["keys"][0])

    @invariant()
    def physical_keys_match(self):
        for db in range(NDBS):
            present = full_scan(self.ks, db)
            assert sorted(present) == sorted(self.dbs[db])

    @invariant()
    def stats_match(self):
        s = self.ks.stats()
        assert s["expired_keys"] == self.expired
        assert s["keyspace_hits"] == self.hits
        assert s["keyspace_misses"] == self.misses

    @invariant()
    def reads_match(self):
        """Live keys read back their values; dead keys read as missing. A read is a rehash step
        and deletes a dead key, so most steps read only a few keys (letting rehashes stay in
        progress across steps, and leaving dead keys for the active cycle), every fifth step
        reads every live key."""
        self.steps += 1
        for db in range(NDBS):
            live = sorted(self.live_keys(db))
            if self.steps % 5 == 0:
                assert sorted(self.ks.keys(db)) == live
                sample = live
            else:
                sample = live[self.steps % 7:: max(1, len(live) // 3)][:3]
            for key in sample:
                self.hits += 1
                assert self.ks.get(db, key) == self.dbs[db][key][0]
            dead = self.dead_keys(db)
            if dead:
                key = dead[self.steps % len(dead)]
                assert self.lazy(db, key) is None
                self.misses += 1
                assert self.ks.get(db, key) is None


def test_keyspace_matches_dict_model():
    KeyspaceMachine.observed = Counter()
    run_state_machine_as_test(KeyspaceMachine, settings=settings(
        max_examples=80, stateful_step_count=50, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
    seen = KeyspaceMachine.observed
    # the sequences did exercise what they are meant to exercise
    assert seen["rehashing_keys"] > 0 and seen["rehashing_expires"] > 0, seen
    assert seen["grow"] > 0 and seen["shrink_keys"] > 0 and seen["shrink_expires"] > 0, seen
    assert seen["max_buckets"] >= 256, seen
    assert seen["active_expired"] > 0, seen


# =============================================================================================
# SCAN: every key present for the whole iteration is returned, whatever happens in between
# =============================================================================================

class ScanRun:
    """One SCAN iteration over database 0 with changes applied between the calls."""

    def __init__(self, initial: int, count: int, seed: int):
        self.ks = Keyspace(2)
        self.rng = random.Random(seed)
        self.count = count
        self.next_id = 0
        self.present: set[bytes] = set()
        self.add(initial)
        self.stable = set(self.present)       # present from start to end
        self.ever = set(self.present)         # present at some moment
        self.returned: list[bytes] = []
        self.cursor = 0
        self.calls = 0
        self.rehashing_calls = 0
        self.sizes: list[tuple[int, int]] = []     # (t[0], t[1]) buckets at each call

    def add(self, n: int) -> None:
        for _ in range(n):
            key = b"s%d" % self.next_id
            self.next_id += 1
            self.ks.set(0, key, b"x")
            self.present.add(key)
            if hasattr(self, "ever"):
                self.ever.add(key)

    def delete(self, n: int) -> None:
        for key in self.rng.sample(sorted(self.present), min(n, len(self.present))):
            assert self.ks.delete(0, key)
            self.present.discard(key)
            self.stable.discard(key)

    def expire(self, n: int) -> None:
        """Expire keys (time before the wall clock) and let the lookups or the active cycle
        delete them."""
        victims = self.rng.sample(sorted(self.present), min(n, len(self.present)))
        for key in victims:
            self.ks.pexpireat(0, key, 1000)
            self.stable.discard(key)
        if self.rng.random() < 0.5:
            for key in victims:
                assert self.ks.get(0, key) is None
        else:
            while self.ks.expires(0):
                self.ks.active_expire_cycle()
        self.present.difference_update(victims)
        assert self.ks.dbsize(0) == len(self.present)

    def step(self) -> bool:
        """One SCAN call; returns False once the iteration is complete."""
        info = self.ks.table_info(0)["keys"]
        self.rehashing_calls += info[4] != -1
        self.sizes.append((info[0], info[2]))
        self.cursor, keys = self.ks.scan(0, self.cursor, self.count)
        self.calls += 1
        assert set(keys) <= self.ever, set(keys) - self.ever
        self.returned += keys
        return self.cursor != 0

    def apply(self, op: str, n: int) -> None:
        if op == "add":
            self.add(n)
        elif op == "delete":
            self.delete(n)
        elif op == "expire":
            self.expire(n)
        elif op == "cron":
            self.ks.cron(active_rehashing=n % 2 == 0)
        elif op == "rehash":
            self.ks.rehash(0, n)
        elif op == "shrink":           # delete most keys, then let the cron start a shrink
            self.delete(max(0, len(self.present) - n // 10))
            self.ks.cron(active_rehashing=False)

    def missing(self) -> set[bytes]:
        return self.stable - set(self.returned)


scan_ops = st.lists(st.tuples(st.sampled_from(["add", "delete", "expire", "cron", "rehash",
                                               "shrink", "none"]),
                              st.integers(0, 400)), max_size=40)


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(initial=st.integers(0, 600), count=st.integers(1, 40), seed=st.integers(0, 2**32),
       ops=scan_ops)
def test_scan_returns_every_key_present_throughout(initial, count, seed, ops):
    run = ScanRun(initial, count, seed)
    ops = list(ops)
    while run.step():
        if ops:
            run.apply(*ops.pop(0))
        assert run.calls < 100_000
    assert not run.missing(), f"SCAN missed {sorted(run.missing())[:10]}"


@pytest.mark.parametrize("direction", ["grow", "shrink"])
def test_scan_guarantee_while_rehashing(direction):
    """Scripted: the table keeps resizing and is mid-rehash during many SCAN calls."""
    rng = random.Random(7)
    rehashing_calls = 0
    for trial in range(12):
        run = ScanRun(1000 if direction == "shrink" else 40, 4, rng.randrange(2**32))
        if direction == "shrink":
            run.delete(900)
            run.ks.cron(active_rehashing=False)      # starts a shrink: 1024 -> 128 buckets
            assert run.ks.table_info(0)["keys"][:3:2] == (1024, 128)
        while run.step():
            if direction == "grow":
                run.add(rng.randrange(0, 12))        # keeps doubling
                run.delete(rng.randrange(0, 2))
            else:
                run.delete(rng.randrange(0, 4))
                if run.ks.table_info(0)["keys"][4] == -1:
                    run.ks.cron(active_rehashing=False)
            run.ks.rehash(0, 1 if direction == "grow" else 6)
        assert not run.missing(), (trial, sorted(run.missing())[:10])
        if direction == "grow":
            assert max(run.sizes[-1]) >= 4 * run.sizes[0][0], run.sizes
            rehashing_calls += sum(0 < s0 < s1 for s0, s1 in run.sizes)
        else:
            assert run.sizes[-1][0] < run.sizes[0][0], run.sizes
            rehashing_calls += sum(s0 > s1 > 0 for s0, s1 in run.sizes)
    # SCAN calls made while a resize in that direction was half done
    assert rehashing_calls >= 50, rehashing_calls


def test_scan_cursor_from_a_bigger_table_still_terminates():
    """A cursor taken before the table shrank to its minimum size keeps working."""
    ks = Keyspace(1)
    for i in range(2000):
        ks.set(0, b"k%d" % i, b"v")
    cursor, _ = ks.scan(0, 0, 10)
    cursor, _ = ks.scan(0, cursor, 10)
    assert cursor != 0
    for i in range(3, 2000):
        ks.delete(0, b"k%d" % i)
    ks.cron()
    ks.cron()
    assert ks.table_info(0)["keys"][0] == 4
    seen = set()
    for _ in range(10):
        cursor, keys = ks.scan(0, cursor, 10)
        seen.update(keys)
        if cursor == 0:
            break
    assert cursor == 0
    assert seen <= {b"k0", b"k1", b"k2"}


def test_scan_of_empty_database():
    ks = Keyspace(1)
    assert ks.scan(0, 0, 10) == (0, [])
    assert ks.scan(0, 12345, 10) == (0, [])


# =============================================================================================
# RANDOMKEY
# =============================================================================================

def test_random_key_covers_every_key():
    ks = Keyspace(1)
    keys = [b"r%d" % i for i in range(64)]
    for k in keys:
        ks.set(0, k, b"v")
    counts = Counter(ks.random_key(0) for _ in range(20_000))
    assert set(counts) == set(keys)
    expected = 20_000 / len(keys)
    # a key sharing its bucket with k - 1 others is picked about 1/k as often as a lone one
    # (the documented bias; with 64 keys in 64 buckets chains rarely exceed 6)
    assert min(counts.values()) > expected * 0.1, counts.most_common()[-3:]
    assert max(counts.values()) < expected * 3, counts.most_common(3)


def test_random_key_during_rehash_covers_both_tables():
    """Picks made while a table is being rehashed come from the moved and unmoved parts."""
    seen: set[bytes] = set()
    keys = [b"q%d" % i for i in range(33)]
    picks_while_rehashing = 0
    for _ in range(300):
        ks = Keyspace(1)
        for k in keys:                       # the 33rd insert starts doubling 32 -> 64
            ks.set(0, k, b"v")
        assert ks.table_info(0)["keys"][4] == 0
        for _ in range(3):                   # each pick moves at most one bucket
            picks_while_rehashing += ks.table_info(0)["keys"][4] != -1
            k = ks.random_key(0)
            assert k in keys
            seen.add(k)
    assert picks_while_rehashing >= 600
    assert seen == set(keys)


def test_random_key_skips_and_deletes_expired_keys():
    ks = Keyspace(1)
    now = wall_ms()
    ks.now_ms = now
    for i in range(50):
        ks.set(0, b"e%d" % i, b"v")
        ks.pexpireat(0, b"e%d" % i, now - 1)
    ks.set(0, b"live", b"v")
    ks.reset_stats()
    assert ks.random_key(0) == b"live"
    assert ks.stats()["expired_keys"] == 50 - (ks.dbsize(0) - 1)
    ks.pexpireat(0, b"live", now - 1)
    assert ks.random_key(0) is None
    assert ks.dbsize(0) == 0
    assert ks.stats()["expired_keys"] == 51


# =============================================================================================
# Expiry: lazy and active, statistics, avg_ttl
# =============================================================================================

def test_expiry_boundary_is_strictly_after_the_time():
    ks = Keyspace(1)
    ks.now_ms = 10_000
    ks.set(0, b"k", b"v")
    ks.pexpireat(0, b"k", 10_000)
    assert ks.get(0, b"k") == b"v"                 # now == when: still alive
    ks.now_ms = 10_001
    assert ks.get(0, b"k") is None
    assert ks.dbsize(0) == 0 and ks.expires(0) == 0
    assert ks.stats()["expired_keys"] == 1


@pytest.mark.parametrize("when", [-2**63, -1, 0, 1])
def test_times_before_the_epoch_are_expired(when):
    """A TTL set at or before the epoch (or negative) means the key is gone, to lookups and to
    the active cycle alike."""
    ks = Keyspace(1)
    ks.set(0, b"k", b"v")
    ks.set(0, b"j", b"v")
    assert ks.pexpireat(0, b"k", when)
    assert ks.pexpireat(0, b"j", when)
    assert not ks.exists(0, b"k")
    assert ks.expire_at(0, b"k") == -2
    assert ks.dbsize(0) == 1
    assert ks.keys(0) == []
    assert ks.active_expire_cycle() == 1
    assert ks.dbsize(0) == 0 and ks.expires(0) == 0
    assert ks.stats()["expired_keys"] == 2


def test_active_expire_cycle_reaps_every_database():
    ks = Keyspace(16)
    past = wall_ms() - 5_000
    future = wall_ms() + 3_600_000
    for db in range(16):
        for i in range(100):
            ks.set(db, b"x%d" % i, b"v")
            ks.pexpireat(db, b"x%d" % i, past - i)
        for i in range(10):
            ks.set(db, b"keep%d" % i, b"v")
            if i % 2:
                ks.pexpireat(db, b"keep%d" % i, future)
    ks.reset_stats()
    total = 0
    start = time.monotonic()
    for _ in range(50):
        n = ks.active_expire_cycle()
        total += n
        if n == 0 and all(ks.expires(db) == 5 for db in range(16)):
            break
    assert time.monotonic() - start < 5
    assert total == 1600
    assert ks.stats()["expired_keys"] == 1600
    for db in range(16):
        assert ks.dbsize(db) == 10 and ks.expires(db) == 5
        assert sorted(ks.keys(db)) == sorted(b"keep%d" % i for i in range(10))
    assert ks.stats()["keyspace_hits"] == 0 and ks.stats()["keyspace_misses"] == 0


def test_active_expire_cycle_respects_its_time_budget():
    """At hz 500 a slow cycle may use 500 us: it cannot reap 100k keys in one go, says so,
    and later cycles finish the job."""
    ks = Keyspace(1)
    past = wall_ms() - 5_000
    n = 100_000
    for i in range(n):
        k = b"b%d" % i
        ks.set(0, k, b"v")
        ks.pexpireat(0, k, past)
    ks.reset_stats()
    first = ks.active_expire_cycle(False, 500)
    assert 0 < first < n
    assert ks.stats()["expired_time_cap_reached_count"] >= 1
    assert ks.dbsize(0) == n - first
    # a fast cycle runs because the last one hit its limit
    fast = ks.active_expire_cycle(True, 500)
    assert 0 < fast < n - first
    total = first + fast
    for _ in range(10_000):
        if not ks.dbsize(0):
            break
        total += ks.active_expire_cycle(False, 10)
    assert ks.dbsize(0) == 0 and ks.expires(0) == 0
    assert total == n == ks.stats()["expired_keys"]


def test_fast_cycle_does_nothing_when_the_last_slow_cycle_was_clean():
    ks = Keyspace(1)
    past = wall_ms() - 5_000
    ks.active_expire_cycle()                   # clean: nothing sampled
    for i in range(10):
        ks.set(0, b"k%d" % i, b"v")
        ks.pexpireat(0, b"k%d" % i, past)
    assert ks.active_expire_cycle(True) == 0
    assert ks.dbsize(0) == 10
    assert ks.active_expire_cycle(False) == 10


def test_avg_ttl():
    ks = Keyspace(2)
    now = wall_ms()
    for i in range(200):
        ks.set(0, b"t%d" % i, b"v")
        ks.pexpireat(0, b"t%d" % i, now + 100_000)
    ks.set(1, b"plain", b"v")
    assert ks.avg_ttl(0) == 0
    ks.active_expire_cycle()
    first = ks.avg_ttl(0)
    assert 90_000 < first <= 100_000
    assert ks.avg_ttl(1) == 0
    ks.active_expire_cycle()
    assert 90_000 < ks.avg_ttl(0) <= first
    ks.swapdb(0, 1)
    assert ks.avg_ttl(0) == 0 and 90_000 < ks.avg_ttl(1) <= first
    ks.flushdb(1)
    assert ks.avg_ttl(1) == 0
    for i in range(10):
        ks.set(1, b"t%d" % i, b"v")
        ks.pexpireat(1, b"t%d" % i, now + 100_000)
    ks.active_expire_cycle()
    for i in range(10):
        ks.persist(1, b"t%d" % i)
    ks.active_expire_cycle()
    assert ks.avg_ttl(1) == 0                 # no TTLs left: back to 0


def test_stats_counters():
    ks = Keyspace(1)
    ks.now_ms = 1_000_000
    ks.set(0, b"a", b"1")
    ks.set(0, b"b", b"2")
    ks.pexpireat(0, b"b", 1_000_500)
    ks.reset_stats()
    assert ks.get(0, b"a") == b"1"             # hit
    assert ks.get(0, b"nope") is None          # miss
    assert ks.exists(0, b"a")                  # hit
    assert not ks.exists(0, b"nope")           # miss
    ks.set(0, b"a", b"3")                      # writes count nothing
    ks.pexpireat(0, b"a", 2_000_000)
    ks.persist(0, b"a")
    assert ks.expire_at(0, b"a") == -1         # no statistics
    assert ks.type_of(0, b"nope") is None
    s = ks.stats()
    assert (s["keyspace_hits"], s["keyspace_misses"], s["expired_keys"]) == (2, 2, 0)
    ks.now_ms = 1_000_501
    assert ks.get(0, b"b") is None             # lazily expired: a miss and an expired key
    s = ks.stats()
    assert (s["keyspace_hits"], s["keyspace_misses"], s["expired_keys"]) == (2, 3, 1)
    ks.reset_stats()
    assert ks.stats()["keyspace_hits"] == 0


def test_overwrite_drops_ttl_and_keeps_one_ttl_row():
    ks = Keyspace(1)
    ks.now_ms = 1000
    ks.set(0, b"k", b"v")
    for when in (5000, 6000, 7000):
        ks.pexpireat(0, b"k", when)
    assert ks.expires(0) == 1 and ks.expire_at(0, b"k") == 7000
    ks.set(0, b"k", b"w" * 100)
    assert ks.expires(0) == 0 and ks.expire_at(0, b"k") == -1
    assert not ks.persist(0, b"k")


def test_swapdb_moves_ttls_and_flushall():
    ks = Keyspace(3)
    ks.now_ms = 1000
    ks.set(0, b"a", b"1")
    ks.pexpireat(0, b"a", 5000)
    ks.set(2, b"b", b"2")
    ks.swapdb(0, 2)
    assert ks.get(0, b"b") == b"2" and ks.get(2, b"a") == b"1"
    assert ks.expire_at(2, b"a") == 5000 and ks.expires(0) == 0
    ks.now_ms = 5001
    assert ks.get(2, b"a") is None
    ks.swapdb(1, 1)
    assert ks.flushall() == 1
    assert [ks.dbsize(i) for i in range(3)] == [0, 0, 0]


def test_bad_database_index():
    ks = Keyspace(2)
    for bad in (-1, 2):
        with pytest.raises(IndexError):
            ks.dbsize(bad)
        with pytest.raises(IndexError):
            ks.set(bad, b"k", b"v")
    with pytest.raises(ValueError):
        Keyspace(0)


def test_table_grows_at_load_one_and_shrinks_below_ten_percent():
    ks = Keyspace(1)
    for i in range(4):
        ks.set(0, b"g%d" % i, b"v")
    assert ks.table_info(0)["keys"][:2] == (4, 4)
    ks.set(0, b"g4", b"v")                     # the 5th key starts the doubling
    s0, _, s1, _, idx = ks.table_info(0)["keys"]
    assert (s0, s1) == (4, 8) and idx >= 0
    while ks.rehash(0, 10):
        pass
    assert ks.table_info(0)["keys"] == (8, 5, 0, 0, -1)
    for i in range(5, 1000):
        ks.set(0, b"g%d" % i, b"v")
    while ks.rehash(0, 100):
        pass
    assert ks.table_info(0)["keys"][0] == 1024
    for i in range(1000):
        if i % 20:
            ks.delete(0, b"g%d" % i)
    assert ks.dbsize(0) == 50
    ks.cron(active_rehashing=False)
    s0, u0, s1, u1, idx = ks.table_info(0)["keys"]
    assert (s0, s1) == (1024, 64) and idx >= 0 and u0 + u1 == 50
    ks.cron()
    assert ks.table_info(0)["keys"] == (64, 50, 0, 0, -1)
    for i in range(0, 1000, 20):
        assert ks.get(0, b"g%d" % i) == b"v"
    # no shrink while resizing is held back (a child process is running)
    for i in range(0, 1000, 20):
        if i % 200:
            ks.delete(0, b"g%d" % i)
    assert ks.dbsize(0) == 5                   # 5 of 64 buckets: under 10%
    ks.configure(resize_allowed=False)
    ks.cron()
    assert ks.table_info(0)["keys"][0] == 64
    ks.configure(resize_allowed=True)
    ks.cron()
    assert ks.table_info(0)["keys"] == (8, 5, 0, 0, -1)
    # held back, a table still grows once it holds more than 5 entries per bucket
    ks.configure(resize_allowed=False)
    for i in range(1000, 1043):
        ks.set(0, b"g%d" % i, b"v")
    assert ks.table_info(0)["keys"][:3:2] == (8, 0)      # 48 keys in 8 buckets
    ks.set(0, b"g1043", b"v")                  # inserted at 48 // 8 = 6 > 5
    s0, u0, s1, u1, idx = ks.table_info(0)["keys"]
    assert (s0, s1) == (8, 64) and idx >= 0


@pytest.mark.parametrize("with_ttl", [False, True])
def test_keys_added_during_a_rehash_are_counted_in_the_right_table(with_ttl):
    """Regression: entries inserted while a table was rehashing went to t[1] even when their
    t[0] bucket had not moved, but deletions decremented the count of the table their hash
    pointed at, so t[0].used wrapped below zero (and the rehash could end early, or walk off
    the bucket array)."""
    for _ in range(50):
        ks = Keyspace(1)
        keys = [b"a%d" % i for i in range(5)]
        for k in keys:                               # the 5th key starts doubling 4 -> 8
            ks.set(0, k, b"v")
            if with_ttl:
                ks.pexpireat(0, k, wall_ms() - 1000)  # the 5th TTL starts doubling too
        table = "expires" if with_ttl else "keys"
        assert ks.table_info(0)[table][4] != -1
        if with_ttl:
            assert ks.active_expire_cycle() == 5
        else:
            for j in range(5):                       # the key inserted mid-rehash goes first
                assert ks.delete(0, keys[4 - j])
                assert sorted(ks.keys(0)) == sorted(keys[:4 - j])
                assert all(ks.get(0, k) == b"v" for k in keys[:4 - j])
        for name in ("keys", "expires"):
            s0, u0, s1, u1, _ = ks.table_info(0)[name]
            assert (u0, u1) == (0, 0), (name, ks.table_info(0))
        more = [b"b%d" % i for i in range(300)]
        for k in more:
            ks.set(0, k, b"w")
        while ks.rehash(0, 100):
            pass
        assert ks.dbsize(0) == 300 and sorted(ks.keys(0)) == sorted(more)
        assert all(ks.get(0, k) == b"w" for k in more)


def test_active_expiry_database_counter_wraps():
    """The cycle's next-database counter stays an index: left to grow it overflowed its C int
    after 2^31 database visits and indexed before the array."""
    ks = Keyspace(20)
    ks.next_expire_db = 2**31 - 1              # out of range: the cycle starts over at 0
    past = wall_ms() - 1000
    for db in range(20):
        ks.set(db, b"a", b"1")
        ks.pexpireat(db, b"a", past)
    total = 0
    for _ in range(4):
        total += ks.active_expire_cycle()
        assert 0 <= ks.next_expire_db < 20
    assert total == 20
    assert [ks.dbsize(db) for db in range(20)] == [0] * 20


def test_key_longer_than_the_length_field_is_refused():
    """Entry lengths share 32 bits with flags: a key of 2^30 bytes or more is refused instead
    of being stored with a truncated length (or a false TTL flag)."""
    ks = Keyspace(1)
    huge = bytes(2**30)                        # zero pages: no real memory is touched
    with pytest.raises(ValueError):
        ks.set(0, huge, b"v")
    assert ks.dbsize(0) == 0
    del huge
    ks.set(0, b"k", b"v")
    assert ks.get(0, b"k") == b"v"
