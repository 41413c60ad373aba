//! Reading a workspace from disk into a `Vfs`: the only place that walks folders.
//!
//! Owns: the walk (honouring .gitignore, .ignore and hidden files), the size limit,
//! UTF-8 checks, byte-order marks, and symbolic links (never followed out of the root).
//! Used by `check` and by the server's initial index and file-watcher events.
//!
//! The schema folders of `.gitops-lsp.toml` (`[schemas] crds`) are walked too, whatever
//! .gitignore says; their `.json` files become auxiliary texts (`Snapshot::aux_texts`), read
//! by `schema::crd`, and their YAML files manifests like any other.

use crate::config;
use crate::files::{is_manifest_name, RelPath, Unreadable, Vfs};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files larger than this are not parsed (reported instead).
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;
/// Non-manifest files read as text for kustomize generators (`.env`).
const MAX_AUX_SIZE: u64 = 1024 * 1024;

pub struct Loaded {
    pub root: PathBuf,
    pub vfs: Vfs,
    pub config_text: Option<String>,
}

/// Reads every file under `root` that the analysis needs, and every `.yaml`, `.yml` and
/// `.json` file in the schema folders that `.gitops-lsp.toml` names (`[schemas] crds`), even
/// where .gitignore or a leading dot would hide them.
pub fn load(root: &Path) -> std::io::Result<Loaded> {
    let root = root.canonicalize()?;
    if !root.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is not a folder", root.display()),
        ));
    }
    let mut vfs = Vfs::default();
    let config_text = match read_config(&root) {
        Ok(t) => t,
        Err(u) => {
            vfs.unreadable.insert(RelPath::new(config::FILE_NAME).expect("a file name"), u);
            None
        }
    };
    let schema_dirs = schema_dirs_of(config_text.as_deref());
    let walker = ignore::WalkBuilder::new(&root)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .build();
    for entry in walker {
        visit(&mut vfs, &root, entry, &schema_dirs);
    }
    read_schema_folders(&root, &schema_dirs, &mut vfs);
    Ok(Loaded { root, vfs, config_text })
}

/// Reads every `.yaml`, `.yml` and `.json` file below the schema folders `schema_dirs` of
/// the canonical `root` that `vfs` does not hold yet, whatever .gitignore says. `load` calls
/// it; the server can call it when `.gitops-lsp.toml` changes, to read newly named folders.
pub fn read_schema_folders(root: &Path, schema_dirs: &[RelPath], vfs: &mut Vfs) {
    for dir in schema_dirs {
        let path = root.join(dir.as_str());
        // A folder reached through a link out of the repository is not read.
        if !path.canonicalize().is_ok_and(|p| p.starts_with(root) && p.is_dir()) {
            continue;
        }
        let walker = ignore::WalkBuilder::new(&path).standard_filters(false).follow_links(false).build();
        for entry in walker {
            let schema_file = entry.as_ref().is_ok_and(|e| {
                let n = e.file_name().to_string_lossy();
                is_manifest_name(&n) || n.ends_with(".json")
            });
            let seen = entry
                .as_ref()
                .ok()
                .and_then(|e| relative(root, e.path()))
                .is_some_and(|rel| vfs.texts.contains_key(&rel) || vfs.unreadable.contains_key(&rel));
            if schema_file && !seen {
                visit(vfs, root, entry, schema_dirs);
            }
        }
    }
}

/// The text of `root`'s `.gitops-lsp.toml` (`Ok(None)` when there is none); a symbolic link
/// out of the repository is not read. `root` is canonical.
pub fn read_config(root: &Path) -> Result<Option<String>, Unreadable> {
    let path = root.join(config::FILE_NAME);
    let target = match std::fs::symlink_metadata(&path) {
        Err(_) => return Ok(None),
        Ok(m) if m.file_type().is_symlink() => match std::fs::canonicalize(&path) {
            Ok(t) if t.starts_with(root) => t,
            Ok(_) => return Err(Unreadable::LinkOutsideRepo),
            Err(e) => return Err(Unreadable::Io(e.to_string())),
        },
        Ok(_) => path,
    };
    Ok(std::fs::read_to_string(target).ok())
}

/// The schema folders of a configuration text (none when it does not parse).
pub fn schema_dirs_of(config_text: Option<&str>) -> Vec<RelPath> {
    config_text.and_then(|t| config::parse(t).ok()).map(|c| c.schema_dirs().0).unwrap_or_default()
}

fn visit(vfs: &mut Vfs, root: &Path, entry: Result<ignore::DirEntry, ignore::Error>, schema_dirs: &[RelPath]) {
    let Ok(entry) = entry else { return };
    let Some(ft) = entry.file_type() else { return };
    if ft.is_dir() {
        return;
    }
    let path = entry.path();
    let Some(rel) = relative(root, path) else { return };
    if ft.is_symlink() {
        match std::fs::canonicalize(path) {
            Ok(target) if target.starts_with(root) => {
                if target.is_file() {
                    read_file(vfs, rel, &target, schema_dirs);
                }
            }
            Ok(_) => {
                vfs.unreadable.insert(rel, Unreadable::LinkOutsideRepo);
            }
            Err(e) => {
                vfs.unreadable.insert(rel, Unreadable::Io(e.to_string()));
            }
        }
        return;
    }
    read_file(vfs, rel, path, schema_dirs);
}

