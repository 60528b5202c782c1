"""Fuzzing the loader: damaged files only ever raise a clean ValueError, quickly and without
a memory blow-up.

Four layers of damage: random bytes of the whole file (flips, cuts, splices: mostly caught
by the zip's CRCs and the safetensors header checks), a valid zip whose entries are dropped,
renamed, duplicated, swapped, recompressed, cut or added, a valid zip whose config.json has a
value replaced by arbitrary JSON (reaches the layers' constructors), and a valid zip whose
weights header is rewritten. The model is compiled and trained a step, so its file holds the
compile settings and the optimizer's state too. Examples are derandomized (the same every
run, so CI is stable); PLAIT_FUZZ_LONG=1 runs 500 per test, PLAIT_FUZZ_EXAMPLES sets any
count, and PLAIT_FUZZ_RANDOM=1 explores new ones.
"""

import io
import json
import os
import resource
import struct
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plait.layers import LSTM, Dense, Input
from plait.models import Model, load_model

EXAMPLES = int(
    os.environ.get("PLAIT_FUZZ_EXAMPLES", "500" if os.environ.get("PLAIT_FUZZ_LONG") else "200")
)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=5000,
    database=None,
    derandomize=not os.environ.get("PLAIT_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Saved:
    """The bytes of a small saved model and its members (short repr for failure reports)."""

    def __init__(self, data, members):
        self.data, self.members = data, members

    def __repr__(self):
        return f"<saved model, {len(self.data)} bytes>"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    x = Input(shape=(6, 3), name="x")
    model = Model(
        x, Dense(2, activation="sigmoid", name="out")(LSTM(4, name="rnn")(x)), name="small"
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 6, 3), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    path = tmp_path_factory.mktemp("fuzz") / "m.plait"
    model.save(path)
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return Saved(data, members)


def zip_of(members, methods=None):
    """A zip of `members` (a dict, or a list of (name, bytes) pairs, which may repeat a
    name); `methods` maps names to compression methods."""
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in dict(members).items() if isinstance(members, dict) else members:
                method = (methods or {}).get(name, zipfile.ZIP_STORED)
                archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return out.getvalue()


def try_load(tmp_path, data):
    """Load `data` as a .plait file: success or ValueError, nothing else."""
    path = tmp_path / "fuzzed.plait"
    path.write_bytes(data)
    try:
        load_model(path)
    except ValueError as err:
        assert str(err)  # a message, always
        assert "fuzzed.plait" in str(err) or "model" in str(err), str(err)


@pytest.fixture(autouse=True)
def memory_stays_bounded():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 1024 * 1024, f"the loader's peak memory grew by {grown_kib} KiB"


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("splice"), st.integers(0, 10**6), st.integers(1, 64)),
    st.tuples(
        st.just("big"),
        st.integers(0, 10**6),
        st.sampled_from([0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 2**16]),
    ),
)


def mutate(data, mutations):
    data = bytearray(data)
    for kind, where, value in mutations:
        if not data:
            break
        i = where % len(data)
        if kind == "flip":
            data[i] ^= value
        elif kind == "cut":
            del data[i:]
        elif kind == "splice":
            del data[i : i + value]
        else:  # a 4-byte little-endian size or offset field overwritten with a huge value
            data[i : i + 4] = struct.pack("<I", value)
    return bytes(data)


