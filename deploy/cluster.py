"""Confnotes as deployed: nginx in front of N uvicorn workers, on PostgreSQL and Redis.

Command line (`make serve-cluster WORKERS=2` runs the first):

    python deploy/cluster.py serve [--workers 2] [--port 8080] [--private] [--no-demo]
    python deploy/cluster.py nginx-site --worker 10.0.0.2:8000 --worker 10.0.0.3:8000 \
        --static-root /srv/confnotes/static [--listen 80]

`serve` runs in the foreground until Ctrl-C or SIGTERM, then shuts down the workers
gracefully. It prints one JSON line describing the cluster (URL, pids, ports, logs),
and writes the same to `<runtime dir>/cluster.json`.

As a library, for benchmarks and the fault tests:

    from deploy.cluster import Cluster
    with Cluster(workers=2, private=True) as cluster:
        cluster.url, cluster.ws_url(note_id), [w.pid for w in cluster.workers]
        cluster.workers[0].kill(); cluster.workers[0].start()
        cluster.postgres.stop(); cluster.postgres.start(); cluster.redis.stop() ...

Services: with `private=True`, PostgreSQL (initdb into the runtime directory) and
Redis are processes of the cluster's own, on free ports, that it may stop and
start (the machine's services are never touched). Otherwise DATABASE_URL and
REDIS_URL, or the machine's PostgreSQL (database `confnotes_cluster`, created
when missing) and Redis on their default ports.

nginx runs from a generated configuration in the runtime directory (pid, logs,
temporary files there too); /etc/nginx and the system service are not touched.
"""

import argparse
import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit, urlunsplit
from urllib.request import urlopen

REPO_ROOT = Path(__file__).resolve().parent.parent
SITE_TEMPLATE = Path(__file__).resolve().parent / "nginx" / "confnotes.conf.in"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/confnotes_cluster"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# As `make run` serves the app (Makefile WS_OPTIONS).
UVICORN_OPTIONS = (
    "--ws",
    "notes.server_protocol:LiveWebSocketProtocol",
    "--ws-per-message-deflate",
    "false",
    "--ws-max-size",
    "2097152",
    "--lifespan",
    "off",
    "--no-access-log",
    "--timeout-graceful-shutdown",
    "30",
)


class ClusterError(RuntimeError):
    """Something the cluster needs is missing or did not start; the message says what."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None, *, within: float, what: str):
    deadline = time.monotonic() + within
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        if process is not None and process.poll() is not None:
            raise ClusterError(f"{what} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise ClusterError(f"{what} did not listen on port {port} within {within} s")
        time.sleep(0.05)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own loopback URL
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def render_site(*, workers: list[str], static_root: str, listen: str = "80") -> str:
    """The nginx site configuration (deploy/nginx/confnotes.conf.in) for these workers."""
    if not workers:
        raise ClusterError("at least one worker address is needed")
    servers = "\n".join(f"    server {address} max_fails=1 fail_timeout=5s;" for address in workers)
    text = SITE_TEMPLATE.read_text()
    for name, value in (
        ("@WORKERS@", servers),
        ("@STATIC_ROOT@", static_root.rstrip("/")),
        ("@LISTEN@", listen),
    ):
        text = text.replace(name, value)
    return text


def _owner() -> tuple[int, int, str] | None:
    """Running as root, service processes run as this unprivileged user instead."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid, "nobody"


