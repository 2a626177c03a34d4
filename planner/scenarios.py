"""Demand distributions -> joint scenarios -> a reduced set with probabilities.

Path `k` of every series is taken together as joint scenario `k` (the forecasters keep any
dependence across series in how they index their paths). The joint paths are then reduced to
`n_scenarios` by k-means clustering: each scenario is the mean of a cluster of paths and its
probability is the cluster's share of the paths. Cluster means keep the expected demand of the
sampled paths exactly, so the expected-value (EV) plan is the same whether it is computed from
the paths or from the scenarios.

Clustering runs on the paths scaled per series (so a fast mover does not drown the slow ones)
and, for very wide problems, on a seeded random projection of them; the scenarios themselves
are always the means of the unscaled paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_CLUSTER_DIMS = 512


@dataclass(frozen=True)
class ScenarioSet:
    """Joint demand scenarios: `demand[s, i, t]` with probability `prob[s]`."""

    demand: np.ndarray  # (S, n_series, T)
    prob: np.ndarray  # (S,)

    @property
    def n_scenarios(self) -> int:
        return int(self.prob.shape[0])

    def mean(self) -> np.ndarray:
        """Expected demand per series and week (n_series, T)."""
        return np.tensordot(self.prob, self.demand, axes=1)

    def expected_value(self) -> ScenarioSet:
        """The one-scenario set at the mean: the input of the EV (deterministic) plan."""
        return ScenarioSet(demand=self.mean()[None, :, :], prob=np.ones(1))


def build_scenarios(paths: np.ndarray, n_scenarios: int, seed: int) -> ScenarioSet:
    """Reduce per-series sample paths `paths[i, k, t]` to `n_scenarios` joint scenarios.

    Deterministic for a given seed. When there are no more paths than scenarios, every path is a
    scenario with equal probability.
    """
    paths = np.asarray(paths, dtype=float)
    if paths.ndim != 3:
        raise ValueError(f"paths must have shape (series, paths, weeks); got {paths.shape}")
    n_series, n_paths, horizon = paths.shape
    joint = np.transpose(paths, (1, 0, 2))  # (K, n, T)
    if n_paths <= n_scenarios:
        return ScenarioSet(demand=joint.copy(), prob=np.full(n_paths, 1.0 / n_paths))

    flat = joint.reshape(n_paths, n_series * horizon)
    features = _cluster_features(joint, seed)
    if features.shape[1] == 0:  # every path is the same: one scenario
        return ScenarioSet(demand=joint[:1].copy(), prob=np.ones(1))
    labels = _kmeans(features, n_scenarios, seed)
    counts = np.bincount(labels, minlength=n_scenarios).astype(float)
    keep = counts > 0
    sums = np.zeros((n_scenarios, flat.shape[1]))
    np.add.at(sums, labels, flat)
    centres = sums[keep] / counts[keep, None]
    prob = counts[keep] / n_paths
    demand = centres.reshape(-1, n_series, horizon)
    order = np.argsort(demand.sum(axis=(1, 2)), kind="stable")  # scenarios from low to high demand
    return ScenarioSet(demand=demand[order], prob=prob[order])


def _cluster_features(joint: np.ndarray, seed: int) -> np.ndarray:
    """Per-series standardised paths, randomly projected when very wide."""
    n_paths = joint.shape[0]
    scale = joint.std(axis=(0, 2), keepdims=True)
    scale[scale <= 1e-12] = 1.0
    centred = (joint - joint.mean(axis=0, keepdims=True)) / scale
    flat = centred.reshape(n_paths, -1)
    # drop columns that never vary (deterministic series/weeks carry no information)
    varying = flat.std(axis=0) > 1e-12
    flat = flat[:, varying]
    if flat.shape[1] == 0:
        return flat
    if flat.shape[1] > MAX_CLUSTER_DIMS:
        rng = np.random.default_rng([seed, 0x5CE7])
        projection = rng.standard_normal((flat.shape[1], MAX_CLUSTER_DIMS)) / np.sqrt(
            MAX_CLUSTER_DIMS
        )
        flat = flat @ projection
    return flat


def _kmeans(x: np.ndarray, k: int, seed: int, max_iter: int = 100) -> np.ndarray:
    """Seeded k-means (k-means++ start, Lloyd iterations); returns the label of each row."""
    import warnings

    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    model = KMeans(n_clusters=k, n_init=1, max_iter=max_iter, random_state=seed % (2**32))
    with warnings.catch_warnings():
        # fewer distinct paths than clusters: the empty clusters are dropped by the caller
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit_predict(x)
