//! Every kind of the schema catalog through the real binary: `check` reports an unknown field
//! on it, and the server completes the keys of its `spec` and shows, on a nested key of that
//! kind, the key's own description, type, enum values and default.

use crate::common;
use common::lsp::*;
use common::*;
use serde_json::json;

struct Case {
    file: String,
    kind: String,
    first_spec_key: Option<String>,
    /// A file with a nested key of this kind, its line and what hover must show.
    nested: Option<Nested>,
}

struct Nested {
    file: String,
    line: u32,
    column: u32,
    key: String,
    must_show: Vec<String>,
}

/// One step of a key path: a key, or an item of the array above.
#[derive(Clone)]
enum Seg {
    Key(String),
    Item,
}

/// The deepest key path (objects and arrays of objects, up to four keys, not apiVersion,
/// kind or metadata) that ends on a documented scalar, preferring one with an enum or a
/// default; with a value for it and what hover must show.
fn nested_key(
    cat: &gitops_lsp::schema::Catalog,
    root: &gitops_lsp::schema::Schema,
) -> Option<(Vec<Seg>, String, Vec<String>)> {
    use gitops_lsp::schema::Ty;
    let mut best: Option<(usize, Vec<Seg>, String, Vec<String>)> = None;
    let mut stack: Vec<(Vec<Seg>, &gitops_lsp::schema::Schema)> = vec![(vec![], root)];
    while let Some((path, s)) = stack.pop() {
        let (_, s) = cat.resolve(s);
        let keys = path.iter().filter(|x| matches!(x, Seg::Key(_))).count();
        for (k, f) in &s.props {
            if path.is_empty() && matches!(&**k, "apiVersion" | "kind" | "metadata") {
                continue;
            }
            let (doc, r) = cat.resolve(f);
            let mut p = path.clone();
            p.push(Seg::Key(k.to_string()));
            if keys < 3 && r.ty == Ty::Object && !r.props.is_empty() {
                stack.push((p.clone(), f));
            }
            if let (true, Some(item)) = (keys < 3 && r.ty == Ty::Array, r.items.as_deref()) {
                if cat.resolve(item).1.ty == Ty::Object {
                    let mut q = p.clone();
                    q.push(Seg::Item);
                    stack.push((q, item));
                }
            }
            if !r.ty.is_scalar() || doc.is_empty() {
                continue;
            }
            let default = f.default.as_ref().or(r.default.as_ref());
            let value = r.enum_values.first().map(|e| e.to_string()).unwrap_or_else(|| match r.ty {
                Ty::Integer | Ty::Number | Ty::IntOrString | Ty::Quantity => "1".into(),
                Ty::Boolean => "true".into(),
                Ty::Duration => "1m".into(),
                _ => "x".into(),
            });
            let mut must = vec![doc.to_string(), f.type_label(cat)];
            must.extend(r.enum_values.iter().map(|e| format!("`{e}`")));
            if let Some(d) = default {
                must.push(format!("Default: `{d}`"));
            }
            let score = keys + 1 + if r.enum_values.is_empty() && default.is_none() { 0 } else { 10 };
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, p, value, must));
            }
        }
    }
    best.map(|(_, p, v, m)| (p, v, m))
}

/// YAML lines for a key path ending in `value`; the leaf key's line and column.
fn write_path(path: &[Seg], value: &str, out: &mut String) -> (u32, u32) {
    let (mut indent, mut dash, mut at) = (0usize, false, (0, 0));
    for (i, seg) in path.iter().enumerate() {
        match seg {
            Seg::Item => dash = true,
            Seg::Key(k) => {
                let col = indent + if dash { 2 } else { 0 };
                let lead = format!("{}{}", " ".repeat(indent), if dash { "- " } else { "" });
                at = (out.lines().count() as u32, col as u32);
                if i + 1 == path.len() {
                    out.push_str(&format!("{lead}{k}: {value}\n"));
                } else {
                    out.push_str(&format!("{lead}{k}:\n"));
                }
                dash = false;
                indent = col + 2;
            }
        }
    }
    at
}

