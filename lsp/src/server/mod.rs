//! The language server: tower-lsp-server glue over `AnalysisHost`.
//!
//! Owns: the LSP lifecycle, workspace roots, open documents (ropey text + tree-sitter tree,
//! re-parsed incrementally), file watching, the diagnostics loop (incremental, versioned,
//! diffed), and conversion between LSP and core types. No analysis rule lives here.
//!
//! Concurrency (tower-lsp-server runs handlers concurrently): every text change is applied
//! synchronously, before any `.await`, under one `std::sync::Mutex` that is never held across
//! an `.await`. Analyses run on blocking threads from an immutable snapshot of the inputs; a
//! panic there becomes an error response, not a dead server.

mod convert;
mod docs;
mod log;
mod requests;

use crate::files::RelPath;
use crate::host::{AnalysisHost, Change};
use crate::workspace;
use convert::to_uri;
use docs::Doc;
pub use log::{set_level, Level};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

pub(crate) struct Root {
    pub path: PathBuf,
    pub host: AnalysisHost,
    pub indexed: bool,
    /// A root made for a file opened outside every workspace folder (not read from disk).
    pub loose: bool,
}

pub(crate) struct Inner {
    pub roots: Vec<Root>,
    pub docs: HashMap<Uri, Doc>,
    pub focus_cluster: Option<String>,
    pub inlay_hints: bool,
    /// Diagnostics last published, per URI (to clear fixed ones and skip unchanged ones).
    pub published: HashMap<Uri, Vec<Diagnostic>>,
    /// The client asks again for semantic tokens / inlay hints when told to (capabilities).
    pub refresh_semantic_tokens: bool,
    pub refresh_inlay_hints: bool,
}

pub(crate) struct State {
    inner: Mutex<Inner>,
    dirty: watch::Sender<u64>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock must not wedge the server: the data is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn mark_dirty(&self) {
        self.dirty.send_modify(|v| *v += 1);
    }
}

pub struct Backend {
    client: Client,
    state: Arc<State>,
    dirty_rx: Mutex<Option<watch::Receiver<u64>>>,
}

/// Runs the server on stdin/stdout until `exit`.
pub async fn run() {
    let (service, socket) = LspService::build(|client| {
        let (tx, rx) = watch::channel(0u64);
        let inner = Inner {
            roots: Vec::new(),
            docs: HashMap::new(),
            focus_cluster: None,
            inlay_hints: true,
            published: HashMap::new(),
            refresh_semantic_tokens: false,
            refresh_inlay_hints: false,
        };
        Backend {
            client,
            state: Arc::new(State { inner: Mutex::new(inner), dirty: tx }),
            dirty_rx: Mutex::new(Some(rx)),
        }
    })
    .custom_method("gitops-lsp/graph", Backend::graph)
    .finish();
    Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).serve(service).await;
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error { code: ErrorCode::InternalError, message: e.to_string().into(), data: None }
}

impl Backend {
    /// Root index and workspace-relative path of a file URI.
    fn locate(inner: &Inner, uri: &Uri) -> Option<(usize, RelPath)> {
        let path = uri.to_file_path()?;
        let mut best: Option<(usize, usize)> = None;
        for (i, r) in inner.roots.iter().enumerate() {
            if path.starts_with(&r.path) {
                let len = r.path.as_os_str().len();
                if best.is_none_or(|(_, l)| len > l) {
                    best = Some((i, len));
                }
            }
        }
        let (i, _) = best?;
        Some((i, workspace::relative(&inner.roots[i].path, &path)?))
    }

    /// Like `locate`, adding a loose root (the file's folder, not read) when no root has it.
    fn locate_or_add(inner: &mut Inner, uri: &Uri) -> Option<(usize, RelPath)> {
        if let Some(found) = Self::locate(inner, uri) {
            return Some(found);
        }
        let path = uri.to_file_path()?.into_owned();
        let dir = path.parent()?.to_path_buf();
        inner.roots.push(Root { path: dir, host: AnalysisHost::new(), indexed: true, loose: true });
        Self::locate(inner, uri)
    }

