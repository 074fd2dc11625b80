"""Settings for benchmark runs: the product's settings plus the baseline view's URL."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
