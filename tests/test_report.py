"""`gfbench report`: the report says what the run's rows say, as a self-contained page.

A small synthetic run (tests/report_runs.py, following ``bench.store``) is rendered once; the
tables are checked against numbers recomputed here from the raw JSON rows, not through the
report's own code.
"""

from __future__ import annotations

import base64
import json
import math
import statistics
from html.parser import HTMLParser

import pytest
import report_runs
from conftest import gfbench_inproc

from bench.exitcodes import UsageError
from bench.report import render_report


@pytest.fixture
def rendered(synthetic_report):
    """The synthetic run's Markdown and HTML report (rendered once a session, in conftest)."""
    return synthetic_report


def markdown_table(md: str, caption: str) -> list[dict[str, str]]:
    """The rows of the GitHub table printed under ``**caption**``."""
    lines = md.split(f"**{caption}**\n\n", 1)[1].splitlines()
    table = []
    for line in lines:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip("|").split("|")])
    headers, body = table[0], table[2:]
    return [dict(zip(headers, row, strict=True)) for row in body]


def close(cell: str, expected: float) -> bool:
    """A 4-significant-digit cell equals ``expected``."""
    if math.isnan(expected):
        return cell == "-"
    return math.isclose(float(cell), expected, rel_tol=6e-4, abs_tol=0)


def test_render_returns_index_and_writes_everything(rendered):
    out = rendered["out"]
    assert rendered["index"] == out / "index.html"
    assert (out / "report.md").is_file()
    assert sorted(p.name for p in out.glob("*.png")) == sorted(
        [
            "border_vs_interior.png",
            "error_vs_sigma.png",
            "integer_errors.png",
            "pareto.png",
            "roofline.png",
            "time_vs_pixels.png",
            "time_vs_sigma.png",
        ]
    )
    assert not list(out.glob(".render-*")), "the scratch folder must be gone"


def test_speed_table_equals_the_rows(rendered):
    md = (rendered["out"] / "report.md").read_text()
    table = markdown_table(md, "Speed summary")
    ok = [r for r in rendered["rows"] if r["status"] == "ok"]
    reference = {}
    for r in ok:
        if r["impl"] == "scipy" and r["dtype"] == "float64":
            reference[(tuple(r["shape"]), r["sigma"], str(r["order"]), r["mode"])] = r["median_ns"]
    assert {(t["impl"], t["dtype"]) for t in table} == {(r["impl"], r["dtype"]) for r in ok}
    for line in table:
        group = [r for r in ok if r["impl"] == line["impl"] and r["dtype"] == line["dtype"]]
        assert int(line["cases"]) == len(group)
        assert close(line["median_ms"], statistics.median(r["median_ns"] for r in group) / 1e6)
        assert close(line["min_ms"], min(r["min_ns"] for r in group) / 1e6)
        mpix = statistics.median(r["npix"] * 1e3 / r["median_ns"] for r in group)
        assert close(line["mpix_per_s"], mpix)
        assert close(line["bound_fraction"], statistics.median(r["bound_fraction"] for r in group))
        ratios = []
        for r in group:
            key = (tuple(r["shape"]), r["sigma"], str(r["order"]))
            if r["mode"] is None:  # Pillow: against SciPy's median over modes
                same = [v for (s, g, o, _), v in reference.items() if (s, g, o) == key]
                ratios.append(statistics.median(same) / r["median_ns"])
            elif (*key, r["mode"]) in reference:  # SciPy float64 ran the same case
                ratios.append(reference[(*key, r["mode"])] / r["median_ns"])
        assert ratios
        geomean = math.exp(statistics.fmean(math.log(x) for x in ratios))
        assert close(line["speedup_vs_scipy_f64"], geomean)


