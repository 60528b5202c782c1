"""Fuzzing the Keras-format loaders and the other ways in: damaged `.keras` zips, `.weights.h5`
and legacy `.h5` files, standalone `.safetensors` weights and JSON configs only ever end in a
clean ValueError (naming the file, when there is one) or a correct load.

Seeds are small models saved by plait itself. Mutations are byte-level (flips, cuts,
splices, huge size fields), entry-level for zips (drop, duplicate, rename, cut, replace, add),
config-level (class names, shapes, arbitrary JSON, configs nested thousands deep) and
structure-aware for HDF5 (with h5py: datasets of another shape or dtype, missing groups,
`layer_names`/`weight_names` pointing nowhere, huge declared shapes) and safetensors (header
dtype, shape and offsets). A class name naming an importable module never imports it.
Examples are derandomized; PLAIT_FUZZ_EXAMPLES sets the count per test, PLAIT_FUZZ_LONG=1
runs thousands in all, PLAIT_FUZZ_RANDOM=1 explores new ones.
"""

import io
import json
import os
import resource
import struct
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plait.layers import LSTM, Dense, Input
from plait.models import Model, load_model, model_from_json
from tests.saving.test_fuzz import (
    change_entries,
    json_values,
    memory_stays_bounded,  # noqa
    mutate,
    mutation,
    paths_of,
    replaced,
    zip_of,
)

h5py = pytest.importorskip("h5py")

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
CANARY = "plait_fuzz_canary"  # an importable module the fuzzed files name; never imported
ERRORS = set()  # distinct error messages seen (digits dropped), reported in long runs


class Seeds:
    """The bytes of each seed file, the `.keras` members and a model to load weights into."""

    def __repr__(self):
        return "<seed files>"


def small_model():
    x = Input(shape=(6, 3), name="x")
    return Model(
        x, Dense(2, activation="sigmoid", name="out")(LSTM(4, name="rnn")(x)), name="small"
    )


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz_keras")
    (folder / f"{CANARY}.py").write_text("raise SystemExit('the canary module was imported')\n")
    sys.path.insert(0, str(folder))
    model = small_model()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 6, 3), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    out = Seeds()
    for name, save in [
        ("x.keras", model.save),
        ("x.h5", model.save),
        ("w.weights.h5", model.save_weights),
        ("w.safetensors", model.save_weights),
    ]:
        save(folder / name)
        setattr(out, name.split(".", 1)[1].replace(".", "_"), (folder / name).read_bytes())
    with zipfile.ZipFile(io.BytesIO(out.keras)) as archive:
        out.members = {name: archive.read(name) for name in archive.namelist()}
    out.json = model.to_json()
    out.model = model
    yield out
    sys.path.remove(str(folder))


def clean(call, filename=None):
    """Run `call`: it succeeds, or raises a ValueError naming `filename`; no canary import."""
    try:
        call()
    except ValueError as err:
        message = str(err)
        assert message
        if filename is not None:
            assert filename in message, message
        ERRORS.add("".join(c for c in message if not c.isdigit())[:160])
    assert CANARY not in sys.modules, "a module named in the file was imported"


def load_file(tmp_path, name, data, seeds=None):
    """Write `data` as `name` and load it as plait would: a model file with load_model, a
    weights file into the seed model (which a failed load leaves as it was)."""
    path = tmp_path / name
    path.write_bytes(data)
    if name.endswith((".weights.h5", ".safetensors")):
        before = [w.copy() for w in seeds.model.get_weights()]
        clean(lambda: seeds.model.load_weights(path), name)
        seeds.model.set_weights(before)
    else:
        clean(lambda: load_model(path), name)


# ------------------------------------------------------------------ byte-level mutations


@FUZZ
@given(
    kind=st.sampled_from(["keras", "h5", "weights_h5", "safetensors"]),
    mutations=st.lists(mutation, min_size=1, max_size=4),
)
def test_mutated_bytes_raise_only_value_errors(seeds, tmp_path, kind, mutations):
    name = {
        "keras": "f.keras",
        "h5": "f.h5",
        "weights_h5": "f.weights.h5",
        "safetensors": "f.safetensors",
    }[kind]
    load_file(tmp_path, name, mutate(getattr(seeds, kind), mutations), seeds)


# ------------------------------------------------------------------ .keras zip entries

