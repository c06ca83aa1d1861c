"""Exact stochastic kernels for multi-type linear branching processes."""

from cllsim.engine.algorithms import ALGORITHMS, Algorithm, ExactSSA, KendallLeap
from cllsim.engine.network import CountEvent, Network, StopCondition, piecewise_constant
from cllsim.engine.result import NetworkResult, Status
from cllsim.engine.simulate import simulate_network

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "CountEvent",
    "ExactSSA",
    "KendallLeap",
    "Network",
    "NetworkResult",
    "Status",
    "StopCondition",
    "piecewise_constant",
    "simulate_network",
]
