//! `peer-bench`: the same LSP client as `lsp-bench` drives gitops-lsp and the peer,
//! yaml-language-server (npm, installed in `bench/peer` with `npm ci`), one after the other on
//! the same files, and prints their figures side by side. See "Peer: yaml-language-server" in
//! BENCHMARKS.md.
//!
//! ```sh
//! (cd bench/peer && npm ci)
//! cargo build --release -p gitops-lsp -p gitops-lsp-bench
//! target/release/peer-bench                   # fixtures/home-ops + gen 1k + gen 10k
//! target/release/peer-bench --sizes 1000 --no-fixture --open 50 --one-by-one 10
//! ```
//!
//! For each repository and each server, one session:
//!
//! 1. `initialize` (the same parameters for both: rootUri, workspaceFolders, capabilities), then
//!    `initialized`. The client answers `workspace/configuration` with the settings below, so the
//!    peer never fetches a schema. Both servers run in a network namespace of their own with no
//!    interface but a down loopback (`unshare --net`), so nothing can be fetched even by mistake.
//! 2. Wait until the server is idle: gitops-lsp has ended its `$/progress` (workspace indexed)
//!    and analysed the whole workspace; the peer has pulled its configuration. "Idle" is read
//!    from the server's own CPU time (`/proc/<pid>/stat`): no tick for [`IDLE_QUIET`].
//! 3. Open `--open` files at once (an editor restoring its tabs), then `--one-by-one` other files
//!    one at a time, each waiting for its diagnostics. Each opened text is the file as it is on
//!    disk plus one appended line that repeats a top-level key of its last document: a duplicate
//!    key, which both servers report without any schema. So every opened file has one thing both
//!    servers must say, and "its diagnostics" is the first publish for that URI with a diagnostic
//!    on either occurrence of the key. The appended line leaves every other position unchanged.
//! 4. Hover on `${VAR}` uses and on keys of the opened files (the peer answers only for open
//!    documents), alternating, `--requests` of each.
//! 5. Resident size of the server's process tree when idle, after the opens, at the end, and
//!    its peak; the server's CPU time until idle, for each phase, and for the whole session (wall
//!    times stretch with the load of a shared machine, CPU times barely do).

use clap::Parser;
use gitops_lsp_bench::gen::{apps_for_objects, generate, Params};
use gitops_lsp_bench::lsp_client::{
    loadavg, ms, pct, tree_cpu, tree_status_kib, uri_of, uses_in, yaml_files, Client, Msg,
};
use gitops_lsp_bench::machine::Machine;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "peer-bench", about = "gitops-lsp and yaml-language-server side by side, through one LSP client")]
struct Args {
    /// The gitops-lsp binary (default: target/release/gitops-lsp of this workspace).
    #[arg(long = "bin")]
    bin: Option<PathBuf>,
    /// yaml-language-server's entry script (default:
    /// bench/peer/node_modules/yaml-language-server/bin/yaml-language-server).
    #[arg(long)]
    peer: Option<PathBuf>,
    /// The Node.js binary that runs the peer.
    #[arg(long, default_value = "node")]
    node: PathBuf,
    /// Generated repositories to measure, by number of objects (0: none).
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    sizes: Vec<usize>,
    #[arg(long, default_value_t = 4)]
    clusters: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Extra repositories to measure as they are.
    #[arg(long = "repo")]
    repos: Vec<PathBuf>,
    #[arg(long)]
    no_fixture: bool,
    /// Where generated repositories are written (default target/bench-repos, shared with `bench`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Reuse target/bench-repos/gen-<size> if it exists instead of regenerating it.
    #[arg(long)]
    reuse: bool,
    /// Files opened at once, spread evenly over the repository (0: every YAML file but the
    /// one-by-one ones).
    #[arg(long, default_value_t = 200)]
    open: usize,
    /// Files then opened one at a time, each waiting for its diagnostics.
    #[arg(long, default_value_t = 30)]
    one_by_one: usize,
    /// Hover requests of each kind (on `${VAR}`, on keys).
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Which servers to run: ours, peer.
    #[arg(long, value_delimiter = ',', default_value = "ours,peer")]
    servers: Vec<String>,
    /// `yaml.schemas` for the peer, as JSON (default: none).
    #[arg(long, default_value = "{}")]
    peer_schemas: String,
    /// Run the servers without a network namespace of their own.
    #[arg(long)]
    allow_network: bool,
}

