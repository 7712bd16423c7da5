"""Inventaire's engine: process definitions, execution and persistence (no Flask here)."""
