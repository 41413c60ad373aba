//! tree-sitter nodes -> `Node` trees: keys, values and scalars with their ranges, anchors and
//! aliases (expanded within [`ALIAS_BUDGET`](super::ALIAS_BUDGET)), merge keys, duplicate keys, and the cut at
//! [`MAX_DEPTH`].

use super::scalar::{decode_block, fold_lines, line_indent_at, resolve_plain, unquote_double, unquote_single};
use super::syntax::kinds;
use super::{Node, NodeKind, Scalar, ScalarStyle, ScalarType, SyntaxProblem, SyntaxProblemKind, MAX_DEPTH};
use crate::files::TextRange;
use std::collections::HashMap;
use tree_sitter::Node as TsNode;

pub(super) struct Converter<'a> {
    pub(super) text: &'a str,
    pub(super) problems: &'a mut Vec<SyntaxProblem>,
    pub(super) anchors: HashMap<String, Node>,
    pub(super) alias_budget: usize,
    pub(super) too_deep_reported: bool,
}

impl Converter<'_> {
    fn too_deep(&mut self, n: TsNode) {
        if !self.too_deep_reported {
            self.too_deep_reported = true;
            self.problems
                .push(SyntaxProblem { range: n.start_byte()..n.start_byte(), kind: SyntaxProblemKind::TooDeep });
        }
    }

    /// `n` converted at `depth` (the mappings and sequences around it); `None` past
    /// `MAX_DEPTH`, for syntax errors, comments and the like.
    pub(super) fn node(&mut self, n: TsNode, depth: usize) -> Option<Node> {
        let k = kinds();
        if depth > MAX_DEPTH {
            self.too_deep(n);
            return None;
        }
        let id = n.kind_id();
        if id == k.block_node || id == k.flow_node {
            let mut anchor: Option<String> = None;
            let mut tag: Option<&str> = None;
            let mut body = None;
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                let cid = ch.kind_id();
                if cid == k.anchor {
                    anchor = Some(self.text[ch.byte_range()].trim_start_matches('&').to_string());
                } else if cid == k.tag {
                    tag = Some(&self.text[ch.byte_range()]);
                } else if cid != k.comment {
                    body = Some(ch);
                }
            }
            let mut node = match body {
                Some(b) => self.node(b, depth)?,
                None => Node::null_at(n.end_byte()),
            };
            if let (Some(tag), NodeKind::Scalar(s)) = (tag, &mut node.kind) {
                s.ty = match tag {
                    "!!str" | "!str" | "tag:yaml.org,2002:str" => ScalarType::Str,
                    "!!int" => ScalarType::Int,
                    "!!float" => ScalarType::Float,
                    "!!bool" => ScalarType::Bool,
                    "!!null" => ScalarType::Null,
                    _ => s.ty,
                };
            }
            if let Some(a) = anchor {
                // A later anchor of the same name replaces the earlier one (legal YAML).
                self.anchors.insert(a, node.clone());
            }
            return Some(node);
        }
        if id == k.block_mapping || id == k.flow_mapping {
            let mut entries: Vec<(Node, Node)> = Vec::new();
            let mut seen: HashMap<String, TextRange> = HashMap::new();
            let mut c = n.walk();
            for pair in n.named_children(&mut c) {
                let pid = pair.kind_id();
                if pid != k.block_mapping_pair && pid != k.flow_pair {
                    if pid == k.flow_node {
                        // `{a}` - a key without value.
                        if let Some(key) = self.node(pair, depth + 1) {
                            let at = key.range.end;
                            entries.push((key, Node::null_at(at)));
                        }
                    }
                    continue;
                }
                let key = match pair.child_by_field_name("key") {
                    Some(kn) => match self.node(kn, depth + 1) {
                        Some(kn) => kn,
                        None => continue,
                    },
                    None => Node::null_at(pair.start_byte()),
                };
                let value = match pair.child_by_field_name("value") {
                    Some(vn) => self.node(vn, depth + 1).unwrap_or_else(|| Node::null_at(vn.start_byte())),
                    None => Node::null_at(key.range.end + 1.min(self.text.len() - key.range.end)),
                };
                // `<<: *base` merge keys: splice the aliased mapping's entries in.
                if key.as_str() == Some("<<") && key.as_scalar().is_some_and(|s| s.style == ScalarStyle::Plain) {
                    let merged: Vec<(Node, Node)> = match &value.kind {
                        NodeKind::Map(m) => m.clone(),
                        NodeKind::Seq(items) => {
                            items.iter().filter_map(|i| i.as_map()).flat_map(|m| m.iter().cloned()).collect()
                        }
                        _ => Vec::new(),
                    };
                    for (mk, mv) in merged {
                        if let Some(name) = mk.as_str() {
                            if seen.contains_key(name) {
                                continue;
                            }
                        }
                        entries.push((mk, mv));
                    }
                    continue;
                }
                if let Some(name) = key.as_str() {
                    if let Some(first) = seen.get(name) {
                        self.problems.push(SyntaxProblem {
                            range: key.range.clone(),
                            kind: SyntaxProblemKind::DuplicateKey { key: name.to_string(), first: first.clone() },
                        });
                    } else {
                        seen.insert(name.to_string(), key.range.clone());
                    }
                }
                entries.push((key, value));
            }
            return Some(Node { range: n.byte_range(), src: 0, kind: NodeKind::Map(entries) });
        }
        if id == k.block_sequence || id == k.flow_sequence {
            let mut items = Vec::new();
            let mut c = n.walk();
            for item in n.named_children(&mut c) {
                let iid = item.kind_id();
                if iid == k.block_sequence_item {
                    let mut c2 = item.walk();
                    let inner = item
                        .named_children(&mut c2)
                        .find(|x| x.kind_id() == k.block_node || x.kind_id() == k.flow_node);
                    match inner {
                        Some(i) => {
                            if let Some(node) = self.node(i, depth + 1) {
                                items.push(node);
                            }
                        }
                        None => items.push(Node::null_at(item.end_byte())),
                    }
                } else if iid == k.flow_node {
                    if let Some(node) = self.node(item, depth + 1) {
                        items.push(node);
                    }
                } else if iid == k.flow_pair {
                    // `[a: b]` is a sequence holding a one-entry mapping.
                    let key = item.child_by_field_name("key").and_then(|x| self.node(x, depth + 1));
                    let value = item.child_by_field_name("value").and_then(|x| self.node(x, depth + 1));
                    if let Some(key) = key {
                        let at = key.range.end;
                        items.push(Node {
                            range: item.byte_range(),
                            src: 0,
                            kind: NodeKind::Map(vec![(key, value.unwrap_or_else(|| Node::null_at(at)))]),
                        });
                    }
                }
            }
            return Some(Node { range: n.byte_range(), src: 0, kind: NodeKind::Seq(items) });
        }
        if id == k.alias {
            let name = self.text[n.byte_range()].trim_start_matches('*').to_string();
            return match self.anchors.get(&name) {
                Some(target) => {
                    let size = count_nodes(target);
                    if size > self.alias_budget {
                        if self.alias_budget != usize::MAX {
                            self.problems
                                .push(SyntaxProblem { range: n.byte_range(), kind: SyntaxProblemKind::AliasBudget });
                            self.alias_budget = 0;
                        }
                        Some(Node::null_at(n.start_byte()))
                    } else {
                        self.alias_budget -= size;
                        // A copy that would reach past `MAX_DEPTH` is cut there, like any node.
                        let (mut copy, cut_off) = if depth + height(target) > MAX_DEPTH {
                            (cut(target, MAX_DEPTH - depth.min(MAX_DEPTH)), true)
                        } else {
                            (target.clone(), false)
                        };
                        if cut_off {
                            self.too_deep(n);
                        }
                        // The copy keeps the anchor's ranges (where its text is), except the
                        // outer node, which points at the alias.
                        copy.range = n.byte_range();
                        Some(copy)
                    }
                }
                None => {
                    self.problems
                        .push(SyntaxProblem { range: n.byte_range(), kind: SyntaxProblemKind::UnknownAlias(name) });
                    Some(Node::null_at(n.start_byte()))
                }
            };
        }
        if id == k.plain_scalar || id == k.single_quote_scalar || id == k.double_quote_scalar || id == k.block_scalar {
            let raw = &self.text[n.byte_range()];
            let (value, style) = if id == k.plain_scalar {
                (fold_lines(raw), ScalarStyle::Plain)
            } else if id == k.single_quote_scalar {
                (fold_lines(&unquote_single(raw)), ScalarStyle::SingleQuoted)
            } else if id == k.double_quote_scalar {
                (unquote_double(raw), ScalarStyle::DoubleQuoted)
            } else {
                decode_block(raw, line_indent_at(self.text, n.start_byte()))
            };
            let ty = if style == ScalarStyle::Plain { resolve_plain(&value) } else { ScalarType::Str };
            return Some(Node { range: n.byte_range(), src: 0, kind: NodeKind::Scalar(Scalar { value, style, ty }) });
        }
        if id == k.anchor || id == k.tag || id == k.comment {
            return None;
        }
        // ERROR nodes and anything unexpected: skip (already reported).
        None
    }
}

