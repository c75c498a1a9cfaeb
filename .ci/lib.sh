# Shared helpers for the .ci scripts (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
TOOLS="$ROOT/target/tools"

# recipe SECTION KEY: a value from wasm-pack.toml, the one place for tool versions and flags.
recipe() {
  python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))[sys.argv[2]][sys.argv[3]])' \
    "$ROOT/wasm-pack.toml" "$1" "$2"
}

step() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
