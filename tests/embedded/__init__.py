"""Tests of the embedded broker and redis-server."""