/// The server's CPU time must not move for this long for it to count as idle.
const IDLE_QUIET: Duration = Duration::from_millis(300);
/// gitops-lsp waits this long after the last change before it analyses: no time (it has no
/// debounce timer since the incremental analysis; changes that arrive during an analysis are
/// taken together by the next one).
const OURS_DELAY: Duration = Duration::from_millis(0);
/// yaml-language-server validates a document this long after it opens or changes
/// (`validationDelayMs` in its `SettingsState`, out/server/src/yamlSettings.js; no setting
/// changes it).
const PEER_DELAY: Duration = Duration::from_millis(200);

// ---------------------------------------------------------------------------------------------
// What is opened and where it hovers: the same for both servers

struct Doc {
    path: PathBuf,
    uri: String,
    /// The file's text plus the appended duplicate key.
    text: String,
    /// The line of the key that is repeated, and the appended line.
    dup_lines: (u64, u64),
}

#[derive(Clone, Copy, PartialEq)]
enum Target {
    Var,
    Key,
}

#[derive(Clone)]
struct Hover {
    uri: String,
    line: usize,
    character: usize,
    kind: Target,
}

/// A top-level mapping key at the start of `line` (`key:` or `key: value`), if there is one.
fn top_level_key(line: &str) -> Option<&str> {
    let (k, rest) = line.split_once(':')?;
    let ok = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    (ok && (rest.is_empty() || rest.starts_with(' '))).then_some(k)
}

/// The text with a top-level key of its last document repeated on an appended line.
fn with_duplicate_key(text: &str) -> Option<(String, (u64, u64))> {
    let lines: Vec<&str> = text.lines().collect();
    let last_doc = lines.iter().rposition(|l| *l == "---" || l.starts_with("--- ")).map_or(0, |i| i + 1);
    let (at, line) = lines.iter().enumerate().skip(last_doc).find(|(_, l)| top_level_key(l).is_some())?;
    let mut out = text.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let appended = out.bytes().filter(|&b| b == b'\n').count() as u64;
    out.push_str(line.trim_end());
    out.push('\n');
    Some((out, (at as u64, appended)))
}

/// Up to three keys of a file (first, middle and last key line), at their second character.
fn key_positions(text: &str) -> Vec<(usize, usize)> {
    let mut keys = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let (t, indent) = match t.strip_prefix("- ") {
            Some(r) => (r, indent + 2),
            None => (t, indent),
        };
        if top_level_key(t).is_some_and(|k| k.len() >= 2) {
            keys.push((ln, indent + 1));
        }
    }
    if keys.len() <= 3 {
        return keys;
    }
    vec![keys[0], keys[keys.len() / 2], keys[keys.len() - 1]]
}

/// Picks `k` items spread evenly over `v` (all of them if `k` is 0 or at least `v.len()`).
fn spread<T: Clone>(v: &[T], k: usize) -> Vec<T> {
    if k == 0 || k >= v.len() {
        return v.to_vec();
    }
    (0..k).map(|i| v[i * v.len() / k].clone()).collect()
}

struct Plan {
    files: usize,
    burst: Vec<Doc>,
    one_by_one: Vec<Doc>,
    hovers: Vec<Hover>,
    hover_files: usize,
}

