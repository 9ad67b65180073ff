//! The Module Build Service's frontend: the REST API under `/module-build-service/<v>/`,
//! submission (SCM or YAML), cancellation, queries, bootstrap-module imports, and the one
//! function that changes a module build's state.

pub mod auth;
pub mod config;
pub mod error;
pub mod http;
pub mod import;
pub mod json;
pub mod query;
pub mod scm;
pub mod state;
pub mod submit;
