//! What the fuzz targets run, shared with the normal test suite.
//!
//! Each public function takes the raw fuzz input and panics when an invariant fails. The fuzz
//! targets (`fuzz_targets/*.rs`) call them under libFuzzer with sanitizers; the regression
//! test `lsp/tests/it/fuzz_regressions.rs` includes this same file (`#[path]`) and runs every
//! committed corpus file and every crash input through them, so the corpus stays a
//! regression suite in the stable, non-sanitized build.
//!
//! - [`subst`]: the input as UTF-8 text → `subst::scan` + `subst::eval` (three lookups) +
//!   `ide::locate::expr_at`.
//! - [`yaml_model`]: the input as one YAML file → `FileModel::build` (as an ordinary file and
//!   as a `kustomization.yaml`), typed views, embedded patch parses, `LineIndex`
//!   conversions, and an incremental re-parse after an edit compared with a fresh parse.
//! - [`yaml_structure`]: the input turned into a YAML text by a structure generator
//!   ([`structure`]) → the `yaml_model` checks, an edit compared with a fresh parse, the text
//!   analysed in a one-cluster repository; a valid text has no syntax error, and the parser's
//!   nesting limit is reported exactly past `yaml::PARSER_MAX_LEVELS` block levels.
//! - [`analysis`]: the input decoded into a small repository ([`decode_repo`]) →
//!   `AnalysisHost` → diagnostics, IDE queries, render, graph; optionally one more change
//!   applied to the host and compared with a cold analysis of the same files.
//!
//! Input formats are in the doc comment of each function; `make_seeds.py` writes seeds in
//! these formats from the fixtures.
#![allow(dead_code)]

use std::ops::Range;
use std::sync::Arc;

use gitops_lsp::analysis::Analysis;
use gitops_lsp::files::{LineIndex, Position, RelPath, Vfs};
use gitops_lsp::host::{AnalysisHost, Change};
use gitops_lsp::ide;
use gitops_lsp::model::{self, FileModel, FluxKs, HelmRelease, KustomizeFile};
use gitops_lsp::subst::{self, Lookup};
use gitops_lsp::yaml::{self, Node, NodeKind, ParsedYaml, ScalarStyle, SyntaxProblemKind};

// ---------------------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------------------

/// `r` lies inside `text` and both ends are on character boundaries.
#[track_caller]
fn check_range(text: &str, r: &Range<usize>, what: &str) {
    assert!(r.start <= r.end && r.end <= text.len(), "{what}: range {r:?} outside a text of {} bytes", text.len());
    assert!(
        text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
        "{what}: range {r:?} not on character boundaries"
    );
}

#[track_caller]
fn check_inside(outer: &Range<usize>, inner: &Range<usize>, what: &str) {
    assert!(outer.start <= inner.start && inner.end <= outer.end, "{what}: {inner:?} not inside {outer:?}");
}

/// Every range of a scan (already shifted by `base`) is inside `site` of `text`.
fn check_scan(text: &str, site: &Range<usize>, scan: &subst::Scan) {
    fn expr(text: &str, outer: &Range<usize>, e: &subst::Expr) {
        check_range(text, &e.range, "expr");
        check_inside(outer, &e.range, "expr in its parent");
        check_range(text, &e.name_range, "expr name");
        check_inside(&e.range, &e.name_range, "name in its expr");
        check_range(text, &e.op_range, "expr operator");
        check_inside(&e.range, &e.op_range, "operator in its expr");
        assert!(text[e.range.clone()].starts_with("${"), "expr does not start with `${{`");
        assert!(text[e.range.clone()].ends_with('}'), "expr does not end with `}}`");
        let mut last = e.range.start;
        for n in &e.nested {
            assert!(n.range.start >= last, "nested exprs out of order");
            last = n.range.end;
            expr(text, &e.range, n);
        }
    }
    let mut last = site.start;
    for e in &scan.exprs {
        assert!(e.range.start >= last, "exprs overlap or out of order: {:?}", scan.exprs);
        last = e.range.end;
        expr(text, site, e);
    }
    for e in &scan.errors {
        check_range(text, &e.range, "subst error");
        check_inside(site, &e.range, "subst error in its text");
        assert!(!e.message.is_empty());
    }
    for r in &scan.escapes {
        check_range(text, r, "escape");
        check_inside(site, r, "escape in its text");
        assert_eq!(&text[r.clone()], "$$", "escape is not `$$`");
    }
}

