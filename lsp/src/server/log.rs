//! Logging to stderr (stdout carries only LSP). The level comes from `--log-level`,
//! `GITOPS_LSP_LOG`, or the client's `logLevel` setting.

use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            "debug" | "trace" => Some(Level::Debug),
            _ => None,
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

pub fn set_level(l: Level) {
    LEVEL.store(l as u8, Ordering::Relaxed);
}

fn emit(l: Level, args: std::fmt::Arguments) {
    if (l as u8) <= LEVEL.load(Ordering::Relaxed) {
        eprintln!("[gitops-lsp {:?}] {args}", l);
    }
}

pub fn error(args: std::fmt::Arguments) {
    emit(Level::Error, args)
}
pub fn warn(args: std::fmt::Arguments) {
    emit(Level::Warn, args)
}
pub fn info(args: std::fmt::Arguments) {
    emit(Level::Info, args)
}
#[allow(dead_code)]
pub fn debug(args: std::fmt::Arguments) {
    emit(Level::Debug, args)
}
