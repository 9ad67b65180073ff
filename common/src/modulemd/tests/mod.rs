//! Tests of modulemd reading, validation and emission, written as data.

mod fixtures;
mod formats;
mod messages;
mod parsing;