/// Byte offset → position → byte offset is the identity at every character boundary
/// (except between the `\r` and `\n` of a CRLF, which has no position of its own), and
/// position → offset → position is the identity on positions that came from offsets.
fn check_line_index(text: &str, idx: &LineIndex, offsets: impl Iterator<Item = usize>) {
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    assert_eq!(idx.line_count(), lines, "line count");
    for off in offsets {
        if off > text.len() || !text.is_char_boundary(off) {
            continue;
        }
        let p = idx.position(text, off);
        assert!((p.line as usize) < lines, "line {} of {lines}", p.line);
        if text[..off].ends_with('\r') && text[off..].starts_with('\n') {
            continue;
        }
        assert_eq!(idx.offset(text, p), off, "offset(position({off})) = {p:?}");
        assert_eq!(idx.position(text, idx.offset(text, p)), p);
    }
    // Positions past a line's end clamp to it; past the last line, to the end.
    let end = idx.offset(text, Position { line: lines as u32, character: 0 });
    assert_eq!(end, text.len());
    for line in 0..lines.min(64) {
        let lt = idx.line_text(text, line);
        assert!(!lt.contains('\n'), "line_text holds a line break");
        let far = idx.offset(text, Position { line: line as u32, character: u32::MAX });
        assert!(text.is_char_boundary(far) && far <= text.len());
        assert_eq!(idx.line_of(far), line.min(idx.line_of(text.len())));
    }
}

