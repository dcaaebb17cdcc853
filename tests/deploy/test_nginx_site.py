"""The nginx site of deploy/: rendered for the workers given, and accepted by nginx."""

import shutil
import subprocess

import pytest

from deploy.cluster import Cluster, main, render_site
from tests.conftest import IN_CI


def test_the_site_lists_every_worker_and_serves_static_files_from_disk():
    site = render_site(
        workers=["10.0.0.2:8001", "10.0.0.3:8001"], static_root="/srv/static/", listen="80"
    )

    assert "    server 10.0.0.2:8001 max_fails=1 fail_timeout=5s;\n" in site
    assert "    server 10.0.0.3:8001 max_fails=1 fail_timeout=5s;\n" in site
    assert "alias /srv/static/;" in site
    assert "listen 80;" in site
    assert "least_conn;" in site
    # WebSockets: the upgrade is passed on; the client's address is stated, not relayed.
    assert "proxy_set_header Upgrade $http_upgrade;" in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "@" not in site.replace("@example", "")  # every placeholder filled


def test_the_command_prints_the_site(capsys):
    assert main(["nginx-site", "--worker", "127.0.0.1:8001", "--static-root", "/s"]) == 0

    assert "server 127.0.0.1:8001 max_fails=1" in capsys.readouterr().out


def test_nginx_accepts_the_configuration_the_cluster_writes():
    if shutil.which("nginx") is None:
        if IN_CI:
            pytest.fail("CI installs nginx (apt-get install -y nginx)")
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    cluster = Cluster(workers=2, metrics=False)  # nothing started: only its files
    try:
        cluster.static_root.mkdir()
        cluster.nginx.write_config()

        result = subprocess.run(
            ["nginx", "-t", "-p", str(cluster.nginx.dir), "-c", str(cluster.nginx.conf)],
            capture_output=True,
            text=True,
            check=False,
        )

        assert result.returncode == 0, result.stderr
        site = (cluster.nginx.dir / "confnotes.conf").read_text()
        for worker in cluster.workers:
            assert f"server 127.0.0.1:{worker.port} " in site
    finally:
        shutil.rmtree(cluster.runtime)
