"""Trainer toolkit for the Matryoshka re-ranker (see trainer/README.md)."""
import os

# Sleep, don't spin, while waiting at OpenMP barriers: on a small shared machine a spinning
# thread steals the core its partner needs (set before torch is imported).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
