//! An immutable snapshot of the workspace: every parsed file, the folder tree and the
//! configuration. Everything the analysis reads comes from here.
//!
//! Owns: building a snapshot from a `Vfs` (parsing files in parallel) or from already parsed
//! `FileModel`s (the server re-parses only what changed and reuses the rest).

use crate::config::{self, Config};
use crate::files::{RelPath, Unreadable, Vfs};
use crate::model::{FileModel, KUSTOMIZE_FILE_NAMES};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Index of a file in `Snapshot::files`.
pub type FileIdx = u32;

#[derive(Default, Debug)]
pub struct DirIndex {
    /// Every folder that holds a file, and their ancestors.
    pub dirs: BTreeSet<RelPath>,
    /// Files directly in a folder (manifests and other files).
    pub files_in: FxHashMap<RelPath, Vec<RelPath>>,
    /// Sub-folders directly in a folder.
    pub subdirs_in: FxHashMap<RelPath, Vec<RelPath>>,
}

/// Everything but the parsed files is behind `Arc`: a snapshot that differs from the
/// previous one by the contents of some files (the common edit) shares the rest.
#[derive(Default, Clone)]
pub struct Snapshot {
    pub files: Vec<Arc<FileModel>>,
    pub by_path: Arc<FxHashMap<RelPath, FileIdx>>,
    pub other_files: Arc<BTreeSet<RelPath>>,
    /// Texts of small non-manifest files (`.env`) that kustomize generators read.
    pub aux_texts: Arc<BTreeMap<RelPath, Arc<str>>>,
    pub unreadable: Arc<BTreeMap<RelPath, Unreadable>>,
    pub dirs: Arc<DirIndex>,
    pub config: Arc<Config>,
    pub config_error: Option<(String, Option<std::ops::Range<usize>>)>,
}

impl Snapshot {
    /// Parses every manifest of `vfs` (on all cores) and indexes the result.
    pub fn from_vfs(vfs: &Vfs, config_text: Option<&str>) -> Snapshot {
        let items: Vec<(&RelPath, &Arc<str>)> =
            vfs.texts.iter().filter(|(p, _)| crate::files::is_manifest_name(p.file_name())).collect();
        let models = parse_all(&items);
        let aux = vfs
            .texts
            .iter()
            .filter(|(p, _)| !crate::files::is_manifest_name(p.file_name()))
            .map(|(p, t)| (p.clone(), t.clone()))
            .collect();
        Snapshot::from_models(models, vfs.other_files.clone(), aux, vfs.unreadable.clone(), config_text)
    }

    pub fn from_models(
        mut models: Vec<Arc<FileModel>>,
        other_files: BTreeSet<RelPath>,
        aux_texts: BTreeMap<RelPath, Arc<str>>,
        unreadable: BTreeMap<RelPath, Unreadable>,
        config_text: Option<&str>,
    ) -> Snapshot {
        models.sort_by(|a, b| a.path.cmp(&b.path));
        let by_path = models.iter().enumerate().map(|(i, m)| (m.path.clone(), i as FileIdx)).collect();
        let mut dirs = DirIndex::default();
        dirs.dirs.insert(RelPath::root());
        let all_paths =
            models.iter().map(|m| &m.path).chain(other_files.iter()).chain(aux_texts.keys()).chain(unreadable.keys());
        for p in all_paths {
            let parent = p.parent();
            dirs.files_in.entry(parent.clone()).or_default().push(p.clone());
            let mut d = parent;
            while !d.is_root() && dirs.dirs.insert(d.clone()) {
                let up = d.parent();
                dirs.subdirs_in.entry(up.clone()).or_default().push(d.clone());
                d = up;
            }
        }
        for v in dirs.files_in.values_mut() {
            v.sort();
        }
        for v in dirs.subdirs_in.values_mut() {
            v.sort();
        }
        let (config, config_error) = match config_text.map(config::parse) {
            None => (Config::default(), None),
            Some(Ok(c)) => (c, None),
            Some(Err(e)) => (Config::default(), Some(e)),
        };
        Snapshot {
            files: models,
            by_path: Arc::new(by_path),
            other_files: Arc::new(other_files),
            aux_texts: Arc::new(aux_texts),
            unreadable: Arc::new(unreadable),
            dirs: Arc::new(dirs),
            config: Arc::new(config),
            config_error,
        }
    }

    /// This snapshot with the given files' models replaced; `None` when one of them is not
    /// a manifest of this snapshot (a new file: the folder index must be rebuilt). Costs a
    /// copy of the file list, nothing else.
    pub fn with_files(&self, models: impl IntoIterator<Item = Arc<FileModel>>) -> Option<Snapshot> {
        let mut next = self.clone();
        for m in models {
            let i = self.file_idx(&m.path)?;
            next.files[i as usize] = m;
        }
        Some(next)
    }

    pub fn file(&self, idx: FileIdx) -> &FileModel {
        &self.files[idx as usize]
    }
    pub fn file_idx(&self, path: &RelPath) -> Option<FileIdx> {
        self.by_path.get(path).copied()
    }
    pub fn is_dir(&self, p: &RelPath) -> bool {
        self.dirs.dirs.contains(p)
    }
    pub fn is_file(&self, p: &RelPath) -> bool {
        self.by_path.contains_key(p)
            || self.other_files.contains(p)
            || self.aux_texts.contains_key(p)
            || self.unreadable.contains_key(p)
    }
    /// The kustomization file of a folder, if it has one.
    pub fn kustomization_in(&self, dir: &RelPath) -> Option<FileIdx> {
        KUSTOMIZE_FILE_NAMES.iter().find_map(|n| dir.join(n).and_then(|p| self.file_idx(&p)))
    }
    /// Whether a folder has a kustomization file (even one that could not be read).
    pub fn has_kustomization(&self, dir: &RelPath) -> bool {
        KUSTOMIZE_FILE_NAMES.iter().any(|n| dir.join(n).is_some_and(|p| self.is_file(&p)))
    }
}

/// Parses files on all cores (the order of the result is the order of `items`).
pub fn parse_all(items: &[(&RelPath, &Arc<str>)]) -> Vec<Arc<FileModel>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    if threads <= 1 || items.len() < 64 {
        return items.iter().map(|(p, t)| Arc::new(FileModel::build((*p).clone(), (*t).clone()))).collect();
    }
    // Work-stealing by an atomic cursor: file sizes vary a lot.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<Option<Arc<FileModel>>> = (0..items.len()).map(|_| None).collect();
    let results: Vec<Vec<(usize, Arc<FileModel>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= items.len() {
                            break;
                        }
                        let (p, t) = items[i];
                        mine.push((i, Arc::new(FileModel::build(p.clone(), t.clone()))));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    for (i, m) in results.into_iter().flatten() {
        out[i] = Some(m);
    }
    // A worker that panicked leaves holes: parse those here, so a bug shows as a panic in
    // one place rather than as a silently missing file.
    out.into_iter()
        .enumerate()
        .map(|(i, m)| m.unwrap_or_else(|| Arc::new(FileModel::build(items[i].0.clone(), items[i].1.clone()))))
        .collect()
}