fn repo_with_every_kind() -> (tempfile::TempDir, Vec<Case>) {
    let cat = gitops_lsp::schema::catalog();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut cases = Vec::new();
    let mut resources = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for (i, k) in cat.kinds.iter().enumerate() {
        if k.kind == "Kustomization" && k.group == "kustomize.config.k8s.io" || k.kind == "Component" {
            continue; // kustomize's own files are not resources
        }
        let av = k.api_versions().next().unwrap();
        let ns = if k.namespaced { "\n  namespace: default" } else { "" };
        let spec = k.schema.prop("spec");
        let first_spec_key = spec.and_then(|s| cat.resolve(s).1.props.first().map(|(n, _)| n.to_string()));
        let mut text =
            format!("apiVersion: {av}\nkind: {}\nmetadata:\n  name: kind-{i}{ns}\nnotAField: true\n", k.kind);
        if first_spec_key.is_some() {
            text.push_str("spec:\n  \n");
        }
        let file = format!("kubernetes/apps/app/k{i}.yaml");
        resources.push_str(&format!("  - k{i}.yaml\n"));
        let nested = nested_key(cat, &k.schema).map(|(path, value, must_show)| {
            let mut t = format!("apiVersion: {av}\nkind: {}\nmetadata:\n  name: nested-{i}{ns}\n", k.kind);
            let (line, col) = write_path(&path, &value, &mut t);
            let file = format!("kubernetes/apps/app/nested/n{i}.yaml");
            files.push((file.clone(), t));
            let Some(Seg::Key(key)) = path.last().cloned() else { unreachable!() };
            Nested { file, line, column: col + 1, key, must_show }
        });
        cases.push(Case { file: file.clone(), kind: k.kind.clone(), first_spec_key, nested });
        files.push((file, text));
    }
    resources.push_str("  - configmap.yaml\n");
    files.push(("kubernetes/apps/app/kustomization.yaml".into(), resources));
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (p.as_str(), t.as_bytes())).collect();
    (mini_repo(&refs), cases)
}

#[test]
fn every_catalog_kind_is_checked_completed_and_documented() {
    let (repo, cases) = repo_with_every_kind();
    assert!(cases.len() >= 40, "only {} kinds", cases.len());
    // Check: the unknown top-level field of each kind (line 4 or 5, after metadata).
    let (_, diags) = check_json(repo.path(), &[]);
    for c in &cases {
        let hit = diags.iter().any(|d| {
            d["code"] == "unknown-field"
                && d["file"] == c.file.as_str()
                && d["message"].as_str().unwrap().contains("notAField")
        });
        assert!(
            hit,
            "no unknown-field for {} in {}: {:?}",
            c.kind,
            c.file,
            summary(&diags).iter().filter(|s| s.contains(&c.file)).collect::<Vec<_>>()
        );
    }
    // The server: completion inside `spec`, hover on the `metadata` key.
    let mut lsp = LspClient::start(repo.path());
    lsp.wait_indexed();
    let mut nested = 0;
    for c in &cases {
        let uri = lsp.uri(&c.file);
        let text = std::fs::read_to_string(repo.path().join(&c.file)).unwrap();
        if let Some(key) = &c.first_spec_key {
            let line = text.lines().count() as u32 - 1;
            let r = lsp.request(
                "textDocument/completion",
                json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 2}}),
            );
            let labels: Vec<&str> = r["items"]
                .as_array()
                .map(|a| a.iter().map(|i| i["label"].as_str().unwrap()).collect())
                .unwrap_or_default();
            assert!(labels.contains(&key.as_str()), "{}: completion in spec lacks `{key}`: {labels:?}", c.kind);
        }
        let r = lsp.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 2}}),
        );
        let md = r["contents"]["value"].as_str().unwrap_or("");
        assert!(md.contains("metadata"), "{}: no hover on `metadata`: {r}", c.kind);
        // Hover on a nested key of this kind: its own doc, type, enum and default.
        if let Some(n) = &c.nested {
            let r = lsp.request(
                "textDocument/hover",
                json!({"textDocument": {"uri": lsp.uri(&n.file)}, "position": {"line": n.line, "character": n.column}}),
            );
            let md = r["contents"]["value"].as_str().unwrap_or("");
            assert!(md.starts_with(&format!("**{}**", n.key)), "{}: hover on `{}`: {r}", c.kind, n.key);
            for want in &n.must_show {
                assert!(md.contains(want.as_str()), "{}: hover on `{}` lacks {want:?}: {md}", c.kind, n.key);
            }
            nested += 1;
        }
    }
    // Nearly every kind has a documented field besides apiVersion, kind and metadata.
    assert!(nested * 10 >= cases.len() * 9, "only {nested} of {} kinds had a field to hover", cases.len());
}