KERAS_NAMES = ["metadata.json", "config.json", "model.weights.h5"]
keras_entry_change = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(KERAS_NAMES), st.none()),
    st.tuples(
        st.just("rename"),
        st.sampled_from(KERAS_NAMES),
        st.sampled_from(KERAS_NAMES + ["x/../a", "", "a" * 300]),
    ),
    st.tuples(st.just("duplicate"), st.sampled_from(KERAS_NAMES), st.none()),
    st.tuples(st.just("swap"), st.sampled_from(KERAS_NAMES), st.sampled_from(KERAS_NAMES)),
    st.tuples(
        st.just("compress"),
        st.sampled_from(KERAS_NAMES),
        st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]),
    ),
    st.tuples(st.just("cut"), st.sampled_from(KERAS_NAMES), st.integers(0, 10**5)),
    st.tuples(st.just("replace"), st.sampled_from(KERAS_NAMES), st.binary(max_size=64)),
    st.tuples(st.just("add"), st.text(max_size=12), st.binary(max_size=64)),
)


@FUZZ
@given(changes=st.lists(keras_entry_change, min_size=1, max_size=3))
def test_changed_keras_entries_raise_only_value_errors(seeds, tmp_path, changes):
    load_file(tmp_path, "f.keras", zip_of(*change_entries(seeds.members, changes)))


# ------------------------------------------------------------------ configs

CLASS_NAMES = [
    "Dense",
    "LSTM",
    "Functional",
    "Sequential",
    "Model",
    "InputLayer",
    "Lambda",
    "os.system",
    f"{CANARY}.Evil",
    CANARY,
    "",
    "__main__",
    "builtins.eval",
]
config_value = st.one_of(
    json_values,
    st.sampled_from(CLASS_NAMES),
    st.fixed_dictionaries(
        {
            "module": st.sampled_from([CANARY, "os", "subprocess", "keras.layers"]),
            "class_name": st.sampled_from(CLASS_NAMES),
            "config": st.just({}),
            "registered_name": st.sampled_from(CLASS_NAMES),
        }
    ),
    st.lists(st.sampled_from([None, -1, 0, 2**31, 2**62, 10**12]), max_size=4),  # shapes
    st.integers(0, 3).map(lambda n: [2**40] * n),
)


def deeply_nested(value, depth):
    """JSON text of `value` wrapped in `depth` Sequential configs (built as text, since
    json.dumps itself recurses)."""
    head = '{"class_name": "Sequential", "config": {"layers": ['
    return head * depth + json.dumps(value) + "]}}" * depth


DEEP = "__plait_fuzz_deep__"


def mutated_config(data, config):
    """JSON text of `config` with 1-3 values replaced, sometimes one by a deep nest."""
    paths = list(paths_of(config))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        config = replaced(config, path, data.draw(config_value))
        paths = list(paths_of(config))
    if data.draw(st.integers(0, 9)) == 0:
        config = replaced(config, data.draw(st.sampled_from(paths)), DEEP)
        return json.dumps(config).replace(
            json.dumps(DEEP),
            deeply_nested(data.draw(json_values), data.draw(st.sampled_from([50, 1000, 10000]))),
        )
    return json.dumps(config)


@FUZZ
@given(data=st.data())
def test_mutated_keras_config_raises_only_value_errors(seeds, tmp_path, data):
    members = dict(seeds.members)
    members["config.json"] = mutated_config(data, json.loads(members["config.json"])).encode()
    load_file(tmp_path, "f.keras", zip_of(members))


@FUZZ
@given(data=st.data())
def test_mutated_legacy_config_raises_only_value_errors(seeds, tmp_path, data):
    path = tmp_path / "f.h5"
    path.write_bytes(seeds.h5)
    with h5py.File(path, "a") as handle:
        handle.attrs["model_config"] = mutated_config(
            data, json.loads(handle.attrs["model_config"])
        )
    clean(lambda: load_model(path), "f.h5")


@FUZZ
@given(data=st.data())
def test_mutated_json_config_raises_only_value_errors(seeds, data):
    text = mutated_config(data, json.loads(seeds.json))
    clean(lambda: model_from_json(text))


@pytest.mark.parametrize("depth", [10, 1000, 10000])
def test_deeply_nested_configs_fail_cleanly(seeds, tmp_path, depth):
    text = deeply_nested({"class_name": "Dense", "config": {"units": 1}}, depth)
    clean(lambda: model_from_json(text))
    members = dict(seeds.members)
    members["config.json"] = text.encode()
    load_file(tmp_path, "f.keras", zip_of(members))


# ------------------------------------------------------------------ HDF5 structure

