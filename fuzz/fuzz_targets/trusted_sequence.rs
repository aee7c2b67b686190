#![no_main]
libfuzzer_sys::fuzz_target!(|input: tuf_fuzz::Sequence| tuf_fuzz::trusted_sequence(input));
