//! The LSP client of `lsp-bench` and `peer-bench`, plus the helpers both use to pick
//! positions in a repository and to report figures.
//!
//! The transport is `test_support::lsp_client::Server` (shared with the integration tests):
//! Content-Length framing, one reader thread that stamps every message with its arrival
//! `Instant` and answers server→client requests itself, so a server never waits on the
//! benchmark's main thread. `workspace/configuration` is answered from the settings given to
//! [`Client::spawn`] (one entry per requested section, `null` for a section that is not
//! there); every other request (window/workDoneProgress/create, client/registerCapability,
//! ...) is answered with `null`. This layer adds latencies and a count of publishes.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
pub use test_support::lsp_client::uri_of;
use test_support::lsp_client::{kind, Kind, Server, Spawn};

/// How long a request may take before the benchmark gives up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

pub enum Msg {
    Response {
        id: i64,
        body: Value,
    },
    Notification {
        method: String,
        params: Value,
    },
    /// A request of the server (already answered).
    Request {
        method: String,
    },
}

pub struct Client {
    server: Server,
    pub pid: u32,
    /// Number of publishDiagnostics received so far.
    pub publishes: usize,
}

impl Client {
    /// Starts `cmd` with piped stdio (stderr discarded). `settings` answers
    /// `workspace/configuration`; with `None` those requests get `null` like any other.
    pub fn spawn(cmd: Command, settings: Option<Value>) -> Client {
        let server = Server::spawn(cmd, Spawn { settings, capture_stderr: false });
        Client { pid: server.pid, server, publishes: 0 }
    }

    pub fn notify(&self, method: &str, params: Value) {
        // A server that has gone shows as a missing answer or the end of its output.
        let _ = self.server.notify(method, params);
    }

    /// When the first `workspace/configuration` request was answered, if one was.
    pub fn first_config_answer(&self) -> Option<Instant> {
        self.server.answered().into_iter().find(|(m, _)| m == "workspace/configuration").map(|(_, t)| t)
    }

    /// Number of `workspace/configuration` requests answered so far.
    pub fn config_requests(&self) -> usize {
        self.server.answered().iter().filter(|(m, _)| m == "workspace/configuration").count()
    }

    /// Counts a publish and tells what a message is.
    fn seen(publishes: &mut usize, msg: Value) -> Msg {
        match kind(&msg) {
            Kind::Notification { method, .. } => {
                if method == "textDocument/publishDiagnostics" {
                    *publishes += 1;
                }
                let method = method.to_string();
                let params = msg.get("params").cloned().unwrap_or(Value::Null);
                Msg::Notification { method, params }
            }
            Kind::Response { id } => Msg::Response { id, body: msg },
            Kind::Request { method, .. } => Msg::Request { method: method.to_string() },
        }
    }

    pub fn recv(&mut self, timeout: Duration) -> Option<(Instant, Msg)> {
        let (t, msg) = self.server.recv(timeout)?;
        Some((t, Self::seen(&mut self.publishes, msg)))
    }

    /// Sends a request and waits for its response; returns the latency (send → arrival).
    /// Notifications that arrive meanwhile go to `on_notification`.
    pub fn request_seeing(
        &mut self,
        method: &str,
        params: Value,
        mut on_notification: impl FnMut(Instant, &str, &Value),
    ) -> (Duration, Value) {
        let t0 = Instant::now();
        let id = self.server.send_request(method, params).unwrap_or_else(|e| panic!("cannot send {method}: {e}"));
        let publishes = &mut self.publishes;
        let (t, body) = self
            .server
            .response(id, t0 + REQUEST_TIMEOUT, |t, msg| {
                if let Msg::Notification { method, params } = Self::seen(publishes, msg.clone()) {
                    on_notification(t, &method, &params);
                }
            })
            .unwrap_or_else(|| panic!("no response to {method} in {REQUEST_TIMEOUT:?}"));
        (t - t0, body)
    }

    /// Sends a request and waits for its response; returns the latency (send → arrival).
    pub fn request(&mut self, method: &str, params: Value) -> (Duration, Value) {
        self.request_seeing(method, params, |_, _, _| {})
    }

