//! `gitops-lsp`: the language server (default) and the `check` command.

use clap::{Parser, Subcommand};
use gitops_lsp::cli::{self, CheckArgs, ColorChoice, Deny, Format};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "gitops-lsp",
    version,
    about = "Language server and CI checker for Flux + Kustomize GitOps repositories"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Log level of the language server (stderr): error, warn, info, debug. Also GITOPS_LSP_LOG.
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the language server on stdin/stdout (the default without a command).
    Serve {
        /// Accepted for clients that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
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
    /// Print a file as one cluster's Flux applies it, after postBuild substitution.
    Render {
        /// The manifest to render.
        file: PathBuf,
        /// The cluster whose view to show.
        #[arg(long, value_name = "NAME")]
        cluster: String,
        /// The repository root (default: the nearest folder above FILE holding .git or .gitops-lsp.toml).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Show values that come from Secrets written in the repository (masked otherwise).
        #[arg(long)]
        show_secrets: bool,
    },
    /// Show each cluster's LB IP pools: used addresses and who uses them, free ranges.
    Ipam {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = cli::IpamFormat::Table)]
        format: cli::IpamFormat,
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
        Some(Command::Clusters { path }) => {
            cli::clusters(&path, &mut std::io::stdout().lock(), &mut std::io::stderr().lock())
        }
        Some(Command::Render { file, cluster, root, show_secrets }) => cli::render(
            &file,
            &cluster,
            root.as_deref(),
            show_secrets,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        ),
        Some(Command::Ipam { path, format }) => {
            cli::ipam(&path, format, &mut std::io::stdout().lock(), &mut std::io::stderr().lock())
        }
        Some(Command::Serve { .. }) | None => serve(cli.log_level.as_deref()),
    };
    std::process::exit(code);
}

fn serve(log_level: Option<&str>) -> i32 {
    use gitops_lsp::server::{set_level, Level};
    let level = log_level.map(str::to_string).or_else(|| std::env::var("GITOPS_LSP_LOG").ok());
    if let Some(l) = level {
        match Level::parse(&l) {
            Some(l) => set_level(l),
            None => {
                eprintln!("error: unknown log level `{l}` (error, warn, info, debug)");
                return 2;
            }
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 2;
        }
    };
    rt.block_on(gitops_lsp::server::run());
    0
}
