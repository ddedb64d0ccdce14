"""The embedded database: a private PostgreSQL + PostGIS cluster in the instance folder.

When no ``DATABASE_URL`` is configured gridmap runs its own cluster with the system's
``initdb`` and ``pg_ctl``. It listens only on a Unix socket inside the instance folder (no TCP
port is opened), trusts local connections, and is tuned for bulk loads of incidents. PostgreSQL
refuses to run as root, so when gridmap is started as root the cluster belongs to, and runs as,
an unprivileged system user (``PG_USER``, ``postgres`` by default).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gridmap.errors import ConfigError, DatabaseUnavailable

DB_NAME = "gridmap"
DB_USER = "gridmap"
INSTALL_HINT = "请先安装：apt-get install -y postgresql-15 postgresql-15-postgis-3"

# Settings for a single-machine cluster that takes bulk loads of a million incidents: no
# replication (minimal WAL), infrequent checkpoints, and enough memory for index builds.
SERVER_OPTIONS = {
    "listen_addresses": "''",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "30min",
    "shared_buffers": "512MB",
    "maintenance_work_mem": "512MB",
    "work_mem": "64MB",
    "jit": "off",
}


@dataclass(frozen=True)
class Cluster:
    data_dir: Path
    socket_dir: Path
    log_file: Path
    port: int
    bin_dir: Path
    run_as: str | None  # system user to run as (when we are root), else None

    @property
    def url(self) -> str:
        return f"postgresql://{DB_USER}@/{DB_NAME}?host={self.socket_dir}&port={self.port}"

    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialized():
            return False
        return self._pg_ctl("status", check=False).returncode == 0

    def init(self) -> bool:
        """Create the cluster if it does not exist yet. Returns True when it was created."""
        if self.is_initialized():
            return False
        for folder in (self.data_dir, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
            self._give(folder)
        self._give(self.log_file.parent)
        self._run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                DB_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            "初始化内置数据库失败",
        )
        return True

    def start(self) -> bool:
        """Start the server. Returns False (and does nothing) when it already runs."""
        if not self.is_initialized():
            raise DatabaseUnavailable(
                f"内置数据库尚未初始化（{self.data_dir}）：请先运行 gridmap db init"
            )
        if self.is_running():
            return False
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._give(self.socket_dir)
        options = " ".join(f"-c {k}={v}" for k, v in SERVER_OPTIONS.items())
        options += f" -k {self.socket_dir} -p {self.port}"
        result = self._pg_ctl(
            "start", "-w", "-t", "60", "-l", str(self.log_file), "-o", options, check=False
        )
        if result.returncode != 0:
            raise DatabaseUnavailable(
                f"内置数据库启动失败：{_tail(self.log_file) or result.stderr.strip()}"
            )
        return True

    def stop(self) -> bool:
        """Stop the server cleanly (fast shutdown). Returns False when it was not running."""
        if not self.is_running():
            return False
        self._pg_ctl("stop", "-w", "-m", "fast")
        return True

    def ensure_database(self) -> None:
        """Create the gridmap database inside the cluster if it is missing."""
        import psycopg

        admin = f"postgresql://{DB_USER}@/postgres?host={self.socket_dir}&port={self.port}"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args]
        if check:
            return self._run(cmd, "内置数据库操作失败")
        return subprocess.run(self._as_user(cmd), capture_output=True, text=True)

    def _run(self, cmd: list[str], what: str) -> subprocess.CompletedProcess:
        result = subprocess.run(self._as_user(cmd), capture_output=True, text=True)
        if result.returncode != 0:
            raise DatabaseUnavailable(f"{what}：{(result.stderr or result.stdout).strip()}")
        return result

    def _as_user(self, cmd: list[str]) -> list[str]:
        if self.run_as is None:
            return cmd
        return ["runuser", "-u", self.run_as, "--", *cmd]

    def _give(self, folder: Path) -> None:
        """Hand a folder to the server's user, so a root-started gridmap can still run it."""
        if self.run_as is None:
            return
        user = pwd.getpwnam(self.run_as)
        os.chown(folder, user.pw_uid, user.pw_gid)
        folder.chmod(0o700)


def from_config(config: dict) -> Cluster:
    instance = Path(config["INSTANCE_DIR"])
    run_as = None
    if os.geteuid() == 0:
        run_as = config["PG_USER"]
        try:
            pwd.getpwnam(run_as)
        except KeyError:
            raise ConfigError(
                f"以 root 运行时，内置数据库需要非特权用户 {run_as}，但系统中没有该用户。"
                f"{INSTALL_HINT}（安装时会创建 postgres 用户），或设置 GRIDMAP_PG_USER。"
            ) from None
    return Cluster(
        data_dir=instance / "pgdata",
        socket_dir=instance / "pgsocket",
        log_file=instance / "pgsocket" / "postgres.log",
        port=int(config["PG_PORT"]),
        bin_dir=find_bin_dir(config.get("PG_BIN") or None),
        run_as=run_as,
    )


def find_bin_dir(configured: str | None = None) -> Path:
    """Locate initdb/pg_ctl: the configured folder, Debian's newest, or the PATH."""
    candidates = [configured] if configured else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise DatabaseUnavailable(f"找不到 PostgreSQL（initdb、pg_ctl）。{INSTALL_HINT}")


def _version(path: str) -> int:
    try:
        return int(Path(path).parent.name)
    except ValueError:
        return 0


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
