"""Points batches and uploads (filled in with the batch work)."""
