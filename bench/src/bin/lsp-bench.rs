//! `lsp-bench`: drives the real `gitops-lsp` server over stdio JSON-RPC and measures what an
//! editor feels: initialize → indexing done → first diagnostics, leaf edit → diagnostics,
//! cluster-settings edit → dependents' diagnostics, hover / definition / completion latency,
//! and the server's RSS. See the "Language server" section of BENCHMARKS.md.
//!
//! ```sh
//! cargo build --release -p gitops-lsp -p gitops-lsp-bench
//! target/release/lsp-bench                    # fixtures/home-ops + gen 1k + gen 10k
//! target/release/lsp-bench --sizes 1000 --no-fixture --edits 10
//! ```
//!
//! The client (`gitops_lsp_bench::lsp_client`, shared with `peer-bench`, over the transport
//! of `test_support::lsp_client` that the integration tests use too) is deliberately tiny:
//! Content-Length framing, one reader thread that stamps every message with its arrival
//! `Instant` and answers server→client requests (window/workDoneProgress/create,
//! client/registerCapability, ...) with `null`.

use clap::Parser;
use gitops_lsp_bench::gen::{apps_for_objects, generate, Params};
use gitops_lsp_bench::lsp_client::{
    has_code, loadavg, ms, pct, proc_status_kib, uri_of, uses_in, yaml_files, Client, Use,
};
use gitops_lsp_bench::machine::Machine;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "lsp-bench", about = "Benchmark the gitops-lsp language server over stdio")]
struct Args {
    /// The gitops-lsp binary (default: target/release/gitops-lsp of this workspace).
    #[arg(long = "bin")]
    bin: Option<PathBuf>,
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
    /// Leaf edits (each one breaks and then fixes a variable use).
    #[arg(long, default_value_t = 30)]
    edits: usize,
    /// Cluster-settings edits (each one renames a key and then renames it back).
    #[arg(long, default_value_t = 10)]
    settings_edits: usize,
    /// Requests of each kind (hover, definition, completion).
    #[arg(long, default_value_t = 200)]
    requests: usize,
}

// ---------------------------------------------------------------------------------------------
// The repository: where the variables are

