//! A generator of YAML *structure* for the `yaml_structure` fuzz target (`harness.rs`).
//!
//! Mutating text rarely builds what breaks a YAML reader: hundreds of nested levels, block
//! and flow styles mixed, anchors and aliases, thousands of documents, lines of tens of
//! thousands of characters. This turns the fuzzer's bytes (through `arbitrary`'s
//! `Unstructured`, where running out of bytes always picks the first, simplest choice) into a
//! YAML text that is valid by construction, and says how many block levels it opens at once:
//! each block mapping, block sequence and block scalar is one entry of tree-sitter-yaml's
//! indentation stack (`lsp/src/yaml/syntax.rs`), so the target can assert that the parser's
//! limit is reported exactly when that count passes `yaml::PARSER_MAX_LEVELS`, and that a
//! valid text never gets a syntax error. Optional noise (a few bytes of the input dropped in
//! somewhere) then makes it invalid, for the error paths.
//!
//! Shapes: block mappings (implicit and `? ` explicit keys, merge keys), block sequences
//! (indented, zero-indented under a key, compact `- - x` and `- k: v`), block scalars (`|`,
//! `>`, chomping indicators), flow collections nested to any depth, plain / quoted / long
//! scalars, tags, anchors and aliases to them, comments, Kubernetes-looking keys, one to
//! thousands of documents, a "deep chain" that nests a chosen style (or a mix) up to 320
//! levels.

use arbitrary::Unstructured;

/// What was generated.
pub struct Generated {
    pub text: String,
    /// The most block levels (block mappings, block sequences, block scalars) open at once.
    pub block_levels: usize,
    /// No noise was added: valid YAML by construction.
    pub valid: bool,
}

/// Generation stops opening collections past this size (bytes), so executions stay fast.
const MAX_TEXT: usize = 96 * 1024;
/// The deepest chain asked for: past `PARSER_MAX_LEVELS` (253), with room for every shape.
const MAX_CHAIN: usize = 320;

const KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "labels",
    "spec",
    "data",
    "resources",
    "path",
    "dependsOn",
    "postBuild",
    "substitute",
    "items",
    "values",
    "k",
    "key",
    "a",
    "b",
    "x",
];
const WORDS: &[&str] = &[
    "v1",
    "ConfigMap",
    "hello",
    "${APP_NAME}",
    "${A:=x}",
    "$${ESC}",
    "true",
    "no",
    "10",
    "-1",
    "1.5",
    "0x1F",
    "~",
    "null",
    "10.25.11.1",
    "10.0.0.0/24",
    "hello world",
    "é日😀",
    "a/b.c",
    "./kubernetes/apps",
];

#[derive(Clone, Copy, PartialEq)]
enum At {
    /// Right after `key:` (the value goes on the same line or below).
    Key,
    /// Right after `- ` (compact forms allowed).
    Dash,
    /// At column 0 of a document.
    Doc,
}

struct Gen<'u, 'd> {
    u: &'u mut Unstructured<'d>,
    out: String,
    anchors: Vec<String>,
    next_anchor: usize,
    max_levels: usize,
    /// Levels the deep chain aims at, and what it nests: 0 block mappings, 1 block
    /// sequences, 2-4 a mix (a block scalar last), 5 flow collections.
    chain: usize,
    chain_kind: u8,
    step: usize,
}

impl Gen<'_, '_> {
    /// A number in `0..n` (0 once the input runs out).
    fn pick(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.u.int_in_range(0..=n - 1).unwrap_or(0)
    }

    fn chance(&mut self, in_256: u8) -> bool {
        self.u.arbitrary::<u8>().is_ok_and(|b| b < in_256)
    }

