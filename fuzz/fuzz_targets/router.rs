//! The reference server's router: `METHOD PATH\ncontent-type\nbody` through a fresh server.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(chatload::fuzz_entry::router(data));
});
