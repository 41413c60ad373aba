//! Diagnostics as the core reports them: a stable code, a severity, a range in one file,
//! the clusters concerned and related places. Every code is defined once, here.
//! Knows nothing about LSP or terminals; the server and the CLI convert.

use crate::files::{RelPath, TextRange};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

/// One diagnostic code: its stable name, default severity and a one-line summary (README,
/// SARIF rule descriptions and `--explain`-like output come from here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Code {
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

macro_rules! codes {
    ($($id:ident = $name:literal, $sev:ident, $summary:literal;)*) => {
        $(pub const $id: Code = Code { name: $name, severity: Severity::$sev, summary: $summary };)*
        /// Every code, in documentation order.
        pub const ALL: &[Code] = &[$($id),*];
    };
}

pub mod codes {
    use super::{Code, Severity};
    codes! {
        YAML_SYNTAX = "yaml-syntax", Error, "The file is not valid YAML (syntax error, duplicate key, unknown alias), or a part of it is not analysed (nesting past a limit, an alias bomb).";
        CONFIG_ERROR = "config-error", Error, "`.gitops-lsp.toml` cannot be read; defaults are used.";
        UNREADABLE_FILE = "unreadable-file", Error, "A manifest could not be read: not UTF-8, too large, or unreadable.";
        UNDEFINED_VARIABLE = "undefined-variable", Error, "`${VAR}` has no value and no default in a cluster; strict substitution (Flux >= 2.9) fails the whole Kustomization.";
        UNSUPPORTED_SUBSTITUTION = "unsupported-substitution", Error, "A `${...}` form Flux does not support, or a malformed one.";
        INVALID_VARIABLE_NAME = "invalid-variable-name", Error, "A substituteFrom key or substitute name that is not a valid variable name.";
        VARIABLE_NOT_STRING = "variable-not-string", Error, "A ConfigMap data value or postBuild.substitute value that YAML reads as a number, boolean or null.";
        MISSING_PATH = "missing-path", Error, "A Flux spec.path or a kustomize resources/components entry that does not exist.";
        NOT_A_COMPONENT = "not-a-component", Error, "A kustomize `components` entry whose kustomization is not `kind: Component`.";
        DEPENDS_ON_UNKNOWN = "dependsOn-unknown", Error, "A dependsOn entry names no Flux Kustomization (or HelmRelease) in that cluster.";
        DEPENDS_ON_CYCLE = "dependsOn-cycle", Error, "Flux Kustomizations or HelmReleases depend on each other in a cycle.";
        SUBSTITUTION_SOURCE_MISSING = "substitution-source-missing", Error, "A substituteFrom ConfigMap or Secret that the cluster does not have.";
        SUBSTITUTION_SOURCE_OUTSIDE_FLUX = "substitution-source-outside-flux", Information, "A substituteFrom source exists in the repository but not in what Flux applies to that cluster (e.g. created at bootstrap).";
        DUPLICATE_OBJECT = "duplicate-object", Error, "The same group, kind, namespace and name twice in one Flux Kustomization's build.";
        PATH_OUTSIDE_REPO = "path-outside-repo", Error, "A path that leaves the repository; it is never read.";
        INCLUDE_CYCLE = "include-cycle", Error, "A kustomization includes itself, directly or through others.";
        INCLUDE_TOO_DEEP = "include-too-deep", Warning, "A chain of kustomizations including each other deeper than 256 levels; what lies deeper is not analysed.";
        REMOTE_RESOURCE = "remote-resource", Information, "A remote resource (URL); recorded, never fetched.";
        INVALID_IP = "invalid-ip", Error, "An address (pool start/stop, requested LoadBalancer IP, Gateway address, BGP peer) that is not an IP address after substitution, or a range whose start is after its stop.";
        INVALID_CIDR = "invalid-cidr", Error, "A CIDR (pool block, pod CIDR, native-routing CIDR) that does not parse after substitution, or has host bits set.";
        INVALID_ASN = "invalid-asn", Error, "A BGP localASN or peerASN outside 1..4294967295.";
        IP_POOL_OVERLAP = "ip-pool-overlap", Error, "Two LB IP pools overlap, in one cluster (Cilium marks the later one Conflicting) or in two clusters on the same network.";
        LB_IP_OUTSIDE_POOL = "lb-ip-outside-pool", Error, "A requested LoadBalancer or Gateway address that no enabled pool of the cluster can hand to that Service.";
        LB_IP_DUPLICATE = "lb-ip-duplicate", Error, "One address requested by two objects of a cluster without a common sharing key, or in two clusters on the same network.";
        ASN_CONFLICT = "asn-conflict", Warning, "Two clusters on the same network use the same BGP local ASN.";
        CLUSTERMESH_ID_DUPLICATE = "clustermesh-id-duplicate", Error, "Two clusters on the same network have the same Cilium cluster.id.";
        CLUSTERMESH_NAME_DUPLICATE = "clustermesh-name-duplicate", Error, "Two clusters on the same network have the same Cilium cluster.name.";
        CLUSTERMESH_ID_INVALID = "clustermesh-id-invalid", Error, "A Cilium cluster.id outside 1..255 (1..511 with maxConnectedClusters: 511).";
        CLUSTERMESH_NAME_INVALID = "clustermesh-name-invalid", Error, "A Cilium cluster.name longer than 32 characters or not lowercase alphanumerics and dashes.";
        POD_CIDR_OVERLAP = "pod-cidr-overlap", Error, "Pod CIDRs of two clusters on the same network overlap, or a pod CIDR overlaps an LB IP pool.";
        UNKNOWN_FIELD = "unknown-field", Warning, "A field the kind's schema does not have (a typo, or a field of another version).";
        WRONG_TYPE = "wrong-type", Error, "A value of the wrong type for its field, in a cluster after substitution (e.g. a number where a string is required).";
        MISSING_REQUIRED = "missing-required", Error, "A field the kind's schema requires is missing.";
        INVALID_ENUM = "invalid-enum", Error, "A value that is not one of the field's allowed values, in a cluster after substitution.";
        UNKNOWN_KIND = "unknown-kind", Information, "An apiVersion/kind that neither the built-in catalog nor a CRD in the repository describes; its fields are not checked.";
        DANGLING_REFERENCE = "dangling-reference", Warning, "A storageClassName, secretStoreRef, issuerRef, gatewayClassName, sourceRef or chartRef naming nothing of that kind in the cluster (checked only for kinds the cluster defines in Git).";
    }
}

