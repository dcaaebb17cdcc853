"""Settings of the test run: config/settings.py, with what a development machine lacks.

The real settings refuse to start without SECRET_KEY when DEBUG is off, and redirect to
HTTPS; the tests run over plain HTTP with a key of their own. Both are set in the
environment (not here), so server processes that tests start inherit them.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-never-deployed")
os.environ.setdefault("HTTPS", "false")

from config.settings import *  # noqa: F403
