"""The pitfalls: every number in their text is measured (by a snippet the report runs, or from
the run's rows), so changing the run's data changes the text, and each number agrees with an
independent computation here."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest
import report_runs
from scipy import ndimage

from bench import store
from bench.report import frames, pitfalls
from bench.report.model import Code
from bench.report.pitfalls import peers


def load_frame(tmp_path, rows=None, name="run"):
    run = report_runs.write_run(tmp_path / name, rows)
    return frames.prepare(store.load(run))


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    return load_frame(tmp_path_factory.mktemp("pitfalls"))


@pytest.fixture(scope="module")
def found(frame):
    return {p.title: p for p in pitfalls.all_pitfalls(frame)}


def pitfall(found, start: str) -> pitfalls.Pitfall:
    (match,) = [p for title, p in found.items() if title.startswith(start)]
    return match


def test_every_pitfall_of_the_issue_is_there(found):
    assert len(found) == 11
    for p in found.values():
        assert p.snippet.source.strip() and p.consequence and p.fix


def test_snippets_run_on_their_own_and_print_what_the_report_shows(found, tmp_path):
    """Each snippet, executed alone in a fresh interpreter, prints the output shown."""
    codes = []
    for p in found.values():
        for code in (p.snippet, p.fix_snippet):
            if isinstance(code, Code) and code.output:
                codes.append(code)
    assert len(codes) >= 15
    script = tmp_path / "run_snippets.py"
    script.write_text(
        "import contextlib, io, json, sys\n"
        "out = []\n"
        "for source in json.load(open(sys.argv[1])):\n"
        "    buffer = io.StringIO()\n"
        "    with contextlib.redirect_stdout(buffer):\n"
        "        exec(compile(source, '<snippet>', 'exec'), {'__name__': '__main__'})\n"
        "    out.append(buffer.getvalue())\n"
        "print(json.dumps(out))\n"
    )
    sources = tmp_path / "sources.json"
    sources.write_text(json.dumps([c.source for c in codes]))
    result = subprocess.run(
        [sys.executable, str(script), str(sources)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [c.output for c in codes]


def test_truncation_numbers_are_scipys_and_the_runs(found, frame):
    p = pitfall(found, "Integer outputs")
    sigma = p.numbers["sigma"]
    tried = sorted({float(s) for s in frame["sigma"]} | {2.5})
    darkest = {
        s: int(ndimage.gaussian_filter(np.full((64, 64), 100, np.uint8), s).min()) for s in tried
    }
    assert sigma == min(tried, key=lambda s: (darkest[s], s))  # the largest drift shown
    assert list(p.numbers["drift"]["min"]) == [darkest[s] for s in tried]
    flat = ndimage.gaussian_filter(np.full((64, 64), 100, np.uint8), sigma)
    assert p.numbers["constant_100"] == [int(v) for v in np.unique(flat)]
    assert f"comes back as {int(flat[0, 0])}" in p.consequence
    assert p.numbers["constant_100"][0] < 100  # truncation only ever darkens
    img = np.random.default_rng(0).integers(0, 256, size=(256, 256)).astype(np.uint8)
    ideal = ndimage.gaussian_filter(img.astype(np.float64), sigma)
    bias = float((ndimage.gaussian_filter(img, sigma) - ideal).mean())
    assert p.numbers["bias"] == pytest.approx(bias)
    assert f"{bias:+.3f}" in p.consequence
    assert -1.5 < bias < -0.5  # measured on SciPy 1.17.1: about -1 grey level
    assert abs(p.numbers["fixed_bias"]) < 0.05 and p.numbers["fixed_worst"] <= 0.5 + 1e-3


def with_scipy_uint8_bias(rows, value):
    for row in rows:
        if row["impl"] == "scipy" and row["dtype"] == "uint8" and row["status"] == "ok":
            row["bias"] = value
    return rows


def test_run_bias_in_the_text_follows_the_data(tmp_path):
    texts = {}
    for value in (-0.777, -1.234):
        rows = with_scipy_uint8_bias(report_runs.make_rows(), value)
        frame = load_frame(tmp_path, rows, name=f"run{value}")
        texts[value] = pitfalls.integer_truncation(frame).consequence
    assert "scipy: mean bias -0.777" in texts[-0.777]
    assert "scipy: mean bias -1.234" in texts[-1.234]
    assert "-0.777" not in texts[-1.234]
    no_uint8 = [r for r in report_runs.make_rows() if r["dtype"] != "uint8"]
    text = pitfalls.integer_truncation(load_frame(tmp_path, no_uint8, "none")).consequence
    assert "holds no order-0 uint8 rows" in text


def test_float32_speed_comes_from_the_runs_timing_rows(tmp_path):
    for ratio in (1.37, 1.08):
        rows = report_runs.make_rows()
        f64 = {
            (tuple(r["shape"]), r["sigma"], r["mode"]): r["median_ns"]
            for r in rows
            if r["impl"] == "scipy" and r["dtype"] == "float64"
        }
        for r in rows:
            if r["impl"] == "scipy" and r["dtype"] == "float32":
                r["median_ns"] = f64[(tuple(r["shape"]), r["sigma"], r["mode"])] / ratio
        p = pitfalls.float32_speed(load_frame(tmp_path, rows, name=f"r{ratio}"))
        assert f"SciPy float32 is {ratio:.2f}x as fast as float64" in p.consequence
        assert p.numbers["scipy32_cases"] == len(f64)
        assert p.numbers["scipy32_median"] == pytest.approx(ratio)
    only64 = [r for r in report_runs.make_rows() if r["dtype"] != "float32"]
    p = pitfalls.float32_speed(load_frame(tmp_path, only64, name="only64"))
    assert "holds no timed SciPy float32" in p.consequence


def test_opencv_float32_speedup_is_the_runs(found, frame):
    p = pitfall(found, "In SciPy, float32")
    timed = frame[frame["status"] == "ok"]
    ref = timed[(timed.impl == "scipy") & (timed.dtype == "float64")].set_index("case_key")
    cv = timed[(timed.impl == "opencv-1t") & (timed.dtype == "float32")].set_index("case_key")
    ratio = float(np.median(ref.loc[cv.index, "median_ns"] / cv["median_ns"]))
    assert p.numbers["peer_median[opencv-1t]"] == pytest.approx(ratio)
    assert f"opencv-1t float32 was {ratio:.2f}x as fast" in p.fix


def test_unsigned_wrap(found, frame):
    p = pitfall(found, "Unsigned outputs")
    derivative = frame[(frame["dtype"] == "uint8") & (frame["order"].map(lambda o: o != 0))]
    worst = float(derivative[derivative["impl"] == "scipy"]["max_grey_levels"].max())
    assert p.numbers["run_worst"] == {("scipy", "uint8"): worst}
    assert f"scipy uint8: {worst:.4g} grey levels" in p.consequence
    assert p.numbers["ideal"] < 0
    # the stored value is the negative result wrapped modulo 256 (after per-pass truncation)
    assert p.numbers["stored"] > 128
    assert p.numbers["fixed"] == pytest.approx(p.numbers["ideal"], abs=0.01)
    assert (
        f"{p.numbers['ideal']:.2f}" in p.consequence and str(p.numbers["stored"]) in p.consequence
    )


def test_axis_order(found):
    p = pitfall(found, "Axis order")
    assert p.numbers["differing"] > 0 and p.numbers["largest"] >= 1
    assert p.numbers["float_largest"] < 1e-10
    assert p.numbers["fixed"] == 0
    assert f"changes {p.numbers['differing']} of" in p.consequence


def test_float16(found):
    p = pitfall(found, "float16")
    try:
        ndimage.gaussian_filter(np.ones((4, 4), np.float16), 1)
        expected = "accepted"
    except Exception as exc:
        expected = f"{type(exc).__name__}: {exc}"
    assert p.numbers["outcome"] == expected
    assert expected in p.consequence


def test_colour(found):
    p = pitfall(found, "A colour image")
    rgb = np.zeros((32, 32, 3))
    rgb[..., 0] = 255
    assert p.numbers["green"] == pytest.approx(ndimage.gaussian_filter(rgb, 2)[..., 1].max())
    assert p.numbers["green"] > 10 and p.numbers["fixed"] == 0.0


def test_mode_table_names_extend_like_scipy(found):
    """Each np.pad name listed for a SciPy mode gives the same filter result on padding."""
    table = pitfall(found, "Mode names").numbers["table"]
    assert len(table) == 8
    y = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0])
    weights = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
    for _, row in table.iterrows():
        assert row["np.pad"] != "none"
        for name in row["np.pad"].split(" = "):
            padded = np.pad(y, 2, mode=name)
            expected = np.correlate(padded, weights, mode="valid")
            got = ndimage.correlate1d(y, weights, mode=row["SciPy mode"])
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    modes = dict(zip(table["SciPy mode"], table["np.pad"], strict=True))
    assert modes["reflect"] == "symmetric" and modes["mirror"] == "reflect"


def test_radius_table(found, frame):
    p = pitfall(found, "SciPy's radius rule")
    table = p.numbers["table"]
    run_sigmas = sorted({float(s) for s in frame["sigma"]})
    assert list(table["sigma"]) == run_sigmas
    for _, row in table.iterrows():
        s = row["sigma"]
        assert row["SciPy taps (truncate 4)"] == 2 * math.floor(4 * s + 0.5) + 1
        # OpenCV's documented rule for float images, half-to-even like cvRound
        assert row["OpenCV float64 ksize (measured)"] == (round(8 * s + 1) | 1)
        assert row["uint8 rule reproduces auto"]


def test_small_sigma_width_matches_the_sampled_gaussian(found):
    table = pitfall(found, "At small sigma").numbers["table"]
    for _, row in table.iterrows():
        s = row["sigma asked"]
        r = int(4 * s + 0.5)
        x = np.arange(-r, r + 1)
        w = np.exp(-(x**2) / (2 * s * s))
        w /= w.sum()
        assert row["actual std"] == pytest.approx(np.sqrt(np.sum(w * x**2)), rel=1e-12)
    p = pitfall(found, "At small sigma")
    assert pitfalls.kernel_std(p.numbers["needed"]) == pytest.approx(p.numbers["target"], abs=1e-5)
    assert f"{p.numbers['actual']:.4f}" in p.consequence


def test_silent_noops(found):
    p = pitfall(found, "Silent no-ops")
    assert p.numbers["outcomes"] == {
        "sigma=0": True,
        "sigma=-1": True,
        "truncate=0": True,
        "sigma=0.1": True,
    }
    # radius int(4*sigma + 0.5) is 0 exactly while sigma < 0.125
    assert p.numbers["threshold"] == pytest.approx(0.125, abs=2e-6)
    assert f"{p.numbers['threshold']:.4f}" in p.consequence


NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _evidence(p: pitfalls.Pitfall) -> set[str]:
    """Every number printed by the pitfall's snippets, written in their source, in its tables,
    or formatted from a value it computed."""
    texts = [p.snippet.source, p.snippet.output]
    if p.fix_snippet is not None:
        texts += [p.fix_snippet.source, p.fix_snippet.output]
    for table in p.tables:
        texts += [cell for row in table.rows for cell in row]
    values: list[object] = []
    for value in p.numbers.values():
        if isinstance(value, dict):
            values += list(value.values())
        elif isinstance(value, (list, tuple)):
            values += list(value)
        elif hasattr(value, "to_numpy"):
            values += list(value.to_numpy().ravel())
        else:
            values.append(value)
    for value in values:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            texts.append(str(value))
            continue
        for spec in ("", ".0f", ".1f", ".2f", ".3f", "+.3f", ".4f", ".3g", ".4g", "g", ".1e"):
            texts.append(format(value, spec))
        if isinstance(value, float) and value != 0:
            texts.append(format(100 * value, ".0f"))
    found: set[str] = set()
    for text in texts:
        found.update(m.lstrip("+") for m in NUMBER.findall(str(text)))
    return found


def test_no_number_in_the_prose_is_typed_in(found):
    """Each number in a pitfall's consequence and fix comes from a snippet, a table or a value
    computed at render time (the run's rows included); none is written into the prose."""
    from bench.report.pitfalls.peers import version as _version

    for p in found.values():
        evidence = _evidence(p) | set(NUMBER.findall(_version("scipy")))
        for text in (p.consequence, p.fix):
            for number in NUMBER.findall(text):
                assert number.lstrip("+") in evidence, (p.title, number, text)


def test_missing_peers_are_reported_unavailable_not_a_crash(frame, monkeypatch):
    real = peers.optional
    missing = ("cv2", "skimage.filters", "PIL.ImageFilter")
    monkeypatch.setattr(peers, "optional", lambda name: None if name in missing else real(name))
    found = {p.title: p for p in pitfalls.all_pitfalls(frame)}
    assert len(found) == 11
    radius = pitfall(found, "SciPy's radius rule")
    assert "OpenCV is unavailable" in radius.consequence
    table = pitfall(found, "Mode names").numbers["table"]
    assert set(table["OpenCV borderType"]) == {"unavailable"}
    assert set(table["scikit-image"]) == {"unavailable"} and set(table["Pillow"]) == {"unavailable"}
    errors, description = pitfalls.integer_error_samples(frame)
    assert set(errors) == {"SciPy uint8", "correctly rounded"}
    assert "OpenCV is unavailable" in description
