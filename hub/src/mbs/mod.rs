//! The Module Build Service: its frontend (the REST API under `/module-build-service/<v>/`,
//! submission from SCM or YAML, cancellation, queries, bootstrap-module imports), the one
//! function that changes a module build's state, and the backend's batch decisions
//! (`backend`, driven by the `moduleBuild` parent task through `host.moduleStep`).

pub mod auth;
pub mod backend;
pub mod config;
pub mod error;
pub mod http;
pub mod import;
pub mod json;
pub mod query;
pub mod scm;
pub mod state;
pub mod submit;
