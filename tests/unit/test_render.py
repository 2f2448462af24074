"""core.codegen.render: values a template writes become Python literals unless they are code."""

from __future__ import annotations

import ast

from core.codegen import render


def test_a_value_is_a_literal_and_cannot_break_out_of_its_string():
    hostile = 'x"""\nimport os; os.system("echo owned")  # \\'
    template = render._environment().from_string('NAME = {{ v }}\n"""About {{ v|doc }}."""\nN = {{ n }}\n')
    source = template.render(v=hostile, n=3)
    tree = ast.parse(source)
    assert [type(node).__name__ for node in tree.body] == ["Assign", "Expr", "Assign"]
    namespace: dict = {}
    exec(compile(source, "<test>", "exec"), namespace)
    assert namespace["NAME"] == hostile and namespace["N"] == 3
    assert "import os" in tree.body[1].value.value  # in the docstring it stays text, on its one line
    assert len(source.splitlines()) == 3


def test_code_is_written_as_it_is_and_layout_follows_ruff():
    assert render._finalize(render.Code("f(x)")) == "f(x)"
    assert render._finalize("f(x)") == '"f(x)"'
    assert render.assign(["a", "b"], "NAMES") == 'NAMES = ["a", "b"]'
    long = render.assign([f"column_{i:03d}" for i in range(12)], "NAMES")
    assert long.splitlines()[0] == "NAMES = [" and long.splitlines()[-1] == "]"
    assert all(len(line) <= render.LINE for line in long.splitlines())
    assert render.call("f", ["a=1"], 4, "x = ") == "x = f(a=1)"
    assert render.doc("a" * 100, 10) == "a" * 9 + "…"