def test_accuracy_table_equals_the_rows(rendered):
    md = (rendered["out"] / "report.md").read_text()
    ok = [r for r in rendered["rows"] if r["status"] == "ok"]
    for caption, derivative in (
        ("Accuracy against the oracle (order 0, worst over cases)", False),
        ("Accuracy of derivative orders (order > 0, worst over cases)", True),
    ):
        table = markdown_table(md, caption)
        rows = [r for r in ok if (r["order"] != 0) == derivative]
        assert len(table) == len({(r["impl"], r["dtype"]) for r in rows})
        for line in table:
            group = [r for r in rows if (r["impl"], r["dtype"]) == (line["impl"], line["dtype"])]
            assert int(line["cases"]) == len(group)
            assert line["out_dtype"] == " ".join(sorted({r["out_dtype"] for r in group}))
            assert close(line["max_abs_error"], max(r["max_abs_error"] for r in group))
            assert close(line["mean_bias"], statistics.fmean(r["bias"] for r in group))
            grey = [r["max_grey_levels"] for r in group if r["max_grey_levels"] is not None]
            assert close(line["max_grey_levels"], max(grey) if grey else math.nan)


def test_recommendation_is_the_fastest_within_budget(rendered):
    md = (rendered["out"] / "report.md").read_text()
    table = markdown_table(md, "Fastest implementation within budget")
    # derivatives and outputs of another dtype than asked for are not candidates
    ok = [
        r
        for r in rendered["rows"]
        if r["status"] == "ok" and r["order"] == 0 and r["out_dtype"] == r["dtype"]
    ]
    assert table
    for line in table:
        budget = 1.0 if line["dtype"] == "uint8" else 1e-3
        assert close(line["budget"], budget)
        group = [
            r
            for r in ok
            if r["dtype"] == line["dtype"]
            and "x".join(map(str, r["shape"])) == line["shape"]
            and f"{r['sigma']:g}" == line["sigma"]
        ]
        per_impl = {}
        for impl in {r["impl"] for r in group}:
            mine = [r for r in group if r["impl"] == impl]
            error = max(
                r["max_grey_levels"] if line["dtype"] == "uint8" else r["max_abs_error"]
                for r in mine
            )
            per_impl[impl] = (statistics.median(r["median_ns"] for r in mine), error)
        within = {i: v for i, v in per_impl.items() if v[1] <= budget}
        best = min(within, key=lambda i: within[i][0])
        assert line["recommended"] == best
        assert close(line["median_ms"], within[best][0] / 1e6)
        assert line["within_budget"] == f"{len(within)}/{len(per_impl)}"
    # The synthetic run makes Pillow the fastest uint8 implementation but 5 grey levels off.
    uint8 = [line for line in table if line["dtype"] == "uint8"]
    assert uint8 and all(line["fastest_overall"] == "pillow" for line in uint8)
    assert all(line["recommended"] == "opencv-1t" for line in uint8)
    assert "Not recommended for their dtype, because they return another one: skimage uint8 " in md


def _case_key(row: dict) -> str:
    return json.dumps([row[k] for k in ("family", "shape", "sigma", "mode", "truncate", "cval")])