# --- Services -------------------------------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL server of the cluster's own (initdb'd once), stopped and started at will.

    As root, it runs as the `postgres` user (PostgreSQL refuses to run as root).
    """

    def __init__(self, runtime: Path):
        self.data = runtime / "pgdata"
        self.sockets = runtime / "pgsock"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/confnotes"
        self.log_path = runtime / "postgres.log"
        self.process: subprocess.Popen | None = None
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_version_key)
        found = shutil.which("postgres")
        if binaries:
            self.bin = Path(binaries[-1]).parent
        elif found:
            self.bin = Path(found).parent
        else:
            raise ClusterError(
                "PostgreSQL's server binaries are missing (apt-get install postgresql)"
            )
        self._user = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            self._user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        self._initdb()

    def _initdb(self) -> None:
        for path in (self.data, self.sockets):
            path.mkdir(mode=0o700)
            if self._user:
                os.chown(path, self._user["user"], self._user["group"])
        result = subprocess.run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd="/",
            **self._user,
        )
        if result.returncode != 0:
            raise ClusterError(f"initdb failed: {result.stderr.strip()}")

    def start(self) -> "PrivatePostgres":
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd="/",
            start_new_session=True,
            **self._user,
        )
        log.close()
        wait_for_port(self.port, self.process, within=30, what="postgres")
        self._wait_accepting()
        return self

    def _wait_accepting(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(
                    host="127.0.0.1", port=self.port, user="postgres", dbname="postgres"
                ):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """A fast shutdown (SIGINT): what `pg_ctl stop -m fast` does."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _version_key(path: str) -> tuple:
    version = Path(path).parent.parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


class PrivateRedis:
    """A redis-server of the cluster's own on a free port."""

    def __init__(self, runtime: Path):
        if shutil.which("redis-server") is None:
            raise ClusterError("redis-server is missing (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = runtime / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "PrivateRedis":
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_for_port(self.port, self.process, within=10, what="redis-server")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


# --- Workers and nginx ----------------------------------------------------------------------


class Worker:
    """One uvicorn process (config/server.py: graceful on SIGTERM) on its own port."""

    def __init__(self, cluster: "Cluster", index: int, port: int):
        self.cluster = cluster
        self.index = index
        self.port = port
        self.log_path = cluster.runtime / f"worker-{index}.log"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> "Worker":
        if self.running:
            return self
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "config.server",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *UVICORN_OPTIONS,
            ],
            cwd=REPO_ROOT,
            env=self.cluster.worker_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise ClusterError(
                    f"worker {self.index} exited with {self.process.returncode}:\n"
                    + self.log_path.read_text()[-3000:]
                )
            with contextlib.suppress(OSError, URLError):
                if http_get(f"{self.url}/healthz", timeout=2)[0] == 200:
                    return self
            if time.monotonic() > deadline:
                raise ClusterError(f"worker {self.index} did not answer /healthz within 60 s")
            time.sleep(0.1)

    def _forget(self) -> None:
        # A dead process's live gauges must not be reported any more.
        if self.process is not None and self.cluster.metrics_dir is not None:
            from prometheus_client import multiprocess

            with contextlib.suppress(Exception):
                multiprocess.mark_process_dead(self.process.pid, str(self.cluster.metrics_dir))

    def kill(self) -> None:
        """Die like a crash: SIGKILL, no shutdown at all."""
        if self.running:
            self.process.kill()
            self.process.wait(10)
        self._forget()

    def terminate(self, *, wait: float | None = 60) -> int | None:
        """SIGTERM: the graceful shutdown. Returns the exit status (None: still running)."""
        if not self.running:
            return self.process.returncode if self.process is not None else None
        self.process.terminate()
        if wait is None:
            return None
        try:
            code = self.process.wait(wait)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        self._forget()
        return code

    def readyz(self) -> tuple[int, dict]:
        status, body = http_get(f"{self.url}/readyz", timeout=10)
        return status, json.loads(body)

    def log_text(self) -> str:
        return self.log_path.read_text()


