import os
import shutil
from pathlib import Path

import pytest

# pytest-django's live server and Playwright's sync API share the main thread's
# event loop; Django refuses sync ORM calls there unless told it is safe (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"
IN_CI = bool(os.environ.get("CI"))


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's chromium: skip them locally without it, never in CI."""
    if chromium_path() or IN_CI:
        return
    skip = pytest.mark.skip(reason="chromium is not installed (apt-get install -y chromium)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = chromium_path()
    if path is None:
        pytest.fail("CI needs Debian's chromium on PATH (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": path,
        "args": [
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


@pytest.fixture
def shared_fixture():
    """Path of a file under ../shared/fixtures; may skip only outside CI."""

    def locate(name: str) -> Path:
        path = SHARED_FIXTURES / name
        if not path.exists():
            if IN_CI:
                pytest.fail(f"{path} is missing in CI")
            pytest.skip(f"{path} is not available outside the shared workspace")
        return path

    return locate
