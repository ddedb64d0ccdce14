#!/usr/bin/env bash
# Sets up gridmap on this machine; safe to run again (it only installs what is missing).
#
#   bash scripts/setup.sh          # to run gridmap: PostgreSQL + PostGIS, pgBackRest, Node/npm,
#                                  # a CJK font (printouts), Python venv, assets
#   bash scripts/setup.sh --test   # also what the tests need: Chromium, poppler-utils, openssl
#
# As root it installs Debian packages with apt-get; otherwise it says exactly what to install.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1

say() { echo "setup: $*"; }
die() { echo "setup: $*" >&2; exit 1; }

# ------------------------------------------------------------- 1. Debian packages
pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }
have_pkg() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }
missing=()
major="$(pg_major)"
if [ -z "$major" ] || [ ! -x "/usr/lib/postgresql/$major/bin/initdb" ]; then
    # PostGIS's package is named after PostgreSQL's major version, known once it is installed:
    # it is added below, after this pass.
    missing+=(postgresql)
elif [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    missing+=("postgresql-$major-postgis-3")
fi
command -v pgbackrest >/dev/null 2>&1 || missing+=(pgbackrest)  # gridmap db backup / restore
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
# The PDF and PNG printouts of the center's view set their Chinese in Noto Sans CJK SC
# (gridmap/center/cjkfont.py); the browser tests' screenshots use it too.
have_pkg fonts-noto-cjk || missing+=(fonts-noto-cjk)
if [ "$WANT_TEST" = 1 ]; then
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)  # tests/test_exports.py
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)  # tests/test_serving.py's certificate
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        die "缺少系统软件包，请以 root 安装后重试 / missing Debian packages, install them as root:
    apt-get update && apt-get install -y ${missing[*]}"
    fi
    say "安装 / installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    # PostGIS for the PostgreSQL version that is now installed, if the first pass lacked it.
    major="$(pg_major)"
    [ -f "/usr/share/postgresql/$major/extension/postgis.control" ] \
        || apt-get install -y -qq "postgresql-$major-postgis-3" >/dev/null
fi

# ------------------------------------------------------------- 2. Python environment
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "需要 Python 3.11 或更新版本 / Python 3.11 or newer is required"
[ -x .venv/bin/python ] || python3 -m venv .venv
extras=""
[ "$WANT_TEST" = 1 ] && extras="[test]"
stamp=".venv/.gridmap-installed$extras"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "安装 Python 依赖 / installing Python packages"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".$extras"
    echo "$want" > "$stamp"
fi

# ------------------------------------------------------------- 3. Front-end assets (no CDN)
PYTHON=.venv/bin/python bash scripts/vendor-assets.sh >/dev/null
say "就绪 / ready"
