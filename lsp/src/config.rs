//! `.gitops-lsp.toml`: the optional configuration at the repository root.
//!
//! Owns: its schema and parsing. A broken file is reported, never fatal: the analysis then
//! runs with defaults.
//!
//! ```toml
//! # Name clusters and their entry folders explicitly (otherwise they are discovered).
//! [[cluster]]
//! name = "infra"
//! path = "kubernetes/clusters/infra"
//! flux-version = "2.4.0"        # optional: Flux older than 2.9 substitutes unset variables with ""
//! strict-substitution = false   # optional: overrides what the Flux version implies
//! network = "home"              # optional: clusters on different networks may reuse addresses
//!
//! # Where a Flux source's paths live in this repository (for sources other than the
//! # bootstrap GitRepository), e.g. an OCIRepository pushed from ./kubernetes.
//! [[source]]
//! kind = "OCIRepository"
//! name = "cluster-config"
//! namespace = "flux-system"     # optional, default flux-system
//! path = "kubernetes"           # "" or "." for the repository root; omit to mark it external
//! ```

use serde::Deserialize;

pub const FILE_NAME: &str = ".gitops-lsp.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default, rename = "cluster")]
    pub clusters: Vec<ClusterConfig>,
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClusterConfig {
    pub name: String,
    pub path: String,
    pub flux_version: Option<String>,
    pub strict_substitution: Option<bool>,
    /// The network the cluster's addresses live on: clusters on different networks may
    /// reuse addresses, pools and ASNs. Unset: one shared network.
    pub network: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub path: Option<String>,
}

/// Parses the configuration; the error carries a message and, when known, a byte range.
pub fn parse(text: &str) -> Result<Config, (String, Option<std::ops::Range<usize>>)> {
    toml::from_str::<Config>(text).map_err(|e| (e.message().to_string(), e.span()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn config_reads_clusters_and_sources() {
        let c = super::parse(
            "[[cluster]]\nname = \"infra\"\npath = \"k/infra\"\nflux-version = \"2.4.0\"\n[[source]]\nkind = \"OCIRepository\"\nname = \"x\"\npath = \"k\"\n",
        )
        .unwrap();
        assert_eq!(c.clusters[0].flux_version.as_deref(), Some("2.4.0"));
        assert_eq!(c.sources[0].path.as_deref(), Some("k"));
        assert!(super::parse("[[cluster]]\nnam = 1\n").is_err());
    }
}
