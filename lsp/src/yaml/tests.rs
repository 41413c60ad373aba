//! Unit tests of the YAML reader.

use super::scalar::decode_block;
use super::*;

fn root(text: &str) -> Node {
    parse(text).documents.into_iter().next().unwrap().root.unwrap()
}

/// Found by fuzzing (fuzz/README.md): a block scalar with an indentation indicator whose
/// range holds a line indented less than the indicator says, starting with a multi-byte
/// character, was cut inside that character.
#[test]
fn block_scalar_line_indented_less_than_its_indicator() {
    let (v, _) = decode_block(">+1\n\u{38c}:\n      cpu: 500m\n", 0);
    assert_eq!(v, "\u{38c}:\n     cpu: 500m\n");
    let (v, _) = decode_block("|2\n  a\n \u{e9}\n   b\n", 0);
    assert_eq!(v, "a\n\u{e9}\n b\n");
    parse(">+1\n\u{38c}:\n      cpu: 500m\n   ");
}

#[test]
fn multi_document_with_ranges() {
    let text = "a: 1\n---\nkind: ConfigMap\nmetadata:\n  name: x\n";
    let p = parse(text);
    assert_eq!(p.documents.len(), 2);
    let d = p.documents[1].root.as_ref().unwrap();
    let name = d.at(&["metadata", "name"]).unwrap();
    assert_eq!(&text[name.range.clone()], "x");
    assert!(p.problems.is_empty());
}

#[test]
fn scalar_types_follow_yaml_1_1() {
    let r = root("a: 64512\nb: \"64512\"\nc: yes\nd: 1.10\ne: ~\nf: on\ng: 0x1F\nh: 10.25.11.1\ni: 1e3\nj: text\nk:\n");
    let ty = |k: &str| r.get(k).unwrap().as_scalar().unwrap().ty;
    assert_eq!(ty("a"), ScalarType::Int);
    assert_eq!(ty("b"), ScalarType::Str);
    assert_eq!(ty("c"), ScalarType::Bool);
    assert_eq!(ty("d"), ScalarType::Float);
    assert_eq!(ty("e"), ScalarType::Null);
    assert_eq!(ty("f"), ScalarType::Bool);
    assert_eq!(ty("g"), ScalarType::Int);
    assert_eq!(ty("h"), ScalarType::Str);
    assert_eq!(ty("i"), ScalarType::Float);
    assert_eq!(ty("j"), ScalarType::Str);
    assert_eq!(ty("k"), ScalarType::Null);
}

#[test]
fn quoted_and_block_scalars_decode() {
    let r = root("a: 'it''s'\nb: \"x\\ty\\u00e9\"\nc: |\n  line1\n  line2\nd: >-\n  folded\n  text\ne: x\n");
    assert_eq!(r.str_at(&["a"]), Some("it's"));
    assert_eq!(r.str_at(&["b"]), Some("x\tyé"));
    assert_eq!(r.str_at(&["c"]), Some("line1\nline2\n"));
    assert_eq!(r.str_at(&["d"]), Some("folded text"));
    assert_eq!(r.str_at(&["e"]), Some("x"));
}

#[test]
fn duplicate_keys_are_reported_with_the_first() {
    let p = parse("a: 1\nb: 2\na: 3\n");
    assert!(
        matches!(&p.problems[0].kind, SyntaxProblemKind::DuplicateKey { key, first } if key == "a" && *first == (0..1))
    );
}

#[test]
fn broken_yaml_gives_problems_and_partial_documents() {
    let p = parse("a: {b: 1\nc: 2\n---\nkind: ConfigMap\n");
    assert!(p.problems.iter().any(|x| x.kind == SyntaxProblemKind::Error));
    assert!(p.documents.iter().any(|d| d.root.as_ref().and_then(|r| r.str_at(&["kind"])) == Some("ConfigMap")));
}

#[test]
fn anchors_aliases_merge_keys_and_redefined_anchors() {
    let r = root("a: &x {k: 1}\nb: *x\nc: &x 2\nd: *x\ne:\n  <<: *x\n");
    assert_eq!(r.at(&["b", "k"]).and_then(Node::as_str), Some("1"));
    assert_eq!(r.str_at(&["d"]), Some("2"));
}