fn plan(root: &Path, args: &Args) -> Plan {
    let files = yaml_files(root);
    let candidates: Vec<PathBuf> = files
        .iter()
        .filter(|f| std::fs::read_to_string(f).ok().is_some_and(|t| with_duplicate_key(&t).is_some()))
        .cloned()
        .collect();
    // The one-by-one files are spread over the repository, and so are the others.
    let singles =
        if args.one_by_one == 0 { Vec::new() } else { spread(&candidates, args.one_by_one.min(candidates.len() / 2)) };
    let rest: Vec<PathBuf> = candidates.iter().filter(|f| !singles.contains(f)).cloned().collect();
    let burst = spread(&rest, args.open);
    let doc = |p: &PathBuf| {
        let text = std::fs::read_to_string(p).unwrap();
        let (text, dup_lines) = with_duplicate_key(&text).unwrap();
        Doc { path: p.clone(), uri: uri_of(p), text, dup_lines }
    };
    let burst: Vec<Doc> = burst.iter().map(doc).collect();
    let one_by_one: Vec<Doc> = singles.iter().map(doc).collect();
    // Hover targets: up to three `${VAR}` uses and three keys per opened file.
    let mut vars = Vec::new();
    let mut keys = Vec::new();
    let mut with_targets = std::collections::HashSet::new();
    for d in burst.iter().chain(&one_by_one) {
        let original = std::fs::read_to_string(&d.path).unwrap();
        let uses = uses_in(&d.path, &original);
        for u in spread(&uses, 3) {
            with_targets.insert(d.uri.clone());
            vars.push(Hover { uri: d.uri.clone(), line: u.line, character: u.col + 3, kind: Target::Var });
        }
        for (line, character) in key_positions(&original) {
            with_targets.insert(d.uri.clone());
            keys.push(Hover { uri: d.uri.clone(), line, character, kind: Target::Key });
        }
    }
    let vars = spread(&vars, args.requests);
    let keys = spread(&keys, args.requests);
    let mut hovers = Vec::new();
    for i in 0..vars.len().max(keys.len()) {
        for list in [&vars, &keys] {
            if let Some(h) = list.get(i) {
                hovers.push(h.clone());
            }
        }
    }
    Plan { files: files.len(), burst, one_by_one, hovers, hover_files: with_targets.len() }
}

// ---------------------------------------------------------------------------------------------
// One session

#[derive(Clone, Copy, PartialEq)]
enum Server {
    Ours,
    Peer,
}

impl Server {
    fn delay(self) -> Duration {
        match self {
            Server::Ours => OURS_DELAY,
            Server::Peer => PEER_DELAY,
        }
    }
}

struct Figures {
    server: Server,
    init_response: Duration,
    indexed: Option<Duration>,
    idle: Duration,
    rss_idle_kib: u64,
    burst: Vec<Duration>,
    burst_all: Duration,
    singles: Vec<Duration>,
    hover_var: Vec<Duration>,
    hover_key: Vec<Duration>,
    empty_var: usize,
    empty_key: usize,
    rss_opened_kib: u64,
    rss_end_kib: u64,
    hwm_kib: u64,
    cpu: Duration,
    /// Server CPU time until idle, then used by each phase: the opens at once, the opens one
    /// at a time, the hovers.
    cpu_idle: Duration,
    cpu_burst: Duration,
    cpu_singles: Duration,
    cpu_hovers: Duration,
    publishes: usize,
    config_requests: usize,
    processes: usize,
    /// Distinct diagnostic messages in the publishes that answered the burst, with counts.
    messages: BTreeMap<String, usize>,
}

/// The peer's settings, answered to `workspace/configuration` by section.
fn peer_settings(schemas: &Value) -> Value {
    json!({
        "yaml": {
            "validate": true,
            "hover": true,
            "completion": true,
            "format": {"enable": false},
            "schemas": schemas,
            "schemaStore": {"enable": false, "url": ""},
            "kubernetesCRDStore": {"enable": false},
            "maxItemsComputed": 5000
        },
        "http": {"proxy": "", "proxyStrictSSL": false},
        "[yaml]": {},
        "editor": {"detectIndentation": true}
    })
}