// ---------------------------------------------------------------------------------------
// The kinds added for real home-ops repositories (issue 13, "Noise"): a valid example of
// each is clean, a misspelt key in a part checked against upstream is warned, an open kind
// accepts unknown keys but still types the ones it knows, kustomize agrees with the
// kustomization.yaml schema, and the objects of these kinds in the vendored corpus come out
// clean.

/// (API group, kind) of every kind added to the catalog for issue 13.
const ADDED: &[(&str, &str)] = &[
    ("", "ServiceAccount"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("", "PersistentVolume"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "IngressClass"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("", "Endpoints"),
    ("discovery.k8s.io", "EndpointSlice"),
    ("node.k8s.io", "RuntimeClass"),
    ("", "Pod"),
    ("", "PodTemplate"),
    ("coordination.k8s.io", "Lease"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("snapshot.storage.k8s.io", "VolumeSnapshotClass"),
    ("snapshot.storage.k8s.io", "VolumeSnapshot"),
    ("source.toolkit.fluxcd.io", "Bucket"),
    ("source.toolkit.fluxcd.io", "HelmChart"),
    ("notification.toolkit.fluxcd.io", "Alert"),
    ("notification.toolkit.fluxcd.io", "Provider"),
    ("notification.toolkit.fluxcd.io", "Receiver"),
    ("fluxcd.controlplane.io", "FluxInstance"),
    ("fluxcd.controlplane.io", "ResourceSet"),
    ("fluxcd.controlplane.io", "ResourceSetInputProvider"),
    ("gateway.networking.k8s.io", "GRPCRoute"),
    ("gateway.networking.k8s.io", "TCPRoute"),
    ("gateway.networking.k8s.io", "UDPRoute"),
    ("gateway.networking.k8s.io", "TLSRoute"),
    ("gateway.networking.k8s.io", "ReferenceGrant"),
    ("gateway.networking.k8s.io", "BackendTLSPolicy"),
    ("monitoring.coreos.com", "Probe"),
    ("monitoring.coreos.com", "ScrapeConfig"),
    ("monitoring.coreos.com", "AlertmanagerConfig"),
    ("external-secrets.io", "PushSecret"),
    ("external-secrets.io", "ClusterExternalSecret"),
    ("generators.external-secrets.io", "Password"),
    ("trust.cert-manager.io", "Bundle"),
    ("postgresql.cnpg.io", "Database"),
    ("postgresql.cnpg.io", "DatabaseRole"),
    ("barmancloud.cnpg.io", "ObjectStore"),
    ("cilium.io", "CiliumL2AnnouncementPolicy"),
    ("cilium.io", "CiliumCIDRGroup"),
    ("cilium.io", "CiliumBGPNodeConfigOverride"),
    ("cilium.io", "CiliumBGPPeeringPolicy"),
    ("metallb.io", "IPAddressPool"),
    ("metallb.io", "L2Advertisement"),
    ("metallb.io", "BGPPeer"),
    ("metallb.io", "BGPAdvertisement"),
    ("gateway.envoyproxy.io", "EnvoyProxy"),
    ("gateway.envoyproxy.io", "BackendTrafficPolicy"),
    ("gateway.envoyproxy.io", "ClientTrafficPolicy"),
    ("gateway.envoyproxy.io", "SecurityPolicy"),
    ("gateway.envoyproxy.io", "EnvoyExtensionPolicy"),
    ("gateway.envoyproxy.io", "EnvoyPatchPolicy"),
    ("gateway.envoyproxy.io", "Backend"),
    ("gateway.envoyproxy.io", "HTTPRouteFilter"),
    ("grafana.integreatly.org", "Grafana"),
    ("grafana.integreatly.org", "GrafanaDashboard"),
    ("grafana.integreatly.org", "GrafanaFolder"),
    ("grafana.integreatly.org", "GrafanaDatasource"),
    ("grafana.integreatly.org", "GrafanaAlertRuleGroup"),
    ("grafana.integreatly.org", "GrafanaContactPoint"),
    ("grafana.integreatly.org", "GrafanaNotificationPolicy"),
    ("grafana.integreatly.org", "GrafanaServiceAccount"),
    ("nfd.k8s-sigs.io", "NodeFeatureRule"),
    ("keda.sh", "ScaledObject"),
    ("upgrade.cattle.io", "Plan"),
    ("volsync.backube", "KopiaMaintenance"),
    ("ceph.rook.io", "CephFilesystem"),
    ("ceph.rook.io", "CephObjectStore"),
    ("ceph.rook.io", "CephObjectStoreUser"),
    ("ceph.rook.io", "CephNFS"),
    ("operator.victoriametrics.com", "VMSingle"),
    ("operator.victoriametrics.com", "VMAlert"),
];

/// Codes that judge an object against its schema.
const SCHEMA_CODES: &[&str] = &["unknown-field", "wrong-type", "invalid-enum", "missing-required", "unknown-kind"];

fn schema_kinds_dir(sub: &str) -> std::path::PathBuf {
    fixture("schema-kinds").join(sub)
}

/// The YAML files of a fixture folder, sorted: (file name, text).
fn yaml_files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
        .collect();
    v.sort();
    v
}

/// A mini repository whose app Kustomization applies these files (so required fields are
/// checked too), plus the kustomization.yaml fixture in a folder of its own.
fn repo_applying(files: &[(String, String)]) -> tempfile::TempDir {
    let mut owned: Vec<(String, Vec<u8>)> = Vec::new();
    let mut resources = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n",
    );
    for (name, text) in files {
        resources.push_str(&format!("  - {name}\n"));
        owned.push((format!("kubernetes/apps/app/{name}"), text.clone().into_bytes()));
    }
    owned.push(("kubernetes/apps/app/kustomization.yaml".into(), resources.into_bytes()));
    for (name, text) in yaml_files(&schema_kinds_dir("kustomize")) {
        owned.push((format!("kubernetes/apps/kustomize/{name}"), text.into_bytes()));
    }
    let refs: Vec<(&str, &[u8])> = owned.iter().map(|(p, t)| (p.as_str(), t.as_slice())).collect();
    mini_repo(&refs)
}

/// 0-based line ranges of the documents of a YAML text, with each one's first line.
fn documents(text: &str) -> Vec<(usize, usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("---") {
            out.push((start, i, lines.get(start).copied().unwrap_or("")));
            start = i + 1;
        }
    }
    out.push((start, lines.len(), lines.get(start).copied().unwrap_or("")));
    out
}

