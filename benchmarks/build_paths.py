"""Every way of getting the replenishment model from Pyomo into HiGHS, measured side by side.

    python benchmarks/build_paths.py --size small,medium5 [--paths a,b,...] [--solve]
                                     [--json RUN.json] [--markdown benchmarks/results/build_paths.md]
    python benchmarks/build_paths.py --render RUN1.json,RUN2.json --markdown OUT.md

Each path builds the model from the same ModelData and hands it to a `highspy.Highs`
instance; build and hand-over are timed separately, each path in a fresh subprocess so that
its peak memory (ru_maxrss) is its own. The direct-highspy reference (benchmarks/reference.py)
is measured in the same run and every ratio is path / reference. With --solve every path's
LP is also solved and its optimum compared with the reference's (same LP, same optimum).

Paths (build -> hand-over):
  reference          scipy matrix from ModelData -> HighsLp + passModel (no Pyomo: the floor)
  matrix             planner default: MatrixConstraint families + LazyVar, numpy assembly ->
                     arrays read straight from the components (planner.model.standard_form)
  environ            the expression builder (`build_model(backend="environ")`: component
                     rules with LinearExpression/sum) -> Pyomo's LinearStandardFormCompiler
  rules              Constraint rules summing coef * var with Python operators -> compiler
  quicksum           Constraint rules with pyo.quicksum -> compiler
  linear_expression  Constraint rules returning LinearExpression(coefs, vars) -> compiler
  kernel             pyomo.kernel: variable_list + matrix_constraint per family -> arrays
                     read from the matrix_constraints (columns mapped through the variables)
  lp_writer          the expression builder -> Pyomo's LP writer -> Highs.readModel
  appsi              the expression builder -> pyomo.contrib.appsi Highs.set_instance
  contrib            the expression builder -> pyomo.contrib.solver Highs.set_instance
  matrix_compiler    the matrix model -> Pyomo's LinearStandardFormCompiler (shows that the
                     fast model is a real Pyomo model every Pyomo tool can read)
The rules/quicksum/linear_expression/kernel paths take their rows from the same numpy
assembly as `matrix` (planner.model.build_matrix.model_arrays), so the difference between them
is the cost of the Pyomo objects alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.cases import CASES  # noqa: E402

PATHS = (
    "reference",
    "matrix",
    "environ",
    "rules",
    "quicksum",
    "linear_expression",
    "kernel",
    "lp_writer",
    "appsi",
    "contrib",
    "matrix_compiler",
)
REL_TOL = 1e-6


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _highs():
    from planner.solve import new_highs

    h = new_highs()
    h.setOptionValue("output_flag", False)
    return h


def _pass(lp):
    h = _highs()
    h.passModel(lp)
    return h


# ---------------------------------------------------------------- builders


def _expression_model(data, style: str):
    """A pyomo.environ model whose rows are built by rules in the given expression style."""
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    from planner.model.build_matrix import model_arrays

    arrays = model_arrays(data)
    cols = arrays.columns
    m = pyo.ConcreteModel()
    xs: list = []
    for b in cols.blocks:
        lo, hi = b.lb, b.ub
        uniform = b.size and (lo == lo[0]).all() and (hi == hi[0]).all()
        if uniform:
            bounds = (None if lo[0] == -np.inf else lo[0], None if hi[0] == np.inf else hi[0])
        else:

            def bounds(_m, k, lo=lo, hi=hi):
                return (None if lo[k] == -np.inf else lo[k], None if hi[k] == np.inf else hi[k])

        var = pyo.Var(range(b.size), domain=b.domain, bounds=bounds)
        setattr(m, b.name, var)
        xs.extend(var.values())

    def linear(coefs, variables):
        if style == "rules":
            return sum(c * v for c, v in zip(coefs, variables, strict=True))
        if style == "quicksum":
            return pyo.quicksum(c * v for c, v in zip(coefs, variables, strict=True))
        return LinearExpression(constant=0.0, linear_coefs=coefs, linear_vars=variables)

    for rows in arrays.families:
        A = rows.matrix(cols.size)
        lb, ub = rows.lb, rows.ub

        def rule(_m, r, A=A, lb=lb, ub=ub):
            lo, hi = A.indptr[r], A.indptr[r + 1]
            body = linear(A.data[lo:hi].tolist(), [xs[j] for j in A.indices[lo:hi].tolist()])
            if lb[r] == ub[r]:
                return body == float(ub[r])
            if lb[r] == -np.inf:
                return body <= float(ub[r])
            return body >= float(lb[r])

        setattr(m, rows.name, pyo.Constraint(range(rows.n_rows), rule=rule))
    nz = np.flatnonzero(arrays.cost)
    m.total_cost = pyo.Objective(
        expr=linear(arrays.cost[nz].tolist(), [xs[j] for j in nz.tolist()]), sense=pyo.minimize
    )
    return m


def _kernel_model(data):
    """pyomo.kernel: one variable_list per family, one matrix_constraint per family."""
    import pyomo.kernel as pmo
    from pyomo.core.expr.numeric_expr import LinearExpression

    from planner.model.build_matrix import model_arrays

    arrays = model_arrays(data)
    cols = arrays.columns
    b = pmo.block()
    xs: list = []
    for blk in cols.blocks:
        domain = pmo.IntegerSet if blk.integer else pmo.RealSet
        lo = [None if v == -np.inf else v for v in blk.lb.tolist()]
        hi = [None if v == np.inf else v for v in blk.ub.tolist()]
        vl = pmo.variable_list(
            pmo.variable(domain_type=domain, lb=lo[k], ub=hi[k]) for k in range(blk.size)
        )
        setattr(b, blk.name, vl)
        xs.extend(vl)
    b._x = xs
    for rows in arrays.families:
        setattr(
            b,
            rows.name,
            pmo.matrix_constraint(rows.matrix(cols.size), lb=rows.lb, ub=rows.ub, x=xs),
        )
    nz = np.flatnonzero(arrays.cost)
    b.total_cost = pmo.objective(
        LinearExpression(
            constant=0.0, linear_coefs=arrays.cost[nz].tolist(), linear_vars=[xs[j] for j in nz]
        )
    )
    return b


# ---------------------------------------------------------------- hand-overs


def _compiler_handover(model):
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    from planner.solve import highs_lp

    sf = LinearStandardFormCompiler().write(model, mixed_form=True)
    lp, _ = highs_lp(sf)
    return _pass(lp)


def _kernel_handover(b):
    """The LP read from the kernel model: matrices from the matrix_constraints, bounds and
    costs from the variables (columns found by identity)."""
    import highspy
    import pyomo.kernel as pmo
    import scipy.sparse as sp

    xs = b._x
    col = {id(v): k for k, v in enumerate(xs)}
    blocks, lo, hi = [], [], []
    for c in b.children(ctype=pmo.constraint._ctype):
        if isinstance(c, pmo.matrix_constraint):
            blocks.append(c.A)
            lo.append(np.asarray(c.lb, float))
            hi.append(np.asarray(c.ub, float))
    A = sp.vstack(blocks, format="csr")
    inf = highspy.kHighsInf
    col_lo = np.fromiter((-inf if v.lb is None else v.lb for v in xs), float, len(xs))
    col_hi = np.fromiter((inf if v.ub is None else v.ub for v in xs), float, len(xs))
    integer = np.fromiter((v.is_integer() for v in xs), bool, len(xs))
    cost = np.zeros(len(xs))
    expr = b.total_cost.expr
    cost[[col[id(v)] for v in expr.linear_vars]] = expr.linear_coefs
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_, lp.col_upper_ = col_lo, col_hi
    lo, hi = np.concatenate(lo), np.concatenate(hi)
    lp.row_lower_ = np.where(np.isinf(lo), -inf, lo)
    lp.row_upper_ = np.where(np.isinf(hi), inf, hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    if integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
            for f in integer
        ]
    return _pass(lp)


def _lp_writer_handover(model):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.lp")
        model.write(path, format="lp", io_options={"symbolic_solver_labels": False})
        h = _highs()
        h.readModel(path)
    return h


def _appsi_handover(model):
    from pyomo.contrib.appsi.solvers.highs import Highs

    opt = Highs()
    opt.set_instance(model)
    return opt._solver_model


def _contrib_handover(model):
    from pyomo.contrib.solver.solvers.highs import Highs

    opt = Highs()
    if getattr(opt, "_active_config", None) is None:
        opt._active_config = opt.config
    opt.set_instance(model)
    return opt._solver_model


def _environ(data):
    from planner.model.build import build_model

    return build_model(data, backend="environ")[0]


def _matrix(data):
    from planner.model.build import build_model

    return build_model(data, backend="matrix")[0]


def _matrix_handover(model):
    from planner.solve import compile_model, pass_model

    h = _highs()
    pass_model(h, compile_model(model))
    return h


def _reference_build(data):
    from benchmarks.reference import build_reference

    return build_reference(data)


def _reference_handover(ref):
    from benchmarks.reference import pass_reference

    h = _highs()
    pass_reference(h, ref)
    return h


RECIPES = {
    "reference": (_reference_build, _reference_handover),
    "matrix": (_matrix, _matrix_handover),
    "environ": (_environ, _compiler_handover),
    "rules": (lambda d: _expression_model(d, "rules"), _compiler_handover),
    "quicksum": (lambda d: _expression_model(d, "quicksum"), _compiler_handover),
    "linear_expression": (
        lambda d: _expression_model(d, "linear_expression"),
        _compiler_handover,
    ),
    "kernel": (_kernel_model, _kernel_handover),
    "lp_writer": (_environ, _lp_writer_handover),
    "appsi": (_environ, _appsi_handover),
    "contrib": (_environ, _contrib_handover),
    "matrix_compiler": (_matrix, _compiler_handover),
}


def measure(path: str, case_name: str, solve: bool) -> dict:
    """Build and hand over (and solve) one path on one case, in this process."""
    import logging

    logging.getLogger("pyomo").setLevel(logging.ERROR)
    build, handover = RECIPES[path]
    handover(build(CASES["tiny"].model_data()))  # warm-up: imports and first calls untimed
    data = CASES[case_name].model_data()
    t0 = time.perf_counter()
    model = build(data)
    t1 = time.perf_counter()
    h = handover(model)
    t2 = time.perf_counter()
    out = {
        "path": path,
        "case": case_name,
        "build": t1 - t0,
        "handover": t2 - t1,
        "variables": int(h.getNumCol()),
        "constraints": int(h.getNumRow()),
        "nonzeros": int(h.getNumNz()),
        "peak_mb": _peak_mb(),
        "objective": None,
        "status": "not solved",
    }
    if solve:
        h.setOptionValue("output_flag", False)
        h.run()
        out["status"] = h.modelStatusToString(h.getModelStatus())
        out["objective"] = float(h.getInfo().objective_function_value)
        out["solve"] = time.perf_counter() - t2
    return out


def _child(path: str, case: str, solve: bool, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--child", path, "--size", case]
    if solve:
        cmd.append("--solve")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"path": path, "case": case, "error": f"did not finish within {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"path": path, "case": case, "error": tail}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _best(case: str, path: str, solve: bool, timeout: float, repeat: int) -> dict:
    """The fastest (build + hand-over) of `repeat` measurements; all are kept in "repeats"."""
    runs = [_child(path, case, solve, timeout) for _ in range(max(1, repeat))]
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    best = min(ok, key=lambda r: r["build"] + r["handover"])
    return {**best, "repeats": [{k: r[k] for k in ("build", "handover")} for r in ok]}


def run(cases: list[str], paths: list[str], solve: bool, timeout: float, repeat=1) -> list[dict]:
    rows = []
    for case in cases:
        ref = _best(case, "reference", solve, timeout, repeat)
        rows.append(ref)
        _print_row(ref)
        for path in paths:
            if path == "reference":
                continue
            r = _best(case, path, solve, timeout, repeat)
            if "error" not in r and "error" not in ref:
                r["ratio_build_handover"] = (r["build"] + r["handover"]) / (
                    ref["build"] + ref["handover"]
                )
                r["ratio_peak"] = r["peak_mb"] / ref["peak_mb"]
                if solve and r["objective"] is not None and ref["objective"] is not None:
                    rel = abs(r["objective"] - ref["objective"]) / max(1.0, abs(ref["objective"]))
                    r["agrees"] = bool(rel <= REL_TOL and r["status"] == ref["status"])
            rows.append(r)
            _print_row(r)
    return rows


def _print_row(r: dict) -> None:
    if "error" in r:
        print(f"{r['case']:<9}{r['path']:<19} ERROR {r['error']}", flush=True)
        return
    bh = r["build"] + r["handover"]
    print(
        f"{r['case']:<9}{r['path']:<19}{r['build']:>9.2f}{r['handover']:>10.2f}{bh:>9.2f}"
        f"{r.get('ratio_build_handover', 1.0):>8.1f}x{r['peak_mb']:>9.0f}"
        f"{r.get('ratio_peak', 1.0):>7.2f}x  {r['status']}"
        + {True: " same optimum", False: " DIFFERENT OPTIMUM"}.get(r.get("agrees"), ""),
        flush=True,
    )


def markdown(rows: list[dict], meta: dict) -> str:
    out = [
        "# Pyomo build paths: build + hand-over to HiGHS",
        "",
        "Generated by `python benchmarks/build_paths.py` "
        f"(Python {meta['python']}, {meta['cpus']} CPUs, machine shared with other jobs, so "
        "seconds are indicative; ratios are measured in the same run). Build = ModelData -> "
        "model object; hand-over = model object -> a `highspy.Highs` holding the LP. Peak = "
        "the subprocess's peak resident memory (includes the ModelData and Python itself). "
        "Ratios are path / reference (direct highspy, no Pyomo). With --repeat N a row is the "
        "fastest of N runs of the path.",
        "",
    ]
    for case in dict.fromkeys(r["case"] for r in rows):
        sub = [r for r in rows if r["case"] == case]
        ref = next((r for r in sub if r["path"] == "reference" and "error" not in r), None)
        size = CASES[case].label
        vars_ = f"{ref['variables']:,} variables, {ref['constraints']:,} rows" if ref else ""
        out += [
            f"## {case} ({size}: {vars_})",
            "",
            "| path | build s | hand-over s | build + hand-over s | vs reference | peak MB "
            "| vs reference | LP check |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in sub:
            if "error" in r:
                out.append(f"| {r['path']} | | | | | | | failed: {r['error']} |")
                continue
            check = r["status"]
            if "agrees" in r:
                check = "same optimum" if r["agrees"] else "DIFFERENT OPTIMUM"
            elif r["path"] != "reference" and ref:
                same = (r["variables"], r["constraints"]) == (ref["variables"], ref["constraints"])
                check = "same size" if same else f"{r['variables']:,} x {r['constraints']:,}"
            out.append(
                f"| {r['path']} | {r['build']:.2f} | {r['handover']:.2f} | "
                f"{r['build'] + r['handover']:.2f} | {r.get('ratio_build_handover', 1.0):.2f}x | "
                f"{r['peak_mb']:.0f} | {r.get('ratio_peak', 1.0):.2f}x | {check} |"
            )
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", default="small", help="case names: " + ", ".join(CASES))
    ap.add_argument("--paths", default=",".join(PATHS), help="paths: " + ", ".join(PATHS))
    ap.add_argument("--solve", action="store_true", help="also solve and compare optima")
    ap.add_argument(
        "--repeat", type=int, default=1, help="measure each path N times, keep the fastest"
    )
    ap.add_argument("--timeout", type=float, default=1800.0, help="per path and case (s)")
    ap.add_argument("--json", type=Path, default=None, help="append the raw results here")
    ap.add_argument("--markdown", type=Path, default=None, help="write the tables here")
    ap.add_argument(
        "--render",
        default=None,
        help="comma-separated JSON files of earlier runs: write their tables to --markdown",
    )
    ap.add_argument("--child", choices=PATHS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.render:
        runs = [json.loads(Path(f).read_text()) for f in args.render.split(",")]
        text = markdown([r for run in runs for r in run["rows"]], runs[0]["meta"]) + "\n"
        if args.markdown:
            args.markdown.write_text(text)
        print(text)
        return 0
    if args.child:
        print(json.dumps(measure(args.child, args.size, args.solve)))
        return 0
    cases, paths = args.size.split(","), args.paths.split(",")
    bad = [c for c in cases if c not in CASES] + [p for p in paths if p not in PATHS]
    if bad:
        ap.error(f"unknown case or path: {', '.join(bad)}")
    print(
        f"{'case':<9}{'path':<19}{'build':>9}{'handover':>10}{'b+h':>9}{'ratio':>9}"
        f"{'peak MB':>9}{'ratio':>8}"
    )
    rows = run(cases, paths, args.solve, args.timeout, args.repeat)
    meta = {"python": platform.python_version(), "cpus": os.cpu_count(), "repeat": args.repeat}
    if args.json:
        old = json.loads(args.json.read_text())["rows"] if args.json.exists() else []
        args.json.write_text(json.dumps({"meta": meta, "rows": old + rows}, indent=1))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(rows, meta) + "\n")
        print(f"written: {args.markdown}")
    bad_lp = [r["path"] for r in rows if r.get("agrees") is False]
    if bad_lp:
        print(f"DIFFERENT OPTIMUM: {', '.join(bad_lp)}")
    return 1 if bad_lp else 0


if __name__ == "__main__":
    sys.exit(main())
