#![no_main]
//! Fuzz target `yaml_structure`: see ../harness.rs (`harness::yaml_structure`) and
//! ../structure.rs (the generator) for what it runs and asserts.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::yaml_structure(data));
