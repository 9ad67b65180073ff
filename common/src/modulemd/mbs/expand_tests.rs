//! Tests of `expand`.
use super::*;
