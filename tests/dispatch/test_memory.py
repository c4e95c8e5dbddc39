"""The training rows chosen from the free memory (plain module, no database)."""
import pytest

from jiesu.dispatch import memory

GB = 1e9


def test_the_estimate_follows_the_measured_peaks_of_the_demo_city():
    measured = {5_000: 0.677, 10_000: 0.980, 15_000: 1.549, 20_000: 2.37}  # GB, peak RSS of `train --kernel-rows`
    for rows, peak in measured.items():
        assert memory.peak_bytes(rows) / GB == pytest.approx(peak, rel=0.03)


@pytest.mark.parametrize("free_gb, rows", [(23, 20_000), (4, 20_000), (2, 14_000), (1, 6_000), (0.5, 2_000),
                                           (0, 2_000)])
def test_the_rows_are_the_most_whose_peak_fits_three_quarters_of_the_free_memory(free_gb, rows):
    assert memory.rows_for(free_gb * GB) == rows
    if rows > memory.LEAST_ROWS and rows < memory.MOST_ROWS:
        assert memory.peak_bytes(rows) <= memory.SHARE_OF_FREE * free_gb * GB
        assert memory.peak_bytes(rows + memory.STEP) > memory.SHARE_OF_FREE * free_gb * GB


def test_unknown_free_memory_keeps_the_most_rows():
    assert memory.rows_for(None) == memory.MOST_ROWS


def _meminfo(tmp_path, available_kb):
    path = tmp_path / "meminfo"
    path.write_text(f"MemTotal:       24000000 kB\nMemFree:        1000 kB\nMemAvailable:   {available_kb} kB\n")
    return path


def test_free_memory_is_the_kernels_available_or_the_cgroups_room_whichever_is_less(tmp_path):
    proc = _meminfo(tmp_path, 8_000_000)
    cgroup = tmp_path / "cgroup"
    cgroup.mkdir()
    nowhere = tmp_path / "no-such-file"
    assert memory.free_bytes(proc, cgroup, nowhere) == 8_000_000 * 1024  # no cgroup files
    (cgroup / "memory.max").write_text("max\n")
    (cgroup / "memory.current").write_text("100\n")
    assert memory.free_bytes(proc, cgroup, nowhere) == 8_000_000 * 1024  # no limit
    (cgroup / "memory.max").write_text(f"{3 * 10**9}\n")
    (cgroup / "memory.current").write_text(f"{10**9}\n")
    assert memory.free_bytes(proc, cgroup, nowhere) == 2e9  # the container's limit leaves less
    assert memory.free_bytes(nowhere, nowhere, nowhere) is None


def test_the_own_cgroup_of_a_process_is_found_through_proc_self_cgroup(tmp_path):
    """A container without a cgroup namespace (v1, as on this machine) sees the host's tree: its limit is in
    its own folder, which /proc/self/cgroup names."""
    cgroup = tmp_path / "cgroup"
    own = cgroup / "memory" / "process_api" / "abc"
    own.mkdir(parents=True)
    (cgroup / "memory" / "memory.limit_in_bytes").write_text(str(2**63 - 4096))  # v1's "no limit"
    (cgroup / "memory" / "memory.usage_in_bytes").write_text("0")
    self_cgroup = tmp_path / "self-cgroup"
    self_cgroup.write_text("9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n")
    (own / "memory.limit_in_bytes").write_text(str(2**63 - 4096))
    (own / "memory.usage_in_bytes").write_text("5")
    assert memory.free_bytes(_meminfo(tmp_path, 1_000_000), cgroup, self_cgroup) == 1_000_000 * 1024
    (own / "memory.limit_in_bytes").write_text(str(10**9))
    (own / "memory.usage_in_bytes").write_text(str(4 * 10**8))
    assert memory.free_bytes(_meminfo(tmp_path, 8_000_000), cgroup, self_cgroup) == 6e8
    self_cgroup.write_text("0::/user.slice/app\n")  # v2, a limit on its own folder
    (cgroup / "user.slice" / "app").mkdir(parents=True)
    (cgroup / "user.slice" / "app" / "memory.max").write_text(str(3 * 10**9))
    (cgroup / "user.slice" / "app" / "memory.current").write_text(str(10**9))
    assert memory.free_bytes(_meminfo(tmp_path, 8_000_000), cgroup, self_cgroup) == 2e9
    # the usage counts the file cache: its inactive part is the kernel's to give back
    (cgroup / "user.slice" / "app" / "memory.stat").write_text(f"anon {6 * 10**8}\nfile {4 * 10**8}\n"
                                                              f"inactive_file {3 * 10**8}\n")
    assert memory.free_bytes(_meminfo(tmp_path, 8_000_000), cgroup, self_cgroup) == 2.3e9
    (own / "memory.stat").write_text(f"cache {3 * 10**8}\ninactive_file 5\ntotal_inactive_file {2 * 10**8}\n")
    self_cgroup.write_text("4:memory:/process_api/abc\n")  # v1: the hierarchical total
    assert memory.free_bytes(_meminfo(tmp_path, 8_000_000), cgroup, self_cgroup) == 8e8


def test_this_machine_says_how_much_is_free():
    free = memory.free_bytes()
    assert free is not None and 0 < free < 10**13


def test_a_setting_is_kept_as_it_is_and_none_is_chosen_from_the_memory():
    assert memory.training_rows(10_000, measure=lambda: 0) == memory.TrainingRows(10_000, "setting")
    assert memory.training_rows(0).rows == 0  # never solved at once
    chosen = memory.training_rows(None, measure=lambda: 1 * GB)
    assert chosen == memory.TrainingRows(6_000, "memory", 1 * GB)
    assert chosen.as_dict() == {"rows": 6_000, "rows_chosen_by": "memory", "rows_peak_gb": 0.7, "free_gb": 1.0}
    assert "as set" in memory.training_rows(10_000).sentence()
    assert "free memory (not known)" in memory.training_rows(None, measure=lambda: None).sentence()