fn line_of(d: &serde_json::Value) -> usize {
    d["range"]["start"]["line"].as_u64().unwrap() as usize
}

#[test]
fn valid_examples_of_the_added_kinds_are_clean() {
    let files = yaml_files(&schema_kinds_dir("valid"));
    let repo = repo_applying(&files);
    let (_, diags) = check_json(repo.path(), &[]);
    let bad: Vec<String> = diags
        .iter()
        .filter(|d| SCHEMA_CODES.contains(&d["code"].as_str().unwrap()))
        .filter(|d| {
            let f = d["file"].as_str().unwrap();
            f.starts_with("kubernetes/apps/app/") && !f.ends_with("configmap.yaml")
                || f.starts_with("kubernetes/apps/kustomize/")
        })
        .map(|d| format!("{}:{} {} {}", d["file"], line_of(d) + 1, d["code"], d["message"]))
        .collect();
    assert!(bad.is_empty(), "schema findings on valid examples:\n{}", bad.join("\n"));
    // Every added kind has a valid example here, at a version the catalog knows.
    let cat = gitops_lsp::schema::catalog();
    let all: String = files.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("\n---\n");
    for &(group, kind) in ADDED {
        let examples: Vec<&str> = all
            .split("\n---\n")
            .filter(|doc| doc.lines().any(|l| l == format!("kind: {kind}")))
            .filter_map(|doc| doc.lines().find_map(|l| l.strip_prefix("apiVersion: ")))
            .filter(|av| gitops_lsp::schema::split_api_version(av).0 == group)
            .collect();
        if [
            "DatabaseRole",
            "CephObjectStore",
            "CephObjectStoreUser",
            "CephNFS",
            "EnvoyExtensionPolicy",
            "EnvoyPatchPolicy",
            "HTTPRouteFilter",
            "Grafana",
            "GrafanaAlertRuleGroup",
            "GrafanaContactPoint",
            "GrafanaNotificationPolicy",
            "GrafanaServiceAccount",
        ]
        .contains(&kind)
        {
            continue; // open kinds typed from memory, listed only so the corpus check covers them
        }
        assert!(!examples.is_empty(), "no valid example of {group} {kind}");
        for av in examples {
            assert!(
                matches!(cat.lookup(av, kind), gitops_lsp::schema::Lookup::Found(_)),
                "{av} {kind} is not in the catalog"
            );
        }
    }
}

