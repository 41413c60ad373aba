//! The Flux Kustomization dependency graph of one cluster, as plain data for editors to draw
//! (the VS Code extension's graph view; the server's `gitops-lsp/graph` request).
//!
//! Owns: `graph` and the serialisable `Graph`, `GraphNode`, `GraphEdge`. A pure function of
//! an `Analysis`; knows nothing of LSP (the server only wraps the JSON).
//!
//! Choices:
//! - nodes are the cluster's Flux Kustomizations (not the synthetic root of a cluster without a
//!   bootstrap object), in the order the cluster walk found them;
//! - an edge goes from the dependent to what it depends on (`from` dependsOn `to`), once per
//!   pair; a `dependsOn` naming nothing in the cluster gets a node with `missing: true` and
//!   its edge `unknown: true`;
//! - an edge is `cycle: true` when its target can reach its source again (a self-dependency
//!   included), the same set the `dependsOn-cycle` diagnostic reports;
//! - `path` is the folder after substitution (as the cluster resolves it), else the text as
//!   written; `line` is the 0-based line of `metadata.name` (else of the object's start).

use crate::analysis::Analysis;
use crate::project::{Cluster, NsName};
use rustc_hash::FxHashMap;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Graph {
    pub cluster: String,
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphNode {
    /// `namespace/name`.
    pub id: String,
    pub name: String,
    pub namespace: String,
    /// `spec.path`, resolved for this cluster when possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The file defining it, relative to the workspace root with `/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 0-based line of its `metadata.name` in `file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Every cluster that has a Flux Kustomization with this id (empty for a missing node).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    /// A `dependsOn` target that the cluster does not have.
    pub missing: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphEdge {
    /// The dependent's id.
    pub from: String,
    /// The id it depends on.
    pub to: String,
    pub cycle: bool,
    pub unknown: bool,
}

/// The Flux Kustomization graph of `cluster`; `Err` names the clusters when it does not exist.
pub fn graph(a: &Analysis, cluster: &str) -> Result<Graph, String> {
    let clusters = &a.project.clusters;
    let Some(c) = clusters.iter().find(|c| c.name == cluster) else {
        let names: Vec<&str> = clusters.iter().map(|c| c.name.as_str()).collect();
        return Err(if names.is_empty() {
            format!("no cluster `{cluster}`: this workspace has no clusters")
        } else {
            format!("no cluster `{cluster}`; the clusters are: {}", names.join(", "))
        });
    };
    let snap = &a.snapshot;

    // The cluster's real Flux Kustomizations, once each (the first of a duplicated id).
    let kept: Vec<u32> = (0..c.kss.len() as u32).filter(|&i| is_kept(c, i)).collect();
    let mut nodes: Vec<GraphNode> = Vec::new();
    let mut index: FxHashMap<NsName, usize> = FxHashMap::default();
    for &i in &kept {
        let ks = &c.kss[i as usize];
        let (file, line) = match ks.obj {
            Some(l) => {
                let f = snap.file(l.file);
                let o = &f.objects[l.obj as usize];
                let root = f.root(o);
                let at = root.at(&["metadata", "name"]).map(|n| n.range.start).unwrap_or(root.range.start);
                (Some(f.path.display().to_string()), Some(f.line_index.line_of(at) as u32))
            }
            None => (None, None),
        };
        let path = ks
            .path
            .as_ref()
            .map(|p| p.dir.as_ref().map(|d| format!("./{}", d.display())).unwrap_or_else(|| p.raw.clone()));
        let in_clusters = clusters.iter().filter(|o| o.ks_by_id.contains_key(&ks.id)).map(|o| o.name.clone()).collect();
        index.insert(ks.id.clone(), nodes.len());
        nodes.push(GraphNode {
            id: ks.id.to_string(),
            name: ks.id.name.clone(),
            namespace: ks.id.namespace.clone(),
            path,
            file,
            line,
            clusters: in_clusters,
            missing: false,
        });
    }

    // Edges by node index; missing targets get their own nodes.
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for &i in &kept {
        let ks = &c.kss[i as usize];
        let from = index[&ks.id];
        for (dep, _) in &ks.depends_on {
            let to = match index.get(dep) {
                Some(&to) => to,
                None => {
                    index.insert(dep.clone(), nodes.len());
                    nodes.push(GraphNode {
                        id: dep.to_string(),
                        name: dep.name.clone(),
                        namespace: dep.namespace.clone(),
                        path: None,
                        file: None,
                        line: None,
                        clusters: Vec::new(),
                        missing: true,
                    });
                    adj.push(Vec::new());
                    nodes.len() - 1
                }
            };
            if !pairs.contains(&(from, to)) {
                pairs.push((from, to));
                adj[from].push(to);
            }
        }
    }

    let mut reach_cache: FxHashMap<usize, Vec<bool>> = FxHashMap::default();
    let edges = pairs
        .iter()
        .map(|&(from, to)| {
            let reach = reach_cache.entry(to).or_insert_with(|| reachable(&adj, to));
            GraphEdge {
                from: nodes[from].id.clone(),
                to: nodes[to].id.clone(),
                cycle: reach[from],
                unknown: nodes[to].missing,
            }
        })
        .collect();
    Ok(Graph { cluster: c.name.clone(), nodes, edges })
}

fn is_kept(c: &Cluster, i: u32) -> bool {
    let ks = &c.kss[i as usize];
    ks.obj.is_some() && !c.kss[..i as usize].iter().any(|k| k.obj.is_some() && k.id == ks.id)
}

/// Which nodes `start` reaches (itself included).
fn reachable(adj: &[Vec<usize>], start: usize) -> Vec<bool> {
    let mut seen = vec![false; adj.len()];
    let mut stack = vec![start];
    seen[start] = true;
    while let Some(v) = stack.pop() {
        for &w in &adj[v] {
            if !seen[w] {
                seen[w] = true;
                stack.push(w);
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{RelPath, Vfs};
    use crate::snapshot::Snapshot;
    use std::sync::Arc;

    fn analysis(files: &[(&str, &str)]) -> Analysis {
        let mut vfs = Vfs::default();
        for (p, t) in files {
            vfs.insert_text(RelPath::new(p).unwrap(), t.to_string());
        }
        Analysis::new(Arc::new(Snapshot::from_vfs(&vfs, None)))
    }

    fn ks(name: &str, path: &str, deps: &[&str]) -> String {
        let mut s = format!(
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  path: {path}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
        );
        if !deps.is_empty() {
            s.push_str("  dependsOn:\n");
            for d in deps {
                s.push_str(&format!("    - name: {d}\n"));
            }
        }
        s
    }

    /// One cluster `dev` whose apps folder holds `kss`.
    fn repo(kss: &str) -> Analysis {
        let sync = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  path: ./clusters/dev\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
        analysis(&[
            ("clusters/dev/flux-system/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n"),
            ("clusters/dev/flux-system/gotk-sync.yaml", sync),
            ("clusters/dev/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - flux-system\n  - apps.yaml\n"),
            ("clusters/dev/apps.yaml", kss),
            ("apps/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"),
            ("apps/b/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"),
        ])
    }

    fn edges(g: &Graph) -> Vec<String> {
        g.edges
            .iter()
            .map(|e| {
                format!(
                    "{} -> {}{}{}",
                    e.from,
                    e.to,
                    if e.cycle { " cycle" } else { "" },
                    if e.unknown { " unknown" } else { "" }
                )
            })
            .collect()
    }

    #[test]
    fn nodes_and_edges_of_a_chain() {
        let text = ks("a", "./apps/a", &[]) + &ks("b", "./apps/b", &["a"]);
        let a = repo(&text);
        let g = graph(&a, "dev").unwrap();
        let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert!(ids.contains(&"flux-system/a") && ids.contains(&"flux-system/b"), "{ids:?}");
        assert_eq!(edges(&g), vec!["flux-system/b -> flux-system/a"]);
        let b = g.nodes.iter().find(|n| n.name == "b").unwrap();
        assert_eq!(b.file.as_deref(), Some("clusters/dev/apps.yaml"));
        assert_eq!(b.path.as_deref(), Some("./apps/b"));
        assert_eq!(b.clusters, vec!["dev".to_string()]);
        // `name: b` is on line 16 of the file (0-based): after a's 11 lines, `---` and 4 more.
        assert_eq!(text.lines().nth(b.line.unwrap() as usize), Some("  name: b"));
        assert!(!b.missing);
    }

    #[test]
    fn unknown_target_is_a_missing_node() {
        let a = repo(&(ks("a", "./apps/a", &["databse"]) + &ks("b", "./apps/b", &[])));
        let g = graph(&a, "dev").unwrap();
        assert_eq!(edges(&g), vec!["flux-system/a -> flux-system/databse unknown"]);
        let m = g.nodes.iter().find(|n| n.name == "databse").unwrap();
        assert!(m.missing && m.file.is_none() && m.clusters.is_empty());
    }

    #[test]
    fn cycle_edges_are_marked() {
        let a = repo(&(ks("a", "./apps/a", &["b"]) + &ks("b", "./apps/b", &["a"]) + &ks("c", "./apps/a", &["a"])));
        let g = graph(&a, "dev").unwrap();
        let mut e = edges(&g);
        e.sort();
        assert_eq!(
            e,
            vec![
                "flux-system/a -> flux-system/b cycle",
                "flux-system/b -> flux-system/a cycle",
                "flux-system/c -> flux-system/a"
            ]
        );
    }

    #[test]
    fn unknown_cluster_names_the_clusters() {
        let a = repo(&ks("a", "./apps/a", &[]));
        let err = graph(&a, "prod").unwrap_err();
        assert!(err.contains("`prod`") && err.contains("dev"), "{err}");
    }

    #[test]
    fn serialises_to_the_documented_shape() {
        let a = repo(&(ks("a", "./apps/a", &[]) + &ks("b", "./apps/b", &["a", "zzz"])));
        let g = graph(&a, "dev").unwrap();
        let v = serde_json::to_value(&g).unwrap();
        assert_eq!(v["cluster"], "dev");
        let b = v["nodes"].as_array().unwrap().iter().find(|n| n["name"] == "b").unwrap();
        assert_eq!(b["namespace"], "flux-system");
        assert_eq!(b["missing"], false);
        assert!(b["line"].is_u64() && b["file"].is_string());
        let z = v["nodes"].as_array().unwrap().iter().find(|n| n["name"] == "zzz").unwrap();
        assert!(z.get("file").is_none() && z.get("clusters").is_none());
        assert_eq!(
            v["edges"][0],
            serde_json::json!({"from": "flux-system/b", "to": "flux-system/a", "cycle": false, "unknown": false})
        );
    }
}
