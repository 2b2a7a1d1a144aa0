#!/usr/bin/env bash
# The Debian package, built from this build tree with CPack: its control
# data (dependencies, conffiles, maintainer scripts creating the mdesiem
# system user, purge handling), its files and modes, a binary that runs.
# The state, logs and secrets directories are not in it (postinst makes
# them, owned by mdesiem, so removal never touches them).
#
# With MDS_TEST_DPKG=1 (root, package not installed) it also installs it
# for real with dpkg -i, checks the user and modes, removes it (state and
# configuration stay), and purges it (they go); the user it created is
# deleted again.
set -euo pipefail
: "${MDS_BUILD_DIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

(cd "$T" && cpack --config "$MDS_BUILD_DIR/CPackConfig.cmake" -G DEB -B "$T/out" >"$T/cpack.log" 2>&1) ||
    { cat "$T/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$T"/out/mdesiem_*.deb)
[ -f "$deb" ] || fail "no .deb produced"

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = mdesiem ] || fail "Package"
field Depends | grep -q 'adduser' || fail "Depends lacks adduser: $(field Depends)"
field Depends | grep -q 'libcurl' || fail "Depends lacks the shared libraries (shlibdeps): $(field Depends)"
dpkg-deb -I "$deb" >"$T/info"
for f in conffiles postinst prerm postrm; do grep -q " $f" "$T/info" || fail "control member $f missing"; done

dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$T" -f - ./conffiles ./postinst ./prerm ./postrm
grep -qx /etc/mdesiem/mdesiem.ini "$T/conffiles" || fail "mdesiem.ini is not a conffile"
for s in postinst prerm postrm; do
    sh -n "$T/$s" || fail "$s is not valid sh"
    [ -x "$T/$s" ] || fail "$s is not executable"
done
grep -q 'adduser --system' "$T/postinst" || fail "postinst does not create a system user"
grep -q 'root:mdesiem 0640' "$T/postinst" || fail "postinst does not set the config to 0640 root:mdesiem"
grep -q 'secrets mdesiem:mdesiem 0700' "$T/postinst" || fail "postinst does not make the secrets directory 0700"
grep -q 'purge' "$T/postrm" && grep -q 'rm -rf /var/lib/mdesiem' "$T/postrm" || fail "postrm does not purge the state"

dpkg-deb -c "$deb" >"$T/contents"
has() { grep -q "$1" "$T/contents" || fail "package lacks $2"; }
has ' \./usr/bin/mdesiem$' "the binary"
has '^-rw-r----- root/root .* \./etc/mdesiem/mdesiem.ini$' "the config with mode 0640"
has ' \./lib/systemd/system/mdesiem.service$' "the systemd unit"
has ' \./usr/share/man/man1/mdesiem.1.gz$' "mdesiem(1)"
has ' \./usr/share/man/man5/mdesiem.conf.5.gz$' "mdesiem.conf(5)"
has ' \./usr/lib/sysusers.d/mdesiem.conf$' "the sysusers file"
! grep -q '\./var/\|/etc/mdesiem/secrets' "$T/contents" || fail "state, logs or secrets directories are in the package"

dpkg-deb -x "$deb" "$T/root"
"$T/root/usr/bin/mdesiem" --version | grep -q '^mdesiem [0-9]' || fail "packaged binary does not run"
grep -q '^Type=notify$' "$T/root/lib/systemd/system/mdesiem.service" || fail "unit is not Type=notify"

if [ "${MDS_TEST_DPKG:-0}" = 1 ]; then
    [ "$(id -u)" = 0 ] || fail "MDS_TEST_DPKG=1 needs root"
    ! dpkg -s mdesiem >/dev/null 2>&1 || fail "mdesiem is already installed; not touching it"
    had_user=0
    getent passwd mdesiem >/dev/null && had_user=1
    cleanup_dpkg() {
        dpkg -P mdesiem >/dev/null 2>&1 || true
        [ "$had_user" = 1 ] || deluser --system mdesiem >/dev/null 2>&1 || true
        rm -rf "$T"
    }
    trap cleanup_dpkg EXIT
    dpkg -i "$deb" >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log" >&2; fail "dpkg -i failed"; }
    mdesiem --version >/dev/null || fail "installed mdesiem does not run"
    getent passwd mdesiem | grep -q ':/var/lib/mdesiem:/usr/sbin/nologin$' || fail "no mdesiem system user"
    [ "$(stat -c '%a %U:%G' /etc/mdesiem/mdesiem.ini)" = "640 root:mdesiem" ] || fail "config owner/mode"
    [ "$(stat -c '%a %U' /etc/mdesiem/secrets)" = "700 mdesiem" ] || fail "secrets owner/mode"
    [ "$(stat -c '%a %U' /var/lib/mdesiem)" = "750 mdesiem" ] || fail "state owner/mode"
    echo state >/var/lib/mdesiem/marker
    echo "; local change" >>/etc/mdesiem/mdesiem.ini
    dpkg -r mdesiem >/dev/null 2>&1 || fail "dpkg -r failed"
    [ ! -e /usr/bin/mdesiem ] || fail "binary left after dpkg -r"
    [ -f /var/lib/mdesiem/marker ] || fail "dpkg -r removed the state"
    grep -q 'local change' /etc/mdesiem/mdesiem.ini || fail "dpkg -r removed the configuration"
    dpkg -P mdesiem >/dev/null 2>&1 || fail "dpkg -P failed"
    [ ! -e /var/lib/mdesiem ] && [ ! -e /etc/mdesiem ] || fail "purge left state or configuration"
    echo "dpkg: install, remove (kept /etc and state) and purge (removed them) done"
fi
echo "deb: $(basename "$deb"), $(grep -c . "$T/contents") entries, Depends: $(field Depends)"
