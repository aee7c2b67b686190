#![no_main]
libfuzzer_sys::fuzz_target!(|input: tuf_fuzz::PathInput| tuf_fuzz::path_match(input));
