//! The WinFsp adapter (stub).
