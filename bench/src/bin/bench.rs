//! `bench`: cold `gitops-lsp check` on generated repositories (1k and 10k objects by default)
//! and on fixtures/home-ops, against the floor that reading and parsing set.
//!
//! For each repository it prints:
//! - the release binary's `check --format json` run N times as a child process: wall time
//!   (median, min), user+sys CPU and peak RSS of that child (`wait4`, the per-child form of
//!   `getrusage(RUSAGE_CHILDREN)`), and the number of diagnostics (0 on a clean repository);
//! - the same pipeline through the library, phase by phase, in a fresh child process per run:
//!   `workspace::load` (walk + read), a bare tree-sitter parse of every manifest on all cores
//!   (the floor: read + parse and nothing else), `Snapshot::from_vfs` (parse + YAML tree +
//!   object model, on all cores), `Analysis::new` (the project: clusters, builds, variables)
//!   and `diagnostics()`.
//!
//! ```sh
//! cargo build --release -p gitops-lsp -p gitops-lsp-bench
//! target/release/bench                       # 1k + 10k + fixtures/home-ops, 5 runs each
//! target/release/bench --sizes 1000,10000,20000 --runs 3
//! ```

use clap::Parser;
use gitops_lsp::analysis::Analysis;
use gitops_lsp::files::is_manifest_name;
use gitops_lsp::snapshot::Snapshot;
use gitops_lsp::workspace;
use gitops_lsp_bench::gen::{apps_for_objects, generate, Params};
use gitops_lsp_bench::machine::Machine;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "bench", about = "Benchmark `gitops-lsp check` against the read+parse floor")]
struct Args {
    /// The gitops-lsp binary to measure (default: target/release/gitops-lsp of this workspace).
    #[arg(long = "bin")]
    bin: Option<PathBuf>,
    /// Runs per repository and measurement (the first run is not discarded: the files are
    /// already in the page cache from counting them).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Stop repeating a measurement once its runs have taken this long (at least one run).
    #[arg(long, default_value_t = 120)]
    budget_secs: u64,
    /// Sizes of the generated repositories, in Kubernetes objects.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    sizes: Vec<usize>,
    #[arg(long, default_value_t = 4)]
    clusters: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Extra repositories to measure as they are (default: fixtures/home-ops of this workspace).
    #[arg(long = "repo")]
    repos: Vec<PathBuf>,
    /// Do not measure fixtures/home-ops.
    #[arg(long)]
    no_fixture: bool,
    /// Where the generated repositories are written (replaced on every run).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Skip the in-process phase breakdown.
    #[arg(long)]
    no_phases: bool,
    /// Skip the child-process `check` runs.
    #[arg(long)]
    no_check: bool,
    /// Internal: measure the phases once on this repository and print them (nanoseconds), so
    /// that each phase run starts from a fresh process and heap, as `check` does.
    #[arg(long, hide = true)]
    phases_child: Option<PathBuf>,
}

struct Repo {
    label: String,
    path: PathBuf,
    /// How to regenerate it (for the report).
    how: String,
}

struct Counts {
    yaml_files: usize,
    objects: usize,
    bytes: usize,
}

struct CheckRun {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
    diagnostics: usize,
    exit: i32,
}

#[derive(Default, Clone)]
struct Phases {
    load: Duration,
    ts_parse: Duration,
    snapshot: Duration,
    project: Duration,
    diagnostics: Duration,
    n_diags: usize,
}

