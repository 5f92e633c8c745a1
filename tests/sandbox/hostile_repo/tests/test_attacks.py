"""Hostile code under test: each test tries to break out of, or wear down, the sandbox.

It prints ``ESCAPED: ...`` whenever an attempt works and asserts that it did; run in a sound
sandbox every attempt fails or is stopped by a limit. ``targets.json`` (written beside this
repo's copy by the host-side test) names what to aim at on the host.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

TARGETS = json.loads((Path(__file__).parent.parent / "targets.json").read_text())


def escaped(what):
    print(f"ESCAPED: {what}", flush=True)
    return True


def test_loopback_service():
    try:
        with socket.create_connection(("127.0.0.1", TARGETS["port"]), timeout=2) as conn:
            conn.sendall(b"hello from the sandbox\n")
            assert escaped(f"connected to the host's 127.0.0.1:{TARGETS['port']}")
    except OSError as ex:
        print(f"contained: {ex!r}")
        raise


def test_other_interfaces():
    names = sorted(name for _, name in socket.if_nameindex())
    print("interfaces:", names)
    others = [n for n in names if n != "lo"]
    if others:
        escaped(f"network interfaces {others}")
    assert others


def test_read_outside():
    found = []
    for path in TARGETS["secrets"] + ["/etc/shadow", "/root/.ssh/id_rsa", "/root/.bashrc"]:
        try:
            text = Path(path).read_text()
        except OSError as ex:
            print(f"contained: {path}: {ex.strerror}")
            continue
        if path != "/etc/shadow" or "root:" in text:
            found.append(escaped(f"read {path}: {text[:80]!r}"))
    for sock in ("/var/run/docker.sock", "/run/docker.sock"):
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(sock)
                found.append(escaped(f"connected to {sock}"))
        except OSError as ex:
            print(f"contained: {sock}: {ex.strerror}")
    for key, value in os.environ.items():
        if key not in TARGETS["allowed_env"]:
            found.append(escaped(f"host environment variable {key}={value}"))
    assert found


def test_write_outside():
    done = []
    for path in TARGETS["writes"] + ["/etc/agent-escape", "/usr/agent-escape", "/agent-escape"]:
        try:
            Path(path).write_text("escaped\n")
            done.append(escaped(f"wrote {path}"))
        except OSError as ex:
            print(f"contained: {path}: {ex.strerror}")
    assert done


def test_fork_bomb():
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    subprocess.run([sys.executable, "-c", code])


def test_allocate_forever():
    hoard = []
    while True:
        hoard.append(b"\x01" * (32 << 20))


def test_loop_forever():
    while True:
        pass


def test_print_gigabytes():
    line = b"x" * 65535 + b"\n"
    for _ in range(1 << 15):  # 2 GiB
        os.write(1, line)


def test_kill_parent():
    for pid in (os.getppid(), 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError as ex:
            print(f"contained: kill {pid}: {ex.strerror}")
    time.sleep(0.5)
    os.kill(-1, signal.SIGKILL)


def test_leave_processes():
    stamp = "while true; do date >> /tmp/left-behind; date >> ../left-behind; sleep 0.1; done"
    subprocess.Popen(["sh", "-c", stamp], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.Popen(["sleep", "600"], start_new_session=True)
    time.sleep(0.3)
