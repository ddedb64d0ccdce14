"""Settings, declared once as data.

Each setting is ``(name, default, help)``. Values come, in order of precedence, from the
defaults below, an instance file (``instance/gridmap.toml``), ``GRIDMAP_<NAME>`` environment
variables and finally the ``test_config`` handed to :func:`gridmap.create_app`. Nothing is read
at import time; :func:`load` does the work when an app or a command asks for it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from gridmap.core.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


DEFAULT_SECRET_KEY = "dev-not-secret"

SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", "", "PostgreSQL/PostGIS 连接串；留空则使用内置数据库（嵌入式集群）。"),
    Setting(
        "OWNER_DATABASE_URL",
        "",
        "数据库属主角色的连接串，用于执行迁移；留空则与 DATABASE_URL 相同"
        "（内置数据库自动使用属主角色）。",
    ),
    Setting("INSTANCE_DIR", "instance", "实例目录：配置文件、内置数据库的数据目录与日志。"),
    Setting("PG_PORT", 54329, "内置数据库的端口号（只监听 Unix 套接字，不开放 TCP）。"),
    Setting("PG_BIN", "", "PostgreSQL 程序目录（含 initdb、pg_ctl）；留空则自动查找。"),
    Setting("PG_USER", "postgres", "以 root 启动时，内置数据库以此非特权系统用户运行。"),
    Setting(
        "BACKUP_DIR",
        "",
        "备份目录（pgBackRest 仓库）：设置后内置数据库持续归档 WAL，gridmap db backup 备份到此；"
        "留空则不备份。",
    ),
    Setting("BACKUP_DAILY", False, "gridmap serve 是否每天自动备份一次（需设置 BACKUP_DIR）。"),
    Setting("BACKUP_KEEP_FULL", 2, "备份目录保留多少份完整备份（及其增量备份与所需 WAL）。"),
    Setting("STREET_CODE", "420114004", "本系统服务的街道（9 位行政区划代码）。"),
    Setting(
        "TILES",
        "none",
        "底图：none（无底图）、tianditu（天地图，需密钥）、XYZ 瓦片地址模板，"
        "或本街道的 .mbtiles/.pmtiles 底图文件路径（相对路径从实例目录算起），由本系统离线提供。",
    ),
    Setting("TILES_ATTRIBUTION", "", "底图的版权说明（底图文件默认用其自带的说明）。"),
    Setting("TIANDITU_KEY", "", "天地图密钥（tk）。"),
    Setting("HOST", "127.0.0.1", "网页服务监听地址。"),
    Setting("PORT", 8050, "网页服务端口。"),
    Setting("TLS_CERT", "", "HTTPS 证书文件（PEM）；与 TLS_KEY 同时设置时以 HTTPS 提供服务。"),
    Setting("TLS_KEY", "", "HTTPS 私钥文件（PEM）。"),
    Setting("SECRET_KEY", DEFAULT_SECRET_KEY, "会话签名密钥；生产环境必须更换（否则拒绝启动）。"),
    Setting(
        "PII_KEY", "", "识别重复信访人所用身份证号摘要（HMAC）的密钥；留空则由 SECRET_KEY 派生。"
    ),
    Setting("PIN_MAX_ACCURACY_M", 100, "设备定位精度差于此米数时拒绝使用，仍可手动落点。"),
    Setting("DUPLICATE_RADIUS_M", 200, "上报时提示此距离（米）内同类事件可能重复。"),
    Setting("DUPLICATE_DAYS", 7, "上报时提示此天数内的同类事件可能重复。"),
    Setting("PHOTO_MAX_BYTES", 5 * 1024 * 1024, "照片最大字节数（按内容识别 JPEG、PNG、WebP）。"),
    Setting("PLAN_BAND_VILLAGE", "20-200", "村的每个网格户数范围（低-高）；超出时在规划图上提示。"),
    Setting("PLAN_BAND_COMMUNITY", "150-500", "社区的每个网格户数范围（低-高）。"),
    Setting("PLAN_TOLERANCE", 0.2, "网格工作量偏离本村平均值的容许比例；建议调整以此为目标。"),
    Setting(
        "PLAN_WEIGHTS",
        "petition:3,dispute:2,mediation:2,enforcement:1.5",
        "工作量指数中各类事件（近 12 个月）的权重，形如 类型:权重，逗号分隔；"
        "未列出的类型权重为 1。",
    ),
    Setting(
        "OPEN311_PUBLIC", False, "Open311 GeoReport v2 只读接口是否无需登录即可访问（默认否）。"
    ),
    Setting("OPEN311_PRECISION", 0.01, "Open311 接口中位置取整到的度数（0.01° 约 1 公里）。"),
    Setting(
        "DEMO",
        False,
        "示意模式：允许默认密钥，登录页列出示意账号（仅用于 gridmap run-demo 与测试）。",
    ),
    Setting("SESSION_IDLE_MINUTES", 30, "会话空闲多少分钟后需重新登录。"),
    Setting("SESSION_MAX_HOURS", 12, "一次登录最长有效多少小时。"),
    Setting("SIGNIN_MAX_FAILURES", 5, "连续登录失败多少次后暂时锁定账号。"),
    Setting("SIGNIN_LOCK_MINUTES", 15, "账号因多次登录失败锁定的分钟数。"),
    Setting(
        "MAX_CONTENT_LENGTH",
        1024 * 1024,
        "请求体（提交或上传的内容）的最大字节数；超过则拒绝（HTTP 413）。",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def load(test_config: dict | None = None, environ: dict | None = None) -> dict:
    """Resolve every setting: defaults → instance file → environment → test config."""
    environ = os.environ if environ is None else environ
    values = {s.name: s.default for s in SETTINGS}
    if "GRIDMAP_INSTANCE_DIR" in environ:
        values["INSTANCE_DIR"] = environ["GRIDMAP_INSTANCE_DIR"]
    if test_config and "INSTANCE_DIR" in test_config:
        values["INSTANCE_DIR"] = test_config["INSTANCE_DIR"]
    values.update(_read_instance_file(Path(values["INSTANCE_DIR"]) / "gridmap.toml"))
    for s in SETTINGS:
        key = f"GRIDMAP_{s.name}"
        if key in environ:
            values[s.name] = _coerce(s, environ[key])
    for name, value in (test_config or {}).items():
        if name in _BY_NAME:
            values[name] = _coerce(_BY_NAME[name], value)
        else:
            values[name] = value
    values["INSTANCE_DIR"] = str(Path(values["INSTANCE_DIR"]).absolute())
    return values


def _read_instance_file(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 格式错误：{exc}") from exc
    unknown = sorted(k for k in raw if k.upper() not in _BY_NAME)
    if unknown:
        raise ConfigError(f"配置文件 {path} 含未知设置项：{', '.join(unknown)}")
    return {k.upper(): _coerce(_BY_NAME[k.upper()], v) for k, v in raw.items()}


def _coerce(setting: Setting, value: object) -> object:
    if isinstance(setting.default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"设置项 {setting.name} 应为 true 或 false，收到：{value!r}")
    if isinstance(setting.default, float) and not isinstance(value, float):
        try:
            return float(str(value))
        except ValueError:
            raise ConfigError(f"设置项 {setting.name} 应为数字，收到：{value!r}") from None
    if isinstance(setting.default, int) and not isinstance(value, int):
        try:
            return int(str(value))
        except ValueError:
            raise ConfigError(f"设置项 {setting.name} 应为整数，收到：{value!r}") from None
    return value
