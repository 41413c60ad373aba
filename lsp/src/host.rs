//! `AnalysisHost`: the mutable side of the core. It holds the parsed files of one workspace
//! root, takes changes (a file's new text, a parsed tree from an incremental re-parse, a
//! deletion), and hands out immutable `Analysis` snapshots, cached per revision.
//!
//! Knows nothing of LSP or of the disk: the server reads files and converts positions.
//! A change re-parses only the file that changed; the cross-file layer is rebuilt from the
//! per-file models, never by re-parsing other files.

use crate::analysis::Analysis;
use crate::files::{RelPath, Unreadable, Vfs};
use crate::model::FileModel;
use crate::snapshot::Snapshot;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// The inputs of one analysis, cheap to clone (everything behind `Arc`).
#[derive(Clone, Default)]
pub struct Inputs {
    pub files: BTreeMap<RelPath, Arc<FileModel>>,
    pub aux_texts: BTreeMap<RelPath, Arc<str>>,
    pub other_files: BTreeSet<RelPath>,
    pub unreadable: BTreeMap<RelPath, Unreadable>,
    pub config_text: Option<Arc<str>>,
}

impl Inputs {
    /// Builds a snapshot; cost is linear in the number of files, without parsing.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::from_models(
            self.files.values().cloned().collect(),
            self.other_files.clone(),
            self.aux_texts.clone(),
            self.unreadable.clone(),
            self.config_text.as_deref(),
        )
    }
}

/// A change to one path.
pub enum Change {
    /// New text, parsed here.
    Text(RelPath, Arc<str>),
    /// An already parsed model (the server re-parses open documents incrementally).
    Parsed(Arc<FileModel>),
    /// A non-manifest file exists (for kustomize paths).
    Other(RelPath),
    /// Text of a non-manifest file that generators read (`.env`).
    Aux(RelPath, Arc<str>),
    Unreadable(RelPath, Unreadable),
    /// The path and everything below it are gone.
    Removed(RelPath),
    Config(Option<Arc<str>>),
}

#[derive(Default)]
pub struct AnalysisHost {
    inputs: Inputs,
    revision: u64,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    /// The newest analysis computed, of this or an older revision (the base of the next).
    analysis: Option<(u64, Arc<Analysis>)>,
    /// The snapshot of the current revision, when it could be derived from the previous
    /// one by replacing parsed files (the common edit); otherwise built from `inputs`.
    snapshot: Option<(u64, Arc<Snapshot>)>,
}

/// What it takes to analyse one revision, detached from the host (`Send`): run `analyse` on
/// a worker thread.
pub struct Pending {
    revision: u64,
    snapshot: Option<Arc<Snapshot>>,
    inputs: Option<Box<Inputs>>,
    prev: Option<Arc<Analysis>>,
}

impl Pending {
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The analysis of the revision: from the previous analysis where the edit allows
    /// (`Analysis::update`), from scratch otherwise.
    pub fn analyse(self) -> Arc<Analysis> {
        let snapshot = match self.snapshot {
            Some(s) => s,
            None => Arc::new(self.inputs.map(|i| i.snapshot()).unwrap_or_default()),
        };
        Arc::new(match &self.prev {
            Some(prev) => Analysis::update(prev, snapshot),
            None => Analysis::new(snapshot),
        })
    }
}

impl AnalysisHost {
    pub fn new() -> Self {
        Self::default()
    }