def test_opening_table_ranks_implementations_on_the_same_cases(rendered):
    """The first table: per dtype, recomputed here from the raw rows."""
    md = (rendered["out"] / "report.md").read_text()
    opening = md.split("## What should I use?\n\n", 1)[1].split("\n## ", 1)[0]
    table = markdown_table(
        opening, "Recommendation: fastest implementation within the error budget, per dtype"
    )
    assert [line["dtype"] for line in table][:3] == ["uint8", "float32", "float64"]
    ok = [
        r
        for r in rendered["rows"]
        if r["status"] == "ok" and r["order"] == 0 and r["out_dtype"] == r["dtype"]
    ]
    for line in table:
        dtype = line["dtype"]
        # one band per dtype; no nearest rows, so SciPy's most frequent mode is the reference
        assert line["sizes/sigmas"] == "all, mode reflect"
        mine = [r for r in ok if r["dtype"] == dtype]
        scipy = {
            _case_key(r): r["median_ns"]
            for r in mine
            if r["impl"] == "scipy" and r["mode"] == "reflect" and r["cval"] == 0.0
        }
        assert int(line["cases"]) == len(scipy)
        budget = 1.0 if dtype == "uint8" else 1e-3
        unit = "max_grey_levels" if dtype == "uint8" else "max_abs_error"
        standing = {}
        for impl in {r["impl"] for r in mine}:
            rows = {_case_key(r): r for r in mine if r["impl"] == impl}
            if set(scipy) - set(rows):
                continue  # did not run every case SciPy ran: not compared
            ratios = [scipy[k] / rows[k]["median_ns"] for k in scipy]
            geomean = math.exp(statistics.fmean(math.log(x) for x in ratios))
            standing[impl] = (geomean, max(rows[k][unit] for k in scipy), min(ratios), max(ratios))
        within = {i: v for i, v in standing.items() if v[1] <= budget}
        best = max(within, key=lambda i: within[i][0])
        assert line["use"] == best
        speed, spread = line["speedup vs SciPy"].split(" ", 1)
        assert math.isclose(float(speed.rstrip("x")), standing[best][0], rel_tol=6e-3)
        low, high = spread.strip("()").split("-")
        assert math.isclose(float(low), standing[best][2], rel_tol=6e-3)
        assert math.isclose(float(high), standing[best][3], rel_tol=6e-3)
        scipy_error = float(line["SciPy's worst error"].split(" ")[0])
        assert math.isclose(scipy_error, standing["scipy"][1], rel_tol=6e-3)
        assert ("over budget" in line["SciPy's worst error"]) == (standing["scipy"][1] > budget)
        # the finding under the table says the same, with its evidence
        (sentence,) = [s for s in opening.splitlines() if s.startswith(f"{dtype}, mode reflect (")]
        assert f"{len(scipy)} case(s)" in sentence and f"use {best}:" in sentence
    uint8 = next(line for line in table if line["dtype"] == "uint8")
    # SciPy's uint8 misses the 1-grey-level budget in the synthetic run, and the finding says why
    assert "over budget" in uint8["SciPy's worst error"]
    assert "truncates its float result toward zero" in opening
    # Pillow is the fastest uint8 implementation of the synthetic run, but it ran none of the
    # reference cases (mode reflect): it is neither recommended nor "fastest overall"
    assert all("pillow" not in (line["use"] + line["fastest overall"]) for line in table)
    assert all(line["implementations ranked"] for line in table)
    assert "Budgets: 1 grey level(s) for integer outputs" in opening


def test_header_shows_environment_and_unstable_rows(rendered):
    md = (rendered["out"] / "report.md").read_text()
    env = {row["item"]: row["value"] for row in markdown_table(md, "Environment")}
    meta = json.loads((rendered["run"] / "run.json").read_text())
    assert env["scipy"] == meta["versions"]["scipy"]
    assert env["dask"] == "unavailable"
    assert close(env["copy bandwidth (GB/s)"], meta["bandwidth_gbs"])
    assert env["CPU"] == meta["cpu"]["model"]
    unstable = [r for r in rendered["rows"] if r.get("unstable")]
    timed = [r for r in rendered["rows"] if r["status"] == "ok"]
    assert f"{len(unstable)} of {len(timed)} timed rows are flagged unstable" in md
    table = markdown_table(md, "Unstable measurements per implementation")
    assert [(t["impl"], int(t["unstable"])) for t in table] == [(unstable[0]["impl"], 1)]
    assert table[0]["example_reason"] == unstable[0]["unstable_reason"]
    assert int(table[0]["timed"]) == len([r for r in timed if r["impl"] == unstable[0]["impl"]])
    problems = markdown_table(md, "Cases that did not run, and why")
    assert {(p["impl"], p["status"]) for p in problems} == {
        (r["impl"], r["status"]) for r in rendered["rows"] if r["status"] != "ok"
    }


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(page: str) -> list[tuple[str, dict]]:
    collector = _Collector()
    collector.feed(page)
    return collector.tags


