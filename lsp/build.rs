//! Compiles `src/yaml/guard.c`: the YAML grammar with its scanner's two limits made safe
//! (see that file and `src/yaml/syntax.rs`). It needs tree-sitter's runtime headers, which
//! the `tree-sitter` crate exports (`links = "tree-sitter"`: DEP_TREE_SITTER_INCLUDE is its
//! `include/` folder; the runtime's own headers are in `src/` beside it), so the layouts used
//! are always those of the runtime that is linked.

use std::path::PathBuf;

fn main() {
    let include =
        PathBuf::from(std::env::var("DEP_TREE_SITTER_INCLUDE").expect("the tree-sitter crate exports its headers"));
    let runtime_src = include.parent().expect("include/ has a parent").join("src");
    println!("cargo:rerun-if-changed=src/yaml/guard.c");
    cc::Build::new()
        .std("c11")
        .include(&include)
        .include(&runtime_src)
        .file("src/yaml/guard.c")
        .warnings(true)
        .compile("gitops-yaml-guard");
}
