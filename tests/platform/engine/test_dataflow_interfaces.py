"""TypeScript calls through an interface or an abstract class: a service holds
`private exporter: Exporter` (injected, so the class is not written at the call) and calls
`this.exporter.export(name)`. The project's one class that implements the interface (or
extends the abstract class) and defines the method is what runs; with several different
ones the call stays unknown."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from tavo_platform.engine import scan_path
from tavo_platform.rules.loader import load_builtin_rules
from tavo_platform.rules.model import Rule

MakeTree = Callable[[dict[str, str | bytes]], Path]

SERVICE = """\
import type { Exporter } from "./exporter";

export class ReportService {
  constructor(private readonly exporter: Exporter) {}

  run(name: string) {
    this.exporter.export(name);
  }
}
"""

ROUTES = """\
import { ReportService } from "./service";

export function mount(app, service: ReportService) {
  app.post("/reports/:name", (req, res) => {
    service.run(req.params.name);
    res.sendStatus(202);
  });
}
"""


@pytest.fixture(scope="module")
def taint_rules() -> list[Rule]:
    return [rule for rule in load_builtin_rules().rules if rule.taint is not None]


def _sinks(make_tree: MakeTree, rules: list[Rule], exporter: str) -> list[tuple[str, int]]:
    files = {
        "src/exporter.ts": textwrap.dedent(exporter),
        "src/service.ts": SERVICE,
        "src/routes.ts": ROUTES,
    }
    result = scan_path(make_tree(files), rules, jobs=1)
    return sorted(
        (f.path, f.span.start_line) for f in result.findings if f.category == "command-injection"
    )


def test_the_one_implementation_of_an_interface_is_followed(
    make_tree: MakeTree, taint_rules: list[Rule]
) -> None:
    exporter = """\
    import { exec } from "node:child_process";
    export interface Exporter { export(name: string): void }
    export class ZipExporter implements Exporter {
      export(name: string) {
        exec(`zip /exports/${name}.zip /data/report.csv`);
      }
    }
    """
    assert _sinks(make_tree, taint_rules, exporter) == [("src/exporter.ts", 5)]


def test_the_one_subclass_of_an_abstract_class_is_followed(
    make_tree: MakeTree, taint_rules: list[Rule]
) -> None:
    exporter = """\
    import { exec } from "node:child_process";
    export abstract class Exporter { abstract export(name: string): void }
    export class ZipExporter extends Exporter {
      export(name: string) {
        exec(`zip /exports/${name}.zip /data/report.csv`);
      }
    }
    """
    assert _sinks(make_tree, taint_rules, exporter) == [("src/exporter.ts", 5)]


def test_an_implementation_that_does_no_harm_is_not_reported(
    make_tree: MakeTree, taint_rules: list[Rule]
) -> None:
    exporter = """\
    import { execFile } from "node:child_process";
    export interface Exporter { export(name: string): void }
    export class ZipExporter implements Exporter {
      export(name: string) {
        execFile("zip", [`/exports/${name}.zip`, "/data/report.csv"]);
      }
    }
    """
    assert _sinks(make_tree, taint_rules, exporter) == []


def test_several_implementations_leave_the_call_unknown(
    make_tree: MakeTree, taint_rules: list[Rule]
) -> None:
    exporter = """\
    import { exec, execFile } from "node:child_process";
    export interface Exporter { export(name: string): void }
    export class ZipExporter implements Exporter {
      export(name: string) {
        execFile("zip", [`/exports/${name}.zip`, "/data/report.csv"]);
      }
    }
    export class TarExporter implements Exporter {
      export(name: string) {
        exec(`tar czf /exports/${name}.tgz /data`);
      }
    }
    """
    # Which one the service holds is decided at run time: the sink inside TarExporter is
    # reached from the route only if the engine guesses, and it does not.
    assert _sinks(make_tree, taint_rules, exporter) == []
