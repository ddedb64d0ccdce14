"""The embedded database: a private PostgreSQL + PostGIS cluster in the instance folder.

When no ``DATABASE_URL`` is configured gridmap runs its own cluster with the system's
``initdb`` and ``pg_ctl``. It listens only on a Unix socket inside the instance folder (no TCP
port is opened) that only the server's own user (and root) may open, and is tuned for bulk loads
of incidents. PostgreSQL refuses to run as root, so when gridmap is started as root the cluster
belongs to, and runs as, an unprivileged system user (``PG_USER``, ``postgres`` by default).

Three roles, each with a password generated at creation and kept in ``instance/pgpass`` (mode
0600, readable only by whoever created the instance; libpq reads it through ``passfile``), every
connection authenticated with scram-sha-256:

* ``gridmap_admin``, the cluster's superuser: creates the other roles, the database and the
  PostGIS extension, and nothing else;
* ``gridmap_owner`` owns the database and its schema: migrations and the demo's purge of a
  street run as it;
* ``gridmap_app`` is what the web app and the command line use: it reads and writes rows as
  gridmap.store.privileges grants, and cannot alter a table, drop a trigger or bypass a freeze.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gridmap.core.errors import ConfigError, DatabaseUnavailable

DB_NAME = "gridmap"
ADMIN = "gridmap_admin"
OWNER = "gridmap_owner"
APP = "gridmap_app"
ROLES = (ADMIN, OWNER, APP)
LEGACY_SUPERUSER = "gridmap"  # the only role, trusted, of clusters made before the roles
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
    "unix_socket_permissions": "0700",
    "password_encryption": "scram-sha-256",
    "timezone": "Asia/Shanghai",
    "log_timezone": "Asia/Shanghai",
}


@dataclass(frozen=True)
class Cluster:
    data_dir: Path
    socket_dir: Path
    log_file: Path
    port: int
    bin_dir: Path
    run_as: str | None  # system user to run as (when we are root), else None
    # The backup folder (pgBackRest's repository); set, the server archives its WAL there.
    backup_dir: Path | None = None
    # A copy being restored from a backup: it replays the archived WAL with the settings the
    # backed-up server had (a standby may not have fewer), and archives nothing itself.
    recovering: bool = False

    @property
    def secrets_file(self) -> Path:
        return self.data_dir.parent / "pgpass"

    @property
    def url(self) -> str:
        """The app's role on the gridmap database."""
        return self.url_for(APP)

    @property
    def owner_url(self) -> str:
        return self.url_for(OWNER)

    def url_for(self, role: str, dbname: str = DB_NAME) -> str:
        return (
            f"postgresql://{role}@/{dbname}?host={self.socket_dir}&port={self.port}"
            f"&passfile={self.secrets_file}"
        )

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
        passwords = self._passwords(create=True)
        # initdb reads the superuser's password from a file the server's user can read; it is
        # removed as soon as initdb is done.
        with tempfile.NamedTemporaryFile("w", dir=self.socket_dir, delete=False) as pwfile:
            pwfile.write(passwords[ADMIN] + "\n")
        try:
            self._give(Path(pwfile.name), mode=0o600)
            self._run(
                [
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    ADMIN,
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    f"--pwfile={pwfile.name}",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                "初始化内置数据库失败",
            )
        finally:
            os.unlink(pwfile.name)
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
        # pg_ctl hands these to a shell: SERVER_OPTIONS are written for it (listen_addresses='').
        options = " ".join(f"-c {k}={v}" for k, v in SERVER_OPTIONS.items())
        options += "".join(f" -c {shlex.quote(f'{k}={v}')}" for k, v in self.archiving().items())
        options += f" -k {self.socket_dir} -p {self.port}"
        result = self._pg_ctl(
            "start", "-w", "-t", "60", "-l", str(self.log_file), "-o", options, check=False
        )
        if result.returncode != 0:
            raise DatabaseUnavailable(
                f"内置数据库启动失败：{_tail(self.log_file) or result.stderr.strip()}"
            )
        return True

    def archiving(self) -> dict[str, str]:
        """The settings that archive the WAL into the backup folder, added to SERVER_OPTIONS
        when one is configured. Like those they are given on the command line at every start,
        never written in postgresql.conf: an existing cluster takes a change (a backup folder
        newly configured, or removed) at its next start."""
        from gridmap.store import backup

        if self.recovering:
            return backup.recovery_options()
        if self.backup_dir is None:
            return {}
        backup.write_config(self)
        return backup.archive_options(self)

    def stop(self) -> bool:
        """Stop the server cleanly (fast shutdown). Returns False when it was not running."""
        if not self.is_running():
            return False
        self._pg_ctl("stop", "-w", "-m", "fast")
        return True

    def ensure_database(self) -> None:
        """Create (or bring up to date) the roles, the gridmap database and its extensions."""
        from gridmap.store import dbsetup

        if self._trusts_local_connections():
            self._adopt_legacy()
        dbsetup.ensure(self.url_for(ADMIN, "postgres"), self.url_for(ADMIN), self._passwords())

    def _trusts_local_connections(self) -> bool:
        """A cluster made before the roles: pg_hba.conf trusts every local connection."""
        hba = self.data_dir / "pg_hba.conf"
        try:
            lines = hba.read_text().splitlines()
        except OSError:
            return False
        return any(line.split()[-1] == "trust" for line in lines if line.strip() and line[0] != "#")

    def _adopt_legacy(self) -> None:
        """A cluster made before the roles trusted every local connection and had one
        superuser. Give it the three roles and passwords, hand the database to the owner, and
        switch its authentication to scram-sha-256."""
        from gridmap.store import dbsetup

        passwords = self._passwords(create=True)
        legacy = (
            f"postgresql://{LEGACY_SUPERUSER}@/postgres?host={self.socket_dir}&port={self.port}"
        )
        dbsetup.adopt_legacy(legacy, LEGACY_SUPERUSER, passwords)
        hba = self.data_dir / "pg_hba.conf"
        self._run(
            ["sed", "-i", "-E", r"s/[[:space:]]trust([[:space:]]|$)/ scram-sha-256\1/", str(hba)],
            "无法更新内置数据库的认证设置",
        )
        # Restarted, not reloaded: the socket's permissions take effect only at a start.
        self.stop()
        self.start()

    def _passwords(self, create: bool = False) -> dict[str, str]:
        """The roles' passwords, from the instance's pgpass file (written when missing)."""
        path = self.secrets_file
        if not path.exists():
            if not create:
                raise DatabaseUnavailable(
                    f"找不到内置数据库的密码文件 {path}：请运行 gridmap db init"
                )
            lines = [f"*:*:*:{role}:{secrets.token_urlsafe(24)}" for role in ROLES]
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write("\n".join(lines) + "\n")
        found = {}
        for line in path.read_text().splitlines():
            parts = line.split(":")
            if len(parts) == 5:
                found[parts[3]] = parts[4]
        missing = [r for r in ROLES if r not in found]
        if missing:
            raise DatabaseUnavailable(f"密码文件 {path} 缺少角色 {'、'.join(missing)} 的密码")
        return found

    # For the modules that run the server's other programs (gridmap.store.backup).
    def passwords(self) -> dict[str, str]:
        return self._passwords()

    def command(self, cmd: list[str]) -> list[str]:
        """``cmd`` as the server's user runs it."""
        return self._as_user(cmd)

    def give(self, path: Path, mode: int = 0o700) -> None:
        self._give(path, mode)

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

    def _give(self, path: Path, mode: int = 0o700) -> None:
        """Hand a folder (or file) to the server's user, so a root-started gridmap can still
        run it; only that user may enter it."""
        if self.run_as is not None:
            user = pwd.getpwnam(self.run_as)
            os.chown(path, user.pw_uid, user.pw_gid)
        path.chmod(mode)


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
        backup_dir=Path(config["BACKUP_DIR"]).absolute() if config.get("BACKUP_DIR") else None,
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