/// The workspace-relative path of a file, `None` outside the root.
pub fn relative(root: &Path, path: &Path) -> Option<RelPath> {
    let rel = path.strip_prefix(root).ok()?;
    let s = rel.to_str()?.replace('\\', "/");
    RelPath::new(&s)
}

/// Reads one file into the `Vfs` (a manifest as text, another file as a path only). A
/// `.json` file is read as text when it lies in a schema folder of the configuration found
/// at the root that `path` and `rel` imply.
/// A path that resolves (through symbolic links, of the file or of a folder on the way)
/// outside that root is not read.
pub fn read_into(vfs: &mut Vfs, rel: RelPath, path: &Path) {
    let mut root = Some(path);
    for _ in rel.as_str().split('/') {
        root = root.and_then(Path::parent);
    }
    let root = root.and_then(|r| r.canonicalize().ok());
    if let Some(root) = &root {
        match path.canonicalize() {
            Ok(target) if !target.starts_with(root) => {
                vfs.unreadable.insert(rel, Unreadable::LinkOutsideRepo);
                return;
            }
            Err(e) if std::fs::symlink_metadata(path).is_ok() => {
                vfs.unreadable.insert(rel, Unreadable::Io(e.to_string()));
                return;
            }
            _ => {}
        }
    }
    let schema_dirs = match &root {
        Some(r) if rel.file_name().ends_with(".json") => schema_dirs_of(read_config(r).ok().flatten().as_deref()),
        _ => Vec::new(),
    };
    read_file(vfs, rel, path, &schema_dirs)
}

fn read_file(vfs: &mut Vfs, rel: RelPath, path: &Path, schema_dirs: &[RelPath]) {
    let name = rel.file_name().to_string();
    let manifest = is_manifest_name(&name);
    let aux = name.ends_with(".env");
    let schema = name.ends_with(".json") && schema_dirs.iter().any(|d| rel.starts_with(d));
    if !manifest && !aux && !schema {
        vfs.other_files.insert(rel);
        return;
    }
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if aux && size > MAX_AUX_SIZE {
        vfs.other_files.insert(rel);
        return;
    }
    if size > MAX_FILE_SIZE {
        vfs.unreadable.insert(rel, Unreadable::TooLarge { size, limit: MAX_FILE_SIZE });
        return;
    }
    vfs.other_files.remove(&rel);
    match std::fs::read(path) {
        Ok(bytes) => match decode(bytes) {
            Ok(text) => vfs.insert_text(rel, text),
            Err(u) => {
                vfs.texts.remove(&rel);
                vfs.unreadable.insert(rel, u);
            }
        },
        Err(e) => {
            vfs.unreadable.insert(rel, Unreadable::Io(e.to_string()));
        }
    }
}

/// Bytes -> text: UTF-8 only, a leading byte-order mark dropped (as editors do).
pub fn decode(bytes: Vec<u8>) -> Result<Arc<str>, Unreadable> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..3);
            }
            Ok(Arc::from(s))
        }
        Err(e) => Err(Unreadable::NotUtf8 { at: e.utf8_error().valid_up_to() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_folders_are_read_even_when_ignored_and_only_there_json_is_text() {
        let dir = tempfile::tempdir().unwrap();
        let w = |p: &str, t: &str| {
            let p = dir.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, t).unwrap();
        };
        w(".gitignore", "crds/\n");
        w("crds/a.yaml", "kind: CustomResourceDefinition\n");
        w(".schemas/example.com/widget_v1.json", "{}");
        w("dashboards/d.json", "{}");
        w("app/x.yaml", "kind: ConfigMap\n");
        let without = load(dir.path()).unwrap();
        assert!(!without.vfs.texts.keys().any(|p| p.as_str().starts_with("crds/") || p.as_str().ends_with(".json")));
        w(".gitops-lsp.toml", "[schemas]\ncrds = [\"crds\", \".schemas\", \"../elsewhere\"]\n");
        let with = load(dir.path()).unwrap();
        let texts: Vec<&str> = with.vfs.texts.keys().map(|p| p.as_str()).collect();
        assert_eq!(texts, [".schemas/example.com/widget_v1.json", "app/x.yaml", "crds/a.yaml"]);
        assert!(with.vfs.other_files.contains(&RelPath::new("dashboards/d.json").unwrap()));
        // A watcher event for a JSON file finds the configuration at the root it implies.
        let mut vfs = Vfs::default();
        let rel = RelPath::new(".schemas/example.com/widget_v1.json").unwrap();
        read_into(&mut vfs, rel.clone(), &with.root.join(rel.as_str()));
        assert!(vfs.texts.contains_key(&rel));
        let mut vfs = Vfs::default();
        let rel = RelPath::new("dashboards/d.json").unwrap();
        read_into(&mut vfs, rel.clone(), &with.root.join(rel.as_str()));
        assert!(vfs.other_files.contains(&rel));
        // Newly named folders, read on their own (what a configuration change needs).
        let mut vfs = Vfs::default();
        read_schema_folders(&with.root, &[RelPath::new("crds").unwrap()], &mut vfs);
        assert_eq!(vfs.texts.keys().map(|p| p.as_str()).collect::<Vec<_>>(), ["crds/a.yaml"]);
    }
}
