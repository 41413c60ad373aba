//! `gitops-lsp`: the language server (default) and the `check` command.

use clap::{Parser, Subcommand};
use gitops_lsp::cli::{self, CheckArgs, ColorChoice, Deny, Format};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "gitops-lsp", version, about = "Language server and CI checker for Flux + Kustomize GitOps repositories")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check a repository, cluster by cluster, as Flux would build it.
    Check {
        /// The repository (or a folder of it) to check.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Only this cluster (repeatable).
        #[arg(long = "cluster", value_name = "NAME")]
        clusters: Vec<String>,
        /// Exit with 1 on warnings too.
        #[arg(long, value_enum)]
        deny: Vec<Deny>,
        /// Colour in human output.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Show the clusters found and the Flux Kustomizations each one applies.
    Clusters {
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Check { path, format, clusters, deny, color }) => {
            let args = CheckArgs { path, format, clusters, deny, color };
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            cli::check(&args, &mut stdout.lock(), &mut stderr.lock())
        }
        Some(Command::Clusters { path }) => cli::clusters(&path, &mut std::io::stdout().lock(), &mut std::io::stderr().lock()),
        None => {
            eprintln!("gitops-lsp: the language server is not built yet; use `gitops-lsp check [PATH]`");
            2
        }
    };
    std::process::exit(code);
}
