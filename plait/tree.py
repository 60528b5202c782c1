"""Nested structures as Keras 3 walks them (`keras.tree`), on torch's pytrees.

Lists, tuples, namedtuples, dicts (keys in sorted order), OrderedDicts (in their order)
and defaultdicts are nodes; everything else is a leaf. As in Keras on its torch backend,
`None` is an empty node (it has no leaves).

    from plait import tree
    tree.flatten({"b": [1, 2], "a": 3})             # [3, 1, 2]
    tree.map_structure(lambda x: x * 10, (1, [2]))  # (10, [20])
"""

from collections import defaultdict

from torch.utils import _pytree

__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]


class MAP_TO_NONE:  # noqa: N801  (Keras's name)
    """Returned by a `traverse` function: put None in this place.

    (`traverse` keeps a subtree where its function returns None, so None itself cannot mean
    "replace with None".)

    Example:
        >>> from plait import tree
        >>> tree.traverse(lambda x: tree.MAP_TO_NONE if x == 2 else None, [1, 2])
        [1, None]
    """


def __dir__():  # dir() lists the public API, not torch or helpers
    return sorted(__all__)


def _is_leaf(x):
    return _pytree._get_node_type(x) not in _pytree.SUPPORTED_NODES


def _children(structure):
    """`(children, spec)` one level down."""
    return _pytree.tree_flatten(structure, is_leaf=lambda x: x is not structure)


def _sorted_dicts(structure):
    """`structure` with every plain dict and defaultdict rebuilt in sorted key order
    (Keras flattens dicts by sorted keys)."""
    if type(structure) is dict:
        structure = {k: structure[k] for k in sorted(structure)}
    elif type(structure) is defaultdict:
        structure = defaultdict(
            structure.default_factory, {k: structure[k] for k in sorted(structure)}
        )
    if _is_leaf(structure):
        return structure
    children, spec = _children(structure)
    if spec.num_nodes == 1 and spec.num_leaves == 1:
        return structure
    return _pytree.tree_unflatten([_sorted_dicts(c) for c in children], spec)


def is_nested(structure):
    """Whether `structure` is a list, tuple, dict, ... (not a leaf).

    Example:
        >>> from plait import tree
        >>> tree.is_nested([1]), tree.is_nested("ab")
        (True, False)
    """
    return not _is_leaf(structure)


def _result(value):
    return None if isinstance(value, type) and value.__name__ == "MAP_TO_NONE" else value


def traverse(func, structure, top_down=True):
    """Apply `func` to every node and leaf. Top down: where `func` returns None the walk
    goes on into the children, otherwise its result replaces the subtree. Bottom up:
    children first, then `func` on the rebuilt node (None keeps it). Return `MAP_TO_NONE`
    to put None in a place.

    Example:
        >>> from plait import tree
        >>> tree.traverse(lambda x: x + 1 if isinstance(x, int) else None, [1, (2,)])
        [2, (3,)]
    """
    structure = _sorted_dicts(structure)
    return _traverse(func, structure, top_down)


def _traverse(func, structure, top_down):
    def below():
        children, spec = _children(structure)
        if spec.num_nodes == 1 and spec.num_leaves == 1:
            return structure
        return _pytree.tree_unflatten([_traverse(func, c, top_down) for c in children], spec)

    if top_down:
        out = func(structure)
        return below() if out is None else _result(out)
    rebuilt = below()
    out = func(rebuilt)
    return rebuilt if out is None else _result(out)


def flatten(structure):
    """The leaves of `structure`, dicts in sorted key order.

    Example:
        >>> from plait import tree
        >>> tree.flatten({"b": [1, 2], "a": 3})
        [3, 1, 2]
    """
    return _pytree.tree_leaves(_sorted_dicts(structure))


def flatten_with_path(structure):
    """`[(path, leaf)]`: each path a tuple of list indices, dict keys and namedtuple
    field numbers (in sorted field-name order, as Keras numbers them).

    Example:
        >>> from plait import tree
        >>> tree.flatten_with_path({"a": [5, 6]})
        [(('a', 0), 5), (('a', 1), 6)]
    """
    pairs, _ = _pytree.tree_flatten_with_path(_sorted_dicts(structure))
    fields = sorted(
        {k.name for keys, _ in pairs for k in keys if isinstance(k, _pytree.GetAttrKey)}
    )
    number = {name: i for i, name in enumerate(fields)}
    out = []
    for keys, leaf in pairs:
        path = []
        for k in keys:
            if isinstance(k, _pytree.SequenceKey):
                path.append(k.idx)
            elif isinstance(k, _pytree.MappingKey):
                path.append(k.key)
            elif isinstance(k, _pytree.GetAttrKey):
                path.append(number[k.name])
        out.append((tuple(path), leaf))
    return out


