//! In-process phases of one edit, as the server runs them: re-parse the file, apply the
//! change to the host, analyse (incrementally where the edit allows), compute every
//! diagnostic, warm the editor index. Prints p50/p99 per phase for leaf edits (a `${VAR}`
//! broken and fixed in an app manifest) and for cluster-settings edits (a key renamed and
//! renamed back). No process boundary, no JSON-RPC: `lsp-bench` measures those.
//!
//! `edit-bench REPO [--edits N] [--settings-edits N]`

use clap::Parser;
use gitops_lsp::files::RelPath;
use gitops_lsp::host::{AnalysisHost, Change};
use gitops_lsp::model::FileModel;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    repo: PathBuf,
    #[arg(long, default_value_t = 50)]
    edits: usize,
    #[arg(long, default_value_t = 10)]
    settings_edits: usize,
}

#[derive(Default)]
struct Phases {
    names: Vec<&'static str>,
    samples: Vec<Vec<Duration>>,
}

impl Phases {
    fn record(&mut self, name: &'static str, d: Duration) {
        match self.names.iter().position(|n| *n == name) {
            Some(i) => self.samples[i].push(d),
            None => {
                self.names.push(name);
                self.samples.push(vec![d]);
            }
        }
    }

    fn print(&self, title: &str) {
        println!("\n{title}\n");
        println!("| phase | n | p50 | p99 |");
        println!("| --- | ---: | ---: | ---: |");
        for (n, s) in self.names.iter().zip(&self.samples) {
            let mut s = s.clone();
            s.sort();
            let p = |q: f64| s[((s.len() as f64 * q).ceil() as usize).clamp(1, s.len()) - 1];
            println!("| {n} | {} | {} | {} |", s.len(), ms(p(0.5)), ms(p(0.99)));
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// One edit through the phases the server runs; returns the number of diagnostics.
fn edit(host: &mut AnalysisHost, path: &RelPath, text: &str, phases: &mut Phases) -> usize {
    let total = Instant::now();
    let t = Instant::now();
    let model = Arc::new(FileModel::build(path.clone(), Arc::from(text)));
    phases.record("parse the file (cold; the server re-parses incrementally)", t.elapsed());
    let t = Instant::now();
    host.apply([Change::Parsed(model)]);
    phases.record("host.apply (derive the snapshot)", t.elapsed());
    let t = Instant::now();
    let pending = host.pending().err().expect("a new revision");
    let rev = pending.revision();
    let a = pending.analyse();
    phases.record("analyse (Analysis::update or new)", t.elapsed());
    let t = Instant::now();
    let n = a.diagnostics().len();
    phases.record("diagnostics()", t.elapsed());
    host.store_analysis(rev, a.clone());
    phases.record("edit → diagnostics (sum of the above)", total.elapsed());
    let t = Instant::now();
    let _ = gitops_lsp::ide::locate::Index::of(&a);
    phases.record("editor index (after publishing)", t.elapsed());
    n
}

fn main() {
    let args = Args::parse();
    let loaded = gitops_lsp::workspace::load(&args.repo).expect("load the repository");
    let t = Instant::now();
    let mut host = AnalysisHost::from_vfs(&loaded.vfs, loaded.config_text.as_deref());
    let a = host.analysis();
    let clean = a.diagnostics().len();
    let _ = gitops_lsp::ide::locate::Index::of(&a);
    println!("# edit-bench: {}", args.repo.display());
    println!("\ncold: {} files, {clean} diagnostics, {}", a.snapshot.files.len(), ms(t.elapsed()));
    for c in &a.project.clusters {
        println!("- cluster {}: {} Flux Kustomizations, {} placements", c.name, c.kss.len(), c.placements.len());
    }
    drop(a);

    // Leaf files: manifests with a plain `${NAME}` that are not Flux or kustomize files.
    let mut leaves: Vec<(RelPath, String, usize)> = Vec::new();
    let mut settings: Vec<(RelPath, String)> = Vec::new();
    for (p, text) in &loaded.vfs.texts {
        let text = text.to_string();
        if p.file_name() == "cluster-settings.yaml" {
            settings.push((p.clone(), text));
            continue;
        }
        if !gitops_lsp::files::is_manifest_name(p.file_name())
            || text.contains("kind: Kustomization")
            || text.contains("kind: Component")
        {
            continue;
        }
        if let Some(i) = text.find("${") {
            let rest = &text[i + 2..];
            if rest.find('}').is_some_and(|e| rest[..e].chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
                leaves.push((p.clone(), text, i + 2));
            }
        }
    }
    assert!(!leaves.is_empty(), "no leaf file with a plain ${{VAR}}");
    let step = (leaves.len() / args.edits.max(1)).max(1);
    let mut phases = Phases::default();
    let mut broken = 0;
    for (p, text, at) in leaves.iter().step_by(step).take(args.edits) {
        let bad = format!("{}NOPE_{}", &text[..*at], &text[*at..]);
        let n = edit(&mut host, p, &bad, &mut phases);
        let fixed = edit(&mut host, p, text, &mut phases);
        if n > fixed {
            broken += 1;
        }
    }
    phases.print(&format!("leaf edits ({} files, each broken and fixed; {broken} gave a new diagnostic)", args.edits));

    let mut phases = Phases::default();
    let mut done = 0;
    for (p, text) in settings.iter().cycle().take(args.settings_edits) {
        // Rename the first key under `data:` and back.
        let Some(d) = text.find("\ndata:\n") else { continue };
        let key_at = d + "\ndata:\n".len();
        let key_at = key_at + text[key_at..].len() - text[key_at..].trim_start().len();
        let bad = format!("{}RENAMED_{}", &text[..key_at], &text[key_at..]);
        edit(&mut host, p, &bad, &mut phases);
        edit(&mut host, p, text, &mut phases);
        done += 1;
    }
    if done > 0 {
        phases.print(&format!("cluster-settings edits ({done} files, each key renamed and back)"));
    }
}
