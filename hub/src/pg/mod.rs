//! Running PostgreSQL ourselves when no database is configured.

pub mod managed;