    async fn index_roots(&self, roots: Vec<(usize, PathBuf)>) {
        let token = NumberOrString::String("gitops-lsp/index".into());
        let progress_ok = self.client.create_work_done_progress(token.clone()).await.is_ok();
        let progress = if progress_ok {
            Some(self.client.progress(token, "gitops-lsp: indexing").with_percentage(0).begin().await)
        } else {
            None
        };
        for (idx, path) in roots {
            let loaded = tokio::task::spawn_blocking(move || workspace::load(&path)).await;
            let loaded = match loaded {
                Ok(Ok(l)) => l,
                Ok(Err(e)) => {
                    log::error(format_args!("cannot read workspace folder: {e}"));
                    continue;
                }
                Err(e) => {
                    log::error(format_args!("indexing panicked: {e}"));
                    continue;
                }
            };
            // Parse in chunks so that progress moves.
            let items: Vec<(RelPath, Arc<str>)> = loaded
                .vfs
                .texts
                .iter()
                .filter(|(p, _)| crate::files::is_manifest_name(p.file_name()))
                .map(|(p, t)| (p.clone(), t.clone()))
                .collect();
            let total = items.len().max(1);
            let mut models = Vec::with_capacity(items.len());
            for chunk in items.chunks(256) {
                let chunk = chunk.to_vec();
                let parsed = tokio::task::spawn_blocking(move || {
                    let refs: Vec<(&RelPath, &Arc<str>)> = chunk.iter().map(|(p, t)| (p, t)).collect();
                    crate::snapshot::parse_all(&refs)
                })
                .await
                .unwrap_or_default();
                models.extend(parsed);
                if let Some(p) = &progress {
                    let done = models.len();
                    p.report_with_message(format!("{done}/{total} files"), (done * 100 / total) as u32).await;
                }
            }
            let mut changes: Vec<Change> = models.into_iter().map(Change::Parsed).collect();
            for (p, t) in loaded.vfs.texts.iter().filter(|(p, _)| !crate::files::is_manifest_name(p.file_name())) {
                changes.push(Change::Aux(p.clone(), t.clone()));
            }
            changes.extend(loaded.vfs.other_files.iter().cloned().map(Change::Other));
            changes.extend(loaded.vfs.unreadable.into_iter().map(|(p, u)| Change::Unreadable(p, u)));
            changes.push(Change::Config(loaded.config_text.map(Arc::from)));
            {
                let mut inner = self.state.lock();
                let Some(root) = inner.roots.get(idx) else { continue };
                let root_path = root.path.clone();
                // Documents opened while indexing win over the disk.
                let open: Vec<Change> = inner.docs.values().filter(|d| d.root == idx).map(Doc::change).collect();
                let _ = root_path;
                let root = &mut inner.roots[idx];
                root.host.apply(changes);
                root.host.apply(open);
                root.indexed = true;
            }
            self.state.mark_dirty();
        }
        if let Some(p) = progress {
            p.finish_with_message("done").await;
        }
    }

    async fn register_watchers(&self) {
        let opts = DidChangeWatchedFilesRegistrationOptions {
            // `.json`: schema files in the folders `.gitops-lsp.toml` names.
            watchers: [
                "**/*.yaml",
                "**/*.yml",
                "**/*.env",
                "**/*.json",
                "**/.gitops-lsp.toml",
                "**/kustomization.yaml",
            ]
            .iter()
            .map(|g| FileSystemWatcher { glob_pattern: GlobPattern::String(g.to_string()), kind: None })
            .collect(),
        };
        let reg = Registration {
            id: "gitops-lsp-watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(opts).ok(),
        };
        if let Err(e) = self.client.register_capability(vec![reg]).await {
            log::warn(format_args!("client refused file watching: {e:?}"));
        }
    }

