//! Output into a pipe whose reader has gone away (`gitops-lsp clusters | head`): every
//! command exits quietly, as other Unix tools do: no message on stderr, and the exit code it
//! would have had (`check` keeps its verdict; the others 0). Issue 14, point 5.
//!
//! The real binary writes into a pipe whose read end is closed before it starts, so that
//! every write fails with EPIPE (Rust ignores SIGPIPE), whatever the size of the output and
//! however fast the reader would have been.

use crate::common::*;
use std::io::Read;
use std::os::fd::FromRawFd;
use std::process::{Command, Stdio};

/// Runs the binary with stdout into a pipe nobody reads; returns the exit code and stderr.
fn run_into_closed_pipe(args: &[&str]) -> (i32, String) {
    let mut fds = [0i32; 2];
    // SAFETY: `pipe` fills two new descriptors; the read end is closed at once, the write end
    // is handed to `Stdio`, which owns (and closes) it.
    let stdout = unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0, "pipe");
        libc::close(fds[0]);
        Stdio::from_raw_fd(fds[1])
    };
    let mut child = Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gitops-lsp");
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), stderr)
}

#[test]
fn every_command_exits_quietly_when_the_reader_is_gone() {
    let home = fixture("home-ops");
    let home = home.to_str().unwrap();
    let defect = fixture("defects/undefined-variable");
    let file = fixture("home-ops/kubernetes/clusters/apps/flux-system/gotk-sync.yaml");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["check", home], 0),
        (vec!["check", home, "--format", "json"], 0),
        (vec!["check", home, "--format", "sarif"], 0),
        // Errors found: the verdict stays 1 with nobody reading.
        (vec!["check", defect.to_str().unwrap()], 1),
        (vec!["check", defect.to_str().unwrap(), "--format", "json"], 1),
        (vec!["check", defect.to_str().unwrap(), "--format", "github"], 1),
        (vec!["clusters", home], 0),
        (vec!["ipam", home], 0),
        (vec!["ipam", home, "--format", "json"], 0),
        (vec!["render", "--root", home, "--cluster", "apps", file.to_str().unwrap()], 0),
        (vec!["--help"], 0),
        (vec!["--version"], 0),
    ];
    for (args, code) in cases {
        // The same command into a reader, for the exit code it has with its output read.
        let normal = run(&args, None);
        assert_eq!(normal.code, code, "{args:?}: {}", normal.stderr);
        assert!(!normal.stdout.is_empty(), "{args:?} prints something");
        let (got, stderr) = run_into_closed_pipe(&args);
        assert_eq!(stderr, "", "{args:?}: a message on stderr with the reader gone");
        assert_eq!(got, code, "{args:?}: exit code with the reader gone");
    }
}
