//! The response classifier: any HTTP status and body bytes must classify without a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    chatload::fuzz_entry::classify(data);
});
