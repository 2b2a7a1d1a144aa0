#!/usr/bin/env bash
# `make install` layout: cmake --install into a DESTDIR with the prefixes
# people use. /usr and /usr/local put the configuration in /etc and the
# state in /var; another prefix keeps everything under it. Modes: config
# 0640, secrets 0700, state 0750. An existing configuration is never
# overwritten. The installed unit names the installed binary and passes
# systemd-analyze verify; its hardening scores as exposed as little as
# systemd's own services.
set -euo pipefail
: "${MDESIEM:?}" "${MDS_BUILD_DIR:?}" "${MDS_SOURCE_DIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

install_to() { DESTDIR="$1" cmake --install "$MDS_BUILD_DIR" --prefix "$2" >"$T/install.log" 2>&1 ||
    { cat "$T/install.log" >&2; fail "cmake --install --prefix $2 failed"; }; }
mode() { stat -c '%a' "$1"; }
expect_mode() { [ -e "$1" ] || fail "missing $1"; [ "$(mode "$1")" = "$2" ] || fail "$1 has mode $(mode "$1"), want $2"; }

# --- /usr/local: the make install default
D=$T/local
install_to "$D" /usr/local
expect_mode "$D/usr/local/bin/mdesiem" 755
"$D/usr/local/bin/mdesiem" --version | grep -q '^mdesiem [0-9]' || fail "installed binary does not run"
expect_mode "$D/etc/mdesiem" 750
expect_mode "$D/etc/mdesiem/mdesiem.ini" 640
expect_mode "$D/etc/mdesiem/secrets" 700
expect_mode "$D/var/lib/mdesiem" 750
expect_mode "$D/etc/logrotate.d/mdesiem" 644
cmp -s "$D/etc/mdesiem/mdesiem.ini" "$MDS_SOURCE_DIR/conf/mdesiem.ini" || fail "installed config differs from conf/mdesiem.ini"
for page in man1/mdesiem.1 man5/mdesiem.conf.5; do
    f=$D/usr/local/share/man/$page.gz
    [ -s "$f" ] || fail "missing $f"
    gzip -t "$f" || fail "$f is not gzip"
    MANWIDTH=80 MANPAGER=cat man -l "$f" 2>/dev/null | grep -q '^NAME' || fail "$f does not render"
done
unit=$D/usr/local/lib/systemd/system/mdesiem.service
[ -f "$unit" ] || fail "no unit in /usr/local/lib/systemd/system"
grep -qx 'ExecStart=/usr/local/bin/mdesiem run -c /etc/mdesiem/mdesiem.ini' "$unit" || fail "unit ExecStart: $(grep ExecStart "$unit")"
for line in Type=notify 'ExecReload=/bin/kill -HUP $MAINPID' ProtectSystem=strict ReadWritePaths=/var/lib/mdesiem \
    NoNewPrivileges=yes PrivateTmp=yes CapabilityBoundingSet= ProtectHome=yes Restart=on-failure User=mdesiem; do
    grep -qxF "$line" "$unit" || fail "unit lacks $line"
done
[ -f "$D/usr/local/lib/sysusers.d/mdesiem.conf" ] || fail "no sysusers.d file"
[ -f "$D/usr/local/lib/tmpfiles.d/mdesiem.conf" ] || fail "no tmpfiles.d file"
[ -f "$D/usr/local/share/doc/mdesiem/operations.md" ] || fail "no operations guide"

# systemd-analyze: the unit parses, and its exposure score stays low
sed "s|^ExecStart=/usr/local/bin/mdesiem|ExecStart=$D/usr/local/bin/mdesiem|" "$unit" >"$T/mdesiem.service"
systemd-analyze verify --man=no "$T/mdesiem.service" 2>"$T/verify.err" || fail "systemd-analyze verify: $(cat "$T/verify.err")"
[ ! -s "$T/verify.err" ] || fail "systemd-analyze verify warns: $(cat "$T/verify.err")"
systemd-analyze security --offline=yes --threshold=25 "$T/mdesiem.service" >"$T/security.txt" 2>&1 ||
    fail "unit exposure above 2.5: $(tail -1 "$T/security.txt")"

# --- an existing configuration survives a second install
echo "; edited by the admin" >>"$D/etc/mdesiem/mdesiem.ini"
install_to "$D" /usr/local
grep -q 'edited by the admin' "$D/etc/mdesiem/mdesiem.ini" || fail "install overwrote an existing configuration"
cmp -s "$D/etc/mdesiem/mdesiem.ini.new" "$MDS_SOURCE_DIR/conf/mdesiem.ini" || fail "no mdesiem.ini.new beside it"

# --- /usr: what the .deb uses (units under /lib on Debian bookworm)
D=$T/usr
install_to "$D" /usr
[ -x "$D/usr/bin/mdesiem" ] || fail "no /usr/bin/mdesiem"
[ -f "$D/etc/mdesiem/mdesiem.ini" ] || fail "prefix /usr: config not in /etc"
grep -qx 'ExecStart=/usr/bin/mdesiem run -c /etc/mdesiem/mdesiem.ini' "$D/lib/systemd/system/mdesiem.service" ||
    fail "prefix /usr: unit missing or wrong"
[ -f "$D/usr/lib/sysusers.d/mdesiem.conf" ] || fail "prefix /usr: no sysusers.d file"
[ -f "$D/usr/share/man/man5/mdesiem.conf.5.gz" ] || fail "prefix /usr: no man page"

# --- any other prefix keeps everything below it
D=$T/opt
install_to "$D" /opt/mdesiem
[ -x "$D/opt/mdesiem/bin/mdesiem" ] || fail "prefix /opt/mdesiem: no binary"
expect_mode "$D/opt/mdesiem/etc/mdesiem/mdesiem.ini" 640
expect_mode "$D/opt/mdesiem/var/lib/mdesiem" 750
[ ! -e "$D/etc" ] && [ ! -e "$D/var" ] || fail "prefix /opt/mdesiem wrote outside the prefix"
grep -q '^ExecStart=/opt/mdesiem/bin/mdesiem run -c /opt/mdesiem/etc/mdesiem/mdesiem.ini$' \
    "$D/opt/mdesiem/lib/systemd/system/mdesiem.service" || fail "prefix /opt/mdesiem: unit paths"
echo "install: /usr/local, /usr and /opt/mdesiem layouts, modes, kept config, unit verified (exposure $(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/security.txt"))"
