//! Property: after any sequence of edits, the server's diagnostics equal `check` on the final
//! text (the incremental path — rope edits, tree-sitter `Tree::edit`, re-parse — agrees with a
//! cold parse from disk).

mod common;
use common::lsp::*;
use common::*;
use proptest::prelude::*;
use std::time::Duration;

const SNIPPETS: &[&str] =
    &["${", "}", "APP_NAME", "\n", "  ", ": ", "é", "😀", "-", "[", "X_Y", ":=", "\"", "name", "\r\n", "#"];

/// (line, UTF-16 column) of a char index.
fn position(text: &str, char_idx: usize) -> (u32, u32) {
    let mut line = 0;
    let mut col = 0;
    for c in text.chars().take(char_idx) {
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += c.len_utf16() as u32;
        }
    }
    (line, col)
}

fn apply(text: &mut String, start: usize, len: usize, insert: &str) -> ((u32, u32), (u32, u32)) {
    let n = text.chars().count();
    let start = start.min(n);
    let end = (start + len).min(n);
    let (s, e) = (position(text, start), position(text, end));
    let sb = text.char_indices().nth(start).map_or(text.len(), |(i, _)| i);
    let eb = text.char_indices().nth(end).map_or(text.len(), |(i, _)| i);
    text.replace_range(sb..eb, insert);
    (s, e)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]
    #[test]
    fn random_edits_end_in_the_same_diagnostics_as_check(
        edits in prop::collection::vec((0usize..400, 0usize..6, 0usize..SNIPPETS.len(), any::<bool>()), 1..14)
    ) {
        let repo = mini_repo(&[]);
        let mut c = LspClient::start(repo.path());
        c.wait_indexed();
        let files = ["kubernetes/apps/app/configmap.yaml", "kubernetes/clusters/dev/cluster-settings.yaml"];
        let mut texts: Vec<String> = files.iter().map(|f| std::fs::read_to_string(repo.path().join(f)).unwrap()).collect();
        for f in files {
            c.open(f);
        }
        for (pos, del, snip, which) in edits {
            let i = usize::from(which);
            let (s, e) = apply(&mut texts[i], pos, del, SNIPPETS[snip]);
            c.edit(files[i], s, e, SNIPPETS[snip]);
        }
        for (f, t) in files.iter().zip(&texts) {
            std::fs::write(repo.path().join(f), t).unwrap();
        }
        c.settle(Duration::from_millis(400));
        prop_assert_eq!(c.all_diagnostics(), check_tuples(&c.root));
    }
}
