//! Arbitrary bytes as a WIM: open, load every image, read every file, link and xattr.
#![no_main]

use std::sync::Arc;

use common::io::ReadAt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source: Arc<dyn ReadAt> = Arc::new(data.to_vec());
    let _ = wimfs::walk::walk_all(source, 4 << 20);
});
