//! Printing as the stock client prints: Python's pprint and json.dumps layouts, Koji's
//! fixed-width tables and its time formats.

pub mod json;
pub mod pprint;
pub mod table;
pub mod time;
