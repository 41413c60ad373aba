//! `gen-repo`: writes a deterministic, realistic multi-cluster Flux + Kustomize repository.
//!
//!     gen-repo --clusters 4 --apps 200 --seed 1 OUT_DIR
//!     gen-repo --clusters 4 --manifests 10000 --seed 1 OUT_DIR   # picks --apps to reach ~10k objects

use clap::Parser;
use gitops_lsp_bench::gen::{apps_for_objects, generate, Params};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "gen-repo",
    about = "Generate a deterministic multi-cluster Flux + Kustomize repository (clean for `gitops-lsp check`)"
)]
struct Args {
    /// Number of clusters (1-180).
    #[arg(long, default_value_t = 4)]
    clusters: usize,
    /// Number of applications (each deployed to a subset of the clusters).
    #[arg(long, conflicts_with = "manifests")]
    apps: Option<usize>,
    /// Pick --apps so that the repository holds at least this many Kubernetes objects
    /// (YAML documents with `kind`, kustomization.yaml files not counted).
    #[arg(long)]
    manifests: Option<usize>,
    /// Seed of the pseudo-random choices: the same arguments give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Replace OUT_DIR if it exists and is not empty.
    #[arg(long)]
    force: bool,
    /// Where to write the repository.
    out_dir: PathBuf,
}

fn main() {
    let args = Args::parse();
    if args.clusters == 0 || args.clusters > 180 {
        eprintln!("error: --clusters must be between 1 and 180");
        std::process::exit(2);
    }
    let apps = match (args.apps, args.manifests) {
        (Some(a), _) => a,
        (None, Some(m)) => apps_for_objects(args.clusters, m, args.seed),
        (None, None) => 100,
    };
    let repo = generate(&Params { clusters: args.clusters, apps, seed: args.seed });
    if let Err(e) = repo.write(&args.out_dir, args.force) {
        eprintln!("error: cannot write {}: {e}", args.out_dir.display());
        std::process::exit(2);
    }
    println!("{}: {}", args.out_dir.display(), repo.summary());
    println!("clusters: {}", repo.cluster_names.join(", "));
}
