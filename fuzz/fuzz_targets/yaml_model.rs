#![no_main]
//! Fuzz target `yaml_model`: see ../harness.rs (`harness::yaml_model`) for what it runs and asserts.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::yaml_model(data));
