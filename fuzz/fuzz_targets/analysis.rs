#![no_main]
//! Fuzz target `analysis`: see ../harness.rs (`harness::analysis`) for what it runs and asserts.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::analysis(data));
