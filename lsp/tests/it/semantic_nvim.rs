//! A real editor for highlighting: headless Neovim 0.11 (`NVIM_BIN`, else `nvim`).
//! - the repository's tree-sitter queries (`grammars/queries/yaml/highlights.scm`) loaded from
//!   'runtimepath' with the yaml parser, which Neovim does not bundle: it is compiled here with
//!   the C compiler (`CC`, else `cc`) from the `tree-sitter-yaml` crate's sources (found with
//!   `cargo metadata`) into a temporary `parser/yaml.so`;
//! - the server's semantic tokens as Neovim applies them (`@lsp.type.*`, `@lsp.mod.*`).
//!
//! Skips without `nvim` (or without a C compiler, for the queries) unless
//! GITOPS_LSP_REQUIRE_NVIM=1 (CI sets it).

use crate::common;
use common::lsp::copy_dir;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const REQUIRE: &str = "GITOPS_LSP_REQUIRE_NVIM";

/// The Neovim binary, or `None` (test skipped) when it is missing and not required.
fn nvim() -> Option<String> {
    let nvim = std::env::var("NVIM_BIN").unwrap_or_else(|_| "nvim".into());
    let ok = Command::new(&nvim).arg("--version").output().ok().filter(|o| o.status.success());
    match ok {
        Some(o) => {
            assert!(String::from_utf8_lossy(&o.stdout).contains("NVIM v0.1"), "Neovim 0.10+ expected");
            Some(nvim)
        }
        None => {
            common::skip("semantic_nvim (highlighting in Neovim)", "nvim not installed (NVIM_BIN)", Some(REQUIRE));
            None
        }
    }
}

fn run_lua(nvim: &str, script: &str, args: &[&str], state: &Path) -> Value {
    let out = tempfile::NamedTempFile::new().unwrap();
    let status = Command::new(nvim)
        .args(["--headless", "--clean", "-l"])
        .arg(repo_root().join("lsp/tests/nvim").join(script))
        .args(args)
        .arg(out.path())
        .env("XDG_STATE_HOME", state)
        .status()
        .expect("run nvim");
    assert!(status.success(), "nvim exited with {status}");
    let result: Value = serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap()).expect("nvim result");
    assert_eq!(result["ok"], true, "{}", result["error"]);
    result
}

/// The source folder of the `tree-sitter-yaml` crate this workspace builds with: its version
/// from Cargo.lock, in cargo's registry sources (`$CARGO_HOME`, else `~/.cargo`).
fn tree_sitter_yaml_src() -> Option<PathBuf> {
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).ok()?;
    let at = lock.find("name = \"tree-sitter-yaml\"\nversion = \"")?;
    let rest = &lock[at..];
    let version = rest.split('"').nth(3)?;
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .flatten()
        .map(|d| d.path().join(format!("tree-sitter-yaml-{version}/src")))
        .find(|p| p.join("parser.c").exists())
}

/// Compiles the yaml parser into `<dir>/parser/yaml.so`; false when it cannot be done here.
fn build_yaml_parser(dir: &Path) -> bool {
    let Some(src) = tree_sitter_yaml_src().filter(|s| s.join("parser.c").exists()) else {
        println!("tree-sitter-yaml sources not found");
        return false;
    };
    std::fs::create_dir_all(dir.join("parser")).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-O1", "-std=c11", "-shared", "-fPIC", "-w", "-I"])
        .arg(&src)
        .arg(src.join("parser.c"))
        .arg(src.join("scanner.c"))
        .arg("-o")
        .arg(dir.join("parser/yaml.so"))
        .status();
    match status {
        Ok(s) if s.success() => true,
        other => {
            println!("cannot compile the yaml parser with {cc}: {other:?}");
            false
        }
    }
}

const SAMPLE: &str = r#"plain: ${VAR}
middle: web-${VAR}-x
default: ${VAR:=fallback}
dash: "${VAR:-fallback}"
single: 'a ${VAR}'
escape: $${VAR}
escape_quoted: "$${VAR}"
both: $${A} ${B}
block: |
  echo ${VAR}
  second line
folded: >
  echo $${VAR}
${KEY}-name: v
dollar: costs $5 and $HOME
none: plain text
# comment ${VAR}
"#;

