#!/bin/bash
# smoke.sh: end-to-end runs of rkt-stage1 with hand-written plans over a small image (the
# probe, the sample app and, if installed, a static busybox), checked from the probe's JSON.
#
#   native/tests/smoke.sh        as root; exit 0 all passed, 1 a check failed, 77 skipped
#
# Makes its own temp dirs and removes them. Everything the pods mount lives in their own mount
# namespaces; the script checks that nothing under its temp dir is left mounted on the host.
set -u
native=$(cd "$(dirname "$0")/.." && pwd)
out=$native/out
if [ "$(id -u)" != 0 ]; then
	echo "smoke: skipped (needs root)"
	exit 77
fi
command -v node >/dev/null || { echo "smoke: needs node to read JSON"; exit 1; }
make -s -C "$native" || exit 1

T=$(mktemp -d /tmp/rkt-smoke.XXXXXX)
cleanup() {
	# never rm -rf through a mount: if a test failed to contain one, detach it first
	grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$T"
}
trap cleanup EXIT

fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
expect() { # expect DESC ACTUAL WANTED
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got '$2', want '$3')"; fi
}
# js FILE EXPR: evaluates EXPR with j = the JSON in FILE; prints the result
js() {
	node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		 const v = eval(process.argv[2]); console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2" 2>&1 | grep -m1 .
}
check() { # check DESC FILE EXPR: EXPR must be true
	local v
	v=$(js "$2" "$3")
	if [ "$v" = true ]; then ok "$1"; else bad "$1 ($3 -> $v)"; fi
}
enc() { # percent-encodes what the tests need: %, space, and the empty string as %00
	local s=${1//%/%25}
	if [ -z "$s" ]; then printf '%%00'; else printf '%s' "${s// /%20}"; fi
}

# the images: a normal one, and one whose /proc is a symlink to / (must be refused)
mkdir -p "$T/image/bin" "$T/image/etc" "$T/evil/bin"
cp "$out/probe" "$out/sample" "$T/image/bin/"
if [ -x /bin/busybox ]; then
	cp /bin/busybox "$T/image/bin/"
	ln -s busybox "$T/image/bin/sh"
fi
cp "$out/probe" "$T/evil/bin/"
ln -s / "$T/evil/proc"
ln -s /../.. "$T/image/escape"
echo smoke-etc-hostname >"$T/hostname"

A=/opt/stage2/app/rootfs

# pod NAME IMAGE: starts the plan $T/NAME/plan (the pod part); sets P
pod() {
	P=$T/$1
	mkdir -p "$P/root" "$P/status" "$P/upper" "$P/work"
	cat >"$P/plan" <<EOF
rkt-stage1-plan 1
# written by smoke.sh
pod-dir $P
lock-fd 9
error-file $P/error.json
status-dir $P/status
namespaces mount,pid,uts,ipc,net
hostname $1
root $P/root
mount tmpfs / tmpfs - mode=755 -
mkdir $A 0755
mount overlay $A overlay - lowerdir=$2,upperdir=$P/upper,workdir=$P/work -
in-root $A
mount proc /proc proc nosuid,noexec,nodev - mkdir,nofollow
mount sysfs /sys sysfs ro,nosuid,noexec,nodev - mkdir,nofollow
mount tmpfs /dev tmpfs nosuid,strictatime mode=755,size=65536k mkdir,nofollow
EOF
	for d in null zero full random urandom tty; do
		echo "mount /dev/$d /dev/$d - bind - mkfile,nofollow" >>"$P/plan"
	done
	cat >>"$P/plan" <<EOF
mount devpts /dev/pts devpts nosuid,noexec newinstance,ptmxmode=0666,mode=0620 mkdir,nofollow
symlink pts/ptmx /dev/ptmx
mount shm /dev/shm tmpfs nosuid,noexec,nodev mode=1777,size=65536k mkdir,nofollow
mount $T/hostname /etc/hostname - bind,ro - mkfile
mkdir /run/x 0700
mount $T/hostname /escape/etc/escaped - bind,ro - mkfile
EOF
}
# app NAME EXEC ARG...: an app block running as root in /, PATH=/bin
app() {
	local name=$1 exec=$2
	shift 2
	{
		echo "app $name"
		echo "app-root $A"
		echo "exec $(enc "$exec")"
		for a in "$name" "$@"; do echo "arg $(enc "$a")"; done
		echo "env PATH=/nonexistent:/bin"
		echo "env SAMPLE_GREETING=$(enc "hi there")"
		echo "cwd /"
		echo "uid 0"
		echo "gid 0"
	} >>"$P/plan"
}
# start &: as stage0 does, takes the pod lock on fd 9 and execs the helper in its own place
# (so $! is the helper's PID)
start() {
	exec 9<"$P" >"$P/stdout" 2>"$P/stderr"
	flock -n 9 || exit 99
	exec "$out/rkt-stage1" run "$P/plan"
}
# run: runs the pod P to its end (at most 60 s); sets rc
run() {
	start &
	local pid=$! t
	for t in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && { bad "$P did not end in 60 s"; kill -KILL "$pid"; }
	wait "$pid"
	rc=$?
}

expect "version" "$("$out/rkt-stage1" version)" "rkt-stage1 plan-version 1"

# 1. the probe's view of a default pod
pod basic "$T/image"
app probe probe "" --stat /etc/escaped --stat /dev/null --stat /dev/ptmx --stat /etc/hostname --stat /run/x \
	--try-write /sys/kernel/x --try-write /etc/hostname --try-write /tmp-new
run
expect "probe exits 0" "$rc" 0
j=$P/stdout
check "pid is 2 (PID 1 is the supervisor)" "$j" 'j.pid === 2 && j.ppid === 1'
check "hostname set" "$j" 'j.hostname === "basic"'
check "only fds 0-2" "$j" 'JSON.stringify(j.fds) === "[0,1,2]"'
check "in-root keeps an image's symlinks inside the app root" "$j" 'j.files["/etc/escaped"].content === "smoke-etc-hostname\n"'
check "argv and env" "$j" 'j.argv[0] === "probe" && j.argv[1] === "" && j.env.SAMPLE_GREETING === "hi there" && Object.keys(j.env).length === 2'
host_ns=$(readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/net /proc/self/ns/uts /proc/self/ns/ipc | tr '\n' ' ')
check "new mnt, pid, net, uts, ipc namespaces" "$j" "[\"mnt\",\"pid\",\"net\",\"uts\",\"ipc\"].every(n => !\"$host_ns\".includes(j.ns[n]))"
check "/ is the overlay" "$j" 'j.mounts.some(m => m.target === "/" && m.fstype === "overlay")'
check "/proc nosuid,nodev,noexec" "$j" 'j.mounts.some(m => m.target === "/proc" && /nosuid/.test(m.options) && /nodev/.test(m.options) && /noexec/.test(m.options))'
check "/sys read-only" "$j" 'j.mounts.some(m => m.target === "/sys" && m.options.split(",")[0] === "ro") && j.tries["/sys/kernel/x"] === "EROFS"'
check "/etc/hostname bind read-only" "$j" 'j.files["/etc/hostname"].content === "smoke-etc-hostname\n" && j.tries["/etc/hostname"] === "EROFS"'
check "/dev/null is char 1:3" "$j" 'j.files["/dev/null"].type === "char" && j.files["/dev/null"].major === 1 && j.files["/dev/null"].minor === 3'
check "/dev/ptmx -> pts/ptmx" "$j" 'j.files["/dev/ptmx"].target === "pts/ptmx"'
check "mkdir mode 0700" "$j" 'j.files["/run/x"].type === "dir" && j.files["/run/x"].mode === "0700"'
check "rootfs writable" "$j" 'j.tries["/tmp-new"] === "ok"'
check "devpts newinstance" "$j" 'j.mounts.some(m => m.target === "/dev/pts" && m.fstype === "devpts" && /ptmxmode=666/.test(m.superOptions))'
check "no mounts of the host left" "$j" '!j.mounts.some(m => m.target.startsWith("/tmp/rkt-smoke"))'
pid1=$(cat "$P/pid" 2>/dev/null)
case $pid1 in '' | *[!0-9]*) bad "pid file written ($pid1)" ;; *) ok "pid file written ($pid1)" ;; esac
expect "status file" "$(cat "$P/status/probe" 2>/dev/null)" 0
[ ! -e "$P/error.json" ] && ok "no error file on success" || bad "error file on success"