#[test]
fn alias_bomb_is_cut_off() {
    let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        s.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    let p = parse(&s);
    assert!(p.problems.iter().any(|x| x.kind == SyntaxProblemKind::AliasBudget));
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 5000;
    let s = "[".repeat(depth) + &"]".repeat(depth);
    let p = parse(&s);
    assert!(p.problems.iter().any(|x| x.kind == SyntaxProblemKind::TooDeep));
}

#[test]
fn a_broken_document_does_not_hide_the_next() {
    let text = "a: {b: 1\n---\nkind: ConfigMap\nmetadata:\n  name: x\n---\nc: [\n";
    let p = parse(text);
    let middle = text.find("kind").unwrap()..text.rfind("---").unwrap();
    assert!(
        p.problems.len() >= 2 && p.problems.iter().all(|x| x.range.end <= middle.start || x.range.start >= middle.end),
        "{:?}",
        p.problems
    );
    let d = p
        .documents
        .iter()
        .find_map(|d| d.root.as_ref().filter(|r| r.str_at(&["kind"]) == Some("ConfigMap")))
        .expect("the middle document");
    assert_eq!(&text[d.at(&["metadata", "name"]).unwrap().range.clone()], "x");
}

#[test]
fn embedded_yaml_keeps_outer_positions() {
    let text = "patch: |\n  kind: Kustomization\n  spec:\n    path: ./x\n";
    let start = text.find("  kind").unwrap();
    let p = parse_embedded(text, start..text.len());
    let r = p.documents[0].root.as_ref().unwrap();
    let path = r.at(&["spec", "path"]).unwrap();
    assert_eq!(&text[path.range.clone()], "./x");
}

/// `n` block mappings nested one in another, one key per line.
fn nested_maps(n: usize) -> String {
    (0..n).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect()
}

fn limits(p: &ParsedYaml) -> Vec<&SyntaxProblem> {
    p.problems.iter().filter(|x| x.kind == SyntaxProblemKind::ParserLimit).collect()
}

fn errors(p: &ParsedYaml) -> Vec<&SyntaxProblem> {
    p.problems.iter().filter(|x| x.kind == SyntaxProblemKind::Error).collect()
}

/// The scanner of tree-sitter-yaml keeps one entry per open block mapping, block sequence
/// and block scalar, and tree-sitter aborts the process at the 254th (syntax.rs). Each way of
/// opening levels: 253 read without a problem, the 254th is refused and reported on its line
/// (and the process lives).
#[test]
fn the_parser_reads_253_open_block_levels_and_refuses_the_254th() {
    let n = PARSER_MAX_LEVELS;
    let seq_lines = |n: usize| (0..n).map(|i| format!("{}-\n", "  ".repeat(i))).collect::<String>();
    let pairs = |n: usize| (0..n / 2).map(|i| format!("{}- k{i}:\n", "    ".repeat(i))).collect::<String>();
    #[allow(clippy::type_complexity)]
    let shapes: Vec<(&str, Box<dyn Fn(usize) -> String>, &str)> = vec![
        ("block mappings", Box::new(nested_maps), "k253:"),
        ("block sequences, one per line", Box::new(seq_lines), "-"),
        ("compact sequences on one line", Box::new(|n| "- ".repeat(n) + "x\n"), "- - -"),
        ("explicit keys on one line", Box::new(|n| "? ".repeat(n) + "x\n"), "? ? ?"),
        // `- kI:` opens a sequence and a mapping: 126 lines are 252 levels, then `- x`.
        ("mappings in sequences", Box::new(move |n| pairs(n) + &format!("{}- x\n", "    ".repeat(n / 2))), "- k126:"),
        // The block scalar is the last level.
        (
            "a block scalar at the bottom",
            Box::new(|n| {
                nested_maps(n - 1).trim_end_matches(":\n").to_string() + ": |\n" + &" ".repeat(2 * n) + "text\n"
            }),
            ": |",
        ),
    ];
    for (what, text, refused) in shapes {
        let ok = text(n);
        let p = parse(&ok);
        assert!(limits(&p).is_empty() && errors(&p).is_empty(), "{what}, {n} levels: {:?}", p.problems);
        let deep = text(n + 1);
        let p = parse(&deep);
        let l = limits(&p);
        assert_eq!(l.len(), 1, "{what}, {} levels: {:?}", n + 1, p.problems);
        assert!(deep[l[0].range.clone()].contains(refused), "{what}: reported on `{}`", &deep[l[0].range.clone()]);
        assert!(errors(&p).is_empty(), "{what}: the refusal's own errors are not reported: {:?}", p.problems);
    }
    // Flow collections open no level: 252 mappings and then 1,000 nested `[`.
    let flow = nested_maps(n - 1) + &"  ".repeat(n - 1) + "k: " + &"[".repeat(1000) + &"]".repeat(1000) + "\n";
    let p = parse(&flow);
    assert!(limits(&p).is_empty() && errors(&p).is_empty(), "{:?}", p.problems);
}