/// Levels of mappings and sequences below `n` (0 for a scalar).
fn height(n: &Node) -> usize {
    match &n.kind {
        NodeKind::Scalar(_) => 0,
        NodeKind::Seq(items) => 1 + items.iter().map(height).max().unwrap_or(0),
        NodeKind::Map(entries) => 1 + entries.iter().map(|(k, v)| height(k).max(height(v))).max().unwrap_or(0),
    }
}

/// A copy of `n` without what lies more than `levels` mappings and sequences below it (as
/// the conversion cuts at `MAX_DEPTH`: the deepest collections are kept, empty).
fn cut(n: &Node, levels: usize) -> Node {
    let kind = match &n.kind {
        NodeKind::Scalar(s) => NodeKind::Scalar(s.clone()),
        NodeKind::Seq(_) | NodeKind::Map(_) if levels == 0 => match &n.kind {
            NodeKind::Seq(_) => NodeKind::Seq(Vec::new()),
            _ => NodeKind::Map(Vec::new()),
        },
        NodeKind::Seq(items) => NodeKind::Seq(items.iter().map(|i| cut(i, levels - 1)).collect()),
        NodeKind::Map(entries) => {
            NodeKind::Map(entries.iter().map(|(k, v)| (cut(k, levels - 1), cut(v, levels - 1))).collect())
        }
    };
    Node { range: n.range.clone(), src: n.src, kind }
}

fn count_nodes(n: &Node) -> usize {
    match &n.kind {
        NodeKind::Scalar(_) => 1,
        NodeKind::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Map(entries) => 1 + entries.iter().map(|(k, v)| count_nodes(k) + count_nodes(v)).sum::<usize>(),
    }
}
