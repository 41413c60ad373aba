//! Schema folders named in `.gitops-lsp.toml` (`[schemas] crds`): CRD YAML files and
//! CRDs-catalog style JSON schema files extend and override the catalog, through the real
//! binary (`check`) and the server (diagnostics, completion, hover, file watching).

use crate::common;
use common::lsp::*;
use common::*;
use serde_json::json;

const CONFIG: &str = r#"[schemas]
crds = ["crds", ".schemas", "../outside", "missing"]
"#;

/// Two CRDs in one multi-document file, in a folder that .gitignore hides.
const WIDGET_CRDS: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size:
                  type: integer
                  description: How many sprockets the widget has.
                color:
                  type: string
                  description: Paint of the widget.
                  enum: [red, blue]
                  default: red
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Cluster
  versions:
    - name: v1beta1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                mode: {type: string}
"#;

/// CRDs-catalog layout: `<group>/<kind>_<version>.json`, kind in lower case.
const GIZMO_JSON: &str = r#"{
  "description": "A gizmo.",
  "type": "object",
  "properties": {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object"},
    "spec": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "speed": {"type": "integer", "description": "Revolutions per minute of the gizmo."},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}}
      }
    }
  },
  "additionalProperties": false
}
"#;

/// Overrides the catalog's ClusterIssuer v1: only `spec.onlyThis` exists now.
const ISSUER_JSON: &str = r#"{
  "type": "object",
  "properties": {
    "spec": {"type": "object", "properties": {"onlyThis": {"type": "string", "description": "The one field of this issuer."}}}
  }
}
"#;

const OBJECTS: &str = r#"apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  namespace: default
spec:
  size: 3
  sizee: 4
---
apiVersion: example.org/v1alpha1
kind: Gizmo
metadata:
  name: g
  namespace: default
spec:
  speed: fast
  torque: 2
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: issuer
spec:
  onlyThis: x
  acme:
    server: https://example.com
"#;

fn repo() -> tempfile::TempDir {
    mini_repo(&[
        (".gitops-lsp.toml", CONFIG.as_bytes()),
        (".gitignore", b"crds/\n"),
        ("crds/widgets.yaml", WIDGET_CRDS.as_bytes()),
        (".schemas/example.org/gizmo_v1alpha1.json", GIZMO_JSON.as_bytes()),
        (".schemas/cert-manager.io/clusterissuer_v1.json", ISSUER_JSON.as_bytes()),
        (".schemas/broken/not-json.json", b"{\"properties\": "),
        (
            "kubernetes/apps/app/kustomization.yaml",
            b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n  - objects.yaml\n",
        ),
        ("kubernetes/apps/app/objects.yaml", OBJECTS.as_bytes()),
    ])
}

fn has(diags: &[serde_json::Value], code: &str, file: &str, text: &str) -> bool {
    diags.iter().any(|d| d["code"] == code && d["file"] == file && d["message"].as_str().unwrap().contains(text))
}