/// Keys under `data:` of a cluster-settings file, with their (line, UTF-16 column end of key).
fn settings_keys(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut in_data = false;
    for (ln, line) in text.lines().enumerate() {
        if line.starts_with("data:") || line.starts_with("stringData:") {
            in_data = true;
            continue;
        }
        if !line.starts_with(' ') && !line.is_empty() {
            in_data = false;
        }
        if !in_data {
            continue;
        }
        let t = line.trim_start();
        if t.starts_with('#') {
            continue;
        }
        if let Some((k, _)) = t.split_once(':') {
            if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                let indent = line.len() - t.len();
                out.push((k.to_string(), ln, indent + k.len()));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Measurements

struct Row {
    what: String,
    n: usize,
    p50: String,
    p99: String,
    note: String,
}

fn row(what: &str, v: &[Duration], note: &str) -> Row {
    Row { what: what.into(), n: v.len(), p50: ms(pct(v, 50.0)), p99: ms(pct(v, 99.0)), note: note.into() }
}

fn bench_repo(bin: &Path, label: &str, root: &Path, args: &Args) -> Vec<Row> {
    let root = root.canonicalize().unwrap();
    let files = yaml_files(&root);
    let mut all_uses: Vec<Use> = Vec::new();
    let mut settings: Vec<PathBuf> = Vec::new();
    let mut defined: HashSet<String> = HashSet::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        if f.file_name().is_some_and(|n| n == "cluster-settings.yaml") {
            settings.push(f.clone());
            defined.extend(settings_keys(&text).into_iter().map(|k| k.0));
        }
        all_uses.extend(uses_in(f, &text));
    }
    eprintln!(
        "{label}: {} YAML files, {} variable uses, {} settings files",
        files.len(),
        all_uses.len(),
        settings.len()
    );

    // Leaf candidates: files under an `apps` folder, not kustomization.yaml, with a plain use of
    // a variable that cluster-settings defines.
    let leaf_candidates: Vec<&Use> = {
        let mut seen = HashSet::new();
        let mut v: Vec<&Use> = all_uses
            .iter()
            .filter(|u| u.plain && defined.contains(&u.name))
            .filter(|u| u.file.components().any(|c| c.as_os_str() == "apps"))
            .filter(|u| u.file.file_name().is_some_and(|n| n != "kustomization.yaml"))
            .filter(|u| seen.insert(u.file.clone()))
            .collect();
        // Start from the middle of the list, for a file that is not special.
        let mid = v.len() / 2;
        v.rotate_left(mid);
        v
    };
    assert!(!leaf_candidates.is_empty(), "{label}: no app manifest uses a defined variable");

    let mut client = Client::spawn(Command::new(bin), None);
    let t_init = Instant::now();
    let root_uri = uri_of(&root);
    let (_, _init) = client.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": root_uri,
            "workspaceFolders": [{"uri": root_uri, "name": root.file_name().unwrap().to_string_lossy()}],
            "capabilities": {
                "window": {"workDoneProgress": true},
                "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}, "workspaceFolders": true},
                "textDocument": {"publishDiagnostics": {"versionSupport": true}, "synchronization": {"dynamicRegistration": false}}
            }
        }),
    );
    client.notify("initialized", json!({}));

    // Open the first leaf candidate at once with its variable renamed to an undefined one: a
    // clean generated repository publishes nothing, and this way the first analysis publishes
    // exactly one file, so "first diagnostics" is visible on every repository.
    const BAD: &str = "BENCH_UNDEFINED_VARIABLE";
    let mut leaf_idx = 0;
    let open_broken = |client: &Client, u: &Use| -> (String, Vec<String>) {
        let text = std::fs::read_to_string(&u.file).unwrap();
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let mut broken = lines.clone();
        let l = &lines[u.line];
        // u.col is UTF-16; these files are ASCII around variable uses in practice, but map it.
        let byte = l
            .char_indices()
            .scan(0usize, |acc, (b, c)| {
                let r = (b, *acc);
                *acc += c.len_utf16();
                Some(r)
            })
            .find(|&(_, u16c)| u16c == u.col)
            .map(|(b, _)| b)
            .unwrap_or(0);
        broken[u.line] = format!("{}${{{}{}", &l[..byte], BAD, &l[byte + 2 + u.name.len()..]);
        let uri = uri_of(&u.file);
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 0, "text": broken.join("\n")}}),
        );
        (uri, lines)
    };
    let (mut leaf_uri, _) = open_broken(&client, leaf_candidates[0]);

    // Indexing: every begun progress token ends.
    let mut begun = HashSet::new();
    let mut ended = HashSet::new();
    let t_indexed = client
        .wait_for(Duration::from_secs(600), |m, p| {
            if m != "$/progress" {
                return false;
            }
            let tok = p["token"].to_string();
            match p["value"]["kind"].as_str() {
                Some("begin") => {
                    begun.insert(tok);
                }
                Some("end") => {
                    ended.insert(tok);
                }
                _ => {}
            }
            !ended.is_empty() && begun.is_subset(&ended)
        })
        .expect("no $/progress end within 600 s");
    let rss_indexed = proc_status_kib(client.pid, "VmRSS");
    let mut first_pub: Option<Instant> = None;
    let mut n_pub = 0usize;
    let mut leaf_ok = false;
    let t_settled = client
        .settle(Duration::from_millis(300), Duration::from_secs(300), |t, p| {
            first_pub.get_or_insert(t);
            n_pub += 1;
            if p["uri"].as_str() == Some(leaf_uri.as_str()) && has_code(p, "undefined-variable") {
                leaf_ok = true;
            }
        })
        .expect("no publishDiagnostics within 300 s of indexing");
    let rss_settled = proc_status_kib(client.pid, "VmRSS");
    eprintln!(
        "  indexed {:?}, first diagnostics settled {:?} ({n_pub} publishes)",
        t_indexed - t_init,
        t_settled - t_init
    );

    // If the first candidate is not built by any cluster, try others.
    while !leaf_ok {
        client.notify("textDocument/didClose", json!({"textDocument": {"uri": leaf_uri}}));
        leaf_idx += 1;
        assert!(
            leaf_idx < leaf_candidates.len().min(20),
            "{label}: no leaf candidate gives an undefined-variable diagnostic"
        );
        eprintln!(
            "  leaf candidate {} gave no diagnostic; trying {}",
            leaf_idx - 1,
            leaf_candidates[leaf_idx].file.display()
        );
        let (u, _) = open_broken(&client, leaf_candidates[leaf_idx]);
        leaf_uri = u;
        let lu = leaf_uri.clone();
        leaf_ok = client
            .wait_for(Duration::from_secs(30), |m, p| {
                m == "textDocument/publishDiagnostics"
                    && p["uri"].as_str() == Some(lu.as_str())
                    && has_code(p, "undefined-variable")
            })
            .is_some();
    }
    let leaf = leaf_candidates[leaf_idx];
    eprintln!("  leaf: {} line {} ${{{}}}", leaf.file.display(), leaf.line + 1, leaf.name);

    // Leaf edits. The document holds BAD at the use now (version 0).
    let line = leaf.line as u64;
    let c0 = (leaf.col + 2) as u64;
    let mut version = 0i64;
    let mut leaf_break = Vec::new();
    let mut leaf_fix = Vec::new();
    let mut edit = |client: &mut Client, from: &str, to: &str, expect_error: bool| -> Duration {
        version += 1;
        let v = version;
        let t0 = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": leaf_uri, "version": v},
                "contentChanges": [{"range": {"start": {"line": line, "character": c0}, "end": {"line": line, "character": c0 + from.len() as u64}}, "text": to}]
            }),
        );
        let lu = leaf_uri.clone();
        let t = client
            .wait_for(Duration::from_secs(120), |m, p| {
                if m != "textDocument/publishDiagnostics" || p["uri"].as_str() != Some(lu.as_str()) {
                    return false;
                }
                let pv = p["version"].as_i64();
                if expect_error {
                    pv == Some(v) && has_code(p, "undefined-variable")
                } else {
                    // The clearing publish of a file with no diagnostics left carries no version.
                    (pv.is_none() || pv == Some(v)) && !has_code(p, "undefined-variable")
                }
            })
            .unwrap_or_else(|| panic!("{label}: no publish for leaf edit version {v}"));
        t - t0
    };
    // Warm-up: fix the opened document.
    let _ = edit(&mut client, BAD, &leaf.name, false);
    for _ in 0..args.edits {
        leaf_break.push(edit(&mut client, &leaf.name, BAD, true));
        leaf_fix.push(edit(&mut client, BAD, &leaf.name, false));
    }
    client.drain(Duration::from_millis(200));
    eprintln!("  leaf edits done: p50 break {:?}, fix {:?}", pct(&leaf_break, 50.0), pct(&leaf_fix, 50.0));

    // Settings edit: the key of the first cluster-settings file with the most plain uses.
    let mut rows_settings = Vec::new();
    let mut settings_note = String::new();
    if let Some(sfile) = settings.first() {
        let stext = std::fs::read_to_string(sfile).unwrap();
        let keys = settings_keys(&stext);
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for u in all_uses.iter().filter(|u| u.plain) {
            *count.entry(u.name.as_str()).or_default() += 1;
        }
        let best = keys.iter().max_by_key(|k| (count.get(k.0.as_str()).copied().unwrap_or(0), std::cmp::Reverse(k.1)));
        if let Some((key, kline, kend)) = best {
            let suri = uri_of(sfile);
            client.notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": suri, "languageId": "yaml", "version": 0, "text": stext}}),
            );
            client.settle(Duration::from_millis(300), Duration::from_secs(2), |_, _| {});
            let mut sv = 0i64;
            let mut first_dep = Vec::new();
            let mut settled_break = Vec::new();
            let mut settled_fix = Vec::new();
            let mut dep_files = 0usize;
            for i in 0..args.settings_edits * 2 {
                let breaking = i % 2 == 0;
                sv += 1;
                let (range_end, text) = if breaking { (*kend, "_BENCH") } else { (*kend + 6, "") };
                let t0 = Instant::now();
                client.notify(
                    "textDocument/didChange",
                    json!({
                        "textDocument": {"uri": suri, "version": sv},
                        "contentChanges": [{"range": {"start": {"line": kline, "character": kend}, "end": {"line": kline, "character": range_end}}, "text": text}]
                    }),
                );
                let mut first: Option<Instant> = None;
                let mut deps = HashSet::new();
                let last = client
                    .settle(Duration::from_millis(200), Duration::from_secs(120), |t, p| {
                        if p["uri"].as_str() != Some(suri.as_str()) {
                            first.get_or_insert(t);
                            deps.insert(p["uri"].as_str().unwrap_or("").to_string());
                        }
                    })
                    .unwrap_or_else(|| panic!("{label}: no publish after settings edit"));
                let Some(first) = first else { panic!("{label}: settings edit published no dependent") };
                first_dep.push(first - t0);
                if breaking {
                    dep_files = dep_files.max(deps.len());
                    settled_break.push(last - t0);
                } else {
                    settled_fix.push(last - t0);
                }
            }
            settings_note = format!(
                "`{key}` in {} ({} plain uses repo-wide; {dep_files} files re-published)",
                sfile.strip_prefix(&root).unwrap_or(sfile).display(),
                count.get(key.as_str()).copied().unwrap_or(0)
            );
            rows_settings.push(row("settings edit → first dependent publish", &first_dep, "both directions"));
            rows_settings.push(row(
                "settings edit (rename key) → burst settled",
                &settled_break,
                "dependents turn red",
            ));
            rows_settings.push(row("settings edit (rename back) → burst settled", &settled_fix, "dependents clear"));
            client.notify("textDocument/didClose", json!({"textDocument": {"uri": suri}}));
            client.settle(Duration::from_millis(300), Duration::from_secs(2), |_, _| {});
        }
    }

    // Requests on variable uses spread over several files (closed files: read from the index).
    let mut targets: Vec<&Use> = Vec::new();
    {
        let mut per_file: BTreeMap<&Path, usize> = BTreeMap::new();
        let step = (all_uses.len() / 400).max(1);
        for u in all_uses.iter().step_by(step) {
            let c = per_file.entry(u.file.as_path()).or_default();
            if *c < 3 {
                *c += 1;
                targets.push(u);
            }
        }
    }
    let n_target_files = targets.iter().map(|u| &u.file).collect::<HashSet<_>>().len();
    let mut hover = Vec::new();
    let mut def = Vec::new();
    let mut comp = Vec::new();
    let mut empty = [0usize; 3];
    for i in 0..args.requests {
        let u = targets[i % targets.len()];
        let uri = uri_of(&u.file);
        let on_name = json!({"textDocument": {"uri": uri}, "position": {"line": u.line, "character": u.col + 3}});
        let after = json!({"textDocument": {"uri": uri}, "position": {"line": u.line, "character": u.col + 2}});
        let (d, r) = client.request("textDocument/hover", on_name.clone());
        hover.push(d);
        empty[0] += r["result"].is_null() as usize;
        let (d, r) = client.request("textDocument/definition", on_name);
        def.push(d);
        empty[1] += (r["result"].is_null() || r["result"].as_array().is_some_and(|a| a.is_empty())) as usize;
        let (d, r) = client.request("textDocument/completion", after);
        comp.push(d);
        let items =
            r["result"].as_array().map(Vec::len).or_else(|| r["result"]["items"].as_array().map(Vec::len)).unwrap_or(0);
        empty[2] += (items == 0) as usize;
    }
    let hwm = proc_status_kib(client.pid, "VmHWM");
    let rss_end = proc_status_kib(client.pid, "VmRSS");
    let publishes = client.publishes;
    client.shutdown();

    let mut rows = vec![
        Row {
            what: "initialize → indexing done ($/progress end)".into(),
            n: 1,
            p50: ms(t_indexed - t_init),
            p99: "".into(),
            note: String::new(),
        },
        Row {
            what: "initialize → first diagnostics settled".into(),
            n: 1,
            p50: ms(t_settled - t_init),
            p99: "".into(),
            note: format!("{n_pub} publishes; first one at {}", ms(first_pub.unwrap() - t_init)),
        },
        row(
            "leaf edit (break `${VAR}`) → its diagnostic",
            &leaf_break,
            &format!("{}", leaf.file.strip_prefix(&root).unwrap_or(&leaf.file).display()),
        ),
        row("leaf edit (fix it) → clearing publish", &leaf_fix, ""),
    ];
    // The server has no debounce timer: each edit is analysed at once (both directions here).
    let leaf_all: Vec<Duration> = leaf_break.iter().chain(&leaf_fix).copied().collect();
    rows.push(row("leaf edit, both directions", &leaf_all, "analysis + publish"));
    for r in &mut rows_settings {
        if r.what.contains("first dependent") {
            r.note = format!("{}; {settings_note}", r.note);
        }
    }
    rows.extend(rows_settings);
    rows.push(row(
        "hover on `${VAR}`",
        &hover,
        &format!("{} targets in {n_target_files} files; {} empty", targets.len(), empty[0]),
    ));
    rows.push(row("definition on `${VAR}`", &def, &format!("{} empty", empty[1])));
    rows.push(row("completion after `${`", &comp, &format!("{} empty", empty[2])));
    rows.push(Row {
        what: "RSS after indexing / after first diagnostics".into(),
        n: 1,
        p50: format!("{} MB", rss_indexed / 1024),
        p99: format!("{} MB", rss_settled / 1024),
        note: String::new(),
    });
    rows.push(Row {
        what: "RSS at end / peak (VmHWM)".into(),
        n: 1,
        p50: format!("{} MB", rss_end / 1024),
        p99: format!("{} MB", hwm / 1024),
        note: format!("{publishes} publishes in the session"),
    });
    rows
}