/// `# typo: KEY` on a document's first line: exactly one unknown-field, naming KEY (a closed
/// part checked against upstream). `# wrong-type: KEY`: an open kind; its unknown keys are
/// not warned, and exactly one finding, a wrong-type on KEY.
#[test]
fn misspelt_keys_are_warned_and_open_kinds_type_what_they_know() {
    let files = yaml_files(&schema_kinds_dir("typos"));
    let repo = repo_applying(&files);
    let (_, diags) = check_json(repo.path(), &[]);
    let mut checked = 0;
    for (name, text) in &files {
        let path = format!("kubernetes/apps/app/{name}");
        for (start, end, first) in documents(text) {
            let here: Vec<&serde_json::Value> =
                diags.iter().filter(|d| d["file"] == path.as_str() && (start..end).contains(&line_of(d))).collect();
            let show = || here.iter().map(|d| format!("{} {}", d["code"], d["message"])).collect::<Vec<_>>().join("\n");
            if let Some(key) = first.strip_prefix("# typo: ") {
                let unknown: Vec<&&serde_json::Value> = here.iter().filter(|d| d["code"] == "unknown-field").collect();
                assert_eq!(unknown.len(), 1, "{name} line {}: want one unknown-field `{key}`:\n{}", start + 1, show());
                let msg = unknown[0]["message"].as_str().unwrap();
                assert!(msg.contains(&format!("`{key}`")), "{name} line {}: {msg}", start + 1);
                assert!(!here.iter().any(|d| d["code"] == "unknown-kind"), "{name} line {}:\n{}", start + 1, show());
            } else if let Some(key) = first.strip_prefix("# wrong-type: ") {
                let schema: Vec<&&serde_json::Value> =
                    here.iter().filter(|d| SCHEMA_CODES.contains(&d["code"].as_str().unwrap())).collect();
                assert_eq!(schema.len(), 1, "{name} line {}: want one wrong-type on `{key}`:\n{}", start + 1, show());
                assert_eq!(schema[0]["code"], "wrong-type", "{name} line {}:\n{}", start + 1, show());
                assert!(schema[0]["message"].as_str().unwrap().contains(&format!("`{key}`")), "{}", show());
            } else {
                panic!("{name} line {}: a document starts with `# typo:` or `# wrong-type:`", start + 1);
            }
            checked += 1;
        }
    }
    assert!(checked >= 45, "only {checked} documents");
}

