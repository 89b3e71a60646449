"""How good the built-in triage is, measured on the labelled set (labelled_set.py):
precision and recall of "likely false positive" (the verdict that hides findings, so it
must be right when it speaks), and the Spearman rank correlation between the analysis's
fix-first order and the order a security engineer would give."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from tavo_platform.analysis.builtin import analyze_findings
from tavo_platform.analysis.interface import AnalysisOptions, ScanMaterial
from tavo_platform.analysis.scoring import SEVERITY_RANK
from tavo_platform.analysis.triage import VERDICT_ORDER, Verdict

from tests.platform.analysis.conftest import scan_findings
from tests.platform.analysis.labelled_set import FILES, FP, labels

MIN_PRECISION = 0.9
MIN_RECALL = 0.8
MIN_RANK_CORRELATION = 0.75
MIN_LABELS_MATCHED = 0.9


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values share the mean of their positions."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(first: Sequence[float], second: Sequence[float]) -> float:
    a, b = average_ranks(first), average_ranks(second)
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    covariance = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b, strict=True))
    spread = (sum((x - mean_a) ** 2 for x in a) * sum((y - mean_b) ** 2 for y in b)) ** 0.5
    return covariance / spread


def test_spearman_helper() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert average_ranks([5, 1, 5, 3]) == [3.5, 1.0, 3.5, 2.0]


def test_labelled_triage_set(write_tree: Callable[[dict[str, str | bytes]], Path]) -> None:
    findings = scan_findings(write_tree(FILES))
    result = analyze_findings(ScanMaterial("labelled", findings, []), AnalysisOptions())
    expected = {(label.path, label.line): label for label in labels()}

    matched = []
    for finding, analysed in zip(findings, result["findings"], strict=True):
        label = expected.get((finding["path"], finding["start_line"]))
        if label is not None:
            matched.append((label, analysed))
    covered = {(label.path, label.line) for label, _ in matched}
    # A false positive that the scan itself no longer reports (the engine's precision
    # controls: constants, numbers, quoting, checks before use) is handled too.
    found = {(f["path"], f["start_line"]) for f in findings}
    handled = covered | {key for key, label in expected.items() if label.verdict == FP} - found
    assert len(handled) >= MIN_LABELS_MATCHED * len(expected), sorted(set(expected) - handled)

    predicted_fp = {i for i, (_, a) in enumerate(matched) if a["verdict"] == FP}
    actual_fp = {i for i, (label, _) in enumerate(matched) if label.verdict == FP}
    true_fp = predicted_fp & actual_fp
    precision = len(true_fp) / len(predicted_fp) if predicted_fp else 0.0
    recall = len(true_fp) / len(actual_fp) if actual_fp else 0.0
    agreement = sum(label.verdict == a["verdict"] for label, a in matched) / len(matched)

    # The analysis's order: the fix-first ranking, extended to every finding.
    def rank_key(a: dict[str, object]) -> tuple[object, ...]:
        return (
            -a["risk"]["score"],  # type: ignore[index]
            VERDICT_ORDER[Verdict(a["verdict"])],
            SEVERITY_RANK.get(str(a["severity"]), 5),
        )

    order = sorted(range(len(matched)), key=lambda i: rank_key(matched[i][1]))
    position = {index: place for place, index in enumerate(order)}
    correlation = spearman(
        [position[i] for i in range(len(matched))], [label.tier for label, _ in matched]
    )
    wrong = [
        f"{label.path}:{label.line} expected {label.verdict}, got {a['verdict']}"
        for label, a in matched
        if label.verdict != a["verdict"]
    ]
    print(
        f"\nlabelled triage set: {len(matched)} findings, {len(expected)} labelled lines\n"
        f"likely-false-positive precision {precision:.2f} recall {recall:.2f} "
        f"({len(true_fp)} of {len(predicted_fp)} predicted, {len(actual_fp)} actual)\n"
        f"verdict agreement {agreement:.2f}; fix-first rank correlation (Spearman) "
        f"{correlation:.3f}\n" + "\n".join(f"  miss: {w}" for w in wrong)
    )
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL
    assert correlation >= MIN_RANK_CORRELATION
