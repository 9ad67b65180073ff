//! XML-RPC: the method table, the call pipeline, the call context, and error-to-fault mapping.

pub mod call;
pub mod dispatch;
pub mod fault;
pub mod run;
