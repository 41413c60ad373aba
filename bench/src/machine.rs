//! What machine a figure was measured on: cores, CPU model, memory, kernel.

use std::fmt::Write as _;

pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub mem_total_kib: u64,
    pub kernel: String,
}

impl Machine {
    pub fn detect() -> Machine {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_total_kib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".into());
        Machine { cores, cpu, mem_total_kib, kernel }
    }

    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "{} cores (available_parallelism), CPU: {}, memory: {:.1} GiB, Linux {}",
            self.cores,
            self.cpu,
            self.mem_total_kib as f64 / 1024.0 / 1024.0,
            self.kernel
        );
        s
    }
}
