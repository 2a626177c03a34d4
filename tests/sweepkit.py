"""What the sweep tests share: sweep.csv's outcome columns as DESIGN.md lists them."""

DESIGN_OUTCOME = [
    "status",
    "objective",
    "purchase",
    "logistics",
    "fixed",
    "holding",
    "shortage",
    "transfer",
    "terminal",
    "fill_rate",
    "total_orders",
    "orders_this_week",
    "bottlenecks",
    "run_dir",
]