    /// A host filled from a `Vfs` (parsed on all cores).
    pub fn from_vfs(vfs: &Vfs, config_text: Option<&str>) -> Self {
        let snap = Snapshot::from_vfs(vfs, config_text);
        let files = snap.files.iter().map(|f| (f.path.clone(), f.clone())).collect();
        AnalysisHost {
            inputs: Inputs {
                files,
                aux_texts: (*snap.aux_texts).clone(),
                other_files: (*snap.other_files).clone(),
                unreadable: (*snap.unreadable).clone(),
                config_text: config_text.map(Arc::from),
            },
            revision: 1,
            cache: Mutex::new(Cache { analysis: None, snapshot: Some((1, Arc::new(snap))) }),
        }
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn inputs(&self) -> &Inputs {
        &self.inputs
    }

    pub fn file(&self, path: &RelPath) -> Option<&Arc<FileModel>> {
        self.inputs.files.get(path)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The snapshot of the current revision, if one is at hand without building it.
    fn current_snapshot(&self) -> Option<Arc<Snapshot>> {
        let c = self.cache();
        match (&c.snapshot, &c.analysis) {
            (Some((rev, s)), _) if *rev == self.revision => Some(s.clone()),
            (_, Some((rev, a))) if *rev == self.revision => Some(a.snapshot.clone()),
            _ => None,
        }
    }

    pub fn apply(&mut self, changes: impl IntoIterator<Item = Change>) {
        let base = self.current_snapshot();
        // Parsed files of existing paths: the next snapshot is the current one with them
        // replaced. Anything else rebuilds the snapshot (and the folder index) from inputs.
        let mut replaced: Option<Vec<Arc<FileModel>>> = Some(Vec::new());
        let inp = &mut self.inputs;
        for change in changes {
            match change {
                Change::Text(path, text) => {
                    remove_path(inp, &path);
                    let model = Arc::new(FileModel::build(path.clone(), text));
                    if let Some(r) = &mut replaced {
                        r.push(model.clone());
                    }
                    inp.files.insert(path, model);
                }
                Change::Parsed(model) => {
                    remove_path(inp, &model.path);
                    if let Some(r) = &mut replaced {
                        r.push(model.clone());
                    }
                    inp.files.insert(model.path.clone(), model);
                }
                Change::Other(path) => {
                    replaced = None;
                    remove_path(inp, &path);
                    inp.other_files.insert(path);
                }
                Change::Aux(path, text) => {
                    replaced = None;
                    remove_path(inp, &path);
                    inp.aux_texts.insert(path, text);
                }
                Change::Unreadable(path, why) => {
                    replaced = None;
                    remove_path(inp, &path);
                    inp.unreadable.insert(path, why);
                }
                Change::Removed(path) => {
                    replaced = None;
                    remove_path(inp, &path);
                    remove_below(inp, &path);
                }
                Change::Config(text) => {
                    replaced = None;
                    inp.config_text = text;
                }
            }
        }
        self.revision += 1;
        let next = base.zip(replaced).and_then(|(b, r)| b.with_files(r));
        self.cache().snapshot = next.map(|s| (self.revision, Arc::new(s)));
    }

    /// The analysis of the current inputs (computed once per revision).
    pub fn analysis(&self) -> Arc<Analysis> {
        match self.pending() {
            Ok(a) => a,
            Err(p) => {
                let rev = p.revision();
                let a = p.analyse();
                self.store_analysis(rev, a.clone());
                a
            }
        }
    }

    /// The analysis of the current revision if it is computed, else what it takes to
    /// compute it (cheap to make: no parsing, no analysis).
    pub fn pending(&self) -> Result<Arc<Analysis>, Pending> {
        let c = self.cache();
        if let Some((rev, a)) = &c.analysis {
            if *rev == self.revision {
                return Ok(a.clone());
            }
        }
        let snapshot = c.snapshot.as_ref().filter(|(rev, _)| *rev == self.revision).map(|(_, s)| s.clone());
        let inputs = if snapshot.is_none() { Some(Box::new(self.inputs.clone())) } else { None };
        Err(Pending { revision: self.revision, snapshot, inputs, prev: c.analysis.as_ref().map(|(_, a)| a.clone()) })
    }

    /// The cached analysis, if it is for the current revision.
    pub fn cached_analysis(&self) -> Option<Arc<Analysis>> {
        match &self.cache().analysis {
            Some((rev, a)) if *rev == self.revision => Some(a.clone()),
            _ => None,
        }
    }

    /// Stores an analysis computed elsewhere (from `pending()`) at `revision`; an older one
    /// than the stored never replaces it.
    pub fn store_analysis(&self, revision: u64, a: Arc<Analysis>) {
        let mut c = self.cache();
        if c.analysis.as_ref().is_none_or(|(rev, _)| *rev < revision) {
            c.analysis = Some((revision, a));
        }
    }
}

fn remove_path(inp: &mut Inputs, path: &RelPath) {
    inp.files.remove(path);
    inp.aux_texts.remove(path);
    inp.other_files.remove(path);
    inp.unreadable.remove(path);
}

fn remove_below(inp: &mut Inputs, dir: &RelPath) {
    if dir.is_root() {
        *inp = Inputs { config_text: inp.config_text.take(), ..Inputs::default() };
        return;
    }
    let below = |p: &RelPath| p.starts_with(dir);
    inp.files.retain(|p, _| !below(p));
    inp.aux_texts.retain(|p, _| !below(p));
    inp.other_files.retain(|p| !below(p));
    inp.unreadable.retain(|p, _| !below(p));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_bump_revision_and_invalidate_the_cached_analysis() {
        let mut host = AnalysisHost::new();
        let p = RelPath::new("a/x.yaml").unwrap();
        host.apply([Change::Text(p.clone(), Arc::from("kind: ConfigMap\nmetadata:\n  name: a\n"))]);
        let a1 = host.analysis();
        assert!(Arc::ptr_eq(&a1, &host.analysis()));
        host.apply([Change::Removed(RelPath::new("a").unwrap())]);
        let a2 = host.analysis();
        assert!(!Arc::ptr_eq(&a1, &a2));
        assert!(a2.snapshot.files.is_empty());
    }
}
