//! Multi-file fixtures: one string holding a small repository, the format of every in-memory
//! test (`model_rules`, `network`, `semantic`, `ide_*`).
//!
//! ```text
//! #- /kubernetes/apps/app/kustomization.yaml
//! resources:
//!   - configmap.yaml
//! #- /kubernetes/apps/app/configmap.yaml
//! data:
//!   name: ${APP$0_NAME}
//! ```
//!
//! - Each file follows a header line `#- /path` (a YAML comment, so a fixture stays readable
//!   as YAML); lines before the first header are ignored. The path is relative to the
//!   repository's root; `/.gitops-lsp.toml` is the configuration.
//! - Each file is dedented by its own smallest indentation (so fixtures can be indented with
//!   the code, and a `format!` can place files at any depth); trailing blank lines and spaces
//!   are dropped and the text ends with one newline.
//! - `$0` marks a position (written anywhere, even right before `{` or inside a `${...}`): it
//!   is removed from the text and its byte offset kept, in order, in [`FixtureFile::marks`].
//!   `\$0` is a literal `$0`. What the marks mean (one cursor, a range, ...) is the test's.

use gitops_lsp::analysis::Analysis;
use gitops_lsp::files::{RelPath, Vfs};
use gitops_lsp::snapshot::Snapshot;
use std::sync::Arc;

/// The name of the configuration file in a fixture.
pub const CONFIG: &str = ".gitops-lsp.toml";

/// One file of a fixture.
#[derive(Clone, Debug, PartialEq)]
pub struct FixtureFile {
    /// Relative to the repository's root (no leading `/`).
    pub path: String,
    /// The text, markers removed.
    pub text: String,
    /// Byte offsets in `text` of the `$0` markers, in order.
    pub marks: Vec<usize>,
}

impl FixtureFile {
    pub fn rel(&self) -> RelPath {
        RelPath::new(&self.path).unwrap_or_else(|| panic!("fixture path {:?} leaves the repository", self.path))
    }
}

/// Splits a fixture into its files.
pub fn parse(fixture: &str) -> Vec<FixtureFile> {
    let mut files: Vec<(String, Vec<&str>)> = Vec::new();
    for line in fixture.lines() {
        if let Some(path) = line.trim_start().strip_prefix("#- /") {
            files.push((path.trim().to_string(), Vec::new()));
        } else if let Some((_, body)) = files.last_mut() {
            body.push(line);
        }
    }
    files
        .into_iter()
        .map(|(path, lines)| {
            let (text, marks) = take_marks(&dedent(&lines));
            FixtureFile { path, text, marks }
        })
        .collect()
}

/// The lines without their common indentation, trailing blank lines and spaces dropped,
/// ending with a newline.
fn dedent(lines: &[&str]) -> String {
    let indent =
        lines.iter().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    let mut text = lines
        .iter()
        .map(|l| if l.len() >= indent { &l[indent..] } else { l.trim_start() })
        .collect::<Vec<_>>()
        .join("\n");
    while text.ends_with("\n\n") || text.ends_with(' ') {
        text.pop();
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Removes the `$0` markers; returns the text and their byte offsets.
fn take_marks(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut marks = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("$0") {
        if rest[..i].ends_with('\\') {
            out.push_str(&rest[..i - 1]);
            out.push_str("$0");
        } else {
            out.push_str(&rest[..i]);
            marks.push(out.len());
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    (out, marks)
}

/// A repository on disk (a folder of `fixtures/`, a temporary copy), loaded as the server and
/// `check` load it.
pub fn load(dir: &std::path::Path) -> Analysis {
    let loaded = gitops_lsp::workspace::load(dir).unwrap_or_else(|e| panic!("{}: {e:?}", dir.display()));
    Analysis::new(Arc::new(Snapshot::from_vfs(&loaded.vfs, loaded.config_text.as_deref())))
}

/// The analysis of a fixture's files (`/.gitops-lsp.toml` as the configuration).
pub fn analysis(files: &[FixtureFile]) -> Analysis {
    let mut vfs = Vfs::default();
    let mut config = None;
    for f in files {
        if f.path == CONFIG {
            config = Some(f.text.clone());
        } else {
            vfs.insert_text(f.rel(), f.text.clone());
        }
    }
    Analysis::new(Arc::new(Snapshot::from_vfs(&vfs, config.as_deref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_marks_and_escapes() {
        let files = parse(
            "
            ignored before the first header
            #- /a.yaml
            a:
              b: ${X$0}\n\n
            #- /dir/b.yaml
                - deeper: \\$0 $0end
            ",
        );
        assert_eq!(
            files,
            [
                FixtureFile { path: "a.yaml".into(), text: "a:\n  b: ${X}\n".into(), marks: vec![11] },
                FixtureFile { path: "dir/b.yaml".into(), text: "- deeper: $0 end\n".into(), marks: vec![13] },
            ]
        );
        assert_eq!(parse("#- /empty.yaml\n")[0].text, "\n");
    }
}