    /// Re-reads one changed path from disk (a watcher event), unless it is open.
    fn reload_path(inner: &mut Inner, uri: &Uri, deleted: bool) -> bool {
        let Some((idx, rel)) = Self::locate(inner, uri) else { return false };
        if !deleted && inner.docs.contains_key(uri) {
            return false;
        }
        let Some(path) = uri.to_file_path().map(|p| p.into_owned()) else { return false };
        let root_path = inner.roots[idx].path.clone();
        let changes = if deleted || !path.exists() {
            if inner.docs.contains_key(uri) {
                return false;
            }
            vec![Change::Removed(rel)]
        } else if path.is_dir() {
            let config = inner.roots[idx].host.inputs().config_text.clone();
            read_dir_changes(&root_path, &path, config.as_deref())
        } else if rel.as_str() == crate::config::FILE_NAME {
            // Never through a link out of the repository; then the schema folders it names.
            let root = root_path.canonicalize().unwrap_or(root_path);
            let text: Option<Arc<str>> = workspace::read_config(&root).ok().flatten().map(Arc::from);
            let mut vfs = crate::files::Vfs::default();
            workspace::read_schema_folders(&root, &workspace::schema_dirs_of(text.as_deref()), &mut vfs);
            let mut changes = vec![Change::Config(text)];
            changes.extend(vfs_changes(vfs));
            changes
        } else {
            let mut vfs = crate::files::Vfs::default();
            workspace::read_into(&mut vfs, rel.clone(), &path);
            vfs_changes(vfs)
        };
        inner.roots[idx].host.apply(changes);
        true
    }
}

fn vfs_changes(vfs: crate::files::Vfs) -> Vec<Change> {
    let mut changes = Vec::new();
    for (p, t) in vfs.texts {
        if crate::files::is_manifest_name(p.file_name()) {
            changes.push(Change::Text(p, t));
        } else {
            changes.push(Change::Aux(p, t));
        }
    }
    changes.extend(vfs.other_files.into_iter().map(Change::Other));
    changes.extend(vfs.unreadable.into_iter().map(|(p, u)| Change::Unreadable(p, u)));
    changes
}

/// A folder appeared (a checkout): read everything below it (never a folder reached through
/// a link out of the repository), with the root's schema folders below it.
fn read_dir_changes(root: &Path, dir: &Path, config: Option<&str>) -> Vec<Change> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if !dir.canonicalize().is_ok_and(|d| d.starts_with(&root)) {
        return Vec::new();
    }
    let Ok(loaded) = workspace::load(dir) else { return Vec::new() };
    let Some(prefix) = workspace::relative(&root, &loaded.root) else { return Vec::new() };
    let schema_dirs: Vec<RelPath> = workspace::schema_dirs_of(config)
        .into_iter()
        .filter(|d| d.starts_with(&prefix) || prefix.starts_with(d))
        .collect();
    let rebase = |p: RelPath| prefix.join(p.as_str()).unwrap_or(p);
    let mut vfs = crate::files::Vfs::default();
    for (p, t) in loaded.vfs.texts {
        vfs.texts.insert(rebase(p), t);
    }
    vfs.other_files = loaded.vfs.other_files.into_iter().map(rebase).collect();
    vfs.unreadable = loaded.vfs.unreadable.into_iter().map(|(p, u)| (rebase(p), u)).collect();
    workspace::read_schema_folders(&root, &schema_dirs, &mut vfs);
    vfs_changes(vfs)
}

/// One root to analyse: index, its analysis or what it takes to compute it, root folder,
/// versions of its open documents.
type Job =
    (usize, std::result::Result<Arc<crate::analysis::Analysis>, crate::host::Pending>, PathBuf, HashMap<RelPath, i32>);

