"""Flatten and rebuild nested structures of lists, tuples and dicts (dicts in key order)."""

__all__ = ["flatten", "map_structure", "pack_like"]


def flatten(structure):
    """Leaves of `structure` in order; None is a leaf."""
    out = []
    stack = [structure]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(item[k] for k in reversed(list(item)))
        else:
            out.append(item)
    return out


def map_structure(fn, structure):
    """`structure` with `fn` applied to every leaf (lists, tuples and dicts are rebuilt)."""
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def pack_like(structure, flat):
    """Rebuild `structure` with the leaves taken in order from `flat`."""
    leaves = iter(flat)
    return map_structure(lambda _: next(leaves), structure)
