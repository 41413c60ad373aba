//! The dependency graph (`gitops_lsp::ide::graph`) of the home-ops fixture, through the public
//! API on a repository loaded from disk.
//!
//! The JSON of each cluster's graph is also the input of the VS Code extension's graph view
//! tests: it is compared with `vscode-ext/test/fixtures/home-ops.<cluster>.graph.json`
//! (`UPDATE_EXPECT=1 cargo test -p gitops-lsp --test it graph::` rewrites those files), so the
//! view is tested on exactly what the server returns.

use crate::common::repo_root;
use crate::fixture;
use gitops_lsp::analysis::Analysis;
use gitops_lsp::ide::graph::{graph, Graph};

fn home_ops() -> Analysis {
    fixture::load(&repo_root().join("fixtures/home-ops"))
}

fn edge(g: &Graph, from: &str, to: &str) -> bool {
    g.edges.iter().any(|e| e.from == format!("flux-system/{from}") && e.to == format!("flux-system/{to}"))
}

#[test]
fn home_ops_infra_graph() {
    let a = home_ops();
    let g = graph(&a, "infra").unwrap();
    assert_eq!(g.cluster, "infra");
    assert!(g.nodes.len() >= 20, "{} nodes", g.nodes.len());
    assert!(edge(&g, "cilium-gateway", "cert-manager-issuers"));
    assert!(edge(&g, "cert-manager-issuers", "external-secrets-stores"));
    assert!(g.edges.iter().all(|e| !e.cycle && !e.unknown), "home-ops is clean");
    assert!(g.nodes.iter().all(|n| !n.missing));
    // Every node opens at its `metadata.name` line.
    for n in &g.nodes {
        let file = n.file.as_ref().unwrap();
        let text = std::fs::read_to_string(repo_root().join("fixtures/home-ops").join(file)).unwrap();
        let line = text.lines().nth(n.line.unwrap() as usize).unwrap();
        assert!(line.contains(&format!("name: {}", n.name)), "{file}:{} is `{line}`", n.line.unwrap());
    }
    let core = g.nodes.iter().find(|n| n.name == "cilium-core").unwrap();
    assert_eq!(core.clusters, vec!["apps".to_string(), "infra".to_string()]);
    assert_eq!(core.path.as_deref(), Some("./kubernetes/infrastructure/networking/cilium/core"));
}

#[test]
fn defects_show_cycles_and_unknown_targets() {
    for (fixture, want_cycle, want_unknown) in [("dependsOn-cycle", true, false), ("dependsOn-unknown", false, true)] {
        let a = fixture::load(&repo_root().join("fixtures/defects").join(fixture));
        let cluster = a.project.clusters[0].name.clone();
        let g = graph(&a, &cluster).unwrap();
        assert_eq!(g.edges.iter().any(|e| e.cycle), want_cycle, "{fixture}: {:?}", g.edges);
        assert_eq!(g.edges.iter().any(|e| e.unknown), want_unknown, "{fixture}: {:?}", g.edges);
        assert_eq!(g.nodes.iter().any(|n| n.missing), want_unknown, "{fixture}");
    }
}

#[test]
fn graph_json_matches_the_extension_fixtures() {
    let a = home_ops();
    for cluster in ["infra", "apps"] {
        let g = graph(&a, cluster).unwrap();
        let json = serde_json::to_string_pretty(&g).unwrap() + "\n";
        let path = repo_root().join(format!("vscode-ext/test/fixtures/home-ops.{cluster}.graph.json"));
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&path, &json).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            want == json,
            "{} is out of date: run `UPDATE_EXPECT=1 cargo test -p gitops-lsp --test it graph::`",
            path.display()
        );
    }
}
