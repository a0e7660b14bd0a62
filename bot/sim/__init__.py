"""Simulated audiences (模拟观众): a seeded plan, its event log, and a driver over the real room protocol."""
