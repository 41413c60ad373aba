//! Shared helpers for tests that run the real `gitops-lsp` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_gitops-lsp")
}

/// A suite (or part of one) that cannot run on this machine (a tool is missing): says so, and
/// under `scripts/test.sh`, which sets GITOPS_LSP_SKIP_LOG, records it for the summary that
/// script prints at the end. When `require` names a variable set to 1 (`.ci/run` sets
/// GITOPS_LSP_REQUIRE_NVIM, _ORACLE, _KUBECTL, _CHROMIUM), fails instead: CI runs everything.
#[track_caller]
pub fn skip(suite: &str, reason: &str, require: Option<&str>) {
    if let Some(var) = require {
        assert!(std::env::var(var).as_deref() != Ok("1"), "{var}=1 but {suite} cannot run: {reason}");
    }
    println!("skipped: {suite}: {reason}");
    if let Some(log) = std::env::var_os("GITOPS_LSP_SKIP_LOG") {
        use std::io::Write;
        // One short append per line: lines from parallel tests do not mix.
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
            let _ = f.write_all(format!("{suite}: {reason}\n").as_bytes());
        }
    }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str], cwd: Option<&Path>) -> Run {
    let mut cmd = Command::new(bin());
    cmd.args(args).env("NO_COLOR", "1");
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let Output { status, stdout, stderr } = cmd.output().expect("run gitops-lsp");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Taken by the tests that load the server or `check` hardest (tens of megabytes of input,
/// thousands of edits) so that no two of them run at once. In one test binary any two tests
/// may run together; their liveness timeouts (20 s for an answer) were set for one such load
/// at a time, as when each suite was its own binary, and two together on 2 busy cores can
/// exceed them (seen: the 20 MB paste of `bad_requests_never_kill_the_server` beside the
/// 50 MB file of `hostile`).
pub fn heavy() -> std::sync::MutexGuard<'static, ()> {
    static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // A test that failed holding it does not fail the others.
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// `check PATH --format json`, parsed.
pub fn check_json(path: &Path, extra: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let p = path.to_str().unwrap();
    let mut args = vec!["check", p, "--format", "json"];
    args.extend_from_slice(extra);
    let r = run(&args, None);
    let v: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", r.stdout, r.stderr));
    (r.code, v.as_array().unwrap().clone())
}

/// Writes files into a new temporary folder.
pub fn temp_repo(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    write_files(tempfile::tempdir().unwrap(), files)
}

/// A temporary folder in memory (/dev/shm) where there is one: creating and removing the
/// 10,000 folders of a generated repository takes a second there, and can take a minute on
/// a busy disk.
pub fn fast_temp_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::Builder::new().prefix("gitops-lsp-test").tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().unwrap()
}

/// `mini_repo` in a `fast_temp_dir`.
pub fn mini_repo_fast(extra: &[(&str, &[u8])]) -> tempfile::TempDir {
    write_files(fast_temp_dir(), &mini_repo_files(extra))
}

fn write_files(dir: tempfile::TempDir, files: &[(&str, &[u8])]) -> tempfile::TempDir {
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// A small clean one-cluster repo (`dev`) with one app whose ConfigMap uses `${APP_NAME}`;
/// `extra` files are added on top (and may replace).
pub fn mini_repo(extra: &[(&str, &[u8])]) -> tempfile::TempDir {
    temp_repo(&mini_repo_files(extra))
}

fn mini_repo_files<'a>(extra: &[(&'a str, &'a [u8])]) -> Vec<(&'a str, &'a [u8])> {
    let mut files: Vec<(&str, &[u8])> = vec![
        ("kubernetes/clusters/dev/flux-system/kustomization.yaml", b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n"),
        (
            "kubernetes/clusters/dev/flux-system/gotk-sync.yaml",
            b"apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://example.com/repo\n  ref:\n    branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./kubernetes/clusters/dev\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        ),
        ("kubernetes/clusters/dev/cluster-settings.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  APP_NAME: \"hello\"\n"),
        (
            "kubernetes/clusters/dev/apps.yaml",
            b"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./kubernetes/apps/app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n",
        ),
        ("kubernetes/apps/app/kustomization.yaml", b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n"),
        ("kubernetes/apps/app/configmap.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n  name: \"${APP_NAME}\"\n"),
    ];
    for (p, c) in extra {
        files.retain(|(q, _)| q != p);
        files.push((p, c));
    }
    files
}

/// `code@file:line` (1-based) for each diagnostic, sorted.
pub fn summary(diags: &[serde_json::Value]) -> Vec<String> {
    let mut v: Vec<String> = diags
        .iter()
        .map(|d| {
            format!(
                "{}@{}:{}",
                d["code"].as_str().unwrap(),
                d["file"].as_str().unwrap(),
                d["range"]["start"]["line"].as_u64().unwrap() + 1
            )
        })
        .collect();
    v.sort();
    v
}
pub mod lsp;

/// A run with its wall time and the child's peak resident memory.
pub struct Measured {
    pub run: Run,
    pub wall: std::time::Duration,
    /// Peak resident set of the child in KiB (`VmHWM`, sampled from /proc while it runs:
    /// `wait4`'s `ru_maxrss` would count the test process's memory, which the child shares
    /// until it executes), where measurable.
    pub peak_rss_kib: Option<u64>,
}

/// Runs `gitops-lsp ARGS` and measures it.
pub fn run_measured(args: &[&str], cwd: Option<&Path>) -> Measured {
    use std::io::Read;
    let mut cmd = Command::new(bin());
    cmd.args(args).env("NO_COLOR", "1").stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let start = std::time::Instant::now();
    let mut child = cmd.spawn().expect("run gitops-lsp");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let pid = child.id();
    let exe_path = Path::new(bin()).canonicalize().unwrap_or_else(|_| PathBuf::from(bin()));
    let mut peak = None;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        // Before the binary is executed, /proc shows the test process's memory.
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        if exe.is_some_and(|e| e == exe_path) {
            peak = peak_rss_of(pid).or(peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    let wall = start.elapsed();
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
    Measured { run: Run { code: status.code().unwrap_or(-1), stdout, stderr }, wall, peak_rss_kib: peak }
}

/// Peak resident memory (KiB) of a running process, from /proc (Linux).
pub fn peak_rss_of(pid: u32) -> Option<u64> {
    test_support::proc_status_kib(pid, "VmHWM")
}

/// What a traced run did to the file system, the network and processes (`strace`).
#[derive(Debug, Default)]
pub struct Trace {
    /// Paths opened or looked up for reading (`open*` calls), as resolved.
    pub opened: Vec<PathBuf>,
    /// Calls that would change the file system (`open*` for writing, create, rename,
    /// unlink, mkdir, chmod…), as strace printed them.
    pub writes: Vec<String>,
    /// `socket`/`connect`/… calls.
    pub network: Vec<String>,
    /// `execve` calls (the first is the traced binary itself).
    pub execs: Vec<String>,
}

/// The strace command line that traces what `assert_confined` checks, logging to `log`;
/// the traced program and its arguments follow.
pub fn strace_prefix(log: &Path) -> Vec<String> {
    ["strace", "-f", "-qq", "-y", "-s", "4096", "-e", "trace=%file,%network,ftruncate,fchmod,fchown", "-o"]
        .iter()
        .map(|s| s.to_string())
        .chain([log.to_string_lossy().into_owned(), "--".to_string()])
        .collect()
}

/// Whether strace is installed and may trace here.
pub fn strace_works() -> bool {
    let log = tempfile::NamedTempFile::new().unwrap();
    let prefix = strace_prefix(log.path());
    let ok = Command::new(&prefix[0]).args(&prefix[1..]).arg("true").output().is_ok_and(|o| o.status.success());
    ok && std::fs::read_to_string(log.path()).is_ok_and(|t| t.contains("execve("))
}

/// Reads a log written under `strace_prefix` (relative paths resolve against `cwd`).
pub fn read_trace(log: &Path, cwd: &Path) -> Trace {
    parse_trace(&std::fs::read_to_string(log).unwrap_or_default(), cwd)
}

/// Runs `gitops-lsp ARGS` under `strace -f` when strace is installed and allowed to trace;
/// `None` otherwise (the caller skips its checks with a message).
pub fn strace_run(args: &[&str], cwd: &Path) -> Option<(Run, Trace)> {
    if !strace_works() {
        return None;
    }
    let log = tempfile::NamedTempFile::new().unwrap();
    let prefix = strace_prefix(log.path());
    let mut cmd = Command::new(&prefix[0]);
    cmd.args(&prefix[1..]).arg(bin()).args(args).env("NO_COLOR", "1").current_dir(cwd);
    let Output { status, stdout, stderr } = cmd.output().ok()?;
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    Some((run, read_trace(log.path(), cwd)))
}

fn parse_trace(text: &str, cwd: &Path) -> Trace {
    let mut t = Trace::default();
    // `name(` after the pid.
    let call = |line: &str| -> Option<(String, String)> {
        let rest = line.split_once(' ').map(|(_, r)| r.trim_start())?;
        let (name, args) = rest.split_once('(')?;
        Some((name.to_string(), args.to_string()))
    };
    // The quoted strings of a call's arguments, and the `<path>` strace -y prints for fds.
    let quoted = |args: &str| -> Vec<String> {
        let mut v = Vec::new();
        let mut it = args.split('"');
        it.next();
        while let Some(s) = it.next() {
            v.push(s.to_string());
            it.next();
        }
        v
    };
    const WRITE_FLAGS: &[&str] = &["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"];
    for line in text.lines() {
        let Some((name, args)) = call(line) else { continue };
        match name.as_str() {
            "execve" | "execveat" => t.execs.push(line.to_string()),
            "socket" | "connect" | "bind" | "sendto" | "sendmsg" | "listen" | "accept" | "accept4" => {
                t.network.push(line.to_string())
            }
            "open" | "openat" | "openat2" | "creat" => {
                let Some(p) = quoted(&args).into_iter().next() else { continue };
                // The loader looks for libraries along LD_LIBRARY_PATH (cargo sets it for
                // tests): lookups that find nothing are not reads.
                let failed = line.contains(") = -1 ");
                if failed && (p.ends_with(".so") || p.contains(".so.")) {
                    continue;
                }
                let base = args
                    .split_once('<')
                    .filter(|_| !args.starts_with("AT_FDCWD") && !p.starts_with('/'))
                    .and_then(|(_, r)| r.split_once('>'))
                    .map(|(b, _)| PathBuf::from(b));
                let path = if p.starts_with('/') {
                    PathBuf::from(&p)
                } else {
                    base.unwrap_or_else(|| cwd.to_path_buf()).join(&p)
                };
                if name == "creat" || WRITE_FLAGS.iter().any(|f| args.contains(f)) {
                    t.writes.push(line.to_string());
                }
                t.opened.push(path);
            }
            "mkdir" | "mkdirat" | "unlink" | "unlinkat" | "rename" | "renameat" | "renameat2" | "rmdir"
            | "truncate" | "ftruncate" | "symlink" | "symlinkat" | "link" | "linkat" | "chmod" | "fchmod"
            | "fchmodat" | "chown" | "fchown" | "fchownat" | "lchown" | "utimensat" | "mknod" | "mknodat" => {
                t.writes.push(line.to_string())
            }
            _ => {}
        }
    }
    t
}

/// System places a process may read (the dynamic loader, /proc, /sys, /dev).
const SYSTEM_PREFIXES: &[&str] =
    &["/etc/ld.so", "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/proc/", "/sys/", "/dev/"];

/// Ignore-rule files that a walk of a folder inside a Git repository reads in the folders
/// above it (as git does when it checks a sub-folder).
const IGNORE_FILES: &[&str] = &[".gitignore", ".ignore", ".git/info/exclude"];

/// In a Git worktree above `root`, `.git` is a file naming the worktree's git folder: the
/// walk reads it, that folder's `commondir`, and the exclude rules of both git folders.
fn worktree_git_files(root: &Path) -> Vec<PathBuf> {
    for a in root.ancestors() {
        let dot_git = a.join(".git");
        if dot_git.is_dir() {
            return Vec::new();
        }
        let Some(git_dir) = std::fs::read_to_string(&dot_git)
            .ok()
            .and_then(|t| t.trim().strip_prefix("gitdir:").map(|d| a.join(d.trim())))
        else {
            continue;
        };
        let common = std::fs::read_to_string(git_dir.join("commondir")).map(|c| git_dir.join(c.trim())).ok();
        let mut files = vec![dot_git, git_dir.join("commondir"), git_dir.join("info/exclude")];
        files.extend(common.map(|c| c.canonicalize().unwrap_or(c).join("info/exclude")));
        return files;
    }
    Vec::new()
}

/// Asserts that a traced run read nothing outside `root` (symbolic links resolved) but the
/// system's loader files and the ignore rules of the folders above, wrote nothing, opened
/// no socket and started no program.
#[track_caller]
pub fn assert_confined(t: &Trace, root: &Path) {
    let root = root.canonicalize().unwrap();
    let worktree = worktree_git_files(&root);
    let outside: Vec<String> = t
        .opened
        .iter()
        .filter(|p| {
            let s = p.to_string_lossy();
            if SYSTEM_PREFIXES.iter().any(|pre| s.starts_with(pre)) || *p == Path::new(bin()) {
                return false;
            }
            if root.ancestors().any(|a| IGNORE_FILES.iter().any(|f| *p == &a.join(f))) || worktree.contains(p) {
                return false;
            }
            let real = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
            !real.starts_with(&root)
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(outside.is_empty(), "opened outside the repository: {outside:#?}");
    assert!(t.writes.is_empty(), "changed the file system: {:#?}", t.writes);
    assert!(t.network.is_empty(), "used the network: {:#?}", t.network);
    assert_eq!(t.execs.len(), 1, "started a program: {:#?}", t.execs);
}

/// Copies a folder; symbolic links are copied as links (never followed).
#[cfg(unix)]
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (p, t) = (e.path(), to.join(e.file_name()));
        let ft = e.file_type().unwrap();
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&p).unwrap(), &t).unwrap();
        } else if ft.is_dir() {
            copy_tree(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// One entry of `tree_state`: kind, content (a link's target), modification time, mode.
pub type EntryState = (&'static str, Vec<u8>, Option<std::time::SystemTime>, u32);

/// Every entry below `root` (links not followed), with its content, mtime and mode.
#[cfg(unix)]
pub fn tree_state(root: &Path) -> std::collections::BTreeMap<PathBuf, EntryState> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            let mode = m.permissions().mode();
            let mtime = m.modified().ok();
            if m.file_type().is_symlink() {
                let target = std::fs::read_link(&p).unwrap().to_string_lossy().into_owned().into_bytes();
                out.insert(rel, ("link", target, mtime, mode));
            } else if m.is_dir() {
                out.insert(rel, ("dir", Vec::new(), mtime, mode));
                stack.push(p);
            } else {
                out.insert(rel, ("file", std::fs::read(&p).unwrap(), mtime, mode));
            }
        }
    }
    out
}

/// `chmod -R a-w` (or `u+w` back), links left alone.
#[cfg(unix)]
pub fn set_read_only(root: &Path, read_only: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        if m.file_type().is_symlink() {
            continue;
        }
        let mode = m.permissions().mode();
        let mode = if read_only { mode & !0o222 } else { mode | 0o200 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        if m.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        }
    }
}
