#!/usr/bin/env bash
# Installs what Kiln needs on Debian/Ubuntu or Fedora: PostgreSQL, rpm-build, rpmsign and gpg
# (tests sign rpms), createrepo_c, dnf, bubblewrap, git, Chromium and its WebDriver (the web
# interface's browser test), and what building the stock Python koji client needs; then the
# virtualenv .venv with koji==1.36.1. Uses sudo when not root; without either, it prints the
# command to run and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }

pg_bin_found() {
    [ -n "${KILN_PG_BIN:-}" ] && return 0
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return 0
    have initdb && have pg_ctl
}

missing=()
pg_bin_found || missing+=(postgresql)
have rpmbuild || missing+=(rpmbuild)
have rpmsign || missing+=(rpmsign)
have gpg || missing+=(gpg)
have gpg-agent || missing+=(gpg-agent)
have gpgconf || missing+=(gpgconf)
have createrepo_c || missing+=(createrepo_c)
have modifyrepo_c || missing+=(createrepo_c)
have dnf || missing+=(dnf)
have bwrap || missing+=(bubblewrap)
have git || missing+=(git)
have chromium || have chromium-browser || missing+=(chromium)
have chromedriver || [ -x /usr/lib/chromium/chromedriver ] || missing+=(chromedriver)
have krb5-config || missing+=(krb5-dev)
have gcc || missing+=(gcc)
[ -e /usr/lib/python3/dist-packages/rpm/__init__.py ] || [ -e /usr/lib64/python3*/site-packages/rpm/__init__.py ] \
    || python3 -c 'import rpm' >/dev/null 2>&1 || missing+=(python3-rpm)

if [ ${#missing[@]} -gt 0 ]; then
    if have apt-get; then
        packages=(postgresql postgresql-contrib rpm gpg gpg-agent gpgconf createrepo-c dnf bubblewrap git libkrb5-dev gcc python3-rpm python3-venv python3-dev curl chromium chromium-driver)
        install=(apt-get install -y --no-install-recommends "${packages[@]}")
        update=(apt-get update)
    elif have dnf; then
        packages=(postgresql-server postgresql-contrib rpm-build rpm-sign gnupg2 createrepo_c dnf bubblewrap git krb5-devel gcc python3-rpm python3-devel curl chromium chromedriver)
        install=(dnf install -y "${packages[@]}")
        update=(true)
    else
        echo "deps: unsupported system (need apt-get or dnf); install by hand: ${missing[*]}" >&2
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif have sudo; then
        sudo=(sudo)
    else
        echo "deps: missing ${missing[*]}; please run as root:" >&2
        echo "  ${update[*]} && ${install[*]}" >&2
        exit 1
    fi
    echo "deps: installing ${packages[*]} (missing: ${missing[*]})" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" "${update[@]}" >&2
    "${sudo[@]}" "${install[@]}" >&2
fi

if ! have cargo; then
    echo "deps: Rust is not installed; install it from https://rustup.rs (rustup, stable toolchain) and run again" >&2
    exit 1
fi

# The stock client, pinned: it is what tests and users talk to the hub with.
if ! .venv/bin/python -c 'import koji, sys; sys.exit(koji.__version__ != "1.36.1")' >/dev/null 2>&1; then
    echo "deps: creating .venv with koji==1.36.1" >&2
    python3 -m venv --system-site-packages .venv >&2
    .venv/bin/pip install -q --disable-pip-version-check 'koji==1.36.1' rpm >&2
fi

# rpkg, the library behind `fedpkg module-build*`: the module command tests run its read commands.
if ! .venv/bin/pip show -q rpkg >/dev/null 2>&1; then
    echo "deps: installing rpkg==1.70 into .venv" >&2
    .venv/bin/pip install -q --disable-pip-version-check 'rpkg==1.70' >&2
fi
