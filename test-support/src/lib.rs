//! What the integration tests (`lsp/tests/it`) and the benchmarks (`bench/`) of gitops-lsp
//! share. A development crate: a dev-dependency of `gitops-lsp`, never part of the shipped
//! binary.
//!
//! - [`lsp_client`]: a language server started as a child process and spoken to over stdio
//!   JSON-RPC (framing, a reader thread that stamps arrivals and answers the server's
//!   requests, responses matched by id). The tests' `LspClient` (document versions,
//!   published diagnostics, transcripts) and the benchmarks' `Client` (latencies, publish
//!   counts) are thin layers over it.
//! - [`proc_status_kib`]: a process's memory figures from /proc.

pub mod lsp_client;

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`, ...) in KiB; `None` where it cannot
/// be read (the process is gone, not Linux).
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn own_memory_is_read() {
        let me = std::process::id();
        let rss = super::proc_status_kib(me, "VmRSS").unwrap();
        let hwm = super::proc_status_kib(me, "VmHWM").unwrap();
        assert!(rss > 0 && hwm >= rss, "{rss} {hwm}");
        assert_eq!(super::proc_status_kib(me, "NoSuchField"), None);
        // A prefix of another field's name is not that field.
        assert_eq!(super::proc_status_kib(me, "Vm"), None);
    }
}
