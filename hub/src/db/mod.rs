//! The hub's database access: the pool, the transaction type, and one module of SQL per table
//! family. No SQL lives outside `db::`, and no raw `Row` leaves it.

pub mod buildroots;
pub mod builds;
pub mod claim;
pub mod client;
pub mod components;
pub mod events;
pub mod external_repos;
pub mod hosts;
pub mod modules;
pub mod pool;
pub mod query;
pub mod rpms;
pub mod scheduler;
pub mod schema;
pub mod sessions;
pub mod tagged;
pub mod tasks;
pub mod types;
pub mod users;
// Tags, inheritance, targets, package lists, comps groups and history.
pub mod groups;
pub mod history;
pub mod inheritance;
pub mod names;
pub mod packages;
pub mod repo_content;
pub mod repos;
pub mod tags;
pub mod targets;
pub mod versioned;
// Name searches (`search`, the web interface).
pub mod search;

pub use pool::{Pool, connect_pool};
pub use types::{Micros, Tx};

pub use client::Client;
