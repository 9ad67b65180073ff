//! modulemd, the module metadata format, and the submit-time computations of the Module Build
//! Service (batches, names, contexts, module-build-macros, stream expansion).
//!
//! Pure code: no I/O. Reading follows libmodulemd 2.14/2.15 and MBS 3.9.2 (see
//! `shared/spec/modulemd.md` and `mbs.md`); errors carry the messages users see.

mod defaults;
mod emit;
mod error;
pub mod mbs;
mod packager;
mod parse;
mod types;
mod validate;
mod xmd;
mod yaml;

#[cfg(test)]
mod tests;

pub use defaults::Defaults;
pub use error::ModulemdError;
pub use packager::{BuildConfig, PackagerV3};
pub use parse::{Document, ParseMode, SourceFormat, parse_document, parse_stream};
pub use types::{
    Artifacts, Buildopts, Dependencies, License, ModuleComponent, ModuleStream, Profile, References,
    RpmComponent, RpmMapEntry, ServiceLevel, StreamList, XmdValue,
};
pub use xmd::{MBS_XMD_KEY, MbsXmd, XmdBuildrequire, XmdRpm};
