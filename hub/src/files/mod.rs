//! The file store under `topdir`: its layout, uploads into `work/`, and the checksums uploads
//! are verified with.

pub mod checksum;
pub mod packages;
pub mod paths;
pub mod upload;
