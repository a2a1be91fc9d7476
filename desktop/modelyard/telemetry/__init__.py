"""CPU/RAM/GPU sampling, energy, cost and CO2 accounting (no Qt here)."""