/// Another place that a diagnostic involves.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Related {
    pub file: RelPath,
    pub range: TextRange,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub file: RelPath,
    pub range: TextRange,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// Clusters where it applies; empty when it does not depend on a cluster.
    pub clusters: Vec<String>,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn new(code: Code, file: &RelPath, range: TextRange, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.clone(),
            range,
            severity: code.severity,
            code: code.name,
            message: message.into(),
            clusters: Vec::new(),
            related: Vec::new(),
        }
    }
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
    pub fn related(mut self, file: &RelPath, range: TextRange, message: impl Into<String>) -> Self {
        self.related.push(Related { file: file.clone(), range, message: message.into() });
        self
    }
    pub fn cluster(mut self, c: &str) -> Self {
        self.clusters.push(c.to_string());
        self
    }
}

/// Sorts diagnostics by file and position and merges those that differ only in their
/// cluster, so that one cause shows once with every cluster it affects; the clusters are
/// then named at the end of the message.
pub fn merge_and_sort(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.sort_by(|a, b| {
        (&a.file, a.range.start, a.range.end, a.code, &a.message, a.severity).cmp(&(
            &b.file,
            b.range.start,
            b.range.end,
            b.code,
            &b.message,
            b.severity,
        ))
    });
    let mut out: Vec<Diagnostic> = Vec::with_capacity(diags.len());
    for d in diags {
        if let Some(last) = out.last_mut() {
            if last.file == d.file
                && last.range == d.range
                && last.code == d.code
                && last.message == d.message
                && last.severity == d.severity
            {
                for c in d.clusters {
                    if !last.clusters.contains(&c) {
                        last.clusters.push(c);
                    }
                }
                for r in d.related {
                    if !last.related.contains(&r) {
                        last.related.push(r);
                    }
                }
                continue;
            }
        }
        out.push(d);
    }
    for d in &mut out {
        d.clusters.sort();
        match d.clusters.len() {
            0 => {}
            1 => d.message = format!("{} (cluster {})", d.message, d.clusters[0]),
            _ => d.message = format!("{} (clusters {})", d.message, d.clusters.join(", ")),
        }
    }
    out
}