#[test]
fn a_document_past_the_parser_limit_is_read_up_to_that_line() {
    let deep: String = (1..300).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect();
    let text = format!("top: 1\ndeep:\n{deep}after: 2\n---\nkind: ConfigMap\n---\nc: [\n");
    let p = parse(&text);
    let l = limits(&p);
    assert_eq!(l.len(), 1, "{:?}", p.problems);
    assert_eq!(&text[l[0].range.clone()], "k253:");
    // The document up to that line: its keys, and the cut below 200 levels.
    let first = p.documents[0].root.as_ref().expect("the first document, read up to the limit");
    assert_eq!(first.as_map().unwrap().iter().map(|(k, _)| k.as_str().unwrap()).collect::<Vec<_>>(), ["top", "deep"]);
    let depth = |mut n: &Node| {
        let mut d = 0;
        while let Some((_, v)) = n.as_map().and_then(|m| m.first()) {
            (n, d) = (v, d + 1);
        }
        d
    };
    assert_eq!(depth(first.get("deep").unwrap()), MAX_DEPTH - 1);
    assert!(p.problems.iter().any(|x| x.kind == SyntaxProblemKind::TooDeep));
    // The refusal's errors are not reported; the last document's `[` is.
    let last = text.rfind("---").unwrap();
    assert!(!errors(&p).is_empty() && errors(&p).iter().all(|e| e.range.start >= last), "{:?}", p.problems);
    let kinds: Vec<_> = p.documents.iter().filter_map(|d| d.root.as_ref()?.str_at(&["kind"])).collect();
    assert_eq!(kinds, ["ConfigMap"]);
}

/// The scanner's rows are 16-bit: before the guard, line 32,768 of a valid file was a syntax
/// error.
#[test]
fn files_over_32767_lines_parse() {
    let mut text = String::from("data:\n");
    for i in 0..40_000 {
        text.push_str(&format!("  k{i}: v{i}\n"));
    }
    text.push_str("  last:\n    - a\n    - b\nnext: |\n  block\n");
    let p = parse(&text);
    assert!(p.problems.is_empty(), "{:?}", &p.problems[..p.problems.len().min(3)]);
    let r = p.documents[0].root.as_ref().unwrap();
    assert_eq!(r.at(&["data", "k39999"]).and_then(Node::as_str), Some("v39999"));
    assert_eq!(r.at(&["data", "last"]).and_then(Node::as_seq).map(<[Node]>::len), Some(2));
    assert_eq!(r.str_at(&["next"]), Some("block\n"));
}

/// An edit as the server makes it (`Tree::edit`, then an incremental parse): typing the
/// 254th level into a tree that had 253, then deleting it again.
#[test]
fn incremental_parses_across_the_parser_limit() {
    fn edit(old: &str, new: &str, at: usize, removed: usize, inserted: usize) -> tree_sitter::InputEdit {
        let point = |t: &str, o: usize| {
            let row = t[..o].matches('\n').count();
            tree_sitter::Point { row, column: o - t[..o].rfind('\n').map_or(0, |i| i + 1) }
        };
        tree_sitter::InputEdit {
            start_byte: at,
            old_end_byte: at + removed,
            new_end_byte: at + inserted,
            start_position: point(old, at),
            old_end_position: point(old, at + removed),
            new_end_position: point(new, at + inserted),
        }
    }
    let ok = nested_maps(PARSER_MAX_LEVELS) + "tail: 1\n";
    let mut tree = parse_tree(&ok, None).unwrap();
    assert!(tree.refused_at.is_none());
    let at = ok.find("tail").unwrap();
    let line = format!("{}k253:\n", "  ".repeat(PARSER_MAX_LEVELS));
    let deep = format!("{}{line}{}", &ok[..at], &ok[at..]);
    tree.edit(&edit(&ok, &deep, at, 0, line.len()));
    let mut tree = parse_tree(&deep, Some(&tree)).unwrap();
    assert!(tree.refused_at.is_some());
    let p = convert(&deep, &tree);
    assert_eq!(limits(&p).len(), 1, "{:?}", p.problems);
    assert_eq!(&deep[limits(&p)[0].range.clone()], "k253:");
    // Deleted again: a fresh parse (the refused tree is not reused), no problem left.
    tree.edit(&edit(&deep, &ok, at, line.len(), 0));
    let tree = parse_tree(&ok, Some(&tree)).unwrap();
    let p = convert(&ok, &tree);
    assert!(
        tree.refused_at.is_none() && !p.problems.iter().any(|x| x.kind != SyntaxProblemKind::TooDeep),
        "{:?}",
        p.problems
    );
    assert_eq!(p.documents[0].root.as_ref().unwrap().str_at(&["tail"]), Some("1"));
}