/// Every node's range is inside the text and on character boundaries; maps hold keys.
fn check_node(text: &str, n: &Node, depth: usize) {
    check_range(text, &n.range, "yaml node");
    assert!(depth <= yaml::MAX_DEPTH + 2, "node deeper than MAX_DEPTH");
    match &n.kind {
        NodeKind::Map(entries) => {
            for (k, v) in entries {
                check_node(text, k, depth + 1);
                check_node(text, v, depth + 1);
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|i| check_node(text, i, depth + 1)),
        NodeKind::Scalar(_) => {}
    }
}

fn count_nodes(n: &Node) -> usize {
    1 + match &n.kind {
        NodeKind::Map(entries) => entries.iter().map(|(k, v)| count_nodes(k) + count_nodes(v)).sum(),
        NodeKind::Seq(items) => items.iter().map(count_nodes).sum(),
        NodeKind::Scalar(_) => 0,
    }
}

fn check_parsed(text: &str, p: &ParsedYaml, within: &Range<usize>) {
    for d in &p.documents {
        check_range(text, &d.range, "document");
        check_inside(within, &d.range, "document in the parsed range");
        if let Some(r) = &d.root {
            check_node(text, r, 0);
            // Aliases are expanded within a budget (an alias bomb stops there).
            assert!(count_nodes(r) <= 4 * yaml::ALIAS_BUDGET + text.len() + 16, "alias expansion unbounded");
        }
    }
    for pr in &p.problems {
        check_range(text, &pr.range, "syntax problem");
        if let SyntaxProblemKind::DuplicateKey { first, .. } = &pr.kind {
            check_range(text, first, "duplicate key's first occurrence");
        }
    }
}

fn check_model(m: &FileModel) {
    let text: &str = &m.text;
    check_parsed(text, &m.yaml, &(0..text.len()));
    for o in &m.objects {
        assert!(o.doc < m.yaml.documents.len());
        let root = m.root(o);
        for s in &o.subst_sites {
            check_range(text, &s.range, "subst site");
            check_inside(&root.range, &s.range, "subst site in its object");
            check_scan(text, &s.range, &s.scan);
            // The site's scan is the scan of its text, shifted.
            let fresh = subst::scan(&text[s.range.clone()]);
            assert_eq!(fresh.exprs.len(), s.scan.exprs.len());
            assert_eq!(fresh.errors.len(), s.scan.errors.len());
        }
        let _ = o.group();
        if o.is_flux_ks() {
            let ks = FluxKs::read(root);
            let _ = std::hint::black_box(ks.substitutes());
            for p in &ks.patches {
                embedded_patch(text, p.patch);
            }
        }
        if o.kind == "HelmRelease" {
            std::hint::black_box(HelmRelease::read(root));
        }
    }
    if let Some(k) = m.kustomization() {
        let kf = KustomizeFile::read(k);
        for p in &kf.patches {
            embedded_patch(text, p.patch);
        }
        for r in kf.resources.iter().filter_map(|n| n.as_str()) {
            let _ = std::hint::black_box(model::is_remote(r));
        }
    }
}

/// Parses an inline patch the way `patch::Patch::from_inline` does.
fn embedded_patch(text: &str, patch: Option<&Node>) {
    let Some(patch) = patch else { return };
    let Some(s) = patch.as_scalar() else { return };
    match s.style {
        ScalarStyle::Literal | ScalarStyle::Folded => {
            let raw = &text[patch.range.clone()];
            if let Some(i) = raw.find('\n') {
                let r = patch.range.start + i + 1..patch.range.end;
                let p = yaml::parse_embedded(text, r.clone());
                check_parsed(text, &p, &(0..text.len()));
            }
        }
        _ => {
            let p = yaml::parse(&s.value);
            check_parsed(&s.value, &p, &(0..s.value.len()));
        }
    }
}

/// Offsets to probe in a text: every character boundary of a short text, else a sample
/// (each line start and end, each `$`, and every 7th boundary).
fn probe_offsets(text: &str) -> Vec<usize> {
    if text.len() <= 512 {
        return (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
    }
    let mut v: Vec<usize> = text
        .char_indices()
        .enumerate()
        .filter(|(n, (_, c))| n % 7 == 0 || matches!(c, '\n' | '\r' | '$'))
        .flat_map(|(_, (i, c))| [i, i + c.len_utf8()])
        .collect();
    v.push(0);
    v.push(text.len());
    v.sort_unstable();
    v.dedup();
    v
}

// ---------------------------------------------------------------------------------------
// Target `subst`
// ---------------------------------------------------------------------------------------

/// Variables of the `subst` target; every other name is unset, `SECRET` is unknown.
const VARS: &[(&str, &str)] = &[
    ("a", "abcabc"),
    ("b", ""),
    ("c", "A/b.c-d"),
    ("d", "xé日😀"),
    ("n", "2"),
    ("m", "-2"),
    ("s", "a*b[c]"),
    ("_x", "Under"),
    ("CLUSTER_NAME", "home"),
    ("APP_NAME", "hello"),
];

fn table(name: &str) -> Lookup<'static> {
    if name == "SECRET" {
        return Lookup::Unknown;
    }
    VARS.iter().find(|(n, _)| *n == name).map_or(Lookup::Unset, |(_, v)| Lookup::Set(v))
}

/// Input: text (UTF-8; other inputs are ignored).
pub fn subst(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let scan = subst::scan(text);
    check_scan(text, &(0..text.len()), &scan);
    assert_eq!(scan, subst::scan(text), "scan is deterministic");
    let fatal = scan.errors.iter().filter(|e| e.fatal).count();
    let all = scan.all_exprs();
    if !text.contains('$') {
        assert!(scan.is_empty());
    }

    // Set / unset variables only: a text Flux accepts always substitutes.
    let known = |n: &str| match table(n) {
        Lookup::Unknown => Lookup::Set("?"),
        l => l,
    };
    let ev = subst::eval(text, &known);
    assert_eq!(ev.errors.len(), fatal, "eval's errors are scan's fatal errors");
    assert_eq!(ev.text.is_some(), fatal == 0, "text substituted iff no fatal error");
    if !text.contains('$') {
        assert_eq!(ev.text.as_deref(), Some(text));
    }
    if scan.exprs.is_empty() && fatal == 0 {
        // Only `$$` escapes: each becomes one `$`.
        assert_eq!(ev.text.as_deref().map(str::len), Some(text.len() - scan.escapes.len()));
    }
    for (name, r) in &ev.undefined {
        check_range(text, r, "undefined use");
        assert!(
            all.iter().any(|e| &e.range == r && &e.name == name),
            "undefined `{name}` at {r:?} is no expression of the scan"
        );
    }

    // The table, with one unknown variable: the text is unknown iff it uses `SECRET`.
    let ev2 = subst::eval(text, &table);
    assert_eq!(ev2.errors.len(), fatal);
    if fatal == 0 && all.iter().all(|e| e.name != "SECRET") {
        assert_eq!(ev2.text, ev.text);
    }

    // Everything unknown: no text as soon as there is an expression.
    let ev3 = subst::eval(text, &|_| Lookup::Unknown);
    assert!(ev3.undefined.is_empty());
    if !scan.exprs.is_empty() || fatal > 0 {
        assert_eq!(ev3.text, None);
    } else {
        assert_eq!(ev3.text, ev.text);
    }

    // The innermost expression at an offset contains it.
    for off in probe_offsets(text) {
        if let Some(e) = ide::locate::expr_at(&scan, off) {
            assert!(e.range.start <= off && off <= e.range.end, "expr_at({off}) = {:?}", e.range);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Target `yaml_model`
// ---------------------------------------------------------------------------------------

/// Separates the parts of a `yaml_model` input (never valid inside UTF-8 text).
pub const SEP: u8 = 0xFF;

/// Input: `text` or `text 0xFF inserted 0xFF edit`. `text` is one YAML file (UTF-8; other
/// inputs are ignored); with the second form, `edit` (4 bytes, little-endian u16 start and
/// u16 length, both clamped) names the range of `text` that `inserted` replaces, and the
/// edited text is parsed incrementally from the old tree and compared with a fresh parse.
pub fn yaml_model(data: &[u8]) {
    let mut parts = data.split(|&b| b == SEP);
    let Ok(text) = std::str::from_utf8(parts.next().unwrap_or_default()) else { return };
    let edit = match (parts.next(), parts.next()) {
        (Some(ins), Some(e)) => std::str::from_utf8(ins).ok().map(|ins| (ins, e)),
        _ => None,
    };

    let parsed = yaml::parse(text);
    let plain = FileModel::from_parsed(RelPath::new("apps/x/app.yaml").unwrap(), Arc::from(text), parsed.clone());
    check_model(&plain);
    let kust = FileModel::from_parsed(RelPath::new("apps/x/kustomization.yaml").unwrap(), Arc::from(text), parsed);
    check_model(&kust);
    assert!(kust.objects.is_empty());
    check_line_index(text, &plain.line_index, probe_offsets(text).into_iter());
    for d in &plain.yaml.documents {
        let mut ends = vec![d.range.start, d.range.end];
        if let Some(r) = &d.root {
            r.for_each_scalar(&mut |n, _, _| ends.extend([n.range.start, n.range.end]));
        }
        check_line_index(text, &plain.line_index, ends.into_iter().take(256));
    }

    if let Some((ins, e)) = edit {
        incremental(text, ins, e);
    }
}

fn point_of(text: &str, offset: usize) -> tree_sitter::Point {
    let before = &text[..offset];
    let row = before.bytes().filter(|&b| b == b'\n').count();
    let column = offset - before.rfind('\n').map_or(0, |i| i + 1);
    tree_sitter::Point { row, column }
}

/// An edit applied to an open document as the server applies it (`server/docs.rs`: the old
/// tree edited, then an incremental re-parse) ends in the same documents as parsing the new
/// text from scratch, when neither parse has a syntax problem.
fn incremental(text: &str, ins: &str, e: &[u8]) {
    let get = |i: usize| e.get(i).copied().unwrap_or(0) as usize;
    incremental_at(text, get(0) | get(1) << 8, get(2) | get(3) << 8, ins, false);
}

/// `incremental` at `start` (clamped, moved to a character boundary), replacing `len` bytes.
/// `strict`: also when there are problems other than syntax errors (the parser's limit, the
/// nesting and alias cuts), both parses give the same problems and documents.
fn incremental_at(text: &str, start: usize, len: usize, ins: &str, strict: bool) {
    let mut start = start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + len).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let new_text = format!("{}{}{}", &text[..start], ins, &text[end..]);
    let Some(mut tree) = yaml::parse_tree(text, None) else { return };
    tree.edit(&tree_sitter::InputEdit {
        start_byte: start,
        old_end_byte: end,
        new_end_byte: start + ins.len(),
        start_position: point_of(text, start),
        old_end_position: point_of(text, end),
        new_end_position: point_of(&new_text, start + ins.len()),
    });
    let Some(tree) = yaml::parse_tree(&new_text, Some(&tree)) else { return };
    let path = RelPath::new("apps/x/app.yaml").unwrap();
    let inc = FileModel::from_parsed(path.clone(), Arc::from(new_text.as_str()), yaml::convert(&new_text, &tree));
    check_model(&inc);
    let fresh = FileModel::build(path, Arc::from(new_text.as_str()));
    let docs = |m: &FileModel| m.yaml.documents.iter().map(|d| d.root.clone()).collect::<Vec<_>>();
    if fresh.yaml.problems.is_empty() && inc.yaml.problems.is_empty() {
        assert_eq!(docs(&inc), docs(&fresh), "incremental re-parse differs from a fresh parse");
    }
    let errors = |m: &FileModel| m.yaml.problems.iter().any(|p| p.kind == SyntaxProblemKind::Error);
    if strict && !errors(&fresh) && !errors(&inc) {
        assert_eq!(inc.yaml.problems, fresh.yaml.problems, "incremental re-parse: other problems");
        assert_eq!(docs(&inc), docs(&fresh), "incremental re-parse differs from a fresh parse");
    }
}

// ---------------------------------------------------------------------------------------
// Target `yaml_structure`
// ---------------------------------------------------------------------------------------

#[path = "structure.rs"]
pub mod structure;

/// Longest line tree-sitter-yaml's scanner reads right: it counts columns in 16 bits.
const MAX_COLUMNS: usize = 32_767;

/// Input: any bytes, turned into a YAML text by [`structure::generate`] (deep and wide
/// nesting, block and flow styles, anchors, many documents, long lines); the bytes left
/// choose an edit. Runs what `yaml_model` runs on that text (but the line index, whose
/// checks are quadratic on long lines), the edit through an incremental
/// re-parse compared with a fresh one (problems too), and the text as a file of a one-cluster
/// repository through the analysis (diagnostics in bounds, hover and friends on it).
/// Asserts besides: a valid text (no noise; lines under [`MAX_COLUMNS`]) has no syntax error,
/// and the parser's limit is reported exactly when more than `yaml::PARSER_MAX_LEVELS` block
/// levels are open at once.
pub fn yaml_structure(data: &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let g = structure::generate(&mut u);
    let text = g.text.as_str();
    let parsed = yaml::parse(text);
    let model = FileModel::from_parsed(RelPath::new("apps/x/app.yaml").unwrap(), Arc::from(text), parsed.clone());
    check_model(&model);

    let short_lines = text.lines().all(|l| l.len() <= MAX_COLUMNS);
    if g.valid && short_lines {
        let head = || text.chars().take(600).collect::<String>();
        let errors: Vec<_> = parsed.problems.iter().filter(|p| p.kind == SyntaxProblemKind::Error).collect();
        assert!(errors.is_empty(), "syntax errors in valid YAML: {errors:?} in {:?}", head());
        let limits = parsed.problems.iter().filter(|p| p.kind == SyntaxProblemKind::ParserLimit).count();
        if g.block_levels <= yaml::PARSER_MAX_LEVELS {
            assert_eq!(limits, 0, "the parser's limit with {} block levels: {:?}", g.block_levels, head());
        } else {
            assert!(limits > 0, "{} block levels and no parser limit: {:?}", g.block_levels, head());
        }
    }

    // An edit at a line: delete it, repeat it, indent it, or insert the input's characters.
    let rest = u.take_rest();
    let get = |i: usize| rest.get(i).copied().unwrap_or(0) as usize;
    let lines: Vec<usize> =
        std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).filter(|&i| i < text.len()).collect();
    if let Some(&start) = lines.get((get(0) | get(1) << 8) % lines.len().max(1)) {
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i + 1);
        let line = &text[start..end];
        let typed = String::from_utf8_lossy(rest.get(3..).unwrap_or_default()).into_owned();
        match get(2) % 4 {
            0 => incremental_at(text, start, end - start, "", true),
            1 => incremental_at(text, start, 0, line, true),
            2 => incremental_at(text, start, 0, "  ", true),
            _ => incremental_at(text, start + (get(3) % line.len().max(1)), 0, &typed, true),
        }
    }

    // The text as a manifest of a one-cluster repository.
    let mut vfs = Vfs::default();
    let mut config = None;
    for (p, t) in STRUCTURE_REPO {
        insert(&mut vfs, &mut config, RelPath::new(p).unwrap(), t.as_bytes().to_vec());
    }
    insert(&mut vfs, &mut config, RelPath::new("kubernetes/apps/hello/app.yaml").unwrap(), text.as_bytes().to_vec());
    let a = AnalysisHost::from_vfs(&vfs, None).analysis();
    check_diagnostics(&a, None);
    queries(&a, None, rest);
}

/// The repository around a `yaml_structure` text (`kubernetes/apps/hello/app.yaml`).
const STRUCTURE_REPO: &[(&str, &str)] = &[
    (
        "kubernetes/clusters/dev/flux-system/gotk-sync.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./kubernetes/clusters/dev\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    ),
    (
        "kubernetes/clusters/dev/apps.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: hello\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./kubernetes/apps/hello\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substitute:\n      APP_NAME: hello\n",
    ),
    ("kubernetes/apps/hello/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - app.yaml\n"),
];

// ---------------------------------------------------------------------------------------
// Target `analysis`
// ---------------------------------------------------------------------------------------

/// The paths a generated repository can use, one per line (`vocab/paths.txt`); the index of
/// a path is its line number. Never reorder: the committed corpus encodes indexes.
pub const PATHS: &str = include_str!("vocab/paths.txt");
/// Pieces of real manifests (`vocab/fragments.txt`, separated by lines `#%%`).
pub const FRAGMENTS: &str = include_str!("vocab/fragments.txt");

pub fn paths() -> Vec<&'static str> {
    PATHS.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

pub fn fragments() -> Vec<&'static str> {
    FRAGMENTS.split("#%%\n").filter(|f| !f.is_empty()).collect()
}

/// Most files in a generated repository.
pub const MAX_FILES: usize = 12;
/// Byte that splits an `analysis` input into chunks.
pub const CHUNK: u8 = 0x00;
/// Byte that, followed by an index byte, stands for a fragment.
pub const FRAG: u8 = 0x01;

/// A decoded `analysis` input.
pub struct Repo {
    pub vfs: Vfs,
    pub config: Option<String>,
    /// Control bytes: bit 0 of the first = apply the last file as a change after a first
    /// analysis; bit 1 = render with secrets shown; the rest seed query offsets.
    pub control: Vec<u8>,
    /// The last file, for the change (path and raw bytes).
    pub last: Option<(RelPath, Vec<u8>)>,
}

/// Input: `control 0x00 file (0x00 file)*`, where each `file` is one byte choosing its path
/// in [`PATHS`] (modulo their number) followed by its content; in a content, `0x01 k` is
/// replaced by fragment `k` (modulo their number) of [`FRAGMENTS`]. A content that is not
/// UTF-8 becomes an unreadable file (as `workspace::decode` reports it); `.gitops-lsp.toml`
/// is the configuration; `*.json` a non-manifest file; later files replace earlier ones at
/// the same path. At most [`MAX_FILES`] files.
pub fn decode_repo(data: &[u8]) -> Repo {
    let paths = paths();
    let frags = fragments();
    let mut chunks = data.split(|&b| b == CHUNK);
    let control = chunks.next().unwrap_or_default().to_vec();
    let mut vfs = Vfs::default();
    let mut config = None;
    let mut last = None;
    for chunk in chunks.take(MAX_FILES) {
        let Some((&p, body)) = chunk.split_first() else { continue };
        let path = RelPath::new(paths[p as usize % paths.len()]).expect("vocabulary paths are relative");
        let mut bytes = Vec::with_capacity(body.len());
        let mut i = 0;
        while i < body.len() {
            if body[i] == FRAG && i + 1 < body.len() {
                bytes.extend_from_slice(frags[body[i + 1] as usize % frags.len()].as_bytes());
                i += 2;
            } else {
                bytes.push(body[i]);
                i += 1;
            }
        }
        last = Some((path.clone(), bytes.clone()));
        insert(&mut vfs, &mut config, path, bytes);
    }
    Repo { vfs, config, control, last }
}

fn insert(vfs: &mut Vfs, config: &mut Option<String>, path: RelPath, bytes: Vec<u8>) {
    if path.as_str() == ".gitops-lsp.toml" {
        *config = Some(String::from_utf8_lossy(&bytes).into_owned());
        return;
    }
    vfs.texts.remove(&path);
    vfs.other_files.remove(&path);
    vfs.unreadable.remove(&path);
    if path.as_str().ends_with(".json") {
        vfs.other_files.insert(path);
        return;
    }
    match gitops_lsp::workspace::decode(bytes) {
        Ok(t) => vfs.insert_text(path, t),
        Err(why) => {
            vfs.unreadable.insert(path, why);
        }
    }
}

/// The text a diagnostic or an IDE answer may point into.
fn text_of<'a>(a: &'a Analysis, config: Option<&'a str>, p: &RelPath) -> Option<&'a str> {
    if let Some(i) = a.snapshot.file_idx(p) {
        return Some(&a.snapshot.file(i).text);
    }
    if let Some(t) = a.snapshot.aux_texts.get(p) {
        return Some(t);
    }
    if p.as_str() == ".gitops-lsp.toml" {
        return config;
    }
    None
}

#[track_caller]
fn check_in_file(a: &Analysis, config: Option<&str>, p: &RelPath, r: &Range<usize>, what: &str) {
    match text_of(a, config, p) {
        Some(t) => check_range(t, r, &format!("{what} in {p}")),
        None => assert!(r.start <= r.end, "{what} in {p}: reversed range {r:?}"),
    }
}

fn check_diagnostics(a: &Analysis, config: Option<&str>) -> Vec<gitops_lsp::diagnostics::Diagnostic> {
    let diags = a.diagnostics();
    // One line index per file (a file with thousands of diagnostics made this quadratic).
    let mut indexes: std::collections::HashMap<RelPath, LineIndex> = std::collections::HashMap::new();
    for d in &diags {
        check_in_file(a, config, &d.file, &d.range, d.code);
        assert!(!d.message.is_empty(), "{}: empty message", d.code);
        for r in &d.related {
            check_in_file(a, config, &r.file, &r.range, "related");
        }
        // As the server converts it.
        if let Some(t) = text_of(a, config, &d.file) {
            let idx = indexes.entry(d.file.clone()).or_insert_with(|| LineIndex::new(t));
            let (s, e) = (idx.position(t, d.range.start), idx.position(t, d.range.end));
            assert!(s <= e, "{}: start {s:?} after end {e:?}", d.code);
        }
    }
    diags
}

/// Input: see [`decode_repo`].
pub fn analysis(data: &[u8]) {
    let repo = decode_repo(data);
    let config = repo.config.as_deref();
    let host = AnalysisHost::from_vfs(&repo.vfs, config);
    let a = host.analysis();
    let diags = check_diagnostics(&a, config);
    queries(&a, config, &repo.control);

    // One more change through the host ends where a cold analysis of the same files does.
    if repo.control.first().is_some_and(|c| c & 1 == 1) {
        if let Some((path, bytes)) = &repo.last {
            let mut host = host;
            let mut vfs = repo.vfs.clone();
            let mut cfg = repo.config.clone();
            let change = if vfs.texts.contains_key(path) || vfs.unreadable.contains_key(path) {
                // Remove the last file, then compare.
                vfs.texts.remove(path);
                vfs.unreadable.remove(path);
                Change::Removed(path.clone())
            } else {
                // The last file was config or other: re-add a manifest at its place.
                let p = RelPath::new("kubernetes/apps/hello/extra.yaml").unwrap();
                let text: Arc<str> = Arc::from(String::from_utf8_lossy(bytes).into_owned());
                insert(&mut vfs, &mut cfg, p.clone(), text.as_bytes().to_vec());
                match vfs.texts.get(&p) {
                    Some(t) => Change::Text(p, t.clone()),
                    None => Change::Removed(p),
                }
            };
            host.apply([change]);
            let warm = host.analysis().diagnostics();
            let cold =
                Analysis::new(Arc::new(gitops_lsp::snapshot::Snapshot::from_vfs(&vfs, cfg.as_deref()))).diagnostics();
            assert_eq!(warm, cold, "diagnostics after a change differ from a cold analysis");
        }
    }
    drop(diags);
}

fn queries(a: &Analysis, config: Option<&str>, control: &[u8]) {
    let files: Vec<RelPath> = a.snapshot.files.iter().map(|f| f.path.clone()).collect();
    let clusters: Vec<String> = a.project.clusters.iter().map(|c| c.name.clone()).collect();
    let show_secrets = control.first().is_some_and(|c| c & 2 == 2);
    let seeds = control.get(1..).unwrap_or_default();
    // Two files get the per-file queries (the fuzzer picks which through the control bytes).
    let picked: Vec<usize> = if files.is_empty() {
        Vec::new()
    } else {
        let pick = |i: usize| seeds.get(i).copied().unwrap_or(0) as usize % files.len();
        let (x, y) = (pick(0), pick(2));
        if x == y {
            vec![x]
        } else {
            vec![x, y]
        }
    };
    for fi in picked {
        let path = &files[fi];
        let text: &str = &a.snapshot.file(fi as u32).text;
        // Offsets: inside each of the first `${` names, and from the control bytes.
        let mut offsets: Vec<usize> = text.match_indices("${").take(3).map(|(i, _)| (i + 3).min(text.len())).collect();
        for c in seeds.chunks(2).take(4) {
            let v = c[0] as usize | (c.get(1).copied().unwrap_or(0) as usize) << 8;
            offsets.push(v.wrapping_mul(fi + 1) % (text.len() + 1));
        }
        if offsets.is_empty() {
            offsets.push(text.len() / 2);
        }
        for mut off in offsets {
            while !text.is_char_boundary(off) {
                off -= 1;
            }
            if let Some(h) = ide::nav::hover(a, path, off) {
                check_in_file(a, config, path, &h.range, "hover");
            }
            if let Some(h) = ide::network::hover(a, path, off) {
                check_in_file(a, config, path, &h.range, "network hover");
            }
            for c in ide::complete::completion(a, path, off).iter().chain(&ide::network::completion(a, path, off)) {
                check_in_file(a, config, path, &c.replace, "completion");
                assert!(
                    c.replace.start <= off && off <= c.replace.end,
                    "completion replaces {:?} around {off}",
                    c.replace
                );
            }
            for t in ide::nav::definition(a, path, off).iter().chain(&ide::nav::references(a, path, off, true)) {
                check_in_file(a, config, &t.file, &t.range, "nav target");
                check_in_file(a, config, &t.file, &t.focus, "nav focus");
            }
            if let Ok((r, _)) = ide::nav::prepare_rename(a, path, off) {
                check_in_file(a, config, path, &r, "rename range");
                if let Ok(edits) = ide::nav::rename(a, path, off, "NEW_NAME") {
                    for e in edits {
                        check_in_file(a, config, &e.file, &e.range, "rename edit");
                    }
                }
            }
        }
        fn symbols(a: &Analysis, config: Option<&str>, s: &[ide::Symbol]) {
            for s in s {
                check_in_file(a, config, &s.file, &s.range, "symbol");
                check_in_file(a, config, &s.file, &s.focus, "symbol focus");
                symbols(a, config, &s.children);
            }
        }
        symbols(a, config, &ide::outline::document_symbols(a, path));
        for l in ide::outline::document_links(a, path) {
            check_in_file(a, config, path, &l.range, "document link");
        }
        for cluster in std::iter::once(None).chain(clusters.iter().take(2).map(|c| Some(c.as_str()))) {
            for h in ide::outline::inlay_hints(a, path, 0..text.len(), cluster) {
                assert!(h.offset <= text.len() && text.is_char_boundary(h.offset), "inlay hint at {}", h.offset);
            }
        }
        for l in ide::outline::code_lenses(a, path) {
            check_in_file(a, config, path, &l.range, "code lens");
        }
        for c in clusters.iter().take(2) {
            let _ = std::hint::black_box(ide::render::render(a, path, c, show_secrets));
        }
    }
    symbols_ws(a, config);
    for c in clusters.iter().take(3) {
        let _ = std::hint::black_box(ide::graph::graph(a, c));
    }
}

fn symbols_ws(a: &Analysis, config: Option<&str>) {
    for q in ["", "app"] {
        for s in ide::outline::workspace_symbols(a, q) {
            check_in_file(a, config, &s.file, &s.range, "workspace symbol");
        }
    }
}
