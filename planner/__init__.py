"""planner: optimisation-centred inventory replenishment planning.

Data flow: dataset -> validation + cleaning -> demand distributions -> joint scenarios
-> two-stage stochastic Pyomo model -> HiGHS -> plan tables, KPIs, report.
"""

__version__ = "0.1.0"