/// Found by the `yaml_structure` fuzzer: an alias expanded deep in a document made a copy
/// that reached past `MAX_DEPTH` (every tree below must stay within it).
#[test]
fn alias_copies_are_cut_at_max_depth() {
    let chain = |n: usize, indent: usize| -> String {
        (0..n).map(|i| format!("{}k{i}:\n", " ".repeat(indent + i))).collect::<String>()
    };
    let text = format!("a: &a\n{}b:\n{} *a\n", chain(80, 1), chain(80, 1).trim_end_matches(":\n"));
    let text = text.replacen(" *a", ": *a", 1);
    let p = parse(&text);
    fn depth(n: &Node) -> usize {
        match &n.kind {
            NodeKind::Scalar(_) => 0,
            NodeKind::Seq(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            NodeKind::Map(entries) => 1 + entries.iter().map(|(k, v)| depth(k).max(depth(v))).max().unwrap_or(0),
        }
    }
    let root = p.documents[0].root.as_ref().unwrap();
    assert!(depth(root) <= MAX_DEPTH + 1, "depth {}", depth(root));
    assert!(p.problems.iter().any(|x| x.kind == SyntaxProblemKind::TooDeep), "{:?}", p.problems);
    // The copy is there, cut.
    let mut n = root.get("b").unwrap();
    while let Some((_, v)) = n.as_map().and_then(|m| m.first()) {
        n = v;
    }
    assert!(n.as_map().is_some_and(<[(Node, Node)]>::is_empty) || n.is_null(), "{n:?}");
}

/// Flow nesting costs the parser about 1.4 KB per level: past `MAX_FLOW_LEVELS` (go-yaml's
/// limit too) the text is read up to that line only, every other document as usual.
#[test]
fn flow_nesting_past_max_flow_levels_is_cut() {
    let flow = |n: usize| "[".repeat(n) + &"]".repeat(n);
    let ok = format!("k: v\nb: {}\n", flow(MAX_FLOW_LEVELS));
    let p = parse(&ok);
    assert!(p.problems.iter().all(|x| x.kind != SyntaxProblemKind::FlowLimit), "{:?}", p.problems);
    let text = format!(
        "kind: ConfigMap\n---\nk: v\nb: {}\n---\nkind: Secret\n# [[[[[[[[ comments do not count\n",
        flow(MAX_FLOW_LEVELS + 1)
    );
    let p = parse(&text);
    let cut: Vec<_> = p.problems.iter().filter(|x| x.kind == SyntaxProblemKind::FlowLimit).collect();
    assert_eq!(cut.len(), 1, "{:?}", p.problems);
    assert!(text[cut[0].range.clone()].starts_with("b: [[["));
    let roots: Vec<&Node> = p.documents.iter().filter_map(|d| d.root.as_ref()).collect();
    assert_eq!(roots.iter().filter_map(|r| r.str_at(&["kind"])).collect::<Vec<_>>(), ["ConfigMap", "Secret"]);
    assert!(roots.iter().any(|r| r.str_at(&["k"]) == Some("v")), "the document up to the cut");
    // The same through the server's path (a tree, then its conversion).
    let tree = parse_tree(&text, None).unwrap();
    assert!(tree.flow_cut_at.is_some());
    assert_eq!(convert(&text, &tree).problems, p.problems);
}
