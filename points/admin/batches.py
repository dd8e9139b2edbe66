"""Admin for points batches and uploads."""