    /// Waits for a notification satisfying `pred`; returns its arrival time.
    pub fn wait_for(&mut self, timeout: Duration, mut pred: impl FnMut(&str, &Value) -> bool) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.recv(left) {
                Some((t, Msg::Notification { method, params })) if pred(&method, &params) => return Some(t),
                Some(_) => {}
                None => return None,
            }
        }
    }

    /// Waits until no publishDiagnostics has arrived for `quiet` (after at least one); returns
    /// the arrival time of the last publish, or None if none came in `timeout`. `on_publish`
    /// sees every publish.
    pub fn settle(
        &mut self,
        quiet: Duration,
        timeout: Duration,
        mut on_publish: impl FnMut(Instant, &Value),
    ) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        let mut last: Option<Instant> = None;
        loop {
            let wait = match last {
                Some(l) => match (l + quiet).checked_duration_since(Instant::now()) {
                    Some(d) => d,
                    None => return last,
                },
                None => deadline.checked_duration_since(Instant::now())?,
            };
            match self.recv(wait) {
                Some((t, Msg::Notification { method, params })) if method == "textDocument/publishDiagnostics" => {
                    on_publish(t, &params);
                    last = Some(t);
                }
                Some(_) => {}
                None => {
                    if last.is_some() {
                        return last;
                    }
                    return None;
                }
            }
        }
    }

    pub fn drain(&mut self, quiet: Duration) {
        while self.recv(quiet).is_some() {}
    }

    /// Asks the server to shut down and exit; kills it if it has not exited 5 s later.
    pub fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        if self.server.wait_exit(Duration::from_secs(5)).is_none() {
            self.server.kill();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server process

/// A `kB` field of `/proc/<pid>/status` (VmRSS, VmHWM, ...), in KiB; 0 if unreadable.
pub fn proc_status_kib(pid: u32, field: &str) -> u64 {
    test_support::proc_status_kib(pid, field).unwrap_or(0)
}

/// `pid` and all its descendants (through `/proc/<pid>/task/<tid>/children`).
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        i += 1;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else { continue };
        for t in tasks.flatten() {
            let children = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
            for c in children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()) {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// Sum of a `/proc/<pid>/status` field over `pid` and its descendants, in KiB.
pub fn tree_status_kib(pid: u32, field: &str) -> u64 {
    process_tree(pid).into_iter().map(|p| proc_status_kib(p, field)).sum()
}

/// User + system CPU time used so far by `pid` (all its threads), from `/proc/<pid>/stat`.
pub fn proc_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let ticks: u64 = [11, 12].iter().filter_map(|&i| f.get(i).and_then(|v| v.parse::<u64>().ok())).sum();
    // SAFETY: sysconf only reads a constant of the system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_nanos(ticks * 1_000_000_000 / hz)
}

/// CPU time of `pid` and its descendants.
pub fn tree_cpu(pid: u32) -> Duration {
    process_tree(pid).into_iter().map(proc_cpu).sum()
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The repository

pub fn has_code(params: &Value, code: &str) -> bool {
    params["diagnostics"].as_array().is_some_and(|a| a.iter().any(|d| d["code"].as_str() == Some(code)))
}

/// A `${NAME...}` use in a file.
#[derive(Clone)]
pub struct Use {
    pub file: PathBuf,
    pub line: usize,
    /// UTF-16 column of `$`.
    pub col: usize,
    pub name: String,
    /// `${NAME}` with no default.
    pub plain: bool,
}

pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Every `.yaml` / `.yml` file under `root`, skipping hidden entries, sorted.
pub fn yaml_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn uses_in(file: &Path, text: &str) -> Vec<Use> {
    let mut out = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let mut from = 0;
        while let Some(i) = line[from..].find("${") {
            let s = from + i;
            let rest = &line[s + 2..];
            let n = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
            if n > 0 {
                out.push(Use {
                    file: file.to_path_buf(),
                    line: ln,
                    col: utf16_len(&line[..s]),
                    name: rest[..n].to_string(),
                    plain: rest[n..].starts_with('}'),
                });
            }
            from = s + 2;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Figures

/// Nearest-rank percentile (with n ≤ 100 samples, p99 is the maximum).
pub fn pct(v: &[Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    let mut s = v.to_vec();
    s.sort();
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

pub fn ms(d: Duration) -> String {
    let m = d.as_secs_f64() * 1e3;
    if m >= 100.0 {
        format!("{m:.0} ms")
    } else if m >= 10.0 {
        format!("{m:.1} ms")
    } else {
        format!("{m:.2} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_measured() {
        let me = std::process::id();
        assert_eq!(process_tree(me)[0], me);
        assert!(proc_status_kib(me, "VmRSS") > 0);
        // Burn a little CPU so that at least one clock tick is counted.
        let t = Instant::now();
        let mut x = 0u64;
        while t.elapsed() < Duration::from_millis(50) {
            x = x.wrapping_mul(31).wrapping_add(1);
        }
        assert!(x != 1);
        assert!(proc_cpu(me) > Duration::ZERO);
    }

    #[test]
    fn uses_and_percentiles() {
        let u = uses_in(Path::new("f.yaml"), "a: ${A}\n# ${B}\nb: x-${C:=d} ${D}\n");
        let got: Vec<(usize, usize, &str, bool)> =
            u.iter().map(|u| (u.line, u.col, u.name.as_str(), u.plain)).collect();
        assert_eq!(got, vec![(0, 3, "A", true), (2, 5, "C", false), (2, 13, "D", true)]);
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(pct(&v, 50.0), Duration::from_millis(50));
        assert_eq!(pct(&v, 99.0), Duration::from_millis(99));
        assert_eq!(pct(&[], 50.0), Duration::ZERO);
    }
}
