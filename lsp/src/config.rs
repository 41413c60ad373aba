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
//!
//! # Schemas that extend or override the built-in catalog: folders (relative to the
//! # repository root, never outside it) of CustomResourceDefinition YAML files (multi-document
//! # files are fine) or JSON schema files (an openAPIV3Schema per file, named
//! # `<group>/<kind>_<version>.json` as in the CRDs-catalog repositories, or a CRD as JSON).
//! # These folders are read even when .gitignore'd or hidden.
//! [schemas]
//! crds = ["kubernetes/crds", ".schemas"]
//! ```

use crate::files::RelPath;
use serde::Deserialize;

pub const FILE_NAME: &str = ".gitops-lsp.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default, rename = "cluster")]
    pub clusters: Vec<ClusterConfig>,
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub schemas: SchemasConfig,
}

/// `[schemas]`: where the repository keeps schemas of its own.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemasConfig {
    /// Folders of CRD YAML or JSON schema files, as written (with their byte ranges in the
    /// configuration text, for diagnostics).
    #[serde(default)]
    pub crds: Vec<toml::Spanned<String>>,
}

impl Config {
    /// Each `[schemas] crds` entry with its byte range in the configuration text: the folder
    /// inside the repository, or why it is refused.
    pub fn schema_dir_entries(&self) -> Vec<(Result<RelPath, String>, std::ops::Range<usize>)> {
        self.schemas
            .crds
            .iter()
            .map(|d| {
                let raw = d.get_ref().trim();
                let absolute = raw.starts_with('/') || raw.starts_with('\\') || raw.get(1..2) == Some(":");
                let dir = RelPath::new(raw).filter(|_| !absolute).ok_or_else(|| {
                    format!("schema folder `{raw}` is outside the repository; only folders inside it are read")
                });
                (dir, d.span())
            })
            .collect()
    }

    /// The `[schemas] crds` folders inside the repository, and the ones that are not
    /// (message and byte range in the configuration text).
    pub fn schema_dirs(&self) -> (Vec<RelPath>, Vec<(String, std::ops::Range<usize>)>) {
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        for (dir, span) in self.schema_dir_entries() {
            match dir {
                Ok(p) => ok.push(p),
                Err(msg) => bad.push((msg, span)),
            }
        }
        (ok, bad)
    }
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

    #[test]
    fn schema_folders_inside_the_repo_only() {
        let text = "[schemas]\ncrds = [\"k/crds\", \"./a/../schemas/\", \"../outside\", \"/etc/crds\"]\n";
        let c = super::parse(text).unwrap();
        let (ok, bad) = c.schema_dirs();
        assert_eq!(ok.iter().map(|p| p.as_str()).collect::<Vec<_>>(), ["k/crds", "schemas"]);
        assert_eq!(bad.len(), 2);
        assert_eq!(&text[bad[0].1.clone()], "\"../outside\"");
        assert!(bad[1].0.contains("/etc/crds"));
        assert!(super::parse("[schemas]\ncrd = []\n").is_err());
    }
}