fn workspace_root() -> PathBuf {
    // bench/ sits in the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn main() {
    let args = Args::parse();
    if let Some(repo) = &args.phases_child {
        let p = phases_once(repo);
        println!(
            "{} {} {} {} {} {}",
            p.load.as_nanos(),
            p.ts_parse.as_nanos(),
            p.snapshot.as_nanos(),
            p.project.as_nanos(),
            p.diagnostics.as_nanos(),
            p.n_diags
        );
        return;
    }
    let root = workspace_root();
    let bin = args.bin.clone().unwrap_or_else(|| root.join("target/release/gitops-lsp"));
    if !args.no_check && !bin.is_file() {
        eprintln!(
            "error: {} not found; build it first (cargo build --release -p gitops-lsp) or pass --bin PATH",
            bin.display()
        );
        std::process::exit(2);
    }
    let out = args.out.clone().unwrap_or_else(|| root.join("target/bench-repos"));
    let machine = Machine::detect();
    let version = Command::new(&bin)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();

    println!("# gitops-lsp benchmark");
    println!();
    println!("- machine: {}", machine.describe());
    if !args.no_check {
        println!("- binary: {} ({version})", bin.display());
    }
    println!("- source: {}", source_state(&root));
    println!("- load average at start: {}", loadavg());
    println!(
        "- runs: {} per measurement (budget {} s each, at least 1 run); figures are medians unless marked min",
        args.runs, args.budget_secs
    );
    println!();

    let mut repos: Vec<Repo> = Vec::new();
    if !args.no_fixture {
        let fx = root.join("fixtures/home-ops");
        if fx.is_dir() {
            repos.push(Repo { label: "fixtures/home-ops".into(), path: fx, how: "in the repository".into() });
        }
    }
    for r in &args.repos {
        repos.push(Repo { label: r.display().to_string(), path: r.clone(), how: "given".into() });
    }
    for &size in &args.sizes {
        let t = Instant::now();
        let apps = apps_for_objects(args.clusters, size, args.seed);
        let repo = generate(&Params { clusters: args.clusters, apps, seed: args.seed });
        let dir = out.join(format!("gen-{size}"));
        if let Err(e) = repo.write(&dir, true) {
            eprintln!("error: cannot write {}: {e}", dir.display());
            std::process::exit(2);
        }
        eprintln!("generated {} in {:.1} s: {}", dir.display(), t.elapsed().as_secs_f64(), repo.summary());
        repos.push(Repo {
            label: format!("gen {}k", fmt_k(size)),
            path: dir.clone(),
            how: format!("gen-repo --clusters {} --apps {apps} --seed {} {}", args.clusters, args.seed, dir.display()),
        });
    }

    let budget = Duration::from_secs(args.budget_secs);
    let mut check_rows = Vec::new();
    let mut phase_rows = Vec::new();
    let mut problems = Vec::new();
    for r in &repos {
        let counts = count(&r.path);
        eprintln!(
            "{}: {} objects in {} YAML files ({:.1} MB)",
            r.label,
            counts.objects,
            counts.yaml_files,
            counts.bytes as f64 / 1e6
        );
        let mut runs: Vec<CheckRun> = Vec::new();
        if !args.no_check {
            let started = Instant::now();
            while runs.len() < args.runs.max(1) && (runs.is_empty() || started.elapsed() < budget) {
                match check_once(&bin, &r.path) {
                    Ok((run, sample)) => {
                        eprintln!(
                            "  check run {}: {:.3} s wall, {} diagnostics, exit {}",
                            runs.len() + 1,
                            run.wall.as_secs_f64(),
                            run.diagnostics,
                            run.exit
                        );
                        if run.diagnostics > 0 && runs.is_empty() {
                            problems.push(format!("{}: {} diagnostics, e.g. {sample}", r.label, run.diagnostics));
                        }
                        runs.push(run);
                    }
                    Err(e) => {
                        eprintln!("error: running {}: {e}", bin.display());
                        std::process::exit(2);
                    }
                }
            }
        }
        let mut phases: Vec<Phases> = Vec::new();
        if !args.no_phases {
            let started = Instant::now();
            while phases.len() < args.runs.max(1) && (phases.is_empty() || started.elapsed() < budget) {
                let p = phases_in_child(&r.path);
                eprintln!(
                    "  phases run {}: load {:.3} ts-parse {:.3} snapshot {:.3} project {:.3} diagnostics {:.3} s",
                    phases.len() + 1,
                    p.load.as_secs_f64(),
                    p.ts_parse.as_secs_f64(),
                    p.snapshot.as_secs_f64(),
                    p.project.as_secs_f64(),
                    p.diagnostics.as_secs_f64()
                );
                phases.push(p);
            }
        }
        check_rows.push((r, counts, runs));
        phase_rows.push(phases);
    }

    println!("## Cold `check --format json` (child process)");
    println!();
    println!("| repository | objects | YAML files | MB | runs | wall median | wall min | CPU user+sys | CPU / wall | peak RSS | diagnostics | exit |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (r, c, runs) in &check_rows {
        if runs.is_empty() {
            println!(
                "| {} | {} | {} | {:.1} | 0 | | | | | | | |",
                r.label,
                c.objects,
                c.yaml_files,
                c.bytes as f64 / 1e6
            );
            continue;
        }
        let walls: Vec<Duration> = runs.iter().map(|x| x.wall).collect();
        let cpus: Vec<Duration> = runs.iter().map(|x| x.cpu).collect();
        let rss = runs.iter().map(|x| x.max_rss_kib).max().unwrap_or(0);
        let diags = runs.iter().map(|x| x.diagnostics).max().unwrap_or(0);
        let exit = runs.iter().map(|x| x.exit).max().unwrap_or(0);
        let wm = median(&walls);
        let cm = median(&cpus);
        println!(
            "| {} | {} | {} | {:.1} | {} | {} | {} | {} | {:.2} | {:.0} MB | {} | {} |",
            r.label,
            c.objects,
            c.yaml_files,
            c.bytes as f64 / 1e6,
            runs.len(),
            fmt_d(wm),
            fmt_d(*walls.iter().min().unwrap()),
            fmt_d(cm),
            cm.as_secs_f64() / wm.as_secs_f64().max(1e-9),
            rss as f64 / 1024.0,
            diags,
            exit
        );
    }
    println!();
    if !args.no_phases {
        println!("## Phases through the library (fresh process per run), medians");
        println!();
        println!("floor = load + tree-sitter parse (read and parse the same files, nothing else); ratio = cold `check` wall median / floor");
        println!();
        println!("| repository | runs | load (walk+read) | tree-sitter parse | **floor** | snapshot (parse+model) | project build | diagnostics | total | check / floor | diagnostics found |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for ((r, _, runs), phases) in check_rows.iter().zip(&phase_rows) {
            if phases.is_empty() {
                continue;
            }
            let m = |f: fn(&Phases) -> Duration| median(&phases.iter().map(f).collect::<Vec<_>>());
            let load = m(|p| p.load);
            let ts = m(|p| p.ts_parse);
            let floor = load + ts;
            let snap = m(|p| p.snapshot);
            let proj = m(|p| p.project);
            let diag = m(|p| p.diagnostics);
            let total = load + snap + proj + diag;
            let ratio = if runs.is_empty() {
                "".to_string()
            } else {
                format!(
                    "{:.1}x",
                    median(&runs.iter().map(|x| x.wall).collect::<Vec<_>>()).as_secs_f64()
                        / floor.as_secs_f64().max(1e-9)
                )
            };
            println!(
                "| {} | {} | {} | {} | **{}** | {} | {} | {} | {} | {} | {} |",
                r.label,
                phases.len(),
                fmt_d(load),
                fmt_d(ts),
                fmt_d(floor),
                fmt_d(snap),
                fmt_d(proj),
                fmt_d(diag),
                fmt_d(total),
                ratio,
                phases.iter().map(|p| p.n_diags).max().unwrap_or(0)
            );
        }
        println!();
    }
    println!("- load average at end: {}", loadavg());
    println!();
    println!("## Repositories");
    println!();
    for r in &repos {
        println!("- {}: {} ({})", r.label, r.path.display(), r.how);
    }
    if !problems.is_empty() {
        println!();
        println!("## Diagnostics on repositories that should be clean");
        println!();
        for p in &problems {
            println!("- {p}");
        }
    }
}

