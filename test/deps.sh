#!/usr/bin/env bash
# Make a Debian 12 machine able to build and test polyref.
#
# Checks each package with dpkg-query (cheap, no network) and runs apt only
# when something is missing, so a machine that has everything touches no apt.
# Installing needs root; without root, a missing package is a clear error.
set -euo pipefail

# Package names checked against Debian 12 with apt-cache policy:
#  - there is no postgresql-contrib-15 in bookworm: the contrib modules
#    (citext, one of the kind column types the spec names) ship in postgresql-15;
#  - pg_regress, pg_isolation_regress, isolationtester and the
#    PostgreSQL::Test::Cluster TAP modules come with postgresql-server-dev-15
#    and postgresql-client-15 (a dependency of postgresql-15);
#  - perl provides prove; libipc-run-perl is what the TAP modules need;
#  - libboost-dev: Boost.Container headers for the C++ core.
# gnuplot-nox is for make bench only and is not installed here.
# PG_MAJOR (from the Makefile) names another major's packages, as a Debian
# chroot made by test/majors/chroot.sh has them.
major=${PG_MAJOR:-15}
packages=(make g++ perl "postgresql-$major" "postgresql-server-dev-$major" libboost-dev libipc-run-perl)

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "test/deps.sh: missing Debian packages: ${missing[*]}" >&2
    echo "test/deps.sh: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "test/deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