#[test]
fn check_reads_schema_folders_from_the_config() {
    let repo = repo();
    let (_, diags) = check_json(repo.path(), &[]);
    let s = summary(&diags);
    let objects = "kubernetes/apps/app/objects.yaml";
    // The folder's CRD (a .gitignore'd folder, multi-document file) is known and closed.
    assert!(has(&diags, "unknown-field", objects, "sizee"), "{s:#?}");
    assert!(!diags.iter().any(|d| d["code"] == "unknown-kind"), "{s:#?}");
    // The JSON schema (lower-case kind in the file name) types and closes the Gizmo.
    assert!(has(&diags, "wrong-type", objects, "speed"), "{s:#?}");
    assert!(has(&diags, "unknown-field", objects, "torque"), "{s:#?}");
    // The JSON file overrides the catalog's ClusterIssuer: `acme` is unknown, `onlyThis` is not.
    assert!(has(&diags, "unknown-field", objects, "acme"), "{s:#?}");
    assert!(!has(&diags, "unknown-field", objects, "onlyThis"), "{s:#?}");
    // A folder outside the repository: config-error on its entry; a missing one: a warning.
    let outside = diags
        .iter()
        .find(|d| d["code"] == "config-error" && d["message"].as_str().unwrap().contains("../outside"))
        .unwrap_or_else(|| panic!("{s:#?}"));
    assert_eq!(outside["file"], ".gitops-lsp.toml");
    assert_eq!(outside["severity"], "error");
    assert_eq!(outside["range"]["start"]["line"], 1);
    assert_eq!(outside["range"]["start"]["character"], CONFIG.lines().nth(1).unwrap().find("\"../outside\"").unwrap());
    assert!(has(&diags, "config-error", ".gitops-lsp.toml", "`missing`"), "{s:#?}");
    // A JSON file that does not parse is reported on itself.
    assert!(has(&diags, "unreadable-file", ".schemas/broken/not-json.json", "not valid JSON"), "{s:#?}");
    // Without the config entry, the JSON schemas are not read: the Gizmo is unknown again.
    std::fs::write(repo.path().join(".gitops-lsp.toml"), "").unwrap();
    let (_, diags) = check_json(repo.path(), &[]);
    assert!(diags.iter().any(|d| d["code"] == "unknown-kind" && d["message"].as_str().unwrap().contains("Gizmo")));
    assert!(!has(&diags, "unknown-field", objects, "acme"));
}

#[test]
fn server_completes_documents_and_watches_schema_folders() {
    let repo = repo();
    let objects = "kubernetes/apps/app/objects.yaml";
    let mut lsp = LspClient::start(repo.path());
    lsp.wait_indexed();
    let uri = lsp.open(objects);
    lsp.wait_until("unknown-field from the folder's schemas", |c| {
        c.codes(objects).iter().filter(|x| *x == "unknown-field").count() >= 3
    });
    let hover = |lsp: &mut LspClient, line: u32, ch: u32| {
        let r = lsp.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": ch}}),
        );
        r["contents"]["value"].as_str().unwrap_or("").to_string()
    };
    // Hover on a field only the folder's CRD defines: its doc, type, enum and default.
    let text = OBJECTS.to_string();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() as u32;
    let md = hover(&mut lsp, line_of("size: 3"), 3);
    assert!(md.contains("How many sprockets") && md.contains("integer") && md.contains("required"), "{md}");
    let md = hover(&mut lsp, line_of("speed: fast"), 3);
    assert!(md.contains("Revolutions per minute"), "{md}");
    let md = hover(&mut lsp, line_of("onlyThis"), 3);
    assert!(md.contains("The one field of this issuer"), "{md}");
    // Completion inside the Widget's spec: the CRD's keys; values of its enum.
    let mut edited = text.replace("  sizee: 4\n", "  \n");
    let line = line_of("sizee: 4");
    lsp.replace_all(objects, &edited);
    let r = lsp.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 2}}),
    );
    let labels: Vec<String> =
        r["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect();
    assert!(labels.contains(&"color".to_string()) && !labels.contains(&"size".to_string()), "{labels:?}");
    edited = text.replace("  sizee: 4\n", "  color: \n");
    lsp.replace_all(objects, &edited);
    let r = lsp.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 9}}),
    );
    let mut labels: Vec<&str> = r["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    labels.sort();
    assert_eq!(labels, ["blue", "red"]);
    lsp.replace_all(objects, &text);
    // The watcher: a JSON schema changed on disk (now `torque` exists) is re-read.
    let path = repo.path().join(".schemas/example.org/gizmo_v1alpha1.json");
    std::fs::write(&path, GIZMO_JSON.replace("\"labels\"", "\"torque\": {\"type\": \"integer\"}, \"labels\"")).unwrap();
    lsp.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri_of(&path), "type": 2}]}));
    lsp.wait_until("torque accepted after the schema file changed", |c| {
        let d = &c.diagnostics.get(&c.uri(objects)).map(|p| p["diagnostics"].clone()).unwrap_or_default();
        let msgs: Vec<&str> = d.as_array().into_iter().flatten().filter_map(|x| x["message"].as_str()).collect();
        msgs.iter().any(|m| m.contains("sizee")) && !msgs.iter().any(|m| m.contains("torque"))
    });
    assert_eq!(lsp.shutdown(), 0);
}