def test_every_image_is_a_valid_png_embedded_in_the_page(rendered):
    from PIL import Image

    out = rendered["out"]
    files = {p.read_bytes() for p in out.glob("*.png")}
    for path in out.glob("*.png"):
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), path
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.size[0] > 100 and image.size[1] > 100
    page = (out / "index.html").read_text()
    images = [attrs for tag, attrs in parse(page) if tag == "img"]
    assert len(images) == len(files)
    for attrs in images:
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix)
        assert base64.b64decode(attrs["src"][len(prefix) :]) in files
    md = (out / "report.md").read_text()
    for path in out.glob("*.png"):
        assert f"]({path.name})" in md


def test_html_has_no_external_references(rendered):
    page = rendered["index"].read_text()
    assert "://" not in page
    assert "@import" not in page and "url(" not in page
    for tag, attrs in parse(page):
        assert tag not in {"script", "link", "iframe", "object", "embed", "base", "frame"}
        for name in ("src", "href", "action", "poster", "data", "srcset", "background"):
            if name in attrs:
                assert attrs[name].startswith(("data:", "#")), (tag, name, attrs[name][:60])


def test_hostile_text_is_escaped(tmp_path):
    script = "<script>alert(1)</script>"
    rows = [
        report_runs.make_row("scipy", "float64", (64, 64), 1.0, "reflect", seed=1),
        report_runs.make_row(script, "float64", (64, 64), 1.0, "reflect", seed=2),
        report_runs.make_row(
            "opencv-1t",
            "float64",
            (64, 64),
            2.5,
            "reflect",
            status="error",
            reason='<img src=x onerror="alert(2)"> & </table>',
        ),
    ]
    meta = report_runs.run_meta(host="<b>evil</b>", platform="</style><script>x()</script>")
    meta["cpu"]["model"] = "<iframe src=//evil>"
    run = report_runs.write_run(tmp_path / "run", rows, meta)
    index = render_report(run, out_dir=tmp_path / "out", formats=("md", "html"))
    page = index.read_text()
    tags = parse(page)
    assert [t for t, _ in tags if t in {"script", "iframe", "b"}] == []
    assert all(a["src"].startswith("data:") for t, a in tags if t == "img")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;iframe src=//evil&gt;" in page
    assert "&lt;img src=x onerror=" in page
    assert page.count("<table>") == page.count("</table>")
    md = (tmp_path / "out" / "report.md").read_text()
    assert script not in md and "&lt;script>alert(1)&lt;/script>" in md


def test_cli_refuses_a_missing_run_and_an_unknown_format(tmp_path):
    missing = gfbench_inproc("report", str(tmp_path / "nope"), "--out", str(tmp_path / "o1"))
    assert missing.returncode == 2
    assert "RUN" in missing.stderr and "not a run folder" in missing.stderr
    run = report_runs.write_run(tmp_path / "run")
    result = gfbench_inproc("report", str(run), "--format", "md,pdf", "--out", str(tmp_path / "o2"))
    assert result.returncode == 2
    assert "--format" in result.stderr and "md, html" in result.stderr
    for name in ("o1", "o2"):
        assert not (tmp_path / name).exists(), "nothing may be written on bad input"


