#!/usr/bin/env bash
# test/majors/run.sh [MAJOR...]: `make test` on each PostgreSQL major (default
# 15 17 18 19), each inside its own Debian chroot (test/majors/chroot.sh makes
# or reuses it).  The working tree (tracked files and untracked ones git does
# not ignore) is copied into the chroot, so what is tested is what is here.
#
# Prints each major's own `N passed, N failed` line, then one such line over
# every major; exits 1 if any major failed or could not be set up.
# POLYREF_MAJORS_TARGET=demo (or bench) runs another make target instead.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
majors=("$@")
((${#majors[@]} > 0)) || majors=(15 17 18 19)
target=${POLYREF_MAJORS_TARGET:-test}

if [[ $(id -u) -ne 0 ]]; then
    echo "test/majors/run.sh: chroots need root" >&2
    exit 1
fi

# The files to copy: everything git knows of, or would add, in the tree.
files=$(mktemp)
trap 'rm -f "$files"' EXIT
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$repo" ls-files -z --cached --others --exclude-standard >"$files"
else
    (cd "$repo" && find . -path ./.git -prune -o -type f -print0) >"$files"
fi

mounted=()
unmount_all() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[i]}" 2>/dev/null || true
    done
    mounted=()
}
trap 'unmount_all; rm -f "$files"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mount_into() {               # mount_into ROOT: what a server needs inside
    local root=$1
    mount -t proc proc "$root/proc" || return 1
    mounted+=("$root/proc")
    mount --bind /dev "$root/dev" || return 1
    mounted+=("$root/dev")
    # What is mounted below the chroot's /dev must not show up in the host's.
    mount --make-rslave "$root/dev" || return 1
    mount -t devpts -o newinstance devpts "$root/dev/pts" || return 1
    mounted+=("$root/dev/pts")
    mkdir -p "$root/dev/shm"
    mount -t tmpfs -o mode=1777 shm "$root/dev/shm" || return 1
    mounted+=("$root/dev/shm")
}

total_passed=0
total_failed=0
summary=()
for major in "${majors[@]}"; do
    echo "=== PostgreSQL $major"
    start=$SECONDS
    if ! root=$("$repo/test/majors/chroot.sh" "$major"); then
        summary+=("PostgreSQL $major: no chroot could be made")
        total_failed=$((total_failed + 1))
        continue
    fi
    # The older major beside this one (for test/t/pg_upgrade.pl) gets polyref
    # built from the same tree, in a copy of its own.
    older=$(cat "$root/.polyref-upgrade-from" 2>/dev/null || true)
    for dir in polyref ${older:+polyref-$older}; do
        rm -rf "${root:?}/build/$dir"
        mkdir -p "$root/build/$dir"
        (cd "$repo" && tar --null -T "$files" -cf - 2>/dev/null) |
            tar -C "$root/build/$dir" -xf -
    done
    if ! mount_into "$root"; then
        unmount_all
        summary+=("PostgreSQL $major: the chroot's /proc and /dev could not be mounted")
        total_failed=$((total_failed + 1))
        continue
    fi
    log=$root/build/make-$target.log
    set +e
    in_root() {
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 ${CI:+CI=$CI} ${POLYREF_ONLY:+POLYREF_ONLY="$POLYREF_ONLY"} \
            ${POLYREF_KEEP_TMP:+POLYREF_KEEP_TMP=1} \
            ${older:+POLYREF_UPGRADE_FROM=/usr/lib/postgresql/$older} "$@" </dev/null
    }
    {
        if [[ -n $older ]]; then
            echo "--- polyref for PostgreSQL $older, the major pg_upgrade starts from"
            in_root make -s -j2 -C "/build/polyref-$older" install PG_MAJOR="$older" POLYREF_WERROR=1 ||
                { echo "building polyref for PostgreSQL $older failed"; exit 1; }
        fi
        in_root make -C /build/polyref "$target" PG_MAJOR="$major"
    } 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    unmount_all
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
    if [[ -n $line ]]; then
        read -r p _ f _ <<<"$line"
        total_passed=$((total_passed + p))
        total_failed=$((total_failed + f))
        ((rc == 0 || f > 0)) || total_failed=$((total_failed + 1))
    elif ((rc != 0)); then
        total_failed=$((total_failed + 1))
        line="make $target failed (exit $rc) before any test ran"
    fi
    summary+=("PostgreSQL $major ($(cat "$root/.polyref-ready")): ${line:-exit $rc}, $((SECONDS - start)) s")
done

echo "=== every major"
printf '%s\n' "${summary[@]}"
if [[ $target == test ]]; then
    echo "$total_passed passed, $total_failed failed"
fi
((total_failed == 0))