DTYPES = [
    "f2",
    "f8",
    "i8",
    "u1",
    "?",
    "c8",
    "S4",
    h5py.string_dtype(),
    np.dtype([("a", "f4"), ("b", "i4")]),
]
h5_change = st.one_of(
    st.tuples(
        st.just("reshape"), st.integers(0, 100), st.lists(st.integers(0, 5), max_size=3).map(tuple)
    ),
    st.tuples(st.just("retype"), st.integers(0, 100), st.sampled_from(DTYPES)),
    st.tuples(
        st.just("huge"),
        st.integers(0, 100),
        st.sampled_from([(2**40,), (2**20, 2**20), (3, 2**40)]),
    ),
    st.tuples(st.just("delete"), st.integers(0, 100), st.none()),
    st.tuples(
        st.just("names"),
        st.integers(0, 100),
        st.lists(
            st.sampled_from(["x", "rnn", "out", "nowhere", "", "out/kernel:0", "../x", "a" * 300]),
            max_size=4,
        ),
    ),
    st.tuples(
        st.just("attr"),
        st.integers(0, 100),
        st.sampled_from([np.zeros(3), np.array([1, 2]), b"x", 7, np.array([], "S1")]),
    ),
    st.tuples(
        st.just("softlink"), st.integers(0, 100), st.sampled_from(["/", "/nowhere", "/layers"])
    ),
)


def all_nodes(handle):
    """Every (name, group or dataset) under an open HDF5 file."""
    nodes = []
    handle.visititems(lambda name, node: nodes.append((name, node)) and None)
    return nodes


def change_h5(path, changes):
    """Apply structure-aware changes to the HDF5 file at `path` (in place)."""
    with h5py.File(path, "a") as handle:
        for kind, index, arg in changes:
            nodes = all_nodes(handle)
            if not nodes:
                return
            name, node = nodes[index % len(nodes)]
            is_data = isinstance(node, h5py.Dataset)
            parent = handle[name.rsplit("/", 1)[0]] if "/" in name else handle
            leaf = name.rsplit("/", 1)[-1]
            if kind in ("reshape", "retype", "huge") and is_data:
                shape = node.shape if kind == "retype" else arg
                dtype = arg if kind == "retype" else node.dtype
                del parent[leaf]
                if kind == "huge":
                    parent.create_dataset(leaf, shape=shape, dtype=dtype, chunks=(1,) * len(shape))
                else:
                    parent.create_dataset(leaf, shape=shape, dtype=dtype)
            elif kind == "delete":
                del parent[leaf]
            elif kind == "names":
                target = handle if "layer_names" in handle.attrs else node
                key = "layer_names" if target is handle else "weight_names"
                target.attrs[key] = np.array([s.encode() for s in arg], dtype="S300")
            elif kind == "attr":
                key = "layer_names" if "layer_names" in handle.attrs else "weight_names"
                (handle if key == "layer_names" else node).attrs[key] = arg
            elif kind == "softlink":
                del parent[leaf]
                parent[leaf] = h5py.SoftLink(arg)


@FUZZ
@given(
    kind=st.sampled_from(["h5", "weights_h5", "keras_weights", "h5_weights_only"]),
    changes=st.lists(h5_change, min_size=1, max_size=3),
)
def test_restructured_hdf5_raises_only_value_errors(seeds, tmp_path, kind, changes):
    path = tmp_path / "f.h5"
    if kind == "h5_weights_only":  # a legacy weights file: layer_names at the root
        seeds.model.save_weights(path)
    else:
        path.write_bytes(seeds.weights_h5 if kind == "weights_h5" else seeds.h5)
    if kind == "keras_weights":
        path.write_bytes(seeds.members["model.weights.h5"])
    change_h5(path, changes)
    data = path.read_bytes()
    if kind == "keras_weights":
        members = dict(seeds.members, **{"model.weights.h5": data})
        load_file(tmp_path, "f.keras", zip_of(members))
    elif kind == "weights_h5":
        load_file(tmp_path, "f.weights.h5", data, seeds)
    elif kind == "h5_weights_only":
        before = [w.copy() for w in seeds.model.get_weights()]
        clean(lambda: seeds.model.load_weights(path), "f.h5")
        clean(lambda: seeds.model.load_weights(path, by_name=True, skip_mismatch=True), "f.h5")
        seeds.model.set_weights(before)
    else:
        load_file(tmp_path, "f.h5", data)


# ------------------------------------------------------------------ safetensors header

header_value = st.one_of(
    json_values,
    st.sampled_from(["F32", "F16", "BF16", "F64", "I64", "I8", "U8", "BOOL", "F8_E4M3", "X"]),
    st.lists(st.sampled_from([0, 1, 2, 3, 4, 16, -1, 2**40, 2**63]), max_size=4),
)


