"""embedded package."""
