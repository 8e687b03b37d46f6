"""Consequence models in plain Python and NumPy (no Django): source terms, dispersion, fires, explosions."""