@FUZZ
@given(data=st.data())
def test_mutated_safetensors_header_raises_only_value_errors(seeds, tmp_path, data):
    raw = seeds.safetensors
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(paths_of(header))
        header = replaced(header, data.draw(st.sampled_from(paths)), data.draw(header_value))
    text = json.dumps(header).encode()
    load_file(
        tmp_path, "f.safetensors", struct.pack("<Q", len(text)) + text + raw[8 + length :], seeds
    )


# ------------------------------------------------------------------ the fuzzers reach the loaders


def test_seed_files_load(seeds, tmp_path):
    """Unchanged seeds load (so the fuzzing above starts from valid files)."""
    for name in ("keras", "h5"):
        path = tmp_path / f"f.{name}"
        path.write_bytes(getattr(seeds, name))
        assert load_model(path).name == "small"
    path = tmp_path / "f.keras"
    path.write_bytes(zip_of(seeds.members))
    assert load_model(path).name == "small"
    assert model_from_json(seeds.json).name == "small"
    for name, data in (("f.weights.h5", seeds.weights_h5), ("f.safetensors", seeds.safetensors)):
        (tmp_path / name).write_bytes(data)
        seeds.model.load_weights(tmp_path / name)


def test_summary_of_errors():
    """Prints the count of distinct error messages seen (in long runs: `-s`)."""
    print(f"\n{len(ERRORS)} distinct error messages")


# ------------------------------------------------------------------ regressions found by fuzzing


def test_corrupt_deflate_stream_in_keras_is_a_value_error(seeds, tmp_path):
    """A flipped bit inside a deflated member raised zlib.error (found by the fuzzer)."""
    path = tmp_path / "f.keras"
    path.write_bytes(mutate(seeds.keras, [("flip", 238, 1)]))
    with pytest.raises(ValueError, match="f.keras"):
        load_model(path)


def test_malformed_keras_history_is_a_value_error(seeds, tmp_path):
    """A `keras_history` of null in a node's arguments raised TypeError (found by the
    fuzzer)."""
    members = dict(seeds.members)
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = None
    members["config.json"] = json.dumps(config).encode()
    path = tmp_path / "f.keras"
    path.write_bytes(zip_of(members))
    with pytest.raises(ValueError, match="f.keras"):
        load_model(path)


def test_damaged_hdf5_btree_is_a_value_error(seeds, tmp_path):
    """A flipped bit in a legacy .h5's B-tree made h5py raise RuntimeError ("wrong B-tree
    signature") while looking up a group (found by the fuzzer's long run)."""
    path = tmp_path / "f.h5"
    path.write_bytes(mutate(seeds.h5, [("flip", 136, 1)]))
    with pytest.raises(ValueError, match="f.h5"):
        load_model(path)


def test_damaged_weights_h5_symbol_table_is_a_value_error(seeds, tmp_path):
    """A flipped bit in a .weights.h5's symbol table made h5py raise RuntimeError while
    load_weights looked for 'model_weights' (found by the fuzzer's long run)."""
    path = tmp_path / "f.weights.h5"
    path.write_bytes(mutate(seeds.weights_h5, [("flip", 168, 1)]))
    with pytest.raises(ValueError, match="f.weights.h5"):
        seeds.model.load_weights(path)


def _model_config_reference(data):
    """Offset of the 16-byte heap reference of a legacy .h5's `model_config` string."""
    heap = data.find(b"GCOL\x01\x00\x00\x00")
    config = data.find(b"model_config\x00")
    at = data.find(struct.pack("<Q", heap), config)
    assert heap > 0 and config > 0 and 0 < at - config < 160
    return at - 4


@pytest.mark.parametrize("damaged_index", [False, True])
def test_huge_string_length_in_h5_fails_without_allocating_it(seeds, tmp_path, damaged_index):
    """A legacy .h5 whose `model_config` reference declares 2 GiB made HDF5 allocate 2 GiB
    (10 s) before it found the heap object smaller (found by the fuzzer's long run)."""
    data = bytearray(seeds.h5)
    at = _model_config_reference(data)
    data[at : at + 4] = struct.pack("<I", 2**31)
    if damaged_index:
        data[at + 12 : at + 16] = struct.pack("<I", 999)
    path = tmp_path / "f.h5"
    path.write_bytes(bytes(data))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ValueError, match="f.h5.*declares 2147483648 bytes"):
        load_model(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 256 * 1024
