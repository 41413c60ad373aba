//! Editor features over stdio JSON-RPC on fixtures/home-ops. Cursor positions are written
//! as the fixture text around them with `$0` marking the cursor, found in the real file.

use crate::common;
use common::lsp::*;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// The LSP position of `$0` in `marked` (a snippet of the file's text with the cursor
/// marked), located in the file on disk.
fn cursor(c: &LspClient, rel: &str, marked: &str) -> Value {
    let text = std::fs::read_to_string(c.root.join(rel)).unwrap();
    let at = marked.find("$0").expect("a $0 marker");
    let needle = marked.replacen("$0", "", 1);
    let start = text.find(&needle).unwrap_or_else(|| panic!("`{needle}` not in {rel}"));
    let off = start + at;
    let line = text[..off].matches('\n').count();
    let col: usize = text[..off].rsplit('\n').next().unwrap().encode_utf16().count();
    json!({"line": line, "character": col})
}

fn session() -> LspClient {
    let mut c = LspClient::start(&fixture("home-ops"));
    c.wait_indexed();
    c.settle(Duration::from_millis(100));
    c
}

fn pos_params(c: &LspClient, rel: &str, marked: &str) -> Value {
    json!({"textDocument": {"uri": c.uri(rel)}, "position": cursor(c, rel, marked)})
}

const CILIUM_HR: &str = "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml";

#[test]
fn hover_on_a_variable_shows_each_cluster() {
    let mut c = session();
    let r = c.request("textDocument/hover", pos_params(&c, CILIUM_HR, "id: ${CLUSTER_$0ID}"));
    let md = r["contents"]["value"].as_str().unwrap();
    assert!(md.contains("infra") && md.contains("apps"), "{md}");
    assert!(md.contains('1') && md.contains('2'), "{md}");
    assert!(md.contains("cluster-settings.yaml"), "{md}");
}

#[test]
fn definition_of_a_variable_goes_to_each_clusters_settings() {
    let mut c = session();
    let r = c.request("textDocument/definition", pos_params(&c, CILIUM_HR, "name: ${CLU$0STER}"));
    let locs = r.as_array().expect("one location per cluster");
    let uris: Vec<&str> = locs.iter().map(|l| l["uri"].as_str().unwrap()).collect();
    assert!(uris.iter().any(|u| u.ends_with("kubernetes/clusters/infra/cluster-settings.yaml")), "{uris:?}");
    assert!(uris.iter().any(|u| u.ends_with("kubernetes/clusters/apps/cluster-settings.yaml")), "{uris:?}");
}

#[test]
fn definition_of_depends_on_goes_to_the_kustomization() {
    let mut c = session();
    let rel = "kubernetes/clusters/infra/infrastructure.yaml";
    let r = c.request("textDocument/definition", pos_params(&c, rel, "dependsOn:\n    - name: cilium-$0core"));
    let loc = if r.is_array() { r[0].clone() } else { r };
    assert!(loc["uri"].as_str().unwrap().ends_with("kubernetes/clusters/infra/infrastructure.yaml"), "{loc}");
    let text = std::fs::read_to_string(c.root.join(rel)).unwrap();
    let line = text.lines().nth(loc["range"]["start"]["line"].as_u64().unwrap() as usize).unwrap();
    assert!(line.contains("name: cilium-core"), "{line}");
}

#[test]
fn references_of_a_variable_include_its_uses() {
    let mut c = session();
    let rel = "kubernetes/clusters/infra/cluster-settings.yaml";
    let r = c.request("textDocument/references", json!({"textDocument": {"uri": c.uri(rel)}, "position": cursor(&c, rel, "  CLUSTER_$0ID:"), "context": {"includeDeclaration": true}}));
    let uris: Vec<&str> = r.as_array().unwrap().iter().map(|l| l["uri"].as_str().unwrap()).collect();
    assert!(uris.iter().any(|u| u.ends_with(CILIUM_HR)), "{uris:?}");
    assert!(uris.iter().any(|u| u.ends_with(rel)), "{uris:?}");
}

