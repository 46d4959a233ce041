"""The listpack (fastresp.listpack) against a Python list, by random operations."""
from hypothesis import given, settings, strategies as st

from fastresp.listpack import Listpack

# short and long elements (the 1-byte and 5-byte headers), across the 127/128 boundary
element = st.one_of(st.binary(max_size=8), st.binary(min_size=120, max_size=300))
op = st.tuples(st.sampled_from(["insert", "replace", "delete", "find"]),
               st.integers(-400, 400), element, st.integers(0, 4))


@settings(max_examples=300, deadline=None)
@given(st.lists(op, max_size=60))
def test_listpack_matches_list(ops):
    lp, model = Listpack(), []
    for name, index, value, count in ops:
        if name == "insert":
            i = index % (len(model) + 1)
            lp.insert(i, value)
            model.insert(i, value)
        elif not model:
            continue
        elif name == "replace":
            lp.replace(index % len(model) - len(model), value)   # negative indexes too
            model[index % len(model)] = value
        elif name == "delete":
            i = index % len(model)
            lp.delete(i, count)
            del model[i:i + count]
        else:
            probe = model[index % len(model)] if index % 2 else value
            expected = model.index(probe) if probe in model else -1
            assert lp.find(probe) == expected
        assert lp.items() == model
        assert len(lp) == len(model)


def test_find_with_skip_looks_only_at_fields():
    lp = Listpack()
    for item in (b"f1", b"v", b"v", b"x", b"f3", b"v3"):
        lp.insert(len(lp), item)
    assert lp.find(b"v", 1) == 2
    assert lp.find(b"x", 1) == -1
    assert lp.find(b"f3", 1) == 4