# 2. exit statuses pass through
pod exit3 "$T/image"
app e probe exit 3
run
expect "exit 3 passes through" "$rc" 3
expect "status file says 3" "$(cat "$P/status/e")" 3
pod kill9 "$T/image"
app k /bin/probe signal 9
run
expect "killed by signal 9 gives 137" "$rc" 137

# 3. the sample app
pod sample "$T/image"
app sample /bin/sample --greet rkt
run
expect "sample exits 0" "$rc" 0
expect "sample greets" "$(head -n1 "$P/stdout")" "Hello, rkt! This is rkt's sample app."
grep -q "^pid: 2$" "$P/stdout" && ok "sample runs as pid 2" || bad "sample pid: $(cat "$P/stdout")"

# 4. helper failures: exit 254, the error line, the error file
pod missing "$T/image"
app m /bin/nothing-here
run
expect "missing program gives 254" "$rc" 254
check "error file: exec ENOENT" "$P/error.json" 'j.what === "exec" && j.path === "/bin/nothing-here" && j.errno === 2 && j.errnoName === "ENOENT" && /nothing-here/.test(j.message)'
grep -q "^rkt: stage1: exec /bin/nothing-here: No such file or directory (ENOENT)$" "$P/stderr" &&
	ok "error line on stderr" || bad "error line: $(cat "$P/stderr")"

