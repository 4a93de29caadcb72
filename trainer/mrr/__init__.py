"""Trainer toolkit for the Matryoshka re-ranker (see trainer/README.md)."""
