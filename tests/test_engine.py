"""Engine guarantees: parallel runs equal --jobs 1, bounded problem lists keep exact summaries."""

import json
import random

import pytest

from automl_lint import engine
from automl_lint.cli import main
from automl_lint.settings import Settings
from automl_lint.verdict import file_summary


def _mixed_file(path, n=4000, seed=3):
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        r = rng.random()
        box = {"label": rng.choice(["can", "carton"]), "topX": 0.1, "topY": 0.1, "bottomX": 0.5, "bottomY": 0.5}
        if r < 0.1:
            box["bottomX"] = 1.3
        elif r < 0.15:
            box["topX"] = "0.1"
        elif r < 0.17:
            lines.append('{"image_url": "AmlDatastore://ds/broken.jpg", "label": [')
            continue
        elif r < 0.18:
            lines.append("")
            continue
        url = f"AmlDatastore://ds/img_{i if r > 0.02 else 7}.jpg"
        lines.append(json.dumps({"image_url": url, "label": [box]}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _doc(result):
    return [p.to_dict() for p in result.problems], file_summary(result)


@pytest.mark.parametrize("max_problems", [0, 50])
def test_parallel_run_equals_jobs_1(tmp_path, monkeypatch, max_problems):
    f = _mixed_file(tmp_path / "mixed.jsonl")
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1)
    one = engine.lint_file(str(f), Settings(task="object-detection", jobs=1, max_problems=max_problems))
    for jobs in (2, 3):
        many = engine.lint_file(str(f), Settings(task="object-detection", jobs=jobs, max_problems=max_problems))
        assert _doc(many) == _doc(one)
        assert many.state.class_counts() == one.state.class_counts()


@pytest.mark.parametrize("repeat", [None, 0, 2999])
def test_a_url_repeated_across_ranges_is_found_as_with_jobs_1(tmp_path, monkeypatch, repeat):
    # The parallel merge counts URL hashes as the ranges come back and skips the duplicate search when none
    # repeats: a single repeat, the first line's URL on the last line, or two neighbours must still be found.
    lines = [json.dumps({"image_url": f"AmlDatastore://ds/img_{i}.jpg", "label": "can"}) for i in range(3000)]
    if repeat is not None:
        lines.append(lines[repeat])
    f = tmp_path / "urls.jsonl"
    f.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(engine, "CHUNK_MIN_BYTES", 4096)
    one = engine.lint_file(str(f), Settings(task="multiclass", jobs=1))
    many = engine.lint_file(str(f), Settings(task="multiclass", jobs=2))
    assert _doc(many) == _doc(one)
    found = [p.message for p in many.problems if p.code == "AML604"]
    if repeat is None:
        assert found == []
    else:
        assert len(found) == 1 and f"lines {repeat + 1}, 3001" in found[0]


@pytest.mark.parametrize("workers", [1, 2, 7])
def test_parallel_ranges_shrink_and_cover_the_file_at_line_starts(tmp_path, monkeypatch, workers):
    # Large ranges first, small ones last (the workers finish together); together exactly the file, each range
    # starting at a line start.
    rng = random.Random(workers)
    data = b"".join(b"x" * rng.randrange(1, 300) + b"\n" for _ in range(20000))
    f = tmp_path / "lines.jsonl"
    f.write_bytes(data)
    monkeypatch.setattr(engine, "CHUNK_MIN_BYTES", 4096)
    ranges = engine._guided_ranges(str(f), len(data), workers)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(data[a - 1:a] == b"\n" for a, _ in ranges[1:])
    sizes = [b - a for a, b in ranges]
    assert sizes[0] >= len(data) // (engine.GUIDED_SHARE * workers)
    assert sizes[-2] < 4096 + 300 and len(ranges) > 2 * workers
    # Each range at most the previous one and two lines (a cut moves to the next line start, by under a line).
    assert all(later <= earlier + 600 for earlier, later in zip(sizes, sizes[1:]))


def test_problem_limit_keeps_the_summary_exact(tmp_path):
    f = _mixed_file(tmp_path / "mixed.jsonl")
    full = engine.lint_file(str(f), Settings(task="object-detection", jobs=1, max_problems=0))
    capped = engine.lint_file(str(f), Settings(task="object-detection", jobs=1, max_problems=40))
    listed = [p for p in capped.problems if p.line is not None]
    assert 40 <= len(listed) < 45  # whole lines: the last kept line may carry several findings
    assert listed == [p for p in full.problems if p.line is not None][: len(listed)]
    assert any(p.code == "AML902" for p in capped.problems)
    summary_full, summary_capped = file_summary(full), file_summary(capped)
    assert summary_capped["automl"] == summary_full["automl"]
    assert summary_capped["errors"] == summary_full["errors"]
    assert summary_capped["warnings"] == summary_full["warnings"]


def test_exit_code_counts_findings_past_the_limit(tmp_path, capsys):
    lines = [json.dumps({"image_url": f"AmlDatastore://ds/{i}.jpg", "label": "can"}) for i in range(30)]
    lines.append(json.dumps({"image_url": "AmlDatastore://ds/x.jpg", "label": ["can"]}))  # an error, last
    f = tmp_path / "late-error.jsonl"
    f.write_text("\n".join(["{bad"] * 3 + lines) + "\n")
    assert main([str(f), "--task", "mc", "--max-problems", "1", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"][0]["summary"]["errors"] >= 4