/// kustomize rejects unknown kustomization.yaml fields ("json: unknown field"), so the schema
/// must list exactly its fields: every top-level field of the catalog parses in kustomize, and
/// a misspelt one fails in kustomize and is an unknown-field here. Skips without kubectl.
#[test]
fn kustomization_fields_agree_with_kustomize() {
    let ok =
        std::process::Command::new("kubectl").args(["version", "--client"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("kubectl not found: skipped");
        return;
    }
    let kustomize = |dir: &std::path::Path| {
        let out = std::process::Command::new("kubectl").args(["kustomize", dir.to_str().unwrap()]).output().unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // The whole fixture parses (and builds).
    let stderr = kustomize(&schema_kinds_dir("kustomize"));
    assert!(!stderr.contains("error") && !stderr.contains("failed"), "{stderr}");
    let cat = gitops_lsp::schema::catalog();
    let k = cat.kind("kustomize.config.k8s.io", "Kustomization").unwrap();
    // Fields newer than the kustomize of kubectl (v5.5): listed so Flux's newer kustomize is
    // not contradicted.
    let newer = ["inventory"];
    let dir = tempfile::tempdir().unwrap();
    for (field, _) in &k.schema.props {
        if ["apiVersion", "kind", "metadata", "status"].contains(&&**field) || newer.contains(&&**field) {
            continue;
        }
        // `null` is a valid value of every field; the key is what is tested.
        std::fs::write(dir.path().join("kustomization.yaml"), format!("{field}: null\n")).unwrap();
        let err = kustomize(dir.path());
        assert!(!err.contains("unknown field"), "kustomize does not know `{field}`: {err}");
        std::fs::write(dir.path().join("kustomization.yaml"), format!("{field}x: null\n")).unwrap();
        let err = kustomize(dir.path());
        assert!(err.contains("unknown field"), "kustomize accepts `{field}x`: {err}");
    }
    // kustomize matches field names regardless of case (Go's encoding/json): so does `check`.
    std::fs::write(dir.path().join("kustomization.yaml"), "images:\n  - name: a\n    newtag: b\nnameprefix: p-\n")
        .unwrap();
    let err = kustomize(dir.path());
    assert!(!err.contains("unknown field"), "{err}");
    let (_, diags) = check_json(dir.path(), &[]);
    assert!(!diags.iter().any(|d| d["code"] == "unknown-field"), "{}", summary(&diags).join("\n"));
    // Misspelt nested keys: kustomize fails on each, and `check` reports each.
    let nested = [
        ("labels:\n  - pairs: {a: b}\n    includeSelector: true\n", "includeSelector"),
        ("images:\n  - name: a\n    newTags: b\n", "newTags"),
        (
            "replacements:\n  - source: {kind: ConfigMap, name: a, fieldPaths: [data.x]}\n    targets: []\n",
            "fieldPaths",
        ),
        ("configMapGenerator:\n  - name: a\n    literal: [a=b]\n", "literal"),
        ("patches:\n  - patch: x\n    targets: {kind: A}\n", "targets"),
        ("sortOptions:\n  orders: fifo\n", "orders"),
        ("generatorOptions:\n  disableHash: true\n", "disableHash"),
        ("helmCharts:\n  - name: a\n    values: {}\n", "values"),
    ];
    for (text, key) in nested {
        std::fs::write(dir.path().join("kustomization.yaml"), text).unwrap();
        let err = kustomize(dir.path());
        assert!(
            err.contains(&format!("unknown field \\\"{key}\\\"")) || err.contains(&format!("unknown field \"{key}\"")),
            "kustomize on {key}: {err}"
        );
        let (_, diags) = check_json(dir.path(), &[]);
        assert!(
            diags
                .iter()
                .any(|d| d["code"] == "unknown-field" && d["message"].as_str().unwrap().contains(&format!("`{key}`"))),
            "check misses `{key}`: {}",
            summary(&diags).join("\n")
        );
    }
}

/// The objects of the added kinds in the vendored real repositories: no unknown-kind and no
/// schema finding (a top-level `sops:` key is another rule's: kustomize-controller removes it).
#[test]
fn corpus_objects_of_the_added_kinds_are_clean() {
    let corpus = fixture("corpus");
    let mut repos: Vec<_> = std::fs::read_dir(&corpus).unwrap().flatten().filter(|e| e.path().is_dir()).collect();
    repos.sort_by_key(|e| e.file_name());
    let mut objects = 0;
    let mut bad = Vec::new();
    for repo in repos {
        let (_, diags) = check_json(&repo.path(), &[]);
        for d in &diags {
            // A version Kubernetes removed (rbac v1beta1) is rightly not in the catalog.
            if !SCHEMA_CODES.contains(&d["code"].as_str().unwrap())
                || d["message"].as_str().unwrap().contains("is not a version the schema catalog knows")
            {
                continue;
            }
            let file = d["file"].as_str().unwrap();
            let Ok(text) = std::fs::read_to_string(repo.path().join(file)) else { continue };
            let line = line_of(d);
            let Some((start, end, _)) = documents(&text).into_iter().find(|(s, e, _)| (*s..*e).contains(&line)) else {
                continue;
            };
            let doc: Vec<&str> = text.lines().skip(start).take(end - start).collect();
            let top = |k: &str| doc.iter().find_map(|l| l.strip_prefix(k)).map(|v| v.trim().trim_matches('"'));
            let (Some(av), Some(kind)) = (top("apiVersion:"), top("kind:")) else { continue };
            let group = gitops_lsp::schema::split_api_version(av).0;
            if ADDED.contains(&(group, kind)) && !d["message"].as_str().unwrap().contains("`sops`") {
                bad.push(format!(
                    "{}/{file}:{} {kind}: {} {}",
                    repo.file_name().to_string_lossy(),
                    line + 1,
                    d["code"],
                    d["message"]
                ));
            }
        }
        // How many objects of the added kinds the repository holds (the test is not vacuous).
        for e in walk_yaml(&repo.path()) {
            let text = std::fs::read_to_string(&e).unwrap_or_default();
            for (s, en, _) in documents(&text) {
                let doc: Vec<&str> = text.lines().skip(s).take(en - s).collect();
                let top = |k: &str| doc.iter().find_map(|l| l.strip_prefix(k)).map(|v| v.trim().trim_matches('"'));
                if let (Some(av), Some(kind)) = (top("apiVersion:"), top("kind:")) {
                    if ADDED.contains(&(gitops_lsp::schema::split_api_version(av).0, kind)) {
                        objects += 1;
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(objects >= 300, "only {objects} objects of the added kinds in the corpus");
}

fn walk_yaml(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(p);
            }
        }
    }
    out
}