/// The diagnostics loop: waits for changes, analyses every root on a blocking thread,
/// publishes what changed (with the document versions the analysis saw). No timer: changes
/// that arrive while an analysis runs are taken together by the next one, and an edit that
/// keeps the project costs only its own file (`Analysis::update`).
async fn diagnostics_loop(client: Client, state: Arc<State>, mut rx: watch::Receiver<u64>) {
    // The project each root's last analysis had: when it changes, what other open files show
    // (semantic tokens, inlay hints) may have changed too.
    let mut projects: HashMap<usize, std::sync::Weak<crate::project::Project>> = HashMap::new();
    loop {
        if rx.changed().await.is_err() {
            return;
        }
        // Let notifications already queued (a burst of didChange) apply first.
        tokio::task::yield_now().await;
        rx.mark_unchanged();
        let (jobs, doc_versions): (Vec<Job>, HashMap<Uri, i32>) = {
            let inner = state.lock();
            let doc_versions = inner.docs.iter().map(|(u, d)| (u.clone(), d.version)).collect();
            let jobs = inner
                .roots
                .iter()
                .enumerate()
                .filter(|(_, r)| r.indexed)
                .map(|(i, r)| {
                    let versions = inner
                        .docs
                        .values()
                        .filter(|d| d.root == i)
                        .map(|d| (d.model.path.clone(), d.version))
                        .collect();
                    (i, r.host.pending(), r.path.clone(), versions)
                })
                .collect();
            (jobs, doc_versions)
        };
        let computed = tokio::task::spawn_blocking(move || {
            jobs.into_iter()
                .map(|(i, pending, path, versions)| {
                    let (rev, analysis) = match pending {
                        Ok(a) => (None, a),
                        Err(p) => (Some(p.revision()), p.analyse()),
                    };
                    let diags = analysis.diagnostics();
                    (i, rev, analysis, diags, path, versions)
                })
                .collect::<Vec<_>>()
        })
        .await;
        let computed = match computed {
            Ok(c) => c,
            Err(e) => {
                log::error(format_args!("diagnostics computation failed: {e}"));
                continue;
            }
        };
        let mut to_publish: Vec<(Uri, Vec<Diagnostic>, Option<i32>)> = Vec::new();
        {
            let mut inner = state.lock();
            let mut fresh: HashMap<Uri, (Vec<Diagnostic>, Option<i32>)> = HashMap::new();
            let mut roots_done: Vec<PathBuf> = Vec::new();
            for (i, rev, analysis, diags, path, versions) in &computed {
                let (i, rev, path) = (*i, *rev, path.clone());
                if let (Some(r), Some(rev)) = (inner.roots.get(i), rev) {
                    r.host.store_analysis(rev, analysis.clone());
                }
                roots_done.push(path.clone());
                for d in diags {
                    let Some(uri) = to_uri(&path, &d.file) else { continue };
                    let entry = fresh.entry(uri).or_insert_with(|| (Vec::new(), versions.get(&d.file).copied()));
                    entry.0.push(convert::diagnostic(analysis, &path, d));
                }
            }
            let previously: Vec<Uri> = inner.published.keys().cloned().collect();
            for uri in previously {
                if !fresh.contains_key(&uri) {
                    let in_done_root = uri.to_file_path().is_some_and(|p| roots_done.iter().any(|r| p.starts_with(r)));
                    if in_done_root {
                        inner.published.remove(&uri);
                        // Tagged with the version the analysis saw, like any other publish.
                        let version = doc_versions.get(&uri).copied();
                        to_publish.push((uri, Vec::new(), version));
                    }
                }
            }
            for (uri, (diags, version)) in fresh {
                if inner.published.get(&uri) == Some(&diags) {
                    continue;
                }
                inner.published.insert(uri.clone(), diags.clone());
                to_publish.push((uri, diags, version));
            }
        }
        for (uri, diags, version) in to_publish {
            client.publish_diagnostics(uri, diags, version).await;
        }
        let mut project_changed = false;
        for (i, _, analysis, ..) in &computed {
            let now = Arc::downgrade(&analysis.project);
            if projects.insert(*i, now.clone()).is_none_or(|before| !before.ptr_eq(&now)) {
                project_changed = true;
            }
        }
        if project_changed {
            let (tokens, hints) = {
                let inner = state.lock();
                (inner.refresh_semantic_tokens, inner.refresh_inlay_hints)
            };
            // Not awaited here: the loop never waits on the client.
            let client = client.clone();
            tokio::spawn(async move {
                if tokens {
                    let _ = client.semantic_tokens_refresh().await;
                }
                if hints {
                    let _ = client.inlay_hint_refresh().await;
                }
            });
        }
        // After publishing: warm the editor-feature index (shared while the project is kept,
        // so an edit inside a file costs nothing here) and give freed memory back.
        let analyses: Vec<_> = computed.into_iter().map(|c| c.2).collect();
        // Not awaited: a change that arrives meanwhile is analysed at once.
        drop(tokio::task::spawn_blocking(move || {
            for a in &analyses {
                let _ = crate::ide::locate::Index::of(a);
            }
            drop(analyses);
            release_freed_memory();
        }));
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let mut folders: Vec<PathBuf> = params
            .workspace_folders
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        #[allow(deprecated)]
        if folders.is_empty() {
            if let Some(p) = params.root_uri.as_ref().and_then(|u| u.to_file_path().map(|p| p.into_owned())) {
                folders.push(p);
            }
        }
        {
            let ws = params.capabilities.workspace.as_ref();
            let mut inner = self.state.lock();
            inner.refresh_semantic_tokens =
                ws.and_then(|w| w.semantic_tokens.as_ref()).and_then(|s| s.refresh_support).unwrap_or(false);
            inner.refresh_inlay_hints =
                ws.and_then(|w| w.inlay_hint.as_ref()).and_then(|s| s.refresh_support).unwrap_or(false);
        }
        if let Some(opts) = &params.initialization_options {
            apply_settings(&mut self.state.lock(), opts);
        }
        {
            let mut inner = self.state.lock();
            for f in folders {
                let path = f.canonicalize().unwrap_or(f);
                inner.roots.push(Root { path, host: AnalysisHost::new(), indexed: false, loose: false });
            }
        }
        let sync = TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::Supported(false)),
            ..Default::default()
        };
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "gitops-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Options(sync)),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: Default::default(),
                })),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec!["{".into(), "/".into(), ".".into()]),
                    resolve_provider: Some(true),
                    ..Default::default()
                }),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                document_link_provider: Some(DocumentLinkOptions {
                    resolve_provider: Some(false),
                    work_done_progress_options: Default::default(),
                }),
                inlay_hint_provider: Some(OneOf::Left(true)),
                code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
                semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
                    SemanticTokensOptions {
                        work_done_progress_options: Default::default(),
                        legend: convert::semantic_legend(),
                        range: Some(true),
                        full: Some(SemanticTokensFullOptions::Bool(true)),
                    },
                )),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: requests::COMMANDS.iter().map(|c| c.to_string()).collect(),
                    work_done_progress_options: Default::default(),
                }),
                ..Default::default()
            },
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        log::info(format_args!("gitops-lsp {} started", env!("CARGO_PKG_VERSION")));
        if let Some(rx) = self.dirty_rx.lock().unwrap_or_else(|e| e.into_inner()).take() {
            tokio::spawn(diagnostics_loop(self.client.clone(), self.state.clone(), rx));
        }
        self.register_watchers().await;
        let roots: Vec<(usize, PathBuf)> = self
            .state
            .lock()
            .roots
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.loose)
            .map(|(i, r)| (i, r.path.clone()))
            .collect();
        self.index_roots(roots).await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        {
            let mut inner = self.state.lock();
            let Some((idx, rel)) = Self::locate_or_add(&mut inner, &doc.uri) else { return };
            let d = Doc::open(idx, rel, doc.version, &doc.text);
            inner.roots[idx].host.apply([d.change()]);
            inner.docs.insert(doc.uri, d);
        }
        self.state.mark_dirty();
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut inner = self.state.lock();
            let Some(doc) = inner.docs.get_mut(&uri) else {
                log::warn(format_args!("didChange for a document that is not open: {}", uri.as_str()));
                return;
            };
            if params.text_document.version <= doc.version {
                log::warn(format_args!(
                    "out-of-order version {} <= {} for {}",
                    params.text_document.version,
                    doc.version,
                    uri.as_str()
                ));
                return;
            }
            let ok = doc.apply_changes(params.text_document.version, &params.content_changes);
            let change = doc.change();
            let idx = doc.root;
            if !ok {
                log::warn(format_args!(
                    "an edit did not fit {}; the document was resynced from the edit's text",
                    uri.as_str()
                ));
            }
            inner.roots[idx].host.apply([change]);
        }
        self.state.mark_dirty();
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut inner = self.state.lock();
            let Some(doc) = inner.docs.remove(&uri) else { return };
            // A closed document falls back to the disk.
            let root = &inner.roots[doc.root];
            if root.loose {
                let rel = doc.model.path.clone();
                inner.roots[doc.root].host.apply([Change::Removed(rel)]);
            } else {
                Self::reload_path(&mut inner, &uri, false);
            }
        }
        self.state.mark_dirty();
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut any = false;
        {
            let mut inner = self.state.lock();
            for ev in params.changes {
                any |= Self::reload_path(&mut inner, &ev.uri, ev.typ == FileChangeType::DELETED);
            }
        }
        if any {
            self.state.mark_dirty();
        }
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        self.hover_impl(p).await
    }
    async fn goto_definition(&self, p: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        self.definition_impl(p).await
    }
    async fn references(&self, p: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.references_impl(p).await
    }
    async fn prepare_rename(&self, p: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
        self.prepare_rename_impl(p).await
    }
    async fn rename(&self, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
        self.rename_impl(p).await
    }
    async fn completion(&self, p: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.completion_impl(p).await
    }
    async fn document_symbol(&self, p: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        self.document_symbol_impl(p).await
    }
    async fn symbol(&self, p: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        self.workspace_symbol_impl(p).await
    }
    async fn document_link(&self, p: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        self.document_link_impl(p).await
    }
    async fn inlay_hint(&self, p: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.inlay_hint_impl(p).await
    }
    async fn completion_resolve(&self, item: CompletionItem) -> Result<CompletionItem> {
        self.completion_resolve_impl(item).await
    }
    async fn code_lens(&self, p: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.code_lens_impl(p).await
    }
    async fn semantic_tokens_full(&self, p: SemanticTokensParams) -> Result<Option<SemanticTokensResult>> {
        Ok(self.semantic_tokens_impl(&p.text_document.uri, None).await?.map(Into::into))
    }
    async fn semantic_tokens_range(&self, p: SemanticTokensRangeParams) -> Result<Option<SemanticTokensRangeResult>> {
        Ok(self.semantic_tokens_impl(&p.text_document.uri, Some(p.range)).await?.map(Into::into))
    }
    async fn execute_command(&self, p: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        self.execute_command_impl(p).await
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let settings = params.settings.get("gitops-lsp").cloned().unwrap_or(params.settings);
        apply_settings(&mut self.state.lock(), &settings);
        // The focus cluster or the inlay-hint switch may have changed: ask the editor to re-ask.
        if let Err(e) = self.client.inlay_hint_refresh().await {
            log::debug(format_args!("inlay hint refresh not supported by the client: {e:?}"));
        }
        // Semantic token modifiers follow the focus cluster too.
        if let Err(e) = self.client.semantic_tokens_refresh().await {
            log::debug(format_args!("semantic tokens refresh not supported by the client: {e:?}"));
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let mut added = Vec::new();
        {
            let mut inner = self.state.lock();
            for f in params.event.removed {
                if let Some(p) = f.uri.to_file_path() {
                    let p = p.canonicalize().unwrap_or_else(|_| p.into_owned());
                    inner.roots.retain(|r| r.path != p);
                }
            }
            // Indices of documents may have moved: re-locate them.
            let uris: Vec<Uri> = inner.docs.keys().cloned().collect();
            for f in params.event.added {
                if let Some(p) = f.uri.to_file_path() {
                    let p = p.canonicalize().unwrap_or_else(|_| p.into_owned());
                    inner.roots.push(Root { path: p.clone(), host: AnalysisHost::new(), indexed: false, loose: false });
                    added.push((inner.roots.len() - 1, p));
                }
            }
            for uri in uris {
                if let Some((idx, _)) = Self::locate(&inner, &uri) {
                    if let Some(d) = inner.docs.get_mut(&uri) {
                        d.root = idx;
                    }
                }
            }
        }
        self.index_roots(added).await;
    }
}

fn apply_settings(inner: &mut Inner, v: &serde_json::Value) {
    if let Some(c) = v.get("cluster") {
        inner.focus_cluster = c.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    }
    if let Some(b) = v.get("inlayHints").and_then(|b| b.as_bool()) {
        inner.inlay_hints = b;
    }
    if let Some(l) = v.get("logLevel").and_then(|l| l.as_str()) {
        if let Some(level) = Level::parse(l) {
            set_level(level);
        }
    }
}

/// Returns memory freed by the previous analysis to the system. glibc keeps freed memory in
/// per-thread arenas; analyses run on varying blocking threads, so without this the server's
/// resident size climbs with every re-analysis of a large repository.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}
