//! Reading a workspace from disk into a `Vfs`: the only place that walks folders.
//!
//! Owns: the walk (honouring .gitignore, .ignore and hidden files), the size limit,
//! UTF-8 checks, byte-order marks, and symbolic links (never followed out of the root).
//! Used by `check` and by the server's initial index and file-watcher events.

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

/// Reads every file under `root` that the analysis needs.
pub fn load(root: &Path) -> std::io::Result<Loaded> {
    let root = root.canonicalize()?;
    if !root.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is not a folder", root.display()),
        ));
    }
    let mut vfs = Vfs::default();
    let walker = ignore::WalkBuilder::new(&root)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .build();
    for entry in walker {
        let Ok(entry) = entry else { continue };
        let Some(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            continue;
        }
        let path = entry.path();
        let Some(rel) = relative(&root, path) else { continue };
        if ft.is_symlink() {
            match std::fs::canonicalize(path) {
                Ok(target) if target.starts_with(&root) => {
                    if target.is_file() {
                        read_into(&mut vfs, rel, &target);
                    }
                }
                Ok(_) => {
                    vfs.unreadable.insert(rel, Unreadable::LinkOutsideRepo);
                }
                Err(e) => {
                    vfs.unreadable.insert(rel, Unreadable::Io(e.to_string()));
                }
            }
            continue;
        }
        read_into(&mut vfs, rel, path);
    }
    let config_text = std::fs::read_to_string(root.join(config::FILE_NAME)).ok();
    Ok(Loaded { root, vfs, config_text })
}

/// The workspace-relative path of a file, `None` outside the root.
pub fn relative(root: &Path, path: &Path) -> Option<RelPath> {
    let rel = path.strip_prefix(root).ok()?;
    let s = rel.to_str()?.replace('\\', "/");
    RelPath::new(&s)
}

/// Reads one file into the `Vfs` (a manifest as text, another file as a path only).
pub fn read_into(vfs: &mut Vfs, rel: RelPath, path: &Path) {
    let name = rel.file_name().to_string();
    let manifest = is_manifest_name(&name);
    let aux = name.ends_with(".env");
    if !manifest && !aux {
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