@FUZZ
@given(mutations=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_bytes_raise_only_value_errors(saved, tmp_path, mutations):
    try_load(tmp_path, mutate(saved.data, mutations))


NAMES = ["metadata.json", "config.json", "model.safetensors", "optimizer.safetensors"]
METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
entry_change = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(NAMES), st.none()),
    st.tuples(
        st.just("rename"),
        st.sampled_from(NAMES),
        st.sampled_from(NAMES + ["x/../a", "", "a" * 300]),
    ),
    st.tuples(st.just("duplicate"), st.sampled_from(NAMES), st.none()),
    st.tuples(st.just("swap"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.tuples(st.just("compress"), st.sampled_from(NAMES), st.sampled_from(METHODS)),
    st.tuples(st.just("cut"), st.sampled_from(NAMES), st.integers(0, 10**5)),
    st.tuples(st.just("replace"), st.sampled_from(NAMES), st.binary(max_size=64)),
    st.tuples(st.just("add"), st.text(max_size=12), st.binary(max_size=64)),
)


def change_entries(members, changes):
    """Apply zip-entry-level changes; returns (list of (name, bytes), methods)."""
    entries, methods = list(members.items()), {}
    for kind, name, arg in changes:
        index = next((i for i, (n, _) in enumerate(entries) if n == name), None)
        if kind == "add":
            entries.append((name or "extra", arg))
        elif index is None:
            continue
        elif kind == "drop":
            del entries[index]
        elif kind == "rename":
            entries[index] = (arg or "unnamed", entries[index][1])
        elif kind == "duplicate":
            entries.append(entries[index])
        elif kind == "swap":
            other = dict(entries).get(arg, b"")
            entries[index] = (name, other)
        elif kind == "compress":
            methods[name] = arg
        elif kind == "cut":
            entries[index] = (name, entries[index][1][: arg % (len(entries[index][1]) + 1)])
        else:
            entries[index] = (name, arg)
    return entries, methods


@FUZZ
@given(changes=st.lists(entry_change, min_size=1, max_size=3))
def test_changed_zip_entries_raise_only_value_errors(saved, tmp_path, changes):
    try_load(tmp_path, zip_of(*change_entries(saved.members, changes)))


def test_entry_changes_reach_the_loader(saved, tmp_path):
    """The entry-level fuzzing above is not vacuous: an unchanged rebuild loads, and a
    dropped optimizer state or a recompressed weights file are still valid files."""
    for changes in (
        [],
        [("drop", "optimizer.safetensors", None)],
        [("compress", "model.safetensors", zipfile.ZIP_DEFLATED)],
    ):
        path = tmp_path / "fuzzed.plait"
        path.write_bytes(zip_of(*change_entries(saved.members, changes)))
        assert load_model(path).name == "small"
    with pytest.raises(ValueError, match="compression method 12"):
        try_load_raising(
            tmp_path,
            zip_of(
                *change_entries(saved.members, [("compress", "config.json", zipfile.ZIP_BZIP2)])
            ),
        )


def try_load_raising(tmp_path, data):
    path = tmp_path / "fuzzed.plait"
    path.write_bytes(data)
    load_model(path)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.sampled_from(
        ["Dense", "LSTM", "Model", "__tensor__", "relu", "glorot_uniform", "x", "out", "rnn"]
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


def paths_of(tree, prefix=()):
    """Every path (tuple of keys/indices) to a value in a JSON tree."""
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from paths_of(value, prefix + (key,))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from paths_of(value, prefix + (i,))


def replaced(tree, path, value):
    if not path:
        return value
    copy = dict(tree) if isinstance(tree, dict) else list(tree)
    copy[path[0]] = replaced(tree[path[0]], path[1:], value)
    return copy


@FUZZ
@given(data=st.data())
def test_mutated_config_raises_only_value_errors(saved, tmp_path, data):
    members = dict(saved.members)
    config = json.loads(members["config.json"])
    paths = list(paths_of(config))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        config = replaced(config, path, data.draw(json_values))
        paths = list(paths_of(config))
    members["config.json"] = json.dumps(config).encode()
    try_load(tmp_path, zip_of(members))


@FUZZ
@given(data=st.data())
def test_mutated_weights_header_raises_only_value_errors(saved, tmp_path, data):
    members = dict(saved.members)
    raw = members["model.safetensors"]
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    paths = list(paths_of(header))
    path = data.draw(st.sampled_from(paths))
    header = replaced(header, path, data.draw(json_values))
    text = json.dumps(header).encode()
    members["model.safetensors"] = struct.pack("<Q", len(text)) + text + raw[8 + length :]
    try_load(tmp_path, zip_of(members))
