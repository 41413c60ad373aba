//! Property: after any sequence of edits, the server's diagnostics equal `check` on the final
//! text (the incremental path — rope edits, tree-sitter `Tree::edit`, re-parse — agrees with a
//! cold parse from disk).

use crate::common;
use common::lsp::*;
use common::*;
use proptest::prelude::*;
use std::time::Duration;

const SNIPPETS: &[&str] =
    &["${", "}", "APP_NAME", "\n", "  ", ": ", "é", "😀", "-", "[", "X_Y", ":=", "\"", "name", "\r\n", "#"];

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
