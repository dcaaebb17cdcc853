"""Production settings: `check --deploy` is clean, and without a SECRET_KEY (DEBUG off)
Confnotes refuses to start, saying why. Each runs manage.py in a process of its own,
with the environment a deployment would have."""

import os
import secrets
import subprocess
import sys

from tests.conftest import REPO_ROOT

# What tests/settings.py and tests/conftest.py add to the environment for the test run.
TEST_ONLY = {"SECRET_KEY", "HTTPS", "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {name: value for name, value in os.environ.items() if name not in TEST_ONLY}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "notes.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://notes.example.org",
    "PROXY_SSL_HEADER": "X-Forwarded-Proto",
}


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "System check identified no issues (0 silenced).\n",
        "",
    )


def test_production_settings_turn_on_https_protections():
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )

    result = manage("shell", "-v", "0", "-c", script, **PRODUCTION)

    assert result.stdout == "True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')\n"


def test_without_secret_key_and_debug_off_it_refuses_to_start():
    result = manage("check")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set. Confnotes refuses "
        "to start without it when DEBUG is off: set SECRET_KEY to a long random value "
        "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), or DEBUG=true for "
        "local development. `make run` makes a local key for you."
    )


def test_debug_runs_without_a_secret_key():
    result = manage("check", DEBUG="true")

    assert (result.returncode, result.stdout) == (
        0,
        "System check identified no issues (0 silenced).\n",
    )