fn main() {
    let args = Args::parse();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let bin = args.bin.clone().unwrap_or_else(|| root.join("target/release/gitops-lsp"));
    if !bin.is_file() {
        eprintln!("error: {} not found; cargo build --release -p gitops-lsp, or --bin PATH", bin.display());
        std::process::exit(2);
    }
    let out = args.out.clone().unwrap_or_else(|| root.join("target/bench-repos"));
    let version = Command::new(&bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let commit = Command::new("git")
        .args(["-C", &root.to_string_lossy(), "rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("# gitops-lsp language server benchmark");
    println!();
    println!("- machine: {}", Machine::detect().describe());
    println!("- binary: {} ({version}), commit {commit}", bin.display());
    println!("- load average at start: {}", loadavg());
    println!(
        "- leaf edits: {} × (break + fix); settings edits: {} × (rename + back); {} requests of each kind; p99 is nearest-rank (with 30 samples it is the max)",
        args.edits, args.settings_edits, args.requests
    );
    println!();

    let mut repos: Vec<(String, PathBuf)> = Vec::new();
    if !args.no_fixture {
        repos.push(("fixtures/home-ops".into(), root.join("fixtures/home-ops")));
    }
    repos.extend(args.repos.iter().map(|r| (r.display().to_string(), r.clone())));
    for &size in &args.sizes {
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
        let rows = bench_repo(&bin, label, path, &args);
        println!("### {label}");
        println!();
        println!("| measurement | n | p50 (or value) | p99 | notes |");
        println!("| --- | ---: | ---: | ---: | --- |");
        for r in rows {
            println!("| {} | {} | {} | {} | {} |", r.what, r.n, r.p50, r.p99, r.note);
        }
        println!();
    }
    println!("- load average at end: {}", loadavg());
}
