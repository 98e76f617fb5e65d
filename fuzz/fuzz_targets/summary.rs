//! The summary.json loader (`chatload check`, `chatload report`): any bytes read or fail cleanly.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    chatload::fuzz_entry::summary(data);
});