/// The commit measured, and whether lsp/ had uncommitted changes.
fn source_state(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(head) => {
            let dirty =
                git(&["status", "--porcelain", "--untracked-files=no", "--", "lsp", "Cargo.toml", "Cargo.lock"])
                    .is_some_and(|s| !s.is_empty());
            format!("commit {head}{}", if dirty { " + uncommitted changes in lsp/" } else { "" })
        }
        None => "unknown (not a git checkout)".into(),
    }
}

/// 1, 5 and 15 minute load averages: other work on the machine skews wall times.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn fmt_k(n: usize) -> String {
    if n % 1000 == 0 {
        format!("{}", n / 1000)
    } else {
        format!("{:.1}", n as f64 / 1000.0)
    }
}

fn fmt_d(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1000.0)
    }
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    }
}

/// Objects and files as the library sees them.
fn count(path: &Path) -> Counts {
    let loaded = workspace::load(path).unwrap_or_else(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        std::process::exit(2);
    });
    let snap = Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref());
    Counts {
        yaml_files: snap.files.len(),
        objects: snap.files.iter().map(|f| f.objects.len()).sum(),
        bytes: snap.files.iter().map(|f| f.text.len()).sum(),
    }
}

/// One `gitops-lsp check --format json PATH` as a child; its own rusage through wait4.
fn check_once(bin: &Path, repo: &Path) -> std::io::Result<(CheckRun, String)> {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .arg("check")
        .arg("--format")
        .arg("json")
        .arg(repo)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stderr = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut out = Vec::new();
    child.stdout.take().expect("piped").read_to_end(&mut out)?;
    let err_text = err_reader.join().unwrap_or_default();
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for the child we spawned and have not reaped.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = start.elapsed();
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let exit = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 + libc::WTERMSIG(status) };
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    let cpu = tv(ru.ru_utime) + tv(ru.ru_stime);
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap_or(serde_json::Value::Null);
    let (diagnostics, sample) = match json.as_array() {
        Some(a) => (
            a.len(),
            a.first()
                .map(|d| {
                    format!(
                        "{} {} {}: {}",
                        d["severity"].as_str().unwrap_or(""),
                        d["code"].as_str().unwrap_or(""),
                        d["file"].as_str().unwrap_or(""),
                        d["message"].as_str().unwrap_or("")
                    )
                })
                .unwrap_or_default(),
        ),
        None => {
            eprintln!("  check printed no JSON array (exit {exit}): {}", err_text.trim());
            (usize::MAX, err_text)
        }
    };
    Ok((CheckRun { wall, cpu, max_rss_kib: ru.ru_maxrss, diagnostics, exit }, sample))
}

