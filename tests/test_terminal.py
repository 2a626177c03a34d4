"""The terminal experience: results only when not on a terminal, bars and spinners when on one,
--quiet and --verbose, one style for warnings and errors, an example in every --help."""

import io
import re
import time
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import common, main
from planner.cli.common import Console, is_interactive, message
from planner.data.testing import write_minimal_dataset

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def mini(tmp_path) -> Path:
    data = write_minimal_dataset(tmp_path / "data")
    doc = {
        "name": "mini",
        "dataset": str(data),
        "plan": {"horizon_weeks": 4, "frozen_weeks": 1, "value_of_information": False},
        "forecast": {"model": "seasonal_naive", "paths": 40, "scenarios": 5, "seed": 3},
        "solver": {"time_limit_s": 60},
    }
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture
def no_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


# -- when not on a terminal ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["forecast", "plan"])
def test_not_a_tty_prints_results_only_no_progress_no_ansi(mini, tmp_path, no_ci, command):
    res = run(command, mini, "--out", tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert res.stderr == ""  # no progress, no bars, no spinner
    assert res.stdout.strip()
    assert "\r" not in res.output and not ANSI.search(res.output)


def test_quiet_prints_nothing_on_success_but_still_prints_errors(mini, tmp_path, no_ci):
    res = run("plan", mini, "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 0 and res.output == ""
    assert (tmp_path / "out" / "orders.csv").is_file()
    bad = run("plan", mini, "--quiet", "--set", "plan.horizon_wekes=3")
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: ") and "horizon_weeks" in bad.stderr


def test_verbose_prints_timestamped_progress_and_stage_timings_without_ansi(mini, tmp_path):
    res = run("plan", mini, "--out", tmp_path / "out", "--verbose")
    assert res.exit_code == 0, res.output
    err = res.stderr
    assert re.search(r"^\[\s*\d+\.\ds\] forecasting 4 series", err, re.M)
    assert re.search(r"^\[\s*\d+\.\ds\] building the model and solving with HiGHS", err, re.M)
    assert "stage timings (s):" in err
    for stage in ("forecast", "solve", "write"):
        assert re.search(rf"^  {stage}\s+\d+\.\d{{3}}\s+\d+\.\d%$", err, re.M), stage
    assert "\r" not in err and not ANSI.search(err)


# -- one style for warnings and errors -------------------------------------------------------


def test_warning_and_error_lines_share_one_style():
    buf = io.StringIO()
    con = Console(stream=buf)
    con.warn("stock above capacity\nin W1")
    con.error("invalid input: 2 problems found\n  - demand.csv, row 3: bad date")
    assert buf.getvalue() == (
        "warning: stock above capacity\n  in W1\n"
        "error: invalid input: 2 problems found\n  - demand.csv, row 3: bad date\n"
    )
    assert message("warning", "x\ny\n") == "warning: x\n  y"


def test_quiet_hides_warnings_not_errors():
    buf = io.StringIO()
    con = Console(quiet=True, stream=buf)
    con.warn("hidden")
    con.out("hidden too")
    con.progress("hidden as well")
    con.error("shown")
    assert buf.getvalue() == "error: shown\n"


def test_colour_only_on_a_terminal(no_ci):
    tty = FakeTTY()
    con = Console(stream=tty)
    assert con.interactive
    con.warn("careful")
    assert ANSI.search(tty.getvalue()) and ANSI.sub("", tty.getvalue()) == "warning: careful\n"
    pipe = io.StringIO()
    Console(stream=pipe).warn("careful")
    assert pipe.getvalue() == "warning: careful\n"


def test_usage_errors_are_exit_2_in_the_same_style(no_ci):
    res = run("plan")
    assert res.exit_code == 2
    assert "error: Missing argument 'SCENARIO'" in res.stderr
    assert "Error:" not in res.stderr and "plan [OPTIONS] SCENARIO" in res.stderr
    res = run("plan", "x.yaml", "--no-such-option")
    assert res.exit_code == 2 and "error: No such option" in res.stderr
    res = run()  # no command: the help, as a usage problem
    assert res.exit_code == 2 and "Commands:" in res.stderr and "error:" not in res.stderr


def test_unexpected_error_is_exit_1_with_traceback_only_when_verbose(mini, monkeypatch):
    from planner import pipeline

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "build_scenarios", boom)
    res = run("plan", mini)
    assert res.exit_code == 1
    assert res.stderr.startswith("error: unexpected RuntimeError: disk on fire")
    assert "Traceback" not in res.stderr and "--verbose" in res.stderr
    res = run("plan", mini, "--verbose")
    assert res.exit_code == 1 and "Traceback" in res.stderr


def test_python_warnings_print_in_the_console_style(mini, monkeypatch, tmp_path):
    import warnings

    from planner import pipeline

    real = pipeline.build_scenarios

    def noisy(*a, **k):
        warnings.warn("demand of SKU-9 looks odd", UserWarning, stacklevel=1)
        warnings.warn("old pandas option", FutureWarning, stacklevel=1)
        return real(*a, **k)

    monkeypatch.setattr(pipeline, "build_scenarios", noisy)
    res = run("plan", mini, "--out", tmp_path / "a")
    assert res.exit_code == 0, res.output
    assert res.stderr == "warning: demand of SKU-9 looks odd\n"
    res = run("plan", mini, "--out", tmp_path / "b", "--verbose")
    assert re.search(
        r"^warning: demand of SKU-9 looks odd \(UserWarning at .+:\d+\)$", res.stderr, re.M
    )
    assert "warning: old pandas option (FutureWarning" in res.stderr
    assert run("plan", mini, "--out", tmp_path / "c", "--quiet").output == ""


# -- on a terminal ---------------------------------------------------------------------------


def test_interactive_needs_a_tty_and_not_ci_nor_a_dumb_terminal(monkeypatch, no_ci):
    assert is_interactive(FakeTTY()) and not is_interactive(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not is_interactive(FakeTTY())
    monkeypatch.setenv("CI", "false")
    assert is_interactive(FakeTTY())
    monkeypatch.setenv("TERM", "dumb")
    assert not is_interactive(FakeTTY())


def test_bar_draws_on_a_terminal_and_is_silent_elsewhere():
    tty = FakeTTY()
    con = Console(stream=tty)
    con.interactive = True
    with con.bar(3, "sweep points") as bar:
        for _ in range(3):
            time.sleep(0.15)  # tqdm redraws at most every 0.1 s
            bar.update(1)
    assert "sweep points" in tty.getvalue() and "3/3" in tty.getvalue()
    pipe = io.StringIO()
    with Console(stream=pipe).bar(10, "sweep points") as bar:
        bar.update(10)
    assert pipe.getvalue() == ""


def test_no_spinner_under_an_open_bar():
    tty = FakeTTY()
    con = Console(stream=tty)
    con.interactive = True
    with con.bar(2, "sweep points") as bar:
        con.progress("point 1 of 2")
        time.sleep(0.25)
        assert con._live is None
        bar.update(2)
    assert "point 1 of 2" in tty.getvalue() and "\x1b[2K" not in tty.getvalue()


def test_bar_off_a_terminal_with_verbose_is_plain_lines():
    buf = io.StringIO()
    con = Console(verbose=True, stream=buf)
    with con.bar(8, "points") as bar:
        for _ in range(8):
            bar.update(1)
    lines = buf.getvalue().splitlines()
    assert [re.sub(r"^\[\s*\d+\.\ds\] ", "", x).split(" (")[0] for x in lines] == [
        "points: 2/8",
        "points: 4/8",
        "points: 6/8",
        "points: 8/8",
    ]
    assert "\r" not in buf.getvalue() and not ANSI.search(buf.getvalue())


def test_working_shows_an_elapsed_time_spinner_then_clears_it():
    tty = FakeTTY()
    con = Console(stream=tty)
    con.interactive = True
    with con.working("solving with HiGHS"):
        time.sleep(0.35)
    text = tty.getvalue()
    frames = re.findall(r"\r\x1b\[2K  ([|/\\-]) solving with HiGHS (\d+\.\d) s", text)
    assert len(frames) >= 3
    assert len({f[0] for f in frames}) >= 2  # the spinner turns
    assert float(frames[-1][1]) >= 0.2  # and counts elapsed time
    assert text.endswith("\r\x1b[2K")  # the line is cleared when the step ends
    pipe = io.StringIO()
    with Console(stream=pipe).working("solving with HiGHS"):
        time.sleep(0.15)
    assert pipe.getvalue() == ""


def test_tick_turns_the_live_line_into_a_bar_and_output_clears_it_first():
    tty = FakeTTY()
    con = Console(stream=tty)
    con.interactive = True
    con.progress("forecasting 10 series")
    for done in range(11):
        con.tick(done, 10)
    con.warn("one series is too short")
    text = tty.getvalue()
    assert "[" + "#" * 24 + "] 10/10 100%" in text
    warning = text.rsplit("\r\x1b[2K", 1)[1]
    assert ANSI.sub("", warning) == "warning: one series is too short\n"


def test_plan_on_a_simulated_terminal_shows_the_forecast_bar_and_solve_spinner(
    mini, tmp_path, monkeypatch, no_ci
):
    monkeypatch.setattr(common, "is_interactive", lambda stream: True)
    res = run("plan", mini, "--out", tmp_path / "out")
    assert res.exit_code == 0, res.output
    err = res.stderr
    assert "forecasting 4 series" in err
    assert re.search(r"\] 8/8 100%", err)  # backtest + forecast of 4 series
    assert "building the model and solving with HiGHS" in err
    assert "\x1b[2K" in err
    assert "\x1b" not in res.stdout  # results stay plain


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_forecast_panel_progress_counts_every_series_and_changes_nothing(n_jobs):
    import numpy as np

    from planner.forecast import forecast_panel

    rng = np.random.default_rng(5)
    ys = [rng.poisson(10 + 3 * k, 60).astype(float) for k in range(6)]
    ids = [f"s{k}" for k in range(6)]
    kw = {"model": "seasonal_naive", "season_length": 4, "n_paths": 50, "seed": 1}
    calls = []
    with_progress = forecast_panel(
        ys, ids, 4, n_jobs=n_jobs, progress=lambda d, t: calls.append((d, t)), **kw
    )
    plain = forecast_panel(ys, ids, 4, n_jobs=n_jobs, **kw)
    assert calls[0] == (0, 12) and calls[-1] == (12, 12)  # backtest (calibration) + forecast
    assert all(a[0] <= b[0] for a, b in pairwise(calls))
    assert np.array_equal(with_progress.paths, plain.paths)
    assert np.array_equal(with_progress.quantiles, plain.quantiles)


# -- help ------------------------------------------------------------------------------------


def test_every_registered_command_has_an_example_in_its_help():
    res = run("--help")
    assert res.exit_code == 0 and "Example" in res.output
    assert main.commands, "no commands registered"
    missing = [
        name for name in sorted(main.commands) if "Example" not in run(name, "--help").output
    ]
    assert missing == [], f"--help without an Example: {missing}"
