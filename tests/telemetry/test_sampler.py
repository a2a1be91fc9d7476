"""Real psutil readings of the machine and of a process tree with a busy child."""

import os
import subprocess
import sys
import time

from modelyard.telemetry.sampler import ProcessTreeSampler, SystemSampler


def test_system_sample_has_every_reading():
    sampler = SystemSampler()
    time.sleep(0.05)
    sample = sampler.sample()
    assert len(sample.per_core) == sampler.n_cores
    assert 0 <= sample.cpu_percent <= 100
    assert 0 < sample.memory_used_mb < sample.memory_total_mb
    assert 0 < sample.memory_percent < 100
    for rate in (sample.disk_read_mb_s, sample.net_recv_mb_s, sample.net_sent_mb_s):
        assert rate is None or rate >= 0


def test_tree_sampler_counts_a_busy_child():
    child = subprocess.Popen(
        [sys.executable, "-c", "import time\nend = time.time() + 5\nwhile time.time() < end: pass"]
    )
    try:
        sampler = ProcessTreeSampler(os.getpid())
        first = sampler.sample()
        assert child.pid in first.pids and first.n_processes >= 2
        deadline = time.monotonic() + 4
        cpu = 0.0
        while cpu < 20 and time.monotonic() < deadline:
            time.sleep(0.3)
            cpu = sampler.sample().cpu_percent
        assert cpu >= 20  # the child spins one core
        assert sampler.sample().memory_mb > 10
    finally:
        child.kill()
        child.wait()
    assert child.pid not in sampler.sample().pids
