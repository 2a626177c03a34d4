"""Solving the stochastic model by parts, with the extensive form's answer.

    components  independent groups of series (no shared capacity, budget, transfer or service
                target) solved as separate models in parallel; exact
    benders     multi-cut L-shaped method over the committed (first-stage) orders, one
                subproblem per scenario; lower and upper bounds, stops at a relative gap
    ph          progressive hedging over scenarios, with a Lagrangian lower bound and a gap
    dispatch    `solve_data(data, options, method)`: `auto` picks one of the above or the
                extensive form
Every method returns a SolveResult laid out exactly like the extensive form's (same variable
families, same flat order), so `planner.results.summarise` and everything after it are
unchanged.
"""

from planner.decompose.dispatch import MethodOptions, choose_method, solve_data

__all__ = ["MethodOptions", "choose_method", "solve_data"]
