"""`plait.tree` against `keras.tree` (torch backend): the same leaves, paths, rebuilt
structures and errors on a table of nested structures."""

import collections

import pytest

from plait import tree
from tests.keras_oracle.conftest import keras

Point = collections.namedtuple("Point", ["y", "x"])

STRUCTURES = [
    1,
    "text",
    None,
    [1, 2, 3],
    (1, [2, (3,)]),
    {"b": 1, "a": [2, 3]},
    {"z": [{"a": 2, "b": 1}], "a": (3, None)},
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.defaultdict(list, {"b": [1], "a": [2]}),
    Point(y=1, x=[2, 3]),
    [None, 1, (None, 2)],
    [],
    {},
    ((), [[]]),
]
IDS = [f"s{i}" for i in range(len(STRUCTURES))]


@pytest.mark.parametrize("structure", STRUCTURES, ids=IDS)
def test_flatten_and_friends_match_keras(structure):
    kt = keras.tree
    assert tree.is_nested(structure) == kt.is_nested(structure)
    assert tree.flatten(structure) == kt.flatten(structure)
    assert tree.flatten_with_path(structure) == kt.flatten_with_path(structure)
    leaves = [f"leaf{i}" for i in range(len(kt.flatten(structure)))]
    ours = tree.pack_sequence_as(structure, leaves)
    theirs = kt.pack_sequence_as(structure, leaves)
    assert ours == theirs and type(ours) is type(theirs)
    assert tree.lists_to_tuples(structure) == kt.lists_to_tuples(structure)

    def double(x):
        return str(x) * 2

    ours, theirs = tree.map_structure(double, structure), kt.map_structure(double, structure)
    assert ours == theirs and type(ours) is type(theirs)
    tree.assert_same_structure(structure, structure)
    tree.assert_same_paths(structure, structure)


def test_nested_dicts_flatten_sorted_as_documented():
    """Keras documents dicts flattened by sorted keys; its torch-backend tree sorts only
    the outermost dict, its optree tree (the other backends) every one: plait sorts every
    one, as documented, and matches the optree tree."""
    optree_impl = pytest.importorskip("keras.src.tree.optree_impl")
    structure = {"z": {"b": 1, "a": 2}, "a": (3, None)}
    assert tree.flatten(structure) == optree_impl.flatten(structure) == [3, None, 2, 1]
    assert tree.flatten_with_path(structure) == optree_impl.flatten_with_path(structure)
    packed = tree.pack_sequence_as(structure, [4, 5, 6, 7])
    assert packed == optree_impl.pack_sequence_as(structure, [4, 5, 6, 7])


def test_traverse_matches_keras():
    structure = {"b": [1, (2, 3)], "a": 4}

    def top(x):
        return "tuple" if isinstance(x, tuple) else None

    def bottom(x):
        return sum(x) if isinstance(x, list) and all(isinstance(e, int) for e in x) else None

    def drop(x):
        return tree.MAP_TO_NONE if x == 4 else None

    def kdrop(x):
        return keras.tree.MAP_TO_NONE if x == 4 else None

    assert tree.traverse(top, structure) == keras.tree.traverse(top, structure)
    assert tree.traverse(bottom, [[1, 2], [3]], top_down=False) == keras.tree.traverse(
        bottom, [[1, 2], [3]], top_down=False
    )
    assert tree.traverse(drop, structure) == keras.tree.traverse(kdrop, structure)


def test_multi_structure_maps_match_keras():
    a, b = [1, (2, 3)], [10, (20, 30)]
    for lib in (tree, keras.tree):
        assert lib.map_structure(lambda x, y: x + y, a, b) == [11, (22, 33)]
        assert lib.map_structure_up_to([0, 0], lambda x: x, a) == [1, (2, 3)]
        assert lib.map_shape_structure(len, {"x": (None, 3), "y": [(2, 1)]}) == {
            "x": 2,
            "y": [2],
        }
        assert lib.map_structure(lambda x: x, [None, 1], none_is_leaf=False) == [None, 1]


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.assert_same_structure([1, 2], [1, [2]]),
        lambda lib: lib.assert_same_structure([1, 2], (1, 2)),
        lambda lib: lib.assert_same_paths({"a": 1}, {"b": 1}),
        lambda lib: lib.map_structure(lambda x, y: x, [1, [2]], [1, 2]),
        lambda lib: lib.map_structure_up_to([[0]], lambda x: x, [1]),
        lambda lib: lib.map_structure(len),
    ],
)
def test_errors_match_keras(call):
    with pytest.raises(Exception) as theirs:
        call(keras.tree)
    with pytest.raises(type(theirs.value)):
        call(tree)
