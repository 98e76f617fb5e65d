//! The threshold expression parser: any text gives a threshold or a usage error.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    chatload::fuzz_entry::threshold(data);
});
