//! Request handlers: each one locates the document, takes the analysis of the current
//! revision (or computes it on a blocking thread from a snapshot of the inputs), calls one
//! `ide` function and converts the plain result to LSP types. A panic inside becomes an
//! error response; the server goes on.

use super::convert::{file_range, offset, to_uri};
use super::{internal, log, Backend};
use crate::analysis::Analysis;
use crate::files::RelPath;
use crate::ide;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;

/// Commands the server executes (`workspace/executeCommand`).
pub const COMMANDS: &[&str] = &["gitops-lsp.render", "gitops-lsp.clusters"];

fn invalid(msg: impl Into<String>) -> Error {
    Error { code: ErrorCode::InvalidParams, message: msg.into().into(), data: None }
}

/// Everything a query needs, taken under the lock and used without it.
struct Job {
    idx: usize,
    analysis: std::result::Result<Arc<Analysis>, crate::host::Pending>,
    rel: RelPath,
    root: PathBuf,
}

impl Backend {
    fn job(&self, uri: &Uri) -> Option<Job> {
        let inner = self.state.lock();
        let (idx, rel) = Self::locate(&inner, uri)?;
        let analysis = inner.roots[idx].host.pending();
        Some(Job { idx, analysis, rel, root: inner.roots[idx].path.clone() })
    }

    /// Runs `f` on the current analysis of the root holding `uri`; `None` for an unknown
    /// document (outside every root).
    async fn query<T: Send + 'static>(
        &self,
        uri: &Uri,
        f: impl FnOnce(&Analysis, &RelPath, &Path) -> T + Send + 'static,
    ) -> Result<Option<T>> {
        let Some(job) = self.job(uri) else { return Ok(None) };
        let Job { idx, analysis, rel, root } = job;
        let (analysis, out) = tokio::task::spawn_blocking(move || {
            let a = match analysis {
                Ok(a) => (None, a),
                Err(p) => (Some(p.revision()), p.analyse()),
            };
            let out = f(&a.1, &rel, &root);
            (a, out)
        })
        .await
        .map_err(|e| {
            log::error(format_args!("a request failed: {e}"));
            internal(format!("gitops-lsp failed on this request: {e}"))
        })?;
        if let (Some(r), (Some(rev), a)) = (self.state.lock().roots.get(idx), analysis) {
            r.host.store_analysis(rev, a);
        }
        Ok(Some(out))
    }

    /// Runs `f` on every root's analysis (workspace-wide requests).
    async fn query_all<T: Send + 'static>(
        &self,
        f: impl Fn(&Analysis, &Path) -> Vec<T> + Send + Sync + 'static,
    ) -> Result<Vec<T>> {
        let jobs: Vec<_> = {
            let inner = self.state.lock();
            inner.roots.iter().map(|r| (r.host.pending(), r.path.clone())).collect()
        };
        tokio::task::spawn_blocking(move || {
            jobs.into_iter()
                .flat_map(|(pending, root)| {
                    let a = pending.unwrap_or_else(|p| p.analyse());
                    f(&a, &root)
                })
                .collect()
        })
        .await
        .map_err(internal)
    }
}

/// The byte offset of an LSP position in a file of the analysis.
fn at(a: &Analysis, rel: &RelPath, p: Position) -> Option<usize> {
    let f = a.snapshot.file(a.snapshot.file_idx(rel)?);
    Some(offset(&f.line_index, &f.text, p))
}

fn location(a: &Analysis, root: &Path, t: &ide::NavTarget) -> Option<Location> {
    Some(Location { uri: to_uri(root, &t.file)?, range: file_range(a, &t.file, &t.focus) })
}

fn symbol_kind(k: ide::SymbolKind) -> SymbolKind {
    match k {
        ide::SymbolKind::Object => SymbolKind::OBJECT,
        ide::SymbolKind::Key => SymbolKind::FIELD,
        ide::SymbolKind::Variable => SymbolKind::VARIABLE,
        ide::SymbolKind::Kustomization => SymbolKind::MODULE,
        ide::SymbolKind::HelmRelease => SymbolKind::PACKAGE,
        ide::SymbolKind::Source => SymbolKind::NAMESPACE,
    }
}

