"""What every interop script shares: running our binary or the reference, counting checks,
and the one-line summary each script ends with ("LABEL: N passed, M failed", exit 1 on any
failure). Imported by the scripts beside it."""

import subprocess
import sys

_counts = {"passed": 0, "failed": 0}


def run(cmd, ok=True):
    """Runs `cmd` (any items, turned to text); with `ok`, a non-zero exit raises."""
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise RuntimeError(
            f"{[str(c) for c in cmd[:4]]} exited {r.returncode}: {r.stderr.strip() or r.stdout.strip()}"
        )
    return r


def check(name, fn):
    """Runs one check; a failure is reported and the script goes on."""
    try:
        fn()
        _counts["passed"] += 1
        print(f"ok    {name}")
    except Exception as e:  # noqa: BLE001 - report every failure and go on
        _counts["failed"] += 1
        print(f"FAIL  {name}: {e}")


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: expected {want!r}, got {got!r}")


def finish(label):
    """Prints the summary and exits: 1 when any check failed."""
    print(f"{label}: {_counts['passed']} passed, {_counts['failed']} failed")
    sys.exit(1 if _counts["failed"] else 0)