/// `phases_once` in a fresh copy of this program.
fn phases_in_child(repo: &Path) -> Phases {
    let exe = std::env::current_exe().expect("own path");
    let out =
        Command::new(exe).arg("--phases-child").arg(repo).stderr(Stdio::inherit()).output().expect("run phases child");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<u128> = text.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    if v.len() != 6 {
        eprintln!("error: phases child printed {text:?}");
        std::process::exit(2);
    }
    let d = |n: u128| Duration::from_nanos(n as u64);
    Phases {
        load: d(v[0]),
        ts_parse: d(v[1]),
        snapshot: d(v[2]),
        project: d(v[3]),
        diagnostics: d(v[4]),
        n_diags: v[5] as usize,
    }
}

/// The pipeline of `check`, phase by phase, in this process.
fn phases_once(repo: &Path) -> Phases {
    let t = Instant::now();
    let loaded = workspace::load(repo).expect("readable repository");
    let load = t.elapsed();

    let texts: Vec<&Arc<str>> =
        loaded.vfs.texts.iter().filter(|(p, _)| is_manifest_name(p.file_name())).map(|(_, t)| t).collect();
    let t = Instant::now();
    ts_parse_all(&texts);
    let ts_parse = t.elapsed();

    let t = Instant::now();
    let snap = Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref());
    let snapshot = t.elapsed();

    let t = Instant::now();
    let analysis = Analysis::new(Arc::new(snap));
    let project = t.elapsed();

    let t = Instant::now();
    let d = analysis.diagnostics();
    let diagnostics = t.elapsed();
    Phases { load, ts_parse, snapshot, project, diagnostics, n_diags: d.len() }
}

/// A bare tree-sitter parse of every text, on all cores as `Snapshot::from_vfs` does (same
/// thread count, same work-stealing cursor), trees dropped where they are made.
fn ts_parse_all(texts: &[&Arc<str>]) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let next = AtomicUsize::new(0);
    let nodes = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= texts.len() {
                    break;
                }
                if let Some(tree) = gitops_lsp::yaml::parse_tree(texts[i], None) {
                    nodes.fetch_add(tree.tree.root_node().child_count(), Ordering::Relaxed);
                }
            });
        }
    });
    std::hint::black_box(nodes.load(Ordering::Relaxed));
}