#[allow(deprecated)]
fn document_symbol(a: &Analysis, s: &ide::Symbol) -> DocumentSymbol {
    DocumentSymbol {
        name: if s.name.is_empty() { "(unnamed)".into() } else { s.name.clone() },
        detail: s.detail.clone(),
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: file_range(a, &s.file, &s.range),
        selection_range: file_range(a, &s.file, &s.focus),
        children: if s.children.is_empty() {
            None
        } else {
            Some(s.children.iter().map(|c| document_symbol(a, c)).collect())
        },
    }
}

fn completion_kind(k: ide::CompletionKind) -> CompletionItemKind {
    match k {
        ide::CompletionKind::Variable => CompletionItemKind::VARIABLE,
        ide::CompletionKind::Reference => CompletionItemKind::REFERENCE,
        ide::CompletionKind::Folder => CompletionItemKind::FOLDER,
        ide::CompletionKind::File => CompletionItemKind::FILE,
        ide::CompletionKind::Field => CompletionItemKind::FIELD,
        ide::CompletionKind::Value => CompletionItemKind::VALUE,
        ide::CompletionKind::Keyword => CompletionItemKind::KEYWORD,
    }
}

impl Backend {
    pub(super) async fn hover_impl(&self, p: HoverParams) -> Result<Option<Hover>> {
        let pos = p.text_document_position_params.position;
        let uri = p.text_document_position_params.text_document.uri;
        Ok(self
            .query(&uri, move |a, rel, _| {
                let h = ide::nav::hover(a, rel, at(a, rel, pos)?)?;
                Some(Hover {
                    contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: h.markdown }),
                    range: Some(file_range(a, rel, &h.range)),
                })
            })
            .await?
            .flatten())
    }

    pub(super) async fn definition_impl(&self, p: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let pos = p.text_document_position_params.position;
        let uri = p.text_document_position_params.text_document.uri;
        Ok(self
            .query(&uri, move |a, rel, root| {
                let targets = ide::nav::definition(a, rel, at(a, rel, pos)?);
                let locs: Vec<Location> = targets.iter().filter_map(|t| location(a, root, t)).collect();
                match locs.len() {
                    0 => None,
                    1 => Some(GotoDefinitionResponse::Scalar(locs.into_iter().next()?)),
                    _ => Some(GotoDefinitionResponse::Array(locs)),
                }
            })
            .await?
            .flatten())
    }

    pub(super) async fn references_impl(&self, p: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let pos = p.text_document_position.position;
        let uri = p.text_document_position.text_document.uri;
        let decl = p.context.include_declaration;
        Ok(self
            .query(&uri, move |a, rel, root| {
                let off = at(a, rel, pos)?;
                Some(ide::nav::references(a, rel, off, decl).iter().filter_map(|t| location(a, root, t)).collect())
            })
            .await?
            .flatten())
    }

    pub(super) async fn prepare_rename_impl(
        &self,
        p: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let pos = p.position;
        let r = self
            .query(&p.text_document.uri, move |a, rel, _| {
                let off = at(a, rel, pos).ok_or_else(|| "no such position".to_string())?;
                ide::nav::prepare_rename(a, rel, off).map(|(range, name)| PrepareRenameResponse::RangeWithPlaceholder {
                    range: file_range(a, rel, &range),
                    placeholder: name,
                })
            })
            .await?;
        match r {
            None => Ok(None),
            Some(Ok(x)) => Ok(Some(x)),
            Some(Err(why)) => Err(invalid(why)),
        }
    }

    pub(super) async fn rename_impl(&self, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let pos = p.text_document_position.position;
        let new_name = p.new_name;
        let r = self
            .query(&p.text_document_position.text_document.uri, move |a, rel, root| {
                let off = at(a, rel, pos).ok_or_else(|| "no such position".to_string())?;
                let edits = ide::nav::rename(a, rel, off, &new_name)?;
                let mut changes: std::collections::HashMap<Uri, Vec<TextEdit>> = std::collections::HashMap::new();
                for e in edits {
                    let Some(uri) = to_uri(root, &e.file) else { continue };
                    changes
                        .entry(uri)
                        .or_default()
                        .push(TextEdit { range: file_range(a, &e.file, &e.range), new_text: e.new_text });
                }
                Ok::<_, String>(WorkspaceEdit {
                    changes: Some(changes),
                    document_changes: None,
                    change_annotations: None,
                })
            })
            .await?;
        match r {
            None => Ok(None),
            Some(Ok(x)) => Ok(Some(x)),
            Some(Err(why)) => Err(invalid(why)),
        }
    }

    pub(super) async fn completion_impl(&self, p: CompletionParams) -> Result<Option<CompletionResponse>> {
        let pos = p.text_document_position.position;
        let uri = p.text_document_position.text_document.uri;
        let uri_str = uri.to_string();
        Ok(self
            .query(&uri, move |a, rel, _| {
                let off = at(a, rel, pos)?;
                let items: Vec<CompletionItem> = ide::complete::completion(a, rel, off)
                    .into_iter()
                    .map(|c| {
                        let range = file_range(a, rel, &c.replace);
                        // A variable's documentation left for completionItem/resolve.
                        let data = (c.kind == ide::CompletionKind::Variable && c.documentation.is_none())
                            .then(|| serde_json::json!({"uri": uri_str, "position": pos}));
                        CompletionItem {
                            data,
                            label: c.label.clone(),
                            kind: Some(completion_kind(c.kind)),
                            detail: c.detail,
                            documentation: c.documentation.map(|d| {
                                Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: d })
                            }),
                            sort_text: c.sort,
                            filter_text: Some(c.label.clone()),
                            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                                range,
                                new_text: c.insert_text.unwrap_or(c.label),
                            })),
                            ..Default::default()
                        }
                    })
                    .collect();
                // A capped variable list: the editor asks again as the user types.
                let is_incomplete = items.len() >= ide::complete::MAX_VARIABLES;
                Some(CompletionResponse::List(CompletionList { is_incomplete, items }))
            })
            .await?
            .flatten())
    }

    /// The documentation of a variable that `completion` left out (see `ide::complete::LAZY_DOCS`).
    pub(super) async fn completion_resolve_impl(&self, mut item: CompletionItem) -> Result<CompletionItem> {
        let Some(data) = item.data.clone() else { return Ok(item) };
        let (Some(uri), Some(pos)) = (
            data.get("uri").and_then(|u| u.as_str()).and_then(|u| u.parse::<Uri>().ok()),
            data.get("position").and_then(|p| serde_json::from_value::<Position>(p.clone()).ok()),
        ) else {
            return Ok(item);
        };
        let name = item.label.clone();
        let doc =
            self.query(&uri, move |a, rel, _| ide::complete::variable_doc(a, rel, at(a, rel, pos)?, &name)).await?;
        if let Some(Some(d)) = doc {
            item.documentation =
                Some(Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: d }));
        }
        Ok(item)
    }

    pub(super) async fn document_symbol_impl(&self, p: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        Ok(self
            .query(&p.text_document.uri, |a, rel, _| {
                a.snapshot.file_idx(rel)?;
                Some(DocumentSymbolResponse::Nested(
                    ide::outline::document_symbols(a, rel).iter().map(|s| document_symbol(a, s)).collect(),
                ))
            })
            .await?
            .flatten())
    }

    #[allow(deprecated)]
    pub(super) async fn workspace_symbol_impl(
        &self,
        p: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let query = p.query;
        let symbols = self
            .query_all(move |a, root| {
                ide::outline::workspace_symbols(a, &query)
                    .iter()
                    .filter_map(|s| {
                        Some(SymbolInformation {
                            name: s.name.clone(),
                            kind: symbol_kind(s.kind),
                            tags: None,
                            deprecated: None,
                            location: Location { uri: to_uri(root, &s.file)?, range: file_range(a, &s.file, &s.focus) },
                            container_name: s.detail.clone(),
                        })
                    })
                    .collect()
            })
            .await?;
        Ok(Some(WorkspaceSymbolResponse::Flat(symbols)))
    }

    pub(super) async fn document_link_impl(&self, p: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        self.query(&p.text_document.uri, |a, rel, root| {
            ide::outline::document_links(a, rel)
                .into_iter()
                .filter_map(|l| {
                    Some(DocumentLink {
                        range: file_range(a, rel, &l.range),
                        target: Some(to_uri(root, &l.target)?),
                        tooltip: l.tooltip,
                        data: None,
                    })
                })
                .collect()
        })
        .await
    }

    pub(super) async fn inlay_hint_impl(&self, p: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let (range, focus, enabled) = {
            let inner = self.state.lock();
            (p.range, inner.focus_cluster.clone(), inner.inlay_hints)
        };
        if !enabled {
            return Ok(Some(Vec::new()));
        }
        Ok(self
            .query(&p.text_document.uri, move |a, rel, _| {
                let f = a.snapshot.file(a.snapshot.file_idx(rel)?);
                let r = offset(&f.line_index, &f.text, range.start)..offset(&f.line_index, &f.text, range.end);
                let known = focus.as_deref().filter(|c| a.project.cluster(c).is_some());
                Some(
                    ide::outline::inlay_hints(a, rel, r, known)
                        .into_iter()
                        .map(|h| {
                            let p = f.line_index.position(&f.text, h.offset);
                            InlayHint {
                                position: Position { line: p.line, character: p.character },
                                label: InlayHintLabel::String(h.label),
                                kind: None,
                                text_edits: None,
                                tooltip: h.tooltip.map(InlayHintTooltip::String),
                                padding_left: Some(true),
                                padding_right: None,
                                data: None,
                            }
                        })
                        .collect(),
                )
            })
            .await?
            .flatten())
    }

    /// `textDocument/semanticTokens/full` and `/range` (`range`: `None` for the whole file).
    /// Modifiers follow the focus cluster, like inlay hints.
    pub(super) async fn semantic_tokens_impl(&self, uri: &Uri, range: Option<Range>) -> Result<Option<SemanticTokens>> {
        let (focus, indexing) = {
            let inner = self.state.lock();
            let indexing = Self::locate(&inner, uri).is_some_and(|(i, _)| !inner.roots[i].indexed);
            (inner.focus_cluster.clone(), indexing)
        };
        if indexing {
            self.refresh_semantic_tokens_when_indexed();
        }
        Ok(self
            .query(uri, move |a, rel, _| {
                let f = a.snapshot.file(a.snapshot.file_idx(rel)?);
                let r = range.map(|r| offset(&f.line_index, &f.text, r.start)..offset(&f.line_index, &f.text, r.end));
                let tokens = ide::semantic::semantic_tokens(a, rel, r, focus.as_deref());
                Some(SemanticTokens {
                    result_id: None,
                    data: super::convert::semantic_tokens(&f.line_index, &f.text, &tokens),
                })
            })
            .await?
            .flatten())
    }

    /// Tokens given while a root is being indexed know no cluster yet (every variable reads
    /// `unsubstituted`), and editors ask again only when the document changes: once every root
    /// is indexed, ask them to (`workspace/semanticTokens/refresh`). One waiter at a time.
    fn refresh_semantic_tokens_when_indexed(&self) {
        static WAITING: AtomicBool = AtomicBool::new(false);
        if WAITING.swap(true, Ordering::SeqCst) {
            return;
        }
        let state = self.state.clone();
        let client = self.client.clone();
        let mut changed = state.dirty.subscribe();
        tokio::spawn(async move {
            // `mark_dirty` follows every root that finishes indexing.
            while state.lock().roots.iter().any(|r| !r.indexed) {
                if changed.changed().await.is_err() {
                    break;
                }
            }
            WAITING.store(false, Ordering::SeqCst);
            if let Err(e) = client.semantic_tokens_refresh().await {
                log::debug(format_args!("semantic tokens refresh not supported by the client: {e:?}"));
            }
        });
    }

    pub(super) async fn code_lens_impl(&self, p: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.query(&p.text_document.uri, |a, rel, _| {
            ide::outline::code_lenses(a, rel)
                .into_iter()
                .map(|l| CodeLens {
                    range: file_range(a, rel, &l.range),
                    // A title-only command: shown, not clickable.
                    command: Some(Command { title: l.title, command: String::new(), arguments: None }),
                    data: None,
                })
                .collect()
        })
        .await
    }

    pub(super) async fn execute_command_impl(&self, p: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        match p.command.as_str() {
            "gitops-lsp.render" => {
                // Arguments: [uri, cluster] or [{"uri", "cluster", "showSecrets"}].
                let (uri, cluster, show) = match p.arguments.as_slice() {
                    [serde_json::Value::Object(o)] => (
                        o.get("uri").and_then(|v| v.as_str()).map(str::to_string),
                        o.get("cluster").and_then(|v| v.as_str()).map(str::to_string),
                        o.get("showSecrets").and_then(|v| v.as_bool()).unwrap_or(false),
                    ),
                    [u, c, ..] => (u.as_str().map(str::to_string), c.as_str().map(str::to_string), false),
                    _ => (None, None, false),
                };
                let (Some(uri), Some(cluster)) = (uri, cluster) else {
                    return Err(invalid("gitops-lsp.render takes [uri, cluster]"));
                };
                let uri: Uri = uri.parse().map_err(|_| invalid("not a URI"))?;
                let r = self.query(&uri, move |a, rel, _| ide::render::render(a, rel, &cluster, show)).await?;
                match r {
                    None => Err(invalid("the file is not in a workspace folder")),
                    Some(Ok(text)) => Ok(Some(serde_json::Value::String(text))),
                    Some(Err(why)) => Err(invalid(why)),
                }
            }
            "gitops-lsp.clusters" => {
                let names = self.query_all(|a, _| a.project.clusters.iter().map(|c| c.name.clone()).collect()).await?;
                Ok(Some(serde_json::json!(names)))
            }
            other => Err(invalid(format!("unknown command `{other}`"))),
        }
    }
}