/// Whether a publish carries the duplicate-key diagnostic of `doc`.
fn reports_duplicate(params: &Value, dup_lines: (u64, u64)) -> bool {
    params["diagnostics"].as_array().is_some_and(|a| {
        a.iter().any(|d| {
            let l = d["range"]["start"]["line"].as_u64();
            l == Some(dup_lines.0) || l == Some(dup_lines.1)
        })
    })
}

fn hover_is_empty(r: &Value) -> bool {
    let c = &r["result"]["contents"];
    r["result"].is_null()
        || c.is_null()
        || c.as_str().is_some_and(str::is_empty)
        || c["value"].as_str().is_some_and(str::is_empty)
        || c.as_array().is_some_and(Vec::is_empty)
}

fn session(server: Server, cmd: Command, settings: Option<Value>, root: &Path, plan: &Plan, label: &str) -> Figures {
    let mut f = Figures {
        server,
        init_response: Duration::ZERO,
        indexed: None,
        idle: Duration::ZERO,
        rss_idle_kib: 0,
        burst: Vec::new(),
        burst_all: Duration::ZERO,
        singles: Vec::new(),
        hover_var: Vec::new(),
        hover_key: Vec::new(),
        empty_var: 0,
        empty_key: 0,
        rss_opened_kib: 0,
        rss_end_kib: 0,
        hwm_kib: 0,
        cpu: Duration::ZERO,
        cpu_idle: Duration::ZERO,
        cpu_burst: Duration::ZERO,
        cpu_singles: Duration::ZERO,
        cpu_hovers: Duration::ZERO,
        publishes: 0,
        config_requests: 0,
        processes: 0,
        messages: BTreeMap::new(),
    };
    let mut client = Client::spawn(cmd, settings);
    let t0 = Instant::now();
    let root_uri = uri_of(root);
    let (d, _) = client.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": root_uri,
            "workspaceFolders": [{"uri": root_uri, "name": root.file_name().unwrap().to_string_lossy()}],
            "capabilities": {
                "window": {"workDoneProgress": true},
                "workspace": {
                    "configuration": true,
                    "didChangeConfiguration": {"dynamicRegistration": true},
                    "didChangeWatchedFiles": {"dynamicRegistration": true},
                    "workspaceFolders": true
                },
                "textDocument": {
                    "publishDiagnostics": {"versionSupport": true},
                    "synchronization": {"dynamicRegistration": false},
                    "hover": {"contentFormat": ["markdown", "plaintext"]}
                }
            }
        }),
    );
    f.init_response = d;
    client.notify("initialized", json!({}));

    // Ready: our workspace indexed; the peer's configuration pulled. Then idle.
    let mut begun = std::collections::HashSet::new();
    let mut ended = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        assert!(Instant::now() < deadline, "{label}: server not ready in 600 s");
        let ready = match server {
            Server::Ours => !ended.is_empty() && begun.is_subset(&ended),
            Server::Peer => client.first_config_answer().is_some(),
        };
        if ready {
            break;
        }
        if let Some((t, Msg::Notification { method, params })) = client.recv(Duration::from_millis(10)) {
            if method == "$/progress" {
                let tok = params["token"].to_string();
                match params["value"]["kind"].as_str() {
                    Some("begin") => {
                        begun.insert(tok);
                    }
                    Some("end") => {
                        ended.insert(tok);
                        f.indexed = Some(t - t0);
                    }
                    _ => {}
                }
            }
        }
    }
    let mut cpu = tree_cpu(client.pid);
    let mut last_move = Instant::now();
    while last_move.elapsed() < IDLE_QUIET {
        let _ = client.recv(Duration::from_millis(20));
        let c = tree_cpu(client.pid);
        if c != cpu {
            cpu = c;
            last_move = Instant::now();
        }
    }
    f.idle = last_move - t0;
    f.cpu_idle = cpu;
    f.rss_idle_kib = tree_status_kib(client.pid, "VmRSS");
    eprintln!("  idle at {:?} (initialize answered in {:?})", f.idle, f.init_response);

    // All at once.
    let mut sent: HashMap<&str, (Instant, (u64, u64))> = HashMap::new();
    let first_send = Instant::now();
    for d in &plan.burst {
        sent.insert(d.uri.as_str(), (Instant::now(), d.dup_lines));
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": d.uri, "languageId": "yaml", "version": 1, "text": d.text}}),
        );
    }
    let mut last = first_send;
    let deadline = Instant::now() + Duration::from_secs(900);
    while !sent.is_empty() {
        let left = deadline
            .checked_duration_since(Instant::now())
            .unwrap_or_else(|| panic!("{label}: {} opened files still without diagnostics", sent.len()));
        let Some((t, Msg::Notification { method, params })) = client.recv(left) else { continue };
        if method != "textDocument/publishDiagnostics" {
            continue;
        }
        let uri = params["uri"].as_str().unwrap_or("");
        if let Some(&(at, dup)) = sent.get(uri) {
            if reports_duplicate(&params, dup) {
                for d in params["diagnostics"].as_array().into_iter().flatten() {
                    let m: String =
                        d["message"].as_str().unwrap_or("").lines().next().unwrap_or("").chars().take(90).collect();
                    *f.messages.entry(m).or_default() += 1;
                }
                f.burst.push(t - at);
                last = t;
                sent.remove(uri);
            }
        }
    }
    f.burst_all = last - first_send;
    eprintln!("  {} files opened at once: all diagnostics after {:?}", plan.burst.len(), f.burst_all);
    client.drain(Duration::from_millis(300));
    let cpu_after_burst = tree_cpu(client.pid);
    f.cpu_burst = cpu_after_burst.saturating_sub(f.cpu_idle);

    // One at a time.
    for d in &plan.one_by_one {
        let t = Instant::now();
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": d.uri, "languageId": "yaml", "version": 1, "text": d.text}}),
        );
        let at = client
            .wait_for(Duration::from_secs(120), |m, p| {
                m == "textDocument/publishDiagnostics"
                    && p["uri"].as_str() == Some(d.uri.as_str())
                    && reports_duplicate(p, d.dup_lines)
            })
            .unwrap_or_else(|| panic!("{label}: no diagnostics for {}", d.path.display()));
        f.singles.push(at - t);
    }
    client.drain(Duration::from_millis(300));
    let cpu_after_singles = tree_cpu(client.pid);
    f.cpu_singles = cpu_after_singles.saturating_sub(cpu_after_burst);
    f.rss_opened_kib = tree_status_kib(client.pid, "VmRSS");
    eprintln!("  {} files opened one by one: p50 {:?}", plan.one_by_one.len(), pct(&f.singles, 50.0));

    // Hovers.
    for h in &plan.hovers {
        let (d, r) = client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": h.uri}, "position": {"line": h.line, "character": h.character}}),
        );
        let empty = hover_is_empty(&r);
        match h.kind {
            Target::Var => {
                f.hover_var.push(d);
                f.empty_var += empty as usize;
            }
            Target::Key => {
                f.hover_key.push(d);
                f.empty_key += empty as usize;
            }
        }
    }
    f.rss_end_kib = tree_status_kib(client.pid, "VmRSS");
    f.hwm_kib = tree_status_kib(client.pid, "VmHWM");
    f.cpu = tree_cpu(client.pid);
    f.cpu_hovers = f.cpu.saturating_sub(cpu_after_singles);
    f.processes = gitops_lsp_bench::lsp_client::process_tree(client.pid).len();
    f.publishes = client.publishes;
    f.config_requests = client.config_requests();
    client.shutdown();
    f
}