pod evil "$T/evil"
app p /bin/probe
run
expect "/proc symlink with nofollow gives 254" "$rc" 254
check "error file: ELOOP on /proc" "$P/error.json" "j.errnoName === \"ELOOP\" && j.path === \"$A/proc\""

pod cwd "$T/image"
app c /bin/probe
sed -i 's|^cwd /$|cwd /proc/1/cwd|' "$P/plan"
run
expect "cwd outside the app root gives 254" "$rc" 254
check "error file: chdir" "$P/error.json" 'j.what === "chdir"'

pod version "$T/image"
sed -i '1s/.*/rkt-stage1-plan 2/' "$P/plan"
app v /bin/probe
run
expect "plan version 2 refused" "$rc" 254
check "error file: plan" "$P/error.json" 'j.what === "plan" && j.errnoName === "EINVAL"'

# 5. ids
pod ids "$T/image"
app ids /bin/probe
sed -i -e 's/^uid 0$/uid 1000/' -e 's/^gid 0$/gid 1001/' "$P/plan"
echo "groups 10,20" >>"$P/plan"
run
check "uid, gid, groups" "$P/stdout" 'j.uid === 1000 && j.euid === 1000 && j.gid === 1001 && JSON.stringify(j.groups) === "[10,20]"'
check "unprivileged: no caps" "$P/stdout" 'j.caps.CapEff === "0000000000000000"'

# 6. two apps: the first failure stops the other and decides the pod's status
pod two "$T/image"
app sleeper /bin/probe sleep 30
app failer /bin/probe exit 5
start=$(date +%s)
run
expect "pod status = first failure" "$rc" 5
expect "the other app got SIGTERM" "$(cat "$P/status/sleeper")" 143
[ $(($(date +%s) - start)) -lt 10 ] && ok "stopped promptly" || bad "took too long"

# 7. signals to the outer process reach the apps; the lock is held while the pod runs
pod term "$T/image"
app s /bin/probe sleep 30
start &
outer=$!
for _ in $(seq 50); do grep -q ready "$P/stderr" 2>/dev/null && break; sleep 0.1; done
flock -n "$P" true && bad "lock not held while running" || ok "lock held while running"
kill -TERM "$outer"
wait "$outer"
expect "SIGTERM forwarded: 143" "$?" 143
flock -n "$P" true && ok "lock released" || bad "lock still held"

# 8. if the outer process is killed, the pod goes with it (PID 1 has PDEATHSIG=SIGKILL)
pod orphan "$T/image"
app s /bin/probe sleep 30
start &
outer=$!
for _ in $(seq 50); do grep -q ready "$P/stderr" 2>/dev/null && break; sleep 0.1; done
pid1=$(cat "$P/pid")
kill -KILL "$outer"
wait "$outer" 2>/dev/null
gone=no
for _ in $(seq 50); do
	state=$(awk '{print $3}' "/proc/$pid1/stat" 2>/dev/null)
	if [ -z "$state" ] || [ "$state" = Z ]; then gone=yes; break; fi
	sleep 0.1
done
expect "killing the outer process ends the pod" "$gone" yes

# 9. an app that ignores SIGTERM is killed 10 s after another app failed
pod ignore "$T/image"
app stubborn /bin/probe ignore-term sleep 60
app failer /bin/probe exit 1
start=$(date +%s)
run
took=$(($(date +%s) - start))
expect "pod status 1" "$rc" 1
expect "stubborn app SIGKILLed" "$(cat "$P/status/stubborn")" 137
[ "$took" -ge 9 ] && [ "$took" -le 20 ] && ok "killed after the grace period (${took}s)" || bad "grace period ${took}s"

if grep -q " $T" /proc/self/mountinfo; then bad "mounts left on the host"; else ok "no mounts left on the host"; fi
echo "smoke: $fails failed"
[ "$fails" = 0 ]
