#![no_main]
//! Fuzz target `subst`: see ../harness.rs (`harness::subst`) for what it runs and asserts.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::subst(data));