    fn full(&self) -> bool {
        self.out.len() > MAX_TEXT
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.pick(WORDS.len())]
    }

    /// A scalar that is valid in block and flow context, on one line.
    fn scalar(&mut self) -> String {
        match self.pick(9) {
            0 | 1 => self.word().to_string(),
            2 => format!("'{}'", self.word().replace('\'', "''")),
            3 => format!("\"{}\\t\\u00e9\"", self.word()),
            4 if !self.anchors.is_empty() => {
                let i = self.pick(self.anchors.len());
                format!("*{}", self.anchors[i])
            }
            5 => format!("!!str {}", self.word()),
            6 if !self.full() && self.chance(48) => {
                // A long line: up to 40,000 characters.
                let n = self.u.int_in_range(1..=40_000usize).unwrap_or(1);
                "x".repeat(n)
            }
            7 => String::new(),
            _ => format!("{}-{}", self.word().replace(['$', '{', '}', ' '], ""), self.pick(1000)),
        }
    }

    fn key(&mut self, i: usize) -> String {
        let k = KEYS[self.pick(KEYS.len())];
        match self.pick(4) {
            3 => format!("\"{k} {i}\""),
            _ => format!("{k}{i}"),
        }
    }

    /// `&aN ` (recorded as defined once the value is written) or nothing.
    fn anchor(&mut self) -> Option<String> {
        self.chance(24).then(|| {
            self.next_anchor += 1;
            format!("a{}", self.next_anchor)
        })
    }

    /// A scalar for flow context: no flow indicators in plain scalars, nothing empty.
    fn flow_scalar(&mut self) -> String {
        let s = self.scalar();
        if s.is_empty() {
            "~".to_string()
        } else if !s.starts_with(['"', '\'', '*']) && s.contains(['{', '}', '[', ']', ',']) {
            format!("'{s}'")
        } else {
            s
        }
    }

    fn flow(&mut self, depth: usize) {
        // A flow chain goes six times deeper than a block one: flow opens no block level.
        let deep = depth < 6 * self.chain && self.chain_kind == 5;
        let n = if deep { 1 } else { self.pick(4) };
        let map = self.chance(100);
        self.out.push(if map { '{' } else { '[' });
        for i in 0..n {
            if i > 0 {
                self.out.push_str(", ");
            }
            if map {
                let k = self.key(i);
                self.out.push_str(&k);
                self.out.push_str(": ");
            }
            if (deep || self.chance(60)) && depth < 2000 && !self.full() {
                self.flow(depth + 1);
            } else {
                let s = self.flow_scalar();
                self.out.push_str(&s);
            }
        }
        self.out.push(if map { '}' } else { ']' });
    }

    fn spaces(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    /// A value in block context. `col` is the column of the key or dash that owns it (0 at a
    /// document's start), `levels` the block levels open around it.
    fn value(&mut self, at: At, col: usize, levels: usize) {
        // 0 scalar, 1 flow, 2 block mapping, 3 block sequence, 4 block scalar.
        let kind = if levels < self.chain && !self.full() {
            match self.chain_kind {
                0 => 2,
                1 => 3,
                5 => 1,
                // Mixed, with a block scalar as the last level.
                _ if levels + 1 == self.chain && at != At::Doc => 4,
                _ => 2 + self.pick(2),
            }
        } else if self.full() || levels > MAX_CHAIN {
            self.pick(2)
        } else {
            // Deeper, collections get rarer.
            let k = self.pick(5);
            if k >= 2 && levels > 3 && self.chance(160) {
                0
            } else {
                k
            }
        };
        let mut anchor = if at == At::Doc { None } else { self.anchor() };
        match kind {
            0 | 1 => {
                if at == At::Key {
                    self.out.push(' ');
                }
                let s = if kind == 0 { self.scalar() } else { String::new() };
                if s.starts_with('*') {
                    // An alias takes no anchor.
                    anchor = None;
                }
                if let Some(a) = &anchor {
                    self.out.push_str(&format!("&{a} "));
                }
                if kind == 0 {
                    self.out.push_str(&s);
                } else {
                    self.flow(0);
                }
                if self.chance(16) {
                    self.out.push_str(" # comment");
                }
                self.out.push('\n');
            }
            2 => {
                let c = self.open(at, col, &anchor, false);
                self.mapping(c, levels + 1, at == At::Dash);
            }
            3 => {
                // Under a key, a sequence may sit at the key's own column.
                let c = self.open(at, col, &anchor, true);
                self.sequence(c, levels + 1, at == At::Dash);
            }
            _ => {
                if at == At::Doc {
                    // A document that is one block scalar: `--- |` is not generated.
                    self.out.push_str("plain\n");
                    return;
                }
                if at == At::Key {
                    self.out.push(' ');
                }
                if let Some(a) = &anchor {
                    self.out.push_str(&format!("&{a} "));
                }
                let header = ["|", ">", "|-", ">+", "|2"][self.pick(5)];
                self.out.push_str(header);
                self.out.push('\n');
                // `|2`: two more than the owner's indentation (the dash's or the key's column).
                let indent = if header == "|2" { col + 2 } else { col + if at == At::Dash { 2 } else { self.step } };
                self.max_levels = self.max_levels.max(levels + 1);
                for i in 0..1 + self.pick(4) {
                    if i > 0 && self.chance(40) {
                        self.out.push('\n');
                    }
                    self.spaces(indent);
                    let w = self.word();
                    self.out.push_str(w);
                    self.out.push('\n');
                }
            }
        }
        if let Some(a) = anchor {
            self.anchors.push(a);
        }
    }

    /// Starts a block collection owned by a key, a dash or the document; returns the column
    /// of its entries. After a dash the first entry follows on the same line.
    fn open(&mut self, at: At, col: usize, anchor: &Option<String>, seq: bool) -> usize {
        match at {
            At::Doc => 0,
            At::Dash => {
                if let Some(a) = anchor {
                    // An anchor on a compact collection: `- &a` then the collection below.
                    self.out.push_str(&format!("&{a}\n"));
                    self.spaces(col + 2);
                }
                col + 2
            }
            At::Key => {
                if let Some(a) = anchor {
                    self.out.push_str(&format!(" &{a}"));
                }
                self.out.push('\n');
                if seq && self.chance(64) {
                    col
                } else {
                    col + self.step
                }
            }
        }
    }

    /// A block mapping whose keys are at `col`; `inline`: the first key is already positioned.
    fn mapping(&mut self, col: usize, levels: usize, inline: bool) {
        self.max_levels = self.max_levels.max(levels);
        // The first entry carries the deep chain on: no explicit key there.
        let chained = levels < self.chain;
        let n = if chained { 1 + self.pick(2) } else { 1 + self.pick(5) };
        for i in 0..n {
            if i > 0 || !inline {
                if i > 0 && self.chance(10) {
                    self.spaces(col);
                    self.out.push_str("# between entries\n");
                }
                self.spaces(col);
            }
            let key = self.key(i);
            if i > 0 && !self.anchors.is_empty() && self.chance(8) {
                let a = self.pick(self.anchors.len());
                self.out.push_str(&format!("<<: *{}\n", self.anchors[a]));
                continue;
            }
            if !(chained && i == 0) && self.chance(12) {
                // An explicit key, its value a scalar.
                self.out.push_str(&format!("? {key}\n"));
                self.spaces(col);
                self.out.push(':');
                let s = self.scalar();
                self.out.push_str(&format!(" {s}\n"));
                continue;
            }
            self.out.push_str(&key);
            self.out.push(':');
            // The first entry carries the deep chain.
            if i == 0 {
                self.value(At::Key, col, levels);
            } else {
                let chain = std::mem::take(&mut self.chain);
                self.value(At::Key, col, levels);
                self.chain = chain;
            }
        }
    }

    /// A block sequence whose dashes are at `col`; `inline`: the first dash is positioned.
    fn sequence(&mut self, col: usize, levels: usize, inline: bool) {
        self.max_levels = self.max_levels.max(levels);
        let chained = levels < self.chain;
        let n = if chained { 1 + self.pick(2) } else { 1 + self.pick(5) };
        for i in 0..n {
            if i > 0 || !inline {
                self.spaces(col);
            }
            if !(chained && i == 0) && self.chance(8) {
                self.out.push_str("-\n");
                continue;
            }
            self.out.push_str("- ");
            if i == 0 {
                self.value(At::Dash, col, levels);
            } else {
                let chain = std::mem::take(&mut self.chain);
                self.value(At::Dash, col, levels);
                self.chain = chain;
            }
        }
    }

    fn document(&mut self, k8s: bool) {
        self.anchors.clear();
        if k8s {
            let name = self.pick(100);
            self.out.push_str(&format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: g{name}\ndata:"));
            self.max_levels = self.max_levels.max(1);
            self.value(At::Key, 0, 1);
        } else {
            self.value(At::Doc, 0, 0);
        }
    }
}

/// Turns fuzzer bytes into a YAML text (see the module comment).
pub fn generate(u: &mut Unstructured) -> Generated {
    let flags = u.arbitrary::<u8>().unwrap_or(0);
    let chain = if flags & 1 == 1 { u.int_in_range(0..=MAX_CHAIN).unwrap_or(0) } else { 0 };
    let chain_kind = u.int_in_range(0..=5u8).unwrap_or(0);
    // Past 254 levels, indentation must stay small for the text to stay under `MAX_TEXT`.
    let step = u.int_in_range(1..=if chain > 128 { 2 } else { 4usize }).unwrap_or(1);
    let mut g =
        Gen { u, out: String::new(), anchors: Vec::new(), next_anchor: 0, max_levels: 0, chain, chain_kind, step };
    let docs = if flags & 2 == 2 { 1 + g.u.int_in_range(0..=3000usize).unwrap_or(0) } else { 1 + g.pick(3) };
    for d in 0..docs {
        if d > 0 || flags & 4 == 4 {
            g.out.push_str("---\n");
        }
        let k8s = g.chance(128);
        if d > 0 {
            // The deep chain goes into the first document.
            g.chain = 0;
        }
        g.document(k8s);
        if g.full() {
            break;
        }
    }
    if flags & 8 == 8 {
        g.out.push_str("...\n");
    }
    let mut valid = true;
    if flags & 16 == 16 {
        // Noise: a few characters from the input, dropped in at a character boundary.
        let noise: String = g.u.arbitrary::<String>().unwrap_or_default().chars().take(8).collect();
        let mut at = g.u.int_in_range(0..=g.out.len()).unwrap_or(0);
        while !g.out.is_char_boundary(at) {
            at -= 1;
        }
        if !noise.is_empty() {
            g.out.insert_str(at, &noise);
            valid = false;
        }
    }
    Generated { text: g.out, block_levels: g.max_levels, valid }
}
