"""Tests of the simulator package `sim`."""
