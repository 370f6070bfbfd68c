//! Thin adapters from the [`crate::vfs::Vfs`] trait to a kernel interface.

#[cfg(all(unix, feature = "fuse"))]
pub mod fuse;
#[cfg(all(windows, feature = "winfsp"))]
pub mod winfsp;

/// On hosts without FUSE, the mount options the command-line tools fill in all the same, so
/// their code is one on every system; the WinFsp mount reads `fsname` (the image: volume
/// label and serial), `subtype` (the file system name) and `threads`.
#[cfg(not(unix))]
pub mod fuse {
    /// How to mount (the fields of the Unix `FuseOptions`).
    #[derive(Debug, Clone)]
    pub struct FuseOptions {
        /// The image path.
        pub fsname: String,
        /// The tool: `wimfs`, `isofs`.
        pub subtype: String,
        /// Meaningless on Windows (access is governed by the security descriptors).
        pub allow_other: bool,
        /// Dispatcher threads.
        pub threads: usize,
        /// Unused on Windows (the cache manager reads ahead on its own).
        pub files_ahead: bool,
    }

    impl Default for FuseOptions {
        fn default() -> Self {
            Self {
                fsname: "image".into(),
                subtype: "image".into(),
                allow_other: false,
                threads: 4,
                files_ahead: true,
            }
        }
    }
}
