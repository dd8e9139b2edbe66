"""(being written) the one HTTP client for calls out."""