#[test]
fn rename_a_variable_edits_settings_and_uses() {
    let mut c = session();
    let p = pos_params(&c, CILIUM_HR, "id: ${CLUSTER_$0ID}");
    let prep = c.request("textDocument/prepareRename", p.clone());
    assert_eq!(prep["placeholder"], "CLUSTER_ID");
    let mut rp = p.clone();
    rp["newName"] = json!("CLUSTER_NUMBER");
    let edit = c.request("textDocument/rename", rp);
    let changes = edit["changes"].as_object().unwrap();
    assert!(changes.keys().any(|u| u.ends_with("clusters/infra/cluster-settings.yaml")));
    assert!(changes.keys().any(|u| u.ends_with("clusters/apps/cluster-settings.yaml")));
    assert!(changes.keys().any(|u| u.ends_with(CILIUM_HR)));
    assert!(changes.values().flat_map(|v| v.as_array().unwrap()).all(|e| e["newText"] == "CLUSTER_NUMBER"));
    // An invalid name is refused with an error, not applied.
    let mut bad = p;
    bad["newName"] = json!("1-bad");
    let r = c.request_raw("textDocument/rename", bad);
    assert!(r.get("error").is_some(), "{r}");
}

#[test]
fn completion_after_dollar_brace_offers_variables_with_values() {
    let mut c = session();
    let rel = CILIUM_HR;
    let uri = c.open(rel);
    let p = cursor(&c, rel, "id: ${CLUSTER_ID}$0");
    let (line, ch) = (p["line"].as_u64().unwrap() as u32, p["character"].as_u64().unwrap() as u32);
    c.edit(rel, (line, ch), (line, ch), " ${CL");
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": ch + 5}}),
    );
    let items = r["items"].as_array().unwrap();
    let cluster = items.iter().find(|i| i["label"] == "CLUSTER").expect("CLUSTER offered");
    let detail = cluster["detail"].as_str().unwrap_or("");
    assert!(detail.contains("infra") && detail.contains("apps"), "{cluster}");
}

#[test]
fn symbols_links_inlay_hints_and_code_lenses() {
    let mut c = session();
    let rel = "kubernetes/clusters/infra/infrastructure.yaml";
    let uri = c.uri(rel);
    let syms = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    assert!(syms.as_array().unwrap().iter().any(|s| s["name"].as_str().unwrap().contains("cilium-core")), "{syms}");
    let ws = c.request("workspace/symbol", json!({"query": "cilium-gate"}));
    assert!(ws.as_array().unwrap().iter().any(|s| s["name"] == "cilium-gateway"), "{ws}");
    let links = c.request("textDocument/documentLink", json!({"textDocument": {"uri": uri}}));
    assert!(
        links.as_array().unwrap().iter().any(|l| l["target"].as_str().unwrap().contains("networking/cilium/core")),
        "{links}"
    );
    let lenses = c.request("textDocument/codeLens", json!({"textDocument": {"uri": uri}}));
    assert!(
        lenses.as_array().unwrap().iter().any(|l| l["command"]["title"].as_str().unwrap().contains("infra")),
        "{lenses}"
    );
    let hints = c.request("textDocument/inlayHint", json!({"textDocument": {"uri": c.uri(CILIUM_HR)}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 200, "character": 0}}}));
    let labels: Vec<String> =
        hints.as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap().to_string()).collect();
    assert!(labels.iter().any(|l| l.contains("infra") || l.contains('1')), "{labels:?}");
}

#[test]
fn inlay_hints_follow_the_focus_cluster_setting() {
    let mut c = LspClient::start_with(&fixture("home-ops"), json!({"cluster": "apps"}));
    c.wait_indexed();
    let hints = c.request("textDocument/inlayHint", json!({"textDocument": {"uri": c.uri(CILIUM_HR)}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 30, "character": 0}}}));
    let labels: Vec<String> =
        hints.as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap().to_string()).collect();
    assert!(labels.iter().any(|l| l.contains("apps")), "{labels:?}");
    assert!(!labels.iter().any(|l| l.contains("infra")), "{labels:?}");
}