// ---------------------------------------------------------------------------------------------
// The table

fn p50_p99(v: &[Duration]) -> String {
    if v.is_empty() {
        return "–".into();
    }
    format!("{} / {}", ms(pct(v, 50.0)), ms(pct(v, 99.0)))
}

fn mb(kib: u64) -> String {
    format!("{} MB", kib / 1024)
}

fn table(plan: &Plan, figs: &[Figures]) -> Vec<[String; 3]> {
    let get = |s: Server| figs.iter().find(|f| f.server == s);
    let (ours, peer) = (get(Server::Ours), get(Server::Peer));
    let cell = |f: Option<&Figures>, g: &dyn Fn(&Figures) -> String| f.map_or("not run".into(), g);
    let mut rows: Vec<[String; 3]> = Vec::new();
    let mut add = |what: String, g: &dyn Fn(&Figures) -> String| rows.push([what, cell(ours, g), cell(peer, g)]);
    let n = plan.burst.len();
    let s = plan.one_by_one.len();
    add("initialize → response".into(), &|f| ms(f.init_response));
    add("initialize → workspace indexed (`$/progress` end)".into(), &|f| f.indexed.map_or("–".into(), ms));
    add("initialize → idle (ready for the opens)".into(), &|f| ms(f.idle));
    add("RSS when idle".into(), &|f| mb(f.rss_idle_kib));
    add(format!("{n} files opened at once → each file's diagnostics, p50 / p99"), &|f| p50_p99(&f.burst));
    add(format!("{n} files opened at once → all have diagnostics"), &|f| ms(f.burst_all));
    add(format!("{s} files opened one at a time → its diagnostics, p50 / p99"), &|f| p50_p99(&f.singles));
    add("the same, minus the server's own delay (none / 200 ms)".into(), &|f| {
        p50_p99(&f.singles.iter().map(|x| x.saturating_sub(f.server.delay())).collect::<Vec<_>>())
    });
    add("hover on `${VAR}`, p50 / p99 (empty answers)".into(), &|f| {
        format!("{} ({} empty)", p50_p99(&f.hover_var), f.empty_var)
    });
    add("hover on keys, p50 / p99 (empty answers)".into(), &|f| {
        format!("{} ({} empty)", p50_p99(&f.hover_key), f.empty_key)
    });
    add(format!("RSS after opening {} files", n + s), &|f| mb(f.rss_opened_kib));
    add("RSS at end / peak (VmHWM)".into(), &|f| format!("{} / {}", mb(f.rss_end_kib), mb(f.hwm_kib)));
    add("server CPU (user + sys) until idle".into(), &|f| ms(f.cpu_idle));
    add(format!("server CPU for the {n} files opened at once"), &|f| ms(f.cpu_burst));
    add("server CPU per file opened one at a time (mean)".into(), &|f| ms(f.cpu_singles / s.max(1) as u32));
    add("server CPU per hover (mean)".into(), &|f| {
        ms(f.cpu_hovers / (f.hover_var.len() + f.hover_key.len()).max(1) as u32)
    });
    add("server CPU, whole session".into(), &|f| ms(f.cpu));
    add("publishes / configuration requests / processes".into(), &|f| {
        format!("{} / {} / {}", f.publishes, f.config_requests, f.processes)
    });
    rows
}

