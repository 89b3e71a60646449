"""Python syntax helpers of the taint engine (engine/dataflow/_python_syntax.py): an
attribute's access path read from its text must be the one the tree gives."""

from __future__ import annotations

import pytest
from tavo_platform.engine._languages import Language
from tavo_platform.engine.dataflow._lowering import access_path
from tavo_platform.engine.dataflow._python_syntax import attribute_path
from tavo_platform.engine.matchers.structural import parse


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("request.args.get", "request.args.get"),
        ("self.db.cursor", "self.db.cursor"),
        ("a . b", "a.b"),
        ("a.\\\n  b", "a.b"),
        ("(a).b", None),
        ("f().b", None),
        ("True.real", None),
        ("None.x", None),
        ("print.x", "print.x"),
        ("match.group", "match.group"),
        ("type.mro", "type.mro"),
        ("_.x", "_.x"),
        ("données.clé", "données.clé"),
        ("x[0].y", None),
    ],
)
def test_attribute_paths_agree_with_the_tree(source: str, expected: str | None) -> None:
    root = parse(f"value = {source}\n", Language.PYTHON)
    nodes = [n for n in root.find_all(kind="attribute") if n.parent().kind() == "assignment"]
    assert len(nodes) == 1
    node = nodes[0]
    walked = access_path(node, ("attribute",), ("object", "attribute"))
    assert walked == expected
    assert attribute_path(node) == walked
    assert attribute_path(node) == walked  # remembered by its text: the same again
