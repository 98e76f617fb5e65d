//! The scenario parser and validation: any text gives a config or a usage error.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    chatload::fuzz_entry::scenario(data);
});