fn main() {
    let args = Args::parse();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let bin = args.bin.clone().unwrap_or_else(|| root.join("target/release/gitops-lsp"));
    let peer = args
        .peer
        .clone()
        .unwrap_or_else(|| root.join("bench/peer/node_modules/yaml-language-server/bin/yaml-language-server"));
    let servers: Vec<Server> = args
        .servers
        .iter()
        .map(|s| match s.as_str() {
            "ours" => Server::Ours,
            "peer" => Server::Peer,
            other => {
                eprintln!("error: unknown server {other:?} (ours, peer)");
                std::process::exit(2);
            }
        })
        .collect();
    if servers.contains(&Server::Ours) && !bin.is_file() {
        eprintln!("error: {} not found; cargo build --release -p gitops-lsp, or --bin PATH", bin.display());
        std::process::exit(2);
    }
    if servers.contains(&Server::Peer) && !peer.is_file() {
        eprintln!("error: {} not found; run `npm ci` in bench/peer, or --peer PATH", peer.display());
        std::process::exit(2);
    }
    let schemas: Value = serde_json::from_str(&args.peer_schemas).unwrap_or_else(|e| {
        eprintln!("error: --peer-schemas is not JSON: {e}");
        std::process::exit(2);
    });
    let isolate = !args.allow_network
        && Command::new("unshare").args(["--net", "--", "true"]).status().is_ok_and(|s| s.success());
    if !args.allow_network && !isolate {
        eprintln!("warning: `unshare --net` does not work here; the servers run with the machine's network");
    }
    let command = |prog: &Path, rest: &[&str]| {
        let mut c = if isolate {
            let mut c = Command::new("unshare");
            c.arg("--net").arg("--").arg(prog);
            c
        } else {
            Command::new(prog)
        };
        c.args(rest);
        c
    };
    let out = args.out.clone().unwrap_or_else(|| root.join("target/bench-repos"));
    let ours_version = Command::new(&bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let node_version = Command::new(&args.node)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let peer_version = Command::new(&args.node)
        .arg(&peer)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let commit = Command::new("git")
        .args(["-C", &root.to_string_lossy(), "rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("# gitops-lsp and yaml-language-server, side by side");
    println!();
    println!("- machine: {}", Machine::detect().describe());
    println!("- gitops-lsp: {} ({ours_version}), commit {commit}", bin.display());
    println!("- yaml-language-server {peer_version} on Node.js {node_version}: {}", peer.display());
    println!("- peer settings (workspace/configuration): {}", peer_settings(&schemas));
    println!(
        "- network: {}",
        if isolate { "none (each server in its own namespace, `unshare --net`)" } else { "the machine's" }
    );
    println!("- load average at start: {}", loadavg());
    println!("- p99 is nearest-rank (with 100 samples or fewer it is the maximum)");
    println!();

    let mut repos: Vec<(String, PathBuf)> = Vec::new();
    if !args.no_fixture {
        repos.push(("fixtures/home-ops".into(), root.join("fixtures/home-ops")));
    }
    repos.extend(args.repos.iter().map(|r| (r.display().to_string(), r.clone())));
    for &size in args.sizes.iter().filter(|&&s| s > 0) {
        let dir = out.join(format!("gen-{size}"));
        if !(args.reuse && dir.is_dir()) {
            let apps = apps_for_objects(args.clusters, size, args.seed);
            let repo = generate(&Params { clusters: args.clusters, apps, seed: args.seed });
            repo.write(&dir, true).unwrap_or_else(|e| panic!("cannot write {}: {e}", dir.display()));
            eprintln!("generated {}: {}", dir.display(), repo.summary());
        }
        let label = if size % 1000 == 0 { format!("gen {}k", size / 1000) } else { format!("gen {size}") };
        repos.push((label, dir));
    }
    for (label, path) in &repos {
        let path = path.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let plan = plan(&path, &args);
        eprintln!(
            "{label}: {} YAML files; {} opened at once, {} one by one; {} hovers in {} files",
            plan.files,
            plan.burst.len(),
            plan.one_by_one.len(),
            plan.hovers.len(),
            plan.hover_files
        );
        let mut figs = Vec::new();
        for &s in &servers {
            eprintln!(" {}", if s == Server::Ours { "gitops-lsp" } else { "yaml-language-server" });
            let (cmd, settings) = match s {
                Server::Ours => (command(&bin, &[]), None),
                Server::Peer => {
                    let mut c = command(&args.node, &[]);
                    c.arg(&peer).arg("--stdio");
                    (c, Some(peer_settings(&schemas)))
                }
            };
            figs.push(session(s, cmd, settings, &path, &plan, label));
        }
        println!("### {label} ({} YAML files)", plan.files);
        println!();
        println!("| measurement | gitops-lsp | yaml-language-server |");
        println!("| --- | ---: | ---: |");
        for [what, a, b] in table(&plan, &figs) {
            println!("| {what} | {a} | {b} |");
        }
        println!();
        for f in &figs {
            let mut m: Vec<(&String, &usize)> = f.messages.iter().collect();
            m.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let name = if f.server == Server::Ours { "gitops-lsp" } else { "yaml-language-server" };
            let list: Vec<String> = m.iter().take(6).map(|(k, n)| format!("{n}× \"{k}\"")).collect();
            println!("- {name}, diagnostics of the files opened at once: {}", list.join("; "));
        }
        println!();
    }
    println!("- load average at end: {}", loadavg());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_key_repeats_a_top_level_key_of_the_last_document() {
        let text = "# c\napiVersion: v1\nkind: A\n---\n# yaml-language-server: x\nkind: B\nmetadata:\n  name: b";
        let (out, (at, appended)) = with_duplicate_key(text).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!((at, appended), (5, 8));
        assert_eq!(lines[at as usize], "kind: B");
        assert_eq!(lines[appended as usize], "kind: B");
        // Every original line keeps its position.
        assert!(out.starts_with(text));
        assert_eq!(lines.len(), 9);
    }

    #[test]
    fn no_duplicate_key_without_a_top_level_mapping() {
        assert!(with_duplicate_key("- a\n- b\n").is_none());
        assert!(with_duplicate_key("apiVersion: v1\n---\n- a\n").is_none());
        assert!(with_duplicate_key("").is_none());
    }

    #[test]
    fn top_level_keys() {
        assert_eq!(top_level_key("apiVersion: v1"), Some("apiVersion"));
        assert_eq!(top_level_key("metadata:"), Some("metadata"));
        assert_eq!(top_level_key("  name: x"), None);
        assert_eq!(top_level_key("# kind: x"), None);
        assert_eq!(top_level_key("url: http://x"), Some("url"));
        assert_eq!(top_level_key("http://x"), None);
    }

    #[test]
    fn key_positions_are_first_middle_last_on_the_key() {
        let text = "apiVersion: v1\nkind: X\nmetadata:\n  name: a\nspec:\n  - port: 80\n    name: x\n";
        let k = key_positions(text);
        assert_eq!(k, vec![(0, 1), (3, 3), (6, 5)]);
        let lines: Vec<&str> = text.lines().collect();
        for (l, c) in k {
            let ch = lines[l].as_bytes()[c];
            assert!(ch.is_ascii_alphabetic(), "({l}, {c}) is not on a key");
        }
    }

    #[test]
    fn spread_picks_evenly_and_zero_means_all() {
        let v: Vec<usize> = (0..10).collect();
        assert_eq!(spread(&v, 3), vec![0, 3, 6]);
        assert_eq!(spread(&v, 0), v);
        assert_eq!(spread(&v, 20), v);
    }

    #[test]
    fn duplicate_is_recognised_on_either_line() {
        let p = |line: u64| json!({"diagnostics": [{"range": {"start": {"line": line}}, "message": "m"}]});
        assert!(reports_duplicate(&p(5), (5, 8)));
        assert!(reports_duplicate(&p(8), (5, 8)));
        assert!(!reports_duplicate(&p(6), (5, 8)));
        assert!(!reports_duplicate(&json!({"diagnostics": []}), (5, 8)));
    }

    #[test]
    fn empty_hovers() {
        assert!(hover_is_empty(&json!({"result": null})));
        assert!(hover_is_empty(&json!({"result": {"contents": ""}})));
        assert!(hover_is_empty(&json!({"result": {"contents": {"kind": "markdown", "value": ""}}})));
        assert!(!hover_is_empty(&json!({"result": {"contents": {"kind": "markdown", "value": "x"}}})));
    }
}