#[test]
fn neovim_queries_capture_substitutions() {
    let Some(nvim) = nvim() else { return };
    let tmp = tempfile::tempdir().unwrap();
    if !build_yaml_parser(tmp.path()) {
        common::skip(
            "semantic_nvim (tree-sitter queries)",
            "the yaml parser for Neovim could not be built",
            Some(REQUIRE),
        );
        return;
    }
    let yaml = tmp.path().join("sample.yaml");
    std::fs::write(&yaml, SAMPLE).unwrap();
    let grammars = repo_root().join("grammars");
    let r = run_lua(
        &nvim,
        "queries.lua",
        &[tmp.path().to_str().unwrap(), grammars.to_str().unwrap(), yaml.to_str().unwrap()],
        tmp.path(),
    );
    let files: Vec<&str> = r["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(files.iter().any(|f| f.ends_with("grammars/queries/yaml/highlights.scm")), "{files:?}");
    assert_eq!(r["highlighter"], true);
    let got: Vec<(String, u64, String)> = r["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (c["capture"].as_str().unwrap().to_string(), c["row"].as_u64().unwrap(), c["text"].as_str().unwrap().into())
        })
        .collect();
    // Each line of SAMPLE and what it should be captured as (by row; block scalars start on
    // their indicator's row).
    let expected: &[(u64, &str, &str)] = &[
        (0, "string.special", "${VAR}"),
        (1, "string.special", "web-${VAR}-x"),
        (2, "string.special", "${VAR:=fallback}"),
        (3, "string.special", "\"${VAR:-fallback}\""),
        (4, "string.special", "'a ${VAR}'"),
        (5, "string.escape", "$${VAR}"),
        (6, "string.escape", "\"$${VAR}\""),
        (7, "string.special", "$${A} ${B}"),
        (8, "string.special", "|\n  echo ${VAR}\n  second line\n"),
        (11, "string.escape", ">\n  echo $${VAR}\n"),
        (13, "string.special", "${KEY}-name"),
    ];
    for (row, capture, text) in expected {
        assert!(
            got.iter().any(|(c, r, t)| r == row && c == capture && t.trim_end() == text.trim_end()),
            "row {row}: expected @{capture} on `{text}`; got {got:?}"
        );
    }
    // Nothing else: text without a substitution, `$5`/`$HOME`, comments, and no line twice.
    let rows: Vec<u64> = got.iter().map(|(_, r, _)| *r).collect();
    assert_eq!(rows, expected.iter().map(|e| e.0).collect::<Vec<_>>(), "{got:?}");
    let at_first: Vec<&str> = r["at_first"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(at_first.contains(&"string.special"), "{at_first:?}");
}

#[test]
fn neovim_shows_semantic_tokens() {
    let Some(nvim) = nvim() else { return };
    let home = tempfile::tempdir().unwrap();
    copy_dir(&fixture("home-ops"), home.path());
    std::fs::create_dir(home.path().join(".git")).unwrap();
    // A file that both clusters apply, with an undefined variable, a default, and text before a
    // variable whose UTF-16 and UTF-8 columns differ.
    let rel = "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml";
    let path = home.path().join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("      id: ${CLUSTER_ID}\n"));
    let text = text.replacen(
        "      id: ${CLUSTER_ID}\n",
        "      id: ${CLUSTER_ID}\n      undefinedHere: ${NOT_DEFINED_ANYWHERE}\n      \
         note: \"é🚀 ${CLUSTER} ${NOT_SET_EITHER:=x}\"\n",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let probes = serde_json::json!([
        "undefinedHere: ${|NOT_DEFINED_ANYWHERE}",
        "name: ${|CLUSTER}",
        "note: \"é🚀 ${|CLUSTER}",
        "${NOT_SET_EITHER|:=x}",
        "${|NOT_SET_EITHER:=x}",
    ]);
    let r = run_lua(
        &nvim,
        "semantic.lua",
        &[repo_root().to_str().unwrap(), bin(), path.canonicalize().unwrap().to_str().unwrap(), &probes.to_string()],
        &home.path().join(".state"),
    );
    let types: Vec<&str> = r["legend"]["tokenTypes"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(types, ["variable", "operator", "escapeSequence"]);
    let probe = |i: usize| -> (Vec<String>, Vec<(u64, u64)>) {
        let p = &r["probes"][i];
        let tokens = p["tokens"].as_array().unwrap();
        (
            tokens.iter().map(|t| t["group"].as_str().unwrap().to_string()).collect(),
            tokens.iter().map(|t| (t["col"].as_u64().unwrap(), t["end_col"].as_u64().unwrap())).collect(),
        )
    };
    let has = |groups: &[String], g: &str| groups.iter().any(|x| x == g);

    let (g, spans) = probe(0);
    assert!(has(&g, "@lsp.type.variable.yaml"), "{g:?}");
    assert!(has(&g, "@lsp.mod.undefined.yaml") && has(&g, "@lsp.typemod.variable.undefined.yaml"), "{g:?}");
    let col = r["probes"][0]["col"].as_u64().unwrap();
    assert!(spans.contains(&(col, col + "NOT_DEFINED_ANYWHERE".len() as u64)), "{spans:?} at {col}");

    let (g, _) = probe(1);
    assert!(has(&g, "@lsp.type.variable.yaml"), "{g:?}");
    assert!(!g.iter().any(|x| x.starts_with("@lsp.mod.")), "defined in every cluster: {g:?}");

    // After `é🚀 ` (2 + 4 bytes, 1 + 2 UTF-16 units): the token covers the name's bytes exactly.
    let (g, spans) = probe(2);
    let col = r["probes"][2]["col"].as_u64().unwrap();
    assert!(has(&g, "@lsp.type.variable.yaml"), "{g:?}");
    assert!(spans.contains(&(col, col + "CLUSTER".len() as u64)), "{spans:?} at {col}");

    let (g, spans) = probe(3);
    let col = r["probes"][3]["col"].as_u64().unwrap();
    assert!(has(&g, "@lsp.type.operator.yaml"), "{g:?}");
    assert!(spans.contains(&(col, col + 2)), "{spans:?} at {col}");

    let (g, _) = probe(4);
    assert!(has(&g, "@lsp.mod.defaulted.yaml"), "{g:?}");
    assert!(!has(&g, "@lsp.mod.undefined.yaml"), "{g:?}");
}