def map_structure(func, *structures, none_is_leaf=True):
    """`func` over the leaves of `structures` (of one structure), in that structure.

    Args:
        func: called with one leaf of each structure.
        *structures: at least one.
        none_is_leaf: with False, places where the first structure has None stay None
            (all structures must have None there).

    Raises:
        ValueError: no structure; structures that differ.

    Example:
        >>> from plait import tree
        >>> tree.map_structure(lambda a, b: a + b, [1, (2,)], [10, (20,)])
        [11, (22,)]
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    call = func
    if not none_is_leaf:

        def call(*args):
            if args[0] is None:
                if any(a is not None for a in args):
                    raise ValueError(
                        "Structure mismatch: some arguments are None, others are not. "
                        f"Received arguments: {args}."
                    )
                return None
            return func(*args)

    return _pytree.tree_map(call, *structures)


def map_structure_up_to(shallow_structure, func, *structures):
    """`func` over `structures` down to the depth of `shallow_structure`: each call
    gets the (possibly nested) parts of `structures` at one leaf of the shallow one.

    Raises:
        ValueError: no structure; a shallow structure deeper than the others.

    Example:
        >>> from plait import tree
        >>> tree.map_structure_up_to([None, None], len, [[1, 2], (3,)])
        [2, 1]
    """
    if not structures:
        raise ValueError("Must provide at least one structure")

    def call(shallow, *args):
        if not _is_leaf(shallow):
            raise ValueError("Structures don't have the same nested structure.")
        return func(*args)

    return _pytree.tree_map(call, shallow_structure, *structures)


def assert_same_structure(a, b, check_types=None):
    """Raises unless `a` and `b` nest alike.

    Args:
        a, b: nested structures (lists, tuples, dicts, ...).
        check_types: accepted and ignored, as in Keras 3.

    Raises:
        ValueError: the structures differ.

    Example:
        >>> from plait import tree
        >>> tree.assert_same_structure([1, (2, 3)], [4, (5, 6)])  # alike: no error
        >>> try:
        ...     tree.assert_same_structure([1, (2, 3)], [4, 5])
        ... except ValueError:
        ...     print("different")
        different
    """

    def check(x, y):
        if not (_is_leaf(x) and _is_leaf(y)):
            raise ValueError("Structures don't have the same nested structure.")

    _pytree.tree_map(check, a, b)


def assert_same_paths(a, b):
    """Raises unless `a` and `b` have the same set of leaf paths.

    Args:
        a, b: nested structures.

    Raises:
        ValueError: naming the paths one has and the other lacks.

    Example:
        >>> from plait import tree
        >>> tree.assert_same_paths({"a": 1, "b": [2]}, {"a": 0, "b": [0]})  # same paths
        >>> tree.assert_same_paths({"a": 1}, {"b": 1})
        Traceback (most recent call last):
        ...
        ValueError: `a` and `b` don't have the same paths.
        Paths in `a` missing in `b`:
        {('a',)}
        Paths in `b` missing in `a`:
        {('b',)}
    """
    a_paths = {p for p, _ in flatten_with_path(a)}
    b_paths = {p for p, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        message = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            message += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            message += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(message)


def pack_sequence_as(structure, flat_sequence):
    """The leaves `flat_sequence` put back into the shape of `structure` (dicts filled in
    sorted key order).

    Example:
        >>> from plait import tree
        >>> tree.pack_sequence_as({"b": [0, 0], "a": 0}, [1, 2, 3])
        {'a': 1, 'b': [2, 3]}
    """
    _, spec = _pytree.tree_flatten(_sorted_dicts(structure))
    return _pytree.tree_unflatten(list(flat_sequence), spec)


def lists_to_tuples(structure):
    """`structure` with every list made a tuple.

    Example:
        >>> from plait import tree
        >>> tree.lists_to_tuples([1, [2, {"a": [3]}]])
        (1, (2, {'a': (3,)}))
    """
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure, False)


def map_shape_structure(func, structure):
    """`func` over the shapes in `structure`: lists or tuples of ints and Nones count
    as leaves.

    Example:
        >>> from plait import tree
        >>> tree.map_shape_structure(len, {"x": (None, 3), "y": [(2, 2, 1)]})
        {'x': 2, 'y': [3]}
    """

    def is_shape(x):
        return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)

    return _pytree.tree_map(func, _sorted_dicts(structure), is_leaf=is_shape)
