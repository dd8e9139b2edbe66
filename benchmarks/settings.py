"""plum.settings plus one bare endpoint, for the HTTP baselines. Never used outside benchmarks."""

from plum.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
DEBUG = False
