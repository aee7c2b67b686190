#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tuf_fuzz::canonical_json(data));
