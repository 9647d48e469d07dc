#!/usr/bin/env bash
# test/majors/chroot.sh MAJOR: print the path of a Debian chroot that has
# PostgreSQL MAJOR, its server headers and everything `make test` needs,
# making it with debootstrap the first time and reusing it afterwards.
#
#   15  bookworm (Debian 12)       17  trixie (Debian 13)
#   18  sid (its Release file is stale: apt runs with Check-Valid-Until=false)
#   19  sid plus experimental: postgresql-19, its server-dev, client and libpq
#       packages from experimental, everything else from sid
#
# The chroots of 17, 18 and 19 also get PostgreSQL 15 from bookworm (pinned low,
# so nothing else comes from there), side by side as postgresql-common allows,
# for the pg_upgrade test (test/t/pg_upgrade.pl).
#
# Chroots live in $POLYREF_CHROOTS (default /var/cache/polyref/chroots), one
# per major, so CI and later sessions on the same machine reuse them.  A
# chroot counts as made once its .polyref-ready file exists; a half-made one
# (an interrupted debootstrap) is removed and made again.  Needs root.
#
# The Debian mirror is the one this machine's own apt uses, read from its
# sources, so the script names no host of its own.
set -euo pipefail

major=${1:?usage: test/majors/chroot.sh MAJOR}
cache=${POLYREF_CHROOTS:-/var/cache/polyref/chroots}
root=$cache/pg$major

case $major in
    15) suite=bookworm ;;
    17) suite=trixie ;;
    18 | 19) suite=sid ;;
    *) echo "chroot.sh: no Debian suite is known for PostgreSQL $major" >&2; exit 2 ;;
esac

case $major in
    17 | 18 | 19) upgrade_from=15 ;;
    *) upgrade_from= ;;
esac

if [[ -f $root/.polyref-ready ]] &&
    { [[ -z $upgrade_from ]] || [[ -f $root/.polyref-upgrade-from ]]; }; then
    printf '%s\n' "$root"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "chroot.sh: making a chroot needs root" >&2
    exit 1
fi

# The mirror of this machine's Debian: deb822 sources first, then one-line.
mirror=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if [[ -z $mirror ]]; then
    mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
fi
[[ -n $mirror ]] || { echo "chroot.sh: no Debian mirror in /etc/apt" >&2; exit 1; }

in_chroot() {
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
apt_install() {              # apt_install LOG PACKAGE...: install, or explain
    local log=$1
    shift
    in_chroot apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confold "$@" >"$log" 2>&1 || {
        tail -n 30 "$log" >&2
        echo "chroot.sh: installing $* in $root failed" >&2
        exit 1
    }
}

make_chroot() {
    if ! command -v debootstrap >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap
    fi
    echo "chroot.sh: making $root ($suite, PostgreSQL $major) from $mirror" >&2
    rm -rf "$root"
    mkdir -p "$cache"
    debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$mirror" \
        >"$cache/pg$major.debootstrap.log" 2>&1 || {
        tail -n 30 "$cache/pg$major.debootstrap.log" >&2
        echo "chroot.sh: debootstrap of $suite failed" >&2
        exit 1
    }
    {
        echo "deb $mirror $suite main"
        if [[ $major == 19 ]]; then echo "deb $mirror experimental main"; fi
    } >"$root/etc/apt/sources.list"
    # sid's Release file may be older than its Valid-Until; experimental's too.
    echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99polyref"
    # No daemons may start inside the chroot while packages install.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
}

# What test/deps.sh installs on Debian 12, for this major.
packages=(make g++ perl libboost-dev libipc-run-perl)
if [[ $major == 19 ]]; then
    packages+=(postgresql-19/experimental postgresql-server-dev-19/experimental
               postgresql-client-19/experimental libpq-dev/experimental
               libpq5/experimental)
else
    packages+=("postgresql-$major" "postgresql-server-dev-$major")
fi

[[ -f $root/.polyref-ready ]] || make_chroot
# Some maintainer scripts (postgresql-common's systemd-tmpfiles call) need
# /proc; it is unmounted again however the script ends.
mount -t proc proc "$root/proc"
trap 'umount -l "$root/proc" 2>/dev/null || true' EXIT

if [[ ! -f $root/.polyref-ready ]]; then
    in_chroot apt-get update -qq
    apt_install "$cache/pg$major.apt.log" "${packages[@]}"
    in_chroot apt-get clean
    in_chroot dpkg-query -W -f='${Package} ${Version}\n' "postgresql-$major" \
        >"$root/.polyref-ready"
fi

if [[ -n $upgrade_from && ! -f $root/.polyref-upgrade-from ]]; then
    echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list.d/older.list"
    printf 'Package: *\nPin: release n=bookworm\nPin-Priority: 100\n' \
        >"$root/etc/apt/preferences.d/older"
    in_chroot apt-get update -qq
    apt_install "$cache/pg$major.apt-older.log" \
        "postgresql-$upgrade_from/bookworm" "postgresql-server-dev-$upgrade_from/bookworm"
    in_chroot apt-get clean
    echo "$upgrade_from" >"$root/.polyref-upgrade-from"
fi
printf '%s\n' "$root"