#[test]
fn render_command_substitutes_for_one_cluster() {
    let mut c = session();
    let pool = "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml";
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "gitops-lsp.render", "arguments": [c.uri(pool), "apps"]}),
    );
    let text = r.as_str().unwrap();
    assert!(text.contains("name: apps"), "{text}");
    assert!(!text.contains("${CLUSTER}"), "{text}");
    let r = c.request_raw(
        "workspace/executeCommand",
        json!({"command": "gitops-lsp.render", "arguments": [c.uri(pool), "nope"]}),
    );
    assert!(r.get("error").is_some(), "{r}");
    let r = c.request("workspace/executeCommand", json!({"command": "gitops-lsp.clusters", "arguments": []}));
    assert_eq!(r, json!(["apps", "infra"]));
}

#[test]
fn hover_on_a_pool_address_shows_the_pool_and_its_use() {
    let mut c = session();
    let rel = "kubernetes/infrastructure/networking/cilium/ipam/infra/pool.yaml";
    let r = c.request("textDocument/hover", pos_params(&c, rel, "start: ${CILIUM_LB$0_POOL_START}"));
    let md = r["contents"]["value"].as_str().unwrap();
    assert!(md.contains("10.25.11.100"), "{md}");
    assert!(md.contains("infra-pool") && md.contains("used"), "{md}");
}

#[test]
fn completion_in_a_gateway_address_offers_free_addresses_of_the_cluster() {
    let mut c = session();
    let rel = "kubernetes/infrastructure/networking/cilium/gateway/gateway.yaml";
    let uri = c.open(rel);
    let p = cursor(&c, rel, "value: $0${CILIUM_GATEWAY_EXTERNAL_IP}");
    let line = p["line"].as_u64().unwrap() as u32;
    let ch = p["character"].as_u64().unwrap() as u32;
    let len = "${CILIUM_GATEWAY_EXTERNAL_IP}".len() as u32;
    c.edit(rel, (line, ch), (line, ch + len), "10.25.11.");
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": ch + 9}}),
    );
    let labels: Vec<&str> = r["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    // Free addresses of infra's or apps' pools (the folder is shared); used ones are not offered.
    assert!(labels.iter().any(|l| l.starts_with("10.25.11.1")), "{labels:?}");
    assert!(!labels.contains(&"10.25.11.100"), "the ClusterMesh address is in use: {labels:?}");
}

#[test]
fn graph_request_returns_the_dependency_graph() {
    let mut c = session();
    let g = c.request("gitops-lsp/graph", json!({"cluster": "infra"}));
    let nodes = g["nodes"].as_array().unwrap();
    assert!(nodes.iter().any(|n| n["id"] == "flux-system/cilium-gateway"), "{g}");
    let edges = g["edges"].as_array().unwrap();
    assert!(
        edges.iter().any(|e| e["from"] == "flux-system/cilium-ipam" && e["to"] == "flux-system/cilium-core"),
        "{g}"
    );
    let r = c.request_raw("gitops-lsp/graph", json!({"cluster": "nope"}));
    assert!(r.get("error").is_some(), "{r}");
}

#[test]
fn changing_the_focus_cluster_refreshes_inlay_hints() {
    let mut c = session();
    let params = json!({"textDocument": {"uri": c.uri(CILIUM_HR)}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 30, "character": 0}}});
    c.notify("workspace/didChangeConfiguration", json!({"settings": {"gitops-lsp": {"cluster": "infra"}}}));
    // The server asks the editor to re-request inlay hints (answered null by the test client).
    c.wait_until("inlay hint refresh", |c| c.server_requests.iter().any(|m| m == "workspace/inlayHint/refresh"));
    let hints = c.request("textDocument/inlayHint", params);
    let labels: Vec<String> =
        hints.as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap().to_string()).collect();
    assert!(labels.iter().any(|l| l.contains("infra")) && !labels.iter().any(|l| l.contains("apps")), "{labels:?}");
}