class Nginx:
    def __init__(self, cluster: "Cluster", port: int):
        if shutil.which("nginx") is None:
            raise ClusterError(
                "nginx is missing: install Debian's (apt-get install -y nginx); "
                "the cluster runs it from its own configuration, not as a service"
            )
        self.cluster = cluster
        self.port = port
        self.dir = cluster.runtime / "nginx"
        self.conf = self.dir / "nginx.conf"
        self.process: subprocess.Popen | None = None

    def write_config(self) -> None:
        self.dir.mkdir(exist_ok=True)
        temp = self.dir / "temp"
        temp.mkdir(exist_ok=True)
        owner = _owner()
        if owner is not None:
            os.chown(temp, owner[0], owner[1])
        site = render_site(
            workers=[f"127.0.0.1:{worker.port}" for worker in self.cluster.workers],
            static_root=str(self.cluster.static_root),
            listen=f"127.0.0.1:{self.port}",
        )
        (self.dir / "confnotes.conf").write_text(site)
        user = f"user {owner[2]} {_group_name(owner[1])};\n" if owner is not None else ""
        mime = "/etc/nginx/mime.types"
        self.conf.write_text(
            f"""# Generated by deploy/cluster.py for one local cluster; the site is confnotes.conf.
{user}worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
worker_shutdown_timeout 10s;
events {{
    worker_connections 4096;
}}
http {{
    {"include " + mime + ";" if Path(mime).exists() else ""}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path {temp}/client;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.dir}/confnotes.conf;
}}
"""
        )

    def start(self) -> "Nginx":
        self.write_config()
        check = subprocess.run(
            ["nginx", "-t", "-q", "-p", str(self.dir), "-c", str(self.conf)],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise ClusterError(f"nginx rejects its configuration: {check.stderr.strip()}")
        log = (self.dir / "stderr.log").open("a")
        self.process = subprocess.Popen(
            ["nginx", "-p", str(self.dir), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_for_port(self.port, self.process, within=15, what="nginx")
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish open requests
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


# --- The cluster --------------------------------------------------------------------------


class Cluster:
    """nginx on 127.0.0.1:`port` in front of `workers` uvicorn processes.

    `env` adds to (or overrides) the workers' environment, e.g.
    {"NOTES_LIVE": '{"MAX_QUEUED_BYTES": 262144}'}. `runtime` is a directory of the
    cluster's own (made, and removed at stop unless `keep`), readable by nginx.
    """

    def __init__(
        self,
        *,
        workers: int = 2,
        port: int | None = None,
        private: bool = False,
        database_url: str | None = None,
        redis_url: str | None = None,
        env: dict | None = None,
        demo: bool = False,
        keep: bool = False,
        metrics: bool = True,
    ):
        if workers < 1:
            raise ClusterError("at least one worker")
        self.private = private
        self.demo = demo
        self.keep = keep
        self.extra_env = dict(env or {})
        self.runtime = Path(tempfile.mkdtemp(prefix="confnotes-cluster-"))
        self.runtime.chmod(0o755)  # nginx's unprivileged worker reads static files here
        self.static_root = self.runtime / "static"
        self.metrics_dir = self.runtime / "prometheus" if metrics else None
        self.prefix = f"confnotes-cluster-{uuid.uuid4().hex[:8]}"
        self.postgres: PrivatePostgres | None = None
        self.redis: PrivateRedis | None = None
        self._database_url = database_url
        self._redis_url = redis_url
        self.port = port or free_port()
        self.workers = [Worker(self, index, free_port()) for index in range(workers)]
        self.nginx = Nginx(self, self.port)
        self.secret_key = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)

    # --- addresses ---

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, note_id: int, name: str = "Guest") -> str:
        return f"ws://127.0.0.1:{self.port}/ws/notes/{note_id}/?name={quote(name)}"

    @property
    def database_url(self) -> str:
        if self.postgres is not None:
            return self.postgres.url
        return self._database_url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL

    @property
    def redis_url(self) -> str:
        if self.redis is not None:
            return self.redis.url
        return self._redis_url or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL

    def worker_env(self) -> dict:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "REDIS_PREFIX": self.prefix,
            "SECRET_KEY": self.secret_key,
            "HTTPS": os.environ.get("HTTPS", "false"),
            "DEBUG": "false",
            "STATIC_ROOT": str(self.static_root),
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        if self.metrics_dir is not None:
            env["PROMETHEUS_MULTIPROC_DIR"] = str(self.metrics_dir)
        env.update(self.extra_env)
        return env

    def describe(self) -> dict:
        return {
            "url": self.url,
            "nginx": {"pid": self.nginx.pid, "port": self.port, "config": str(self.nginx.conf)},
            "workers": [
                {"pid": w.pid, "port": w.port, "url": w.url, "log": str(w.log_path)}
                for w in self.workers
            ],
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "private_services": self.private,
            "postgres_pid": self.postgres.process.pid
            if self.postgres and self.postgres.process
            else None,
            "redis_pid": self.redis.process.pid if self.redis and self.redis.process else None,
            "runtime": str(self.runtime),
            "metrics_dir": str(self.metrics_dir) if self.metrics_dir else None,
        }

    # --- lifecycle ---

    def start(self) -> "Cluster":
        try:
            if self.private:
                self.postgres = PrivatePostgres(self.runtime).start()
                self.redis = PrivateRedis(self.runtime).start()
            self._ensure_database()
            self._check_redis()
            if self.metrics_dir is not None:
                self.metrics_dir.mkdir(exist_ok=True)
            self.manage("migrate", "--noinput", "-v", "0")
            self.manage("collectstatic", "--noinput", "-v", "0")
            if self.demo:
                self.manage("seed_demo")
            for worker in self.workers:
                worker.start()
            self.nginx.start()
            self.wait_ready()
            (self.runtime / "cluster.json").write_text(json.dumps(self.describe(), indent=2))
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while True:
            with contextlib.suppress(OSError, URLError):
                if http_get(f"{self.url}/healthz", timeout=2)[0] == 200:
                    return
            if time.monotonic() > deadline:
                raise ClusterError(f"nginx did not answer /healthz within {within} s")
            time.sleep(0.1)

    def stop(self) -> None:
        # Workers first: their clients get 1001 through nginx (and find nobody to
        # reconnect to), then nginx, which has no open sockets left to wait for.
        for worker in self.workers:
            if worker.running:
                worker.process.terminate()
        for worker in self.workers:
            with contextlib.suppress(Exception):
                worker.terminate(wait=40)
        self.nginx.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()
        if not self.keep:
            shutil.rmtree(self.runtime, ignore_errors=True)

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- helpers ---

    def manage(self, *args: str, timeout: float = 300) -> str:
        """Run a manage.py command against the cluster's database; returns its output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.worker_env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise ClusterError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def _ensure_database(self) -> None:
        import psycopg

        url = self.database_url
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise ClusterError(f"the cluster runs on PostgreSQL; DATABASE_URL is {url!r}")
        name = parts.path.lstrip("/")
        admin = urlunsplit(parts._replace(path="/postgres"))
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            raise ClusterError(
                f"PostgreSQL does not answer at {admin} ({exc}). Start it, set DATABASE_URL, "
                "or run with private services (make serve-cluster PRIVATE=1)."
            ) from exc

    def _check_redis(self) -> None:
        import redis

        try:
            redis.Redis.from_url(self.redis_url, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            raise ClusterError(
                f"Redis does not answer at {self.redis_url} ({exc}). Start it, set REDIS_URL, "
                "or run with private services (make serve-cluster PRIVATE=1)."
            ) from exc


# --- Command line ---------------------------------------------------------------------------


def _serve(args) -> int:
    cluster = Cluster(
        workers=args.workers, port=args.port, private=args.private, demo=not args.no_demo
    )
    stop = {"now": False}

    def on_signal(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        cluster.start()
    except ClusterError as exc:
        print(f"serve-cluster: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(cluster.describe()), flush=True)
    print(
        f"Confnotes on {cluster.url}/ (nginx, {len(cluster.workers)} workers); "
        f"metrics on {cluster.url}/metrics; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    try:
        while not stop["now"]:
            for worker in cluster.workers:
                if not worker.running:
                    print(f"worker {worker.index} exited; restarting it", file=sys.stderr)
                    worker._forget()
                    worker.start()
            time.sleep(0.5)
    finally:
        print("stopping: workers drain their notes first", file=sys.stderr, flush=True)
        cluster.stop()
    return 0


def _nginx_site(args) -> int:
    print(render_site(workers=args.worker, static_root=args.static_root, listen=args.listen))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run nginx and the workers in the foreground")
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--private", action="store_true", help="start a private PostgreSQL and Redis"
    )
    serve.add_argument("--no-demo", action="store_true", help="do not create the demo event")
    site = commands.add_parser("nginx-site", help="print the nginx site for these workers")
    site.add_argument("--worker", action="append", required=True, help="host:port, repeated")
    site.add_argument("--static-root", required=True)
    site.add_argument("--listen", default="80")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return _nginx_site(args)


if __name__ == "__main__":
    sys.exit(main())