def test_empty_and_older_runs_are_refused_by_name(tmp_path):
    # the same UsageError the CLI turns into exit 2 (checked above through a subprocess)
    empty = report_runs.write_run(tmp_path / "empty", rows=[])
    with pytest.raises(UsageError, match=r"RUN: .* holds no cases"):
        render_report(empty, out_dir=tmp_path / "o1")
    old = report_runs.write_run(tmp_path / "old", meta=report_runs.run_meta(schema_version=0))
    with pytest.raises(UsageError, match="schema_version 0"):
        render_report(old, out_dir=tmp_path / "o2")
    run = report_runs.write_run(tmp_path / "run")
    with pytest.raises(UsageError, match="--budget-abs"):
        render_report(run, out_dir=tmp_path / "o3", budget_abs=-1.0)
    for name in ("o1", "o2", "o3"):
        assert not (tmp_path / name).exists(), "nothing may be written on bad input"
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    with pytest.raises(UsageError, match=r"--out: .*a_file.* exists and is not a folder"):
        render_report(run, out_dir=a_file)
    assert a_file.read_text() == "keep me"


def test_cli_run_with_only_error_rows_says_what_is_missing(tmp_path):
    rows = [
        report_runs.make_row(
            "scipy", "float64", (64, 64), s, "reflect", status="error", reason=f"boom {s}"
        )
        for s in (1.0, 2.5)
    ]
    run = report_runs.write_run(tmp_path / "run", rows)
    result = gfbench_inproc(
        "report", str(run), "--out", str(tmp_path / "out"), "--format", "md", "--json"
    )
    assert result.returncode == 0, result.stderr
    assert "no case of this run succeeded" in result.stderr
    answer = json.loads(result.stdout)
    assert answer["report"] == str(tmp_path / "out" / "report.md")
    assert "report.md" in answer["files"] and "index.html" not in answer["files"]
    assert "No timed rows: no speed summary." in answer["missing"]
    assert any("No case of this run succeeded" in text for text in answer["missing"])
    md = (tmp_path / "out" / "report.md").read_text()
    assert "No case of this run succeeded" in md
    assert "No timed rows: no speed summary." in md
    assert "boom 1" in md and "boom 2.5" in md
    assert not (tmp_path / "out" / "index.html").exists()
    assert "### Integer outputs are truncated after each pass" in md


class _Tables(HTMLParser):
    """Caption -> rows of cell texts, for the report's <div class="caption"> + <table> pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._in_caption = False
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "div" and ("class", "caption") in attrs:
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "div" and self._in_caption:
            self._in_caption = False
            self.tables[self._caption] = []
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._caption].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell.append(data)


def test_html_tables_hold_the_same_cells_as_the_markdown(rendered):
    md = (rendered["out"] / "report.md").read_text()
    parser = _Tables()
    parser.feed(rendered["index"].read_text())
    for caption in (
        "Speed summary",
        "Accuracy against the oracle (order 0, worst over cases)",
        "Fastest implementation within budget",
    ):
        html_rows = parser.tables[caption]
        md_rows = markdown_table(md, caption)
        assert html_rows[0] == list(md_rows[0].keys())
        assert html_rows[1:] == [list(row.values()) for row in md_rows]


def test_a_run_without_timing_reports_accuracy_and_says_speed_is_missing(tmp_path):
    timing = ("samples_ns", "min_ns", "median_ns", "mean_ns", "stdev_ns", "iqr_ns")
    timing += ("ci_low_ns", "ci_high_ns", "gbytes_per_s", "gflops_per_s", "bound_fraction")
    rows = report_runs.make_rows()
    for row in rows:
        row.update(dict.fromkeys(timing))
    run = report_runs.write_run(tmp_path / "run", rows)
    md = render_report(run, out_dir=tmp_path / "out", formats=("md",)).read_text()
    for text in (
        "This run holds no timing",
        "No timed rows: no speed summary.",
        "No timed rows of direct methods: no roofline plot.",
        "No rows carry both timing and accuracy: no Pareto chart.",
        "this run holds no timed SciPy float32 and float64 rows",
    ):
        assert text in md
    assert markdown_table(md, "Accuracy against the oracle (order 0, worst over cases)")
    assert not (tmp_path / "out" / "roofline.png").exists()
    assert (tmp_path / "out" / "error_vs_sigma.png").is_file()
