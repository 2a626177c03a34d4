"""Registry of size-parametrised benchmark cases: SKUs x warehouses x suppliers x weeks x scenarios."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    skus: int
    warehouses: int
    suppliers: int
    weeks: int
    scenarios: int
    seed: int = 0

    @property
    def label(self) -> str:
        return f"{self.skus}x{self.warehouses}x{self.suppliers}x{self.weeks}x{self.scenarios}"

    def model_data(self):
        from planner.model.synthetic import synthetic_model_data

        return synthetic_model_data(
            self.skus, self.warehouses, self.suppliers, self.weeks, self.scenarios, seed=self.seed
        )


CASES = {
    c.name: c
    for c in (
        Case("tiny", 5, 2, 2, 8, 5),
        Case("small", 50, 3, 2, 12, 20),
        Case("mid", 150, 5, 3, 12, 50),  # between small and medium: where auto switches method
        Case("medium5", 500, 5, 3, 12, 5),  # medium with 5 scenarios: for the slow Pyomo paths
        Case("medium", 500, 5, 3, 12, 50),
        Case("large", 2000, 5, 3, 26, 50),
    )
}