impl Backend {
    /// `gitops-lsp/graph`: the Flux Kustomization graph of a cluster, for editors that draw it.
    /// Params `{"cluster": "infra"}` or `{"uri": "...", "cluster": "..."}` (the URI picks the
    /// workspace folder); result: `ide::graph::Graph` as JSON.
    pub async fn graph(&self, params: serde_json::Value) -> Result<serde_json::Value> {
        let Some(cluster) = params.get("cluster").and_then(|c| c.as_str()).map(str::to_string) else {
            return Err(invalid("gitops-lsp/graph takes {\"cluster\": NAME}"));
        };
        let uri: Option<Uri> = params.get("uri").and_then(|u| u.as_str()).and_then(|u| u.parse().ok());
        let uri = match uri {
            Some(u) => u,
            None => {
                let first = self.state.lock().roots.first().map(|r| r.path.clone());
                match first.and_then(|p| to_uri(&p, &RelPath::root())) {
                    Some(u) => u,
                    None => return Err(invalid("no workspace folder")),
                }
            }
        };
        let r = self
            .query(&uri, move |a, _, _| {
                ide::graph::graph(a, &cluster).map(|g| serde_json::to_value(g).unwrap_or_default())
            })
            .await?;
        match r {
            None => Err(invalid("the URI is not in a workspace folder")),
            Some(Ok(v)) => Ok(v),
            Some(Err(why)) => Err(invalid(why)),
        }
    }
}
