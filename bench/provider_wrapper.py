#!/usr/bin/env python3
"""Stand-in for `terraform-provider-defender` in the benchmark's dev_overrides directory.

Runs the real provider binary (path in the first line of `real_provider` next to this file's
copy, see bench.py) with stdin, stdout and stderr inherited untouched -- stdout carries the
go-plugin handshake -- and, when the child exits, appends one JSON line with its peak RSS and
CPU time to the file named by BENCH_PROVIDER_LOG. Exits with the child's status.

bench.py copies this file as `<wrapper dir>/terraform-provider-defender` with REAL filled in.
"""

import json
import os
import signal
import sys
import time

REAL = "@REAL@"


def main() -> int:
    started = time.monotonic()
    pid = os.posix_spawn(REAL, [REAL, *sys.argv[1:]], os.environ)
    # Terraform stops a plugin through its gRPC controller; a SIGTERM to the wrapper is passed
    # on so the child is never orphaned. SIGINT reaches the child directly (same process group).
    signal.signal(signal.SIGTERM, lambda n, _f: os.kill(pid, n))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _, status, usage = os.wait4(pid, 0)
    log = os.environ.get("BENCH_PROVIDER_LOG")
    if log:
        line = json.dumps(
            {
                "pid": pid,
                "maxrss_kb": usage.ru_maxrss,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "wall_s": time.monotonic() - started,
                "args": sys.argv[1:],
            }
        )
        with open(log, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
