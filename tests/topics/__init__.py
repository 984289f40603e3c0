"""Tests of the wire contract: input validation, partitioning and the published schemas."""
