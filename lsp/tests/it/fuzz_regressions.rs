//! The fuzz targets' code paths in the normal (stable, non-sanitized) test suite.
//!
//! `fuzz/harness.rs` holds what each cargo-fuzz target runs and asserts; it is included here
//! unchanged, so that:
//! - every input that once crashed a target (`tests/fuzz_regressions/<target>/*`) is run
//!   through the same function, and must now pass;
//! - the committed, minimized fuzz corpus (`fuzz/corpus/<target>/*`) stays a regression
//!   suite: every `subst` file runs, and an evenly spread sample of the `yaml_model` and
//!   `analysis` files (all of them with `GITOPS_LSP_FUZZ_CORPUS_ALL=1`), so that the three
//!   take a few seconds in a debug build.
//!
//! Inputs whose bug lies in a file this suite's owner may not change are kept under
//! `tests/fuzz_regressions/open/<target>/` and run by an ignored test until it is fixed.

#[path = "../../../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    crate::common::repo_root()
}

fn target_fn(target: &str) -> fn(&[u8]) {
    match target {
        "subst" => harness::subst,
        "yaml_model" => harness::yaml_model,
        "yaml_structure" => harness::yaml_structure,
        "analysis" => harness::analysis,
        t => panic!("unknown fuzz target `{t}`"),
    }
}

/// The files of a folder, sorted by name (none when it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Runs each file through a target; the failures (file and panic message) are collected so
/// one run names all of them.
fn run_all(target: &str, inputs: &[PathBuf]) -> Vec<String> {
    let f = target_fn(target);
    let mut failures = Vec::new();
    for p in inputs {
        // (A file can vanish while a fuzzer is minimizing the corpus in place.)
        let Ok(data) = std::fs::read(p) else { continue };
        if let Err(e) = std::panic::catch_unwind(|| f(&data)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", p.display()));
        }
    }
    failures
}

fn regressions(target: &str) {
    let dir = root().join("lsp/tests/fuzz_regressions").join(target);
    let inputs = files(&dir);
    let failures = run_all(target, &inputs);
    assert!(failures.is_empty(), "fuzz regressions fail again:\n{}", failures.join("\n"));
}

#[test]
fn regressions_subst() {
    regressions("subst");
}

#[test]
fn regressions_yaml_model() {
    regressions("yaml_model");
}

#[test]
fn regressions_yaml_structure() {
    regressions("yaml_structure");
}

#[test]
fn regressions_analysis() {
    regressions("analysis");
}

/// At most this many corpus files run (evenly spread) unless `GITOPS_LSP_FUZZ_CORPUS_ALL=1`
/// (the whole corpus takes about 6 s for `yaml_model` and 4 s for `analysis` in a debug build).
const YAML_SAMPLE: usize = 1200;
const ANALYSIS_SAMPLE: usize = 600;
const STRUCTURE_SAMPLE: usize = 300;

fn corpus(target: &str, sample: Option<usize>) {
    let dir = root().join("fuzz/corpus").join(target);
    let mut inputs = files(&dir);
    assert!(!inputs.is_empty(), "no corpus in {}", dir.display());
    let all = std::env::var("GITOPS_LSP_FUZZ_CORPUS_ALL").is_ok_and(|v| v == "1");
    if let (Some(n), false) = (sample, all) {
        if inputs.len() > n {
            let step = inputs.len() as f64 / n as f64;
            inputs = (0..n).map(|i| inputs[(i as f64 * step) as usize].clone()).collect();
        }
    }
    let failures = run_all(target, &inputs);
    assert!(failures.is_empty(), "corpus inputs fail:\n{}", failures.join("\n"));
}

#[test]
fn corpus_subst() {
    corpus("subst", None);
}

#[test]
fn corpus_yaml_model() {
    corpus("yaml_model", Some(YAML_SAMPLE));
}

#[test]
fn corpus_yaml_structure() {
    corpus("yaml_structure", Some(STRUCTURE_SAMPLE));
}

#[test]
fn corpus_analysis() {
    corpus("analysis", Some(ANALYSIS_SAMPLE));
}

/// The decoder of the `analysis` target reads what `make_seeds.py` writes: a control chunk,
/// then files whose first byte picks a path and whose `0x01 k` bytes are fragments.
#[test]
fn analysis_input_format() {
    let paths = harness::paths();
    let i = paths.iter().position(|p| *p == "kubernetes/apps/hello/configmap.yaml").unwrap() as u8;
    let j = paths.iter().position(|p| *p == ".gitops-lsp.toml").unwrap() as u8;
    let k = paths.iter().position(|p| p.ends_with(".json")).unwrap() as u8;
    let mut input = vec![3u8, 9];
    input.extend([0, i]);
    input.extend(b"a: 1\n");
    // Fragment numbers wrap around (0 would split the chunk).
    input.extend([harness::FRAG, harness::fragments().len() as u8]);
    input.extend([0, j]);
    input.extend(b"x = 1");
    input.extend([0, k, b'{']);
    input.extend([0, i, 0xff]);
    let repo = harness::decode_repo(&input);
    assert_eq!(repo.control, vec![3, 9]);
    assert_eq!(repo.config.as_deref(), Some("x = 1"));
    assert_eq!(repo.vfs.other_files.len(), 1);
    // The last file at the same path replaced the first one, and is not UTF-8.
    assert!(repo.vfs.texts.is_empty(), "{:?}", repo.vfs.texts);
    assert_eq!(repo.vfs.unreadable.len(), 1);
    let repo = harness::decode_repo(&input[..input.iter().rposition(|&b| b == 0).unwrap()]);
    let text = repo.vfs.texts.values().next().unwrap();
    assert!(text.starts_with("a: 1\n"));
    assert_eq!(&text[5..], harness::fragments()[0]);
}

/// The structure generator of `yaml_structure` builds texts on both sides of the parser's
/// nesting limit (`yaml::PARSER_MAX_LEVELS`), in each shape it nests, and the target's
/// assertions hold on them (pseudo-random inputs, a fixed seed).
#[test]
fn structure_generator_crosses_the_parser_limit() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut below, mut above) = (0, 0);
    for i in 0..24u64 {
        let mut input: Vec<u8> = (0..1500).map(|_| next() as u8).collect();
        // A deep chain (flag bit 0), no noise (bit 4), one to three documents (bit 1 clear);
        // chain lengths spread over 0..=320, each chain kind in turn.
        input[0] = (input[0] | 1) & !0b1_0010;
        let chain = (i * 320 / 23) as u16;
        input[1..3].copy_from_slice(&chain.to_be_bytes());
        input[3] = (i % 6) as u8;
        let g = harness::structure::generate(&mut arbitrary::Unstructured::new(&input));
        assert!(g.valid);
        if g.block_levels > gitops_lsp::yaml::PARSER_MAX_LEVELS {
            above += 1;
        } else {
            below += 1;
        }
        harness::yaml_structure(&input);
    }
    assert!(below >= 5 && above >= 3, "{below} texts within the limit, {above} past it");
}
